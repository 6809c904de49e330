import ReinsCore
#if canImport(Glibc)
import Glibc
#endif

/// UDP the way MAVLink uses it: either listen on a port and answer whoever sent the last datagram
/// (`udpin:`), or send to a fixed peer (`udpout:`). Each read returns one datagram.
public final class UDPLink: ByteLink, @unchecked Sendable {
    public let name: String
    private var fd: Int32
    private var peer: SocketAddress?
    private let fixedPeer: Bool

    /// Binds `host:port` and learns the peer from incoming datagrams.
    public static func listen(host: String, port: UInt16) throws(DeviceError) -> UDPLink {
        let local = try SocketAddress(host: host, port: port, passive: true)
        let fd = try UDPLink.socket(for: local, name: "udpin:\(host):\(port)")
        let bound = local.withSockaddr { bind(fd, $0, $1) }
        guard bound == 0 else {
            let code = errno
            Glibc.close(fd)
            throw DeviceError.cannotOpen("udpin:\(host):\(port)", problem: "cannot bind: \(String(cString: strerror(code)))",
                                         suggestion: code == EADDRINUSE ? "another program listens on port \(port); stop it or choose another port" : nil)
        }
        return UDPLink(fd: fd, name: "udpin:\(host):\(port)", peer: nil, fixedPeer: false)
    }

    /// Sends to `host:port` from an ephemeral local port; replies come back to that port.
    public static func send(host: String, port: UInt16) throws(DeviceError) -> UDPLink {
        let remote = try SocketAddress(host: host, port: port)
        let fd = try UDPLink.socket(for: remote, name: "udpout:\(host):\(port)")
        return UDPLink(fd: fd, name: "udpout:\(host):\(port)", peer: remote, fixedPeer: true)
    }

    private init(fd: Int32, name: String, peer: SocketAddress?, fixedPeer: Bool) {
        self.fd = fd
        self.name = name
        self.peer = peer
        self.fixedPeer = fixedPeer
        DescriptorIO.setNonBlocking(fd)
    }

    private static func socket(for address: SocketAddress, name: String) throws(DeviceError) -> Int32 {
        let fd = Glibc.socket(address.family, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw DeviceError.cannotOpen(name, problem: String(cString: strerror(errno))) }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        return fd
    }

    deinit { close() }

    /// The address datagrams go to: fixed for `udpout:`, the last sender for `udpin:`.
    public var peerAddress: SocketAddress? { peer }

    /// The local port (useful after binding port 0).
    public var localPort: UInt16 {
        var address = SocketAddress()
        address.length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutableBytes(of: &address.storage) { raw in
            getsockname(fd, raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), &address.length)
        }
        return address.port
    }

    public func write(_ bytes: UnsafeRawBufferPointer, deadline: UInt64) throws(LinkError) {
        guard fd >= 0 else { throw .closed }
        // A listener that has not heard from anyone yet has nobody to answer: drop, as MAVLink does.
        guard let peer else { return }
        while true {
            let sent = peer.withSockaddr { sendto(fd, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL), $0, $1) }
            if sent >= 0 { return }
            switch errno {
            case EINTR: continue
            case EAGAIN:
                guard try DescriptorIO.wait(fd, events: Int16(POLLOUT), deadline: deadline) else { throw .writeTimedOut }
            // An ICMP port-unreachable from an earlier datagram: the peer is not there (yet).
            case ECONNREFUSED: return
            default: throw .system(code: errno)
            }
        }
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer, deadline: UInt64) throws(LinkError) -> Int {
        guard fd >= 0 else { throw .closed }
        while true {
            var from = SocketAddress()
            from.length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let n = withUnsafeMutableBytes(of: &from.storage) { raw in
                recvfrom(fd, buffer.baseAddress, buffer.count, 0, raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), &from.length)
            }
            if n >= 0 {
                if !fixedPeer { peer = from }
                return n
            }
            switch errno {
            case EINTR: continue
            case EAGAIN:
                guard try DescriptorIO.wait(fd, events: Int16(POLLIN), deadline: deadline) else { return 0 }
            case ECONNREFUSED: continue
            default: throw .system(code: errno)
            }
        }
    }

    public func discardInput() {
        guard fd >= 0 else { return }
        withUnsafeTemporaryAllocation(byteCount: 2048, alignment: 8) { raw in
            while recv(fd, raw.baseAddress, raw.count, Int32(MSG_DONTWAIT)) >= 0 {}
        }
    }

    public func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }
}
