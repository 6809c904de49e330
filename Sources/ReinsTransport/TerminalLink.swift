import ReinsCore
#if canImport(Glibc)
import Glibc
#endif

/// A tty opened through termios: pseudo-terminals (simulators, socat bridges), which libserialport
/// 0.1.1 refuses because they have no /sys/class/tty entry.
public final class TerminalLink: ByteLink, @unchecked Sendable {
    public let name: String
    private let io: DescriptorLink

    /// Opens `path` raw (8N1, no echo, no line discipline). `baud` is applied when given; ptys ignore it.
    public init(path: String, baud: Int? = nil) throws(DeviceError) {
        let fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw SerialLink.openError(device: path, code: errno) }
        guard isatty(fd) != 0 else {
            Glibc.close(fd)
            throw DeviceError.cannotOpen(path, problem: "not a terminal device", suggestion: "use pty: for pseudo-terminals and serial: for serial ports")
        }
        var attributes = termios()
        tcgetattr(fd, &attributes)
        cfmakeraw(&attributes)
        attributes.c_cflag |= tcflag_t(CLOCAL | CREAD)
        if let baud, let speed = TerminalLink.speed(for: baud) {
            cfsetispeed(&attributes, speed)
            cfsetospeed(&attributes, speed)
        }
        tcsetattr(fd, TCSANOW, &attributes)
        tcflush(fd, TCIOFLUSH)
        name = path
        io = DescriptorLink(fd: fd, name: path)
    }

    public func write(_ bytes: UnsafeRawBufferPointer, deadline: UInt64) throws(LinkError) {
        try io.write(bytes, deadline: deadline)
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer, deadline: UInt64) throws(LinkError) -> Int {
        try io.read(into: buffer, deadline: deadline)
    }

    public func discardInput() { io.discardInput() }

    public func close() { io.close() }

    static func speed(for baud: Int) -> speed_t? {
        let table: [Int: Int32] = [
            9600: B9600, 19200: B19200, 38400: B38400, 57600: B57600, 115200: B115200, 230400: B230400,
            460800: B460800, 500000: B500000, 921600: B921600, 1_000_000: B1000000, 2_000_000: B2000000,
            3_000_000: B3000000, 4_000_000: B4000000,
        ]
        return table[baud].map { speed_t($0) }
    }
}
