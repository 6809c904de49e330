/// The MCAP container (https://mcap.dev/spec, version 0): magic, then records of
/// `opcode u8, length u64, content`, little-endian, strings and maps u32-length-prefixed.
public enum MCAP {
    /// `89 4D 43 41 50 30 0D 0A`: at the start and the very end of every MCAP file.
    public static let magic: [UInt8] = [0x89, 0x4D, 0x43, 0x41, 0x50, 0x30, 0x0D, 0x0A]

    /// Bytes before a record's content: the opcode and the u64 length.
    static let recordPrefixBytes = 9

    /// Footer record plus closing magic: the fixed tail a complete file ends with.
    static let footerAndMagicBytes = recordPrefixBytes + 20 + 8
}

public enum MCAPOpcode: UInt8, Sendable {
    case header = 0x01
    case footer = 0x02
    case schema = 0x03
    case channel = 0x04
    case message = 0x05
    case chunk = 0x06
    case messageIndex = 0x07
    case chunkIndex = 0x08
    case attachment = 0x09
    case attachmentIndex = 0x0A
    case statistics = 0x0B
    case metadata = 0x0C
    case metadataIndex = 0x0D
    case summaryOffset = 0x0E
    case dataEnd = 0x0F
}

/// Appends MCAP primitives to a byte array; `record` writes the opcode and back-fills the length.
struct MCAPEncoder {
    var bytes: [UInt8] = []

    init(reservingCapacity capacity: Int = 0) {
        bytes.reserveCapacity(capacity)
    }

    var count: Int { bytes.count }

    mutating func removeAll() { bytes.removeAll(keepingCapacity: true) }

    mutating func u8(_ value: UInt8) { bytes.append(value) }

    mutating func u16(_ value: UInt16) {
        bytes.append(UInt8(truncatingIfNeeded: value))
        bytes.append(UInt8(truncatingIfNeeded: value >> 8))
    }

    mutating func u32(_ value: UInt32) {
        for shift in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt32(shift))) }
    }

    mutating func u64(_ value: UInt64) {
        for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
    }

    mutating func string(_ value: String) {
        let utf8 = Array(value.utf8)
        u32(UInt32(utf8.count))
        bytes.append(contentsOf: utf8)
    }

    /// `Map<string, string>`: a u32 byte length, then key/value pairs. Keys are sorted so the same
    /// map always encodes to the same bytes.
    mutating func map(_ entries: [String: String]) {
        let lengthAt = bytes.count
        u32(0)
        for key in entries.keys.sorted() {
            string(key)
            string(entries[key]!)
        }
        patchU32(at: lengthAt, UInt32(bytes.count - lengthAt - 4))
    }

    mutating func append<C: Collection>(contentsOf data: C) where C.Element == UInt8 {
        bytes.append(contentsOf: data)
    }

    /// Writes one record: opcode, u64 length, then whatever `body` appends.
    mutating func record(_ opcode: MCAPOpcode, _ body: (inout MCAPEncoder) -> Void) {
        bytes.append(opcode.rawValue)
        let lengthAt = bytes.count
        u64(0)
        body(&self)
        patchU64(at: lengthAt, UInt64(bytes.count - lengthAt - 8))
    }

    mutating func patchU32(at offset: Int, _ value: UInt32) {
        for index in 0..<4 { bytes[offset + index] = UInt8(truncatingIfNeeded: value >> UInt32(8 * index)) }
    }

    mutating func patchU64(at offset: Int, _ value: UInt64) {
        for index in 0..<8 { bytes[offset + index] = UInt8(truncatingIfNeeded: value >> UInt64(8 * index)) }
    }
}

/// Why bytes are not the MCAP record they claim to be, with the file offset where it shows.
struct MCAPFormatError: Error, CustomStringConvertible {
    var offset: Int
    var problem: String
    var description: String { "byte \(offset): \(problem)" }
}

/// Reads MCAP primitives from a byte range, never past its end: every read that would overrun
/// throws instead, so truncated or corrupt input can only end a parse, never crash it.
struct MCAPDecoder {
    let bytes: [UInt8]
    private(set) var position: Int
    let end: Int

    init(_ bytes: [UInt8], from start: Int, to end: Int) {
        self.bytes = bytes
        position = start
        self.end = end
    }

    var remaining: Int { end - position }
    var isAtEnd: Bool { position >= end }

    private mutating func need(_ count: Int, _ what: String) throws(MCAPFormatError) {
        guard count >= 0, count <= remaining else {
            throw MCAPFormatError(offset: position, problem: "\(what) needs \(count) bytes but only \(remaining) remain")
        }
    }

    mutating func u8(_ what: String = "u8") throws(MCAPFormatError) -> UInt8 {
        try need(1, what)
        defer { position += 1 }
        return bytes[position]
    }

    mutating func u16(_ what: String = "u16") throws(MCAPFormatError) -> UInt16 {
        try need(2, what)
        defer { position += 2 }
        return UInt16(bytes[position]) | UInt16(bytes[position + 1]) << 8
    }

    mutating func u32(_ what: String = "u32") throws(MCAPFormatError) -> UInt32 {
        try need(4, what)
        var value: UInt32 = 0
        for index in 0..<4 { value |= UInt32(bytes[position + index]) << UInt32(8 * index) }
        position += 4
        return value
    }

    mutating func u64(_ what: String = "u64") throws(MCAPFormatError) -> UInt64 {
        try need(8, what)
        var value: UInt64 = 0
        for index in 0..<8 { value |= UInt64(bytes[position + index]) << UInt64(8 * index) }
        position += 8
        return value
    }

    /// A length read from the file, checked against what remains before it is used as an Int.
    mutating func length(_ raw: UInt64, _ what: String) throws(MCAPFormatError) -> Int {
        guard raw <= UInt64(remaining) else {
            throw MCAPFormatError(offset: position, problem: "\(what) of \(raw) bytes but only \(remaining) remain")
        }
        return Int(raw)
    }

    mutating func slice(_ count: Int, _ what: String) throws(MCAPFormatError) -> ArraySlice<UInt8> {
        try need(count, what)
        defer { position += count }
        return bytes[position..<(position + count)]
    }

    mutating func string(_ what: String = "string") throws(MCAPFormatError) -> String {
        let count = try length(UInt64(try u32(what)), what)
        return String(decoding: try slice(count, what), as: UTF8.self)
    }

    mutating func map(_ what: String = "map") throws(MCAPFormatError) -> [String: String] {
        let count = try length(UInt64(try u32(what)), what)
        var inner = MCAPDecoder(bytes, from: position, to: position + count)
        var entries: [String: String] = [:]
        while !inner.isAtEnd {
            let key = try inner.string("\(what) key")
            entries[key] = try inner.string("\(what) value")
        }
        position += count
        return entries
    }

    mutating func skip(to offset: Int) { position = min(max(offset, position), end) }
}
