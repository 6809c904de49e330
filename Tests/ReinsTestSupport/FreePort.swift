#if canImport(Glibc)
import Glibc
#endif

/// A socket of `type` bound to port 0 on loopback, and the port the kernel gave it.
private func boundLoopbackSocket(_ type: Int32) -> (fd: Int32, port: UInt16) {
    let fd = socket(AF_INET, type, 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
    _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
    return (fd, UInt16(bigEndian: address.sin_port))
}

/// A free local UDP port, found by binding port 0 on loopback (for peers that take a port number).
public func freeUDPPort() -> UInt16 {
    let (fd, port) = boundLoopbackSocket(Int32(SOCK_DGRAM.rawValue))
    close(fd)
    return port
}

/// A TCP socket listening on loopback (a stand-in for a serial-over-network bridge) and its port;
/// the caller accepts and closes it. With `backlog` 0 the queue fills after one connection.
public func loopbackTCPListener(backlog: Int32 = 1) -> (fd: Int32, port: UInt16) {
    let (fd, port) = boundLoopbackSocket(Int32(SOCK_STREAM.rawValue))
    listen(fd, backlog)
    return (fd, port)
}
