extension String {
    /// The text of a NUL-terminated C buffer filled in by a system call (getnameinfo, ptsname_r, realpath).
    public init(nulTerminated buffer: [CChar]) {
        let end = buffer.firstIndex(of: 0) ?? buffer.count
        self = String(decoding: buffer[..<end].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
