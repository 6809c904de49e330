import ReinsCore
#if canImport(Glibc)
import Glibc
#endif

/// An IPv4 or IPv6 socket address resolved from `host:port`.
public struct SocketAddress: Sendable, Equatable, CustomStringConvertible {
    var storage = sockaddr_storage()
    var length: socklen_t = 0

    public static func == (lhs: SocketAddress, rhs: SocketAddress) -> Bool {
        lhs.description == rhs.description
    }

    init() {}

    /// Resolves numerically first and then through the resolver (never inside a tick).
    public init(host: String, port: UInt16, passive: Bool = false) throws(DeviceError) {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_DGRAM.rawValue)
        if passive { hints.ai_flags = AI_PASSIVE }
        var result: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &result)
        guard status == 0, let first = result else {
            throw DeviceError.cannotOpen("\(host):\(port)", problem: "cannot resolve host: \(String(cString: gai_strerror(status)))",
                                         suggestion: "use a numeric address such as 127.0.0.1")
        }
        defer { freeaddrinfo(result) }
        withUnsafeMutableBytes(of: &storage) { raw in
            raw.copyMemory(from: UnsafeRawBufferPointer(start: first.pointee.ai_addr, count: Int(first.pointee.ai_addrlen)))
        }
        length = first.pointee.ai_addrlen
    }

    public var family: Int32 { Int32(storage.ss_family) }

    public var port: UInt16 {
        withUnsafeBytes(of: storage) { raw in
            if family == AF_INET6 {
                return UInt16(bigEndian: raw.load(fromByteOffset: MemoryLayout<sockaddr_in6>.offset(of: \.sin6_port)!, as: UInt16.self))
            }
            return UInt16(bigEndian: raw.load(fromByteOffset: MemoryLayout<sockaddr_in>.offset(of: \.sin_port)!, as: UInt16.self))
        }
    }

    public var description: String {
        var host = [CChar](repeating: 0, count: Int(NI_MAXHOST))
        let status = withUnsafeBytes(of: storage) { raw in
            getnameinfo(raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), length, &host, socklen_t(host.count), nil, 0, NI_NUMERICHOST)
        }
        let name = status == 0 ? String(nulTerminated: host) : "?"
        return family == AF_INET6 ? "[\(name)]:\(port)" : "\(name):\(port)"
    }

    func withSockaddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
        withUnsafeBytes(of: storage) { body($0.baseAddress!.assumingMemoryBound(to: sockaddr.self), length) }
    }
}
