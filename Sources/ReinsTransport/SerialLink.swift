import CSerialPort
import ReinsConfig
import ReinsCore
#if canImport(Glibc)
import Glibc
#endif

/// A serial port opened and configured with libserialport: 8N1 at any baud (1 and 3 Mbit/s
/// included), optional flow control. Reads and writes go through the port's file descriptor with
/// deadlines, the same path every other link uses.
public final class SerialLink: ByteLink, @unchecked Sendable {
    public let name: String
    public let baud: Int
    private var port: OpaquePointer?
    private let io: DescriptorLink

    public init(path: String, baud: Int, flowControl: LinkSpec.FlowControl = .none) throws(DeviceError) {
        var handle: OpaquePointer?
        // libserialport looks the port up in /sys/class/tty by name, so resolve udev symlinks such as
        // /dev/serial/by-id/... first; messages keep the name the user wrote.
        var resolvedBuffer = [CChar](repeating: 0, count: 4096)
        let resolved = realpath(path, &resolvedBuffer).map { String(cString: $0) } ?? path
        let lookup = sp_get_port_by_name(resolved, &handle)
        guard lookup == SP_OK, let handle else {
            if !FileBytes.exists(path) { throw SerialLink.openError(device: path, code: ENOENT) }
            if path.hasPrefix("/dev/pts/") || SerialLink.isPseudoTerminal(path) {
                throw DeviceError.cannotOpen(path, problem: "it is a pseudo-terminal, which libserialport cannot open",
                                             suggestion: "write `link: pty:\(path)` instead of serial:")
            }
            throw DeviceError.cannotOpen(path, problem: "libserialport does not recognise it as a serial port (\(SerialLink.lastError()))")
        }
        let opened = sp_open(handle, SP_MODE_READ_WRITE)
        guard opened == SP_OK else {
            let code = sp_last_error_code()
            sp_free_port(handle)
            throw SerialLink.openError(device: path, code: code)
        }
        // Another process holding the port is the most common real failure: take an exclusive lock
        // so two Reins instances (or Reins and a vendor tool) never interleave bytes on one bus.
        var fd: Int32 = -1
        _ = withUnsafeMutablePointer(to: &fd) { sp_get_port_handle(handle, UnsafeMutableRawPointer($0)) }
        if fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) != 0 {
            sp_close(handle)
            sp_free_port(handle)
            throw DeviceError.cannotOpen(path, problem: "another process is using it",
                                         suggestion: "stop the other program (find it with `fuser \(path)`) and try again")
        }
        let configured = sp_set_baudrate(handle, Int32(baud)) == SP_OK
            && sp_set_bits(handle, 8) == SP_OK
            && sp_set_parity(handle, SP_PARITY_NONE) == SP_OK
            && sp_set_stopbits(handle, 1) == SP_OK
            && sp_set_flowcontrol(handle, SerialLink.flow(flowControl)) == SP_OK
        guard configured else {
            let message = SerialLink.lastError()
            sp_close(handle)
            sp_free_port(handle)
            throw DeviceError.cannotOpen(path, problem: "cannot configure \(baud) baud 8N1 (\(message))",
                                         suggestion: "check that the adapter supports \(baud) baud")
        }
        sp_flush(handle, SP_BUF_BOTH)
        port = handle
        name = path
        self.baud = baud
        // libserialport owns the descriptor; this link only borrows it for deadline-bounded I/O.
        io = DescriptorLink(fd: dup(fd), name: path)
    }

    deinit { close() }

    public func write(_ bytes: UnsafeRawBufferPointer, deadline: UInt64) throws(LinkError) {
        try io.write(bytes, deadline: deadline)
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer, deadline: UInt64) throws(LinkError) -> Int {
        try io.read(into: buffer, deadline: deadline)
    }

    public func discardInput() {
        if let port { sp_flush(port, SP_BUF_INPUT) }
    }

    /// Blocks until every queued byte has left the UART. Not for use inside a tick.
    public func drain() {
        if let port { sp_drain(port) }
    }

    public func close() {
        io.close()
        if let port {
            sp_close(port)
            sp_free_port(port)
        }
        port = nil
    }

    static func flow(_ flow: LinkSpec.FlowControl) -> sp_flowcontrol {
        switch flow {
        case .none: return SP_FLOWCONTROL_NONE
        case .rtscts: return SP_FLOWCONTROL_RTSCTS
        case .xonxoff: return SP_FLOWCONTROL_XONXOFF
        }
    }

    static func lastError() -> String {
        guard let message = sp_last_error_message() else { return "unknown error" }
        defer { sp_free_error_message(message) }
        return String(cString: message)
    }

    static func isPseudoTerminal(_ path: String) -> Bool {
        var buffer = [CChar](repeating: 0, count: 4096)
        guard let resolved = realpath(path, &buffer) else { return false }
        return String(cString: resolved).hasPrefix("/dev/pts/")
    }

    /// Turns errno from opening a device into the message a user can act on (serial and pty links).
    public static func openError(device: String, code: Int32) -> DeviceError {
        switch code {
        case ENOENT:
            return DeviceError.cannotOpen(device, problem: "no such device",
                                          suggestion: "is it plugged in? `reins ports` lists the serial ports present")
        case EACCES, EPERM:
            return DeviceError.cannotOpen(device, problem: "permission denied",
                                          suggestion: "add your user to the dialout group (`sudo usermod -aG dialout $USER`, then log in again)")
        case EBUSY:
            return DeviceError.cannotOpen(device, problem: "device is busy",
                                          suggestion: "another program has it open; stop it (find it with `fuser \(device)`)")
        default:
            return DeviceError.cannotOpen(device, problem: String(cString: strerror(code)))
        }
    }
}
