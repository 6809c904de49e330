import CPlatform
import ReinsCore
#if canImport(Glibc)
import Glibc
#endif

/// Deadline-bounded reads and writes on a non-blocking file descriptor: the one I/O path shared by
/// serial ports, pseudo-terminals and sockets.
enum DescriptorIO {
    /// Waits until `fd` is ready for `events` or the deadline passes. Returns false on timeout.
    /// ppoll takes a relative nanosecond timeout, so the wait is exact to the scheduler's resolution.
    @inline(__always)
    static func wait(_ fd: Int32, events: Int16, deadline: UInt64) throws(LinkError) -> Bool {
        var revents: Int16 = 0
        while true {
            let now = MonotonicClock.nowNanoseconds()
            let remaining = deadline > now ? deadline - now : 0
            let ready = reins_poll_one(fd, events, &revents, Int64(remaining))
            if ready < 0 {
                if errno == EINTR { continue }
                throw .system(code: errno)
            }
            if ready == 0 { return false }
            // Readable data takes precedence over a hang-up so the last bytes a peer sent are read.
            if revents & events != 0 { return true }
            if revents & Int16(POLLHUP | POLLERR | POLLNVAL) != 0 { throw .disconnected }
            return true
        }
    }

    static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, deadline: UInt64) throws(LinkError) -> Int {
        guard buffer.count > 0 else { return 0 }
        while true {
            let n = Glibc.read(fd, buffer.baseAddress, buffer.count)
            if n > 0 { return n }
            if n == 0 { throw .disconnected }
            switch errno {
            case EINTR: continue
            case EAGAIN:
                guard try wait(fd, events: Int16(POLLIN), deadline: deadline) else { return 0 }
            // A pty master reads EIO once the other side closed; USB serial adapters do on unplug.
            // Socket errors (ECONNRESET, ETIMEDOUT, EHOSTUNREACH ...) keep their errno, which says
            // more about a lost network bridge than "disconnected".
            case EIO, ENXIO, ENODEV: throw .disconnected
            default: throw .system(code: errno)
            }
        }
    }

    /// - Parameter socket: send with MSG_NOSIGNAL: writing to a socket whose peer reset it would
    ///   otherwise raise SIGPIPE and kill the process instead of returning EPIPE.
    static func write(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, deadline: UInt64, socket: Bool) throws(LinkError) {
        var offset = 0
        while offset < bytes.count {
            let n = socket
                ? Glibc.send(fd, bytes.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
                : Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n >= 0 {
                offset += n
                continue
            }
            switch errno {
            case EINTR: continue
            case EAGAIN:
                guard try wait(fd, events: Int16(POLLOUT), deadline: deadline) else { throw .writeTimedOut }
            case EIO, ENXIO, ENODEV: throw .disconnected
            default: throw .system(code: errno)
            }
        }
    }

    static func setNonBlocking(_ fd: Int32) {
        let flags = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
    }
}

/// A link over any byte-stream file descriptor it owns: one end of a socket pair, a pty master, an
/// accepted TCP connection. Serial and TCP links add their own opening on top of it.
public final class DescriptorLink: ByteLink, @unchecked Sendable {
    public let name: String
    public private(set) var fd: Int32
    private let isSocket: Bool

    /// Takes ownership of `fd` and makes it non-blocking.
    public init(fd: Int32, name: String) {
        self.fd = fd
        self.name = name
        var info = stat()
        isSocket = fstat(fd, &info) == 0 && (info.st_mode & S_IFMT) == S_IFSOCK
        DescriptorIO.setNonBlocking(fd)
    }

    deinit { close() }

    public func write(_ bytes: UnsafeRawBufferPointer, deadline: UInt64) throws(LinkError) {
        guard fd >= 0 else { throw .closed }
        try DescriptorIO.write(fd, bytes, deadline: deadline, socket: isSocket)
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer, deadline: UInt64) throws(LinkError) -> Int {
        guard fd >= 0 else { throw .closed }
        return try DescriptorIO.read(fd, into: buffer, deadline: deadline)
    }

    public func discardInput() {
        guard fd >= 0 else { return }
        if isatty(fd) != 0 {
            tcflush(fd, TCIFLUSH)
            return
        }
        // Stack scratch: discarding happens inside ticks, before a request, and must not allocate.
        withUnsafeTemporaryAllocation(byteCount: 256, alignment: 8) { raw in
            while Glibc.read(fd, raw.baseAddress, raw.count) > 0 {}
        }
    }

    public func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }

    /// A connected pair of in-process stream sockets, for a simulator inside the reins process.
    public static func socketPair(names: (String, String)) throws(SystemError) -> (DescriptorLink, DescriptorLink) {
        var fds: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &fds) == 0 else {
            throw SystemError("create", path: "a socket pair")
        }
        return (DescriptorLink(fd: fds[0], name: names.0), DescriptorLink(fd: fds[1], name: names.1))
    }
}
