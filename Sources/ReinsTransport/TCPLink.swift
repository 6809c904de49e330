import ReinsCore
#if canImport(Glibc)
import Glibc
#endif

/// A TCP byte stream to a serial-over-network bridge (ser2net, ESP-Link, socat). Nagle is off so
/// small command frames leave at once.
public final class TCPLink: ByteLink, @unchecked Sendable {
    public let name: String
    private let io: DescriptorLink

    public init(host: String, port: UInt16, connectTimeout: Double = 3) throws(DeviceError) {
        let device = "tcp:\(host):\(port)"
        let remote = try SocketAddress(host: host, port: port)
        let fd = socket(remote.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw DeviceError.cannotOpen(device, problem: String(cString: strerror(errno))) }
        DescriptorIO.setNonBlocking(fd)
        var yes: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &yes, socklen_t(MemoryLayout<Int32>.size))
        let started = remote.withSockaddr { connect(fd, $0, $1) }
        if started != 0 && errno != EINPROGRESS {
            let code = errno
            Glibc.close(fd)
            throw TCPLink.connectError(device, code)
        }
        if started != 0 {
            let deadline = MonotonicClock.deadline(in: connectTimeout)
            let ready: Bool
            do { ready = try DescriptorIO.wait(fd, events: Int16(POLLOUT), deadline: deadline) } catch { ready = true }
            var soError: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &soError, &length)
            guard ready, soError == 0 else {
                Glibc.close(fd)
                if !ready {
                    throw DeviceError.cannotOpen(device, problem: "cannot connect: \(String(cString: strerror(ETIMEDOUT))) (no answer within \(connectTimeout) s)",
                                                 suggestion: "check the address, and that the bridge is powered, on the network and running")
                }
                throw TCPLink.connectError(device, soError)
            }
        }
        name = device
        io = DescriptorLink(fd: fd, name: device)
    }

    private static func connectError(_ device: String, _ code: Int32) -> DeviceError {
        DeviceError.cannotOpen(device, problem: "cannot connect: \(String(cString: strerror(code)))",
                               suggestion: code == ECONNREFUSED ? "nothing listens there; start the bridge first" : nil)
    }

    public func write(_ bytes: UnsafeRawBufferPointer, deadline: UInt64) throws(LinkError) {
        try io.write(bytes, deadline: deadline)
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer, deadline: UInt64) throws(LinkError) -> Int {
        try io.read(into: buffer, deadline: deadline)
    }

    public func discardInput() { io.discardInput() }

    public func close() { io.close() }
}
