import CPlatform
import ReinsCore
#if canImport(Glibc)
import Glibc
#endif

/// A pseudo-terminal pair created by a simulator: the simulator keeps the master side and a
/// driver (or vendor software such as dynamixel_sdk) opens the slave path as if it were a serial port.
public final class PseudoTerminal: @unchecked Sendable {
    /// The simulator's end.
    public let master: DescriptorLink
    /// The device path the driver opens, e.g. /dev/pts/3.
    public let slavePath: String
    /// A stable symlink to `slavePath` when one was requested (`pty:/tmp/reins-arm`).
    public let linkPath: String?
    // Keeping the slave open ourselves means the master never reads EIO between a client's
    // close and the next open, so clients can reconnect to a running simulator.
    private var keepAliveSlave: Int32

    public init(linkPath: String? = nil) throws(DeviceError) {
        var name = [CChar](repeating: 0, count: 128)
        let fd = reins_open_pty(&name, name.count)
        guard fd >= 0 else {
            throw DeviceError.cannotOpen("/dev/ptmx", problem: String(cString: strerror(errno)))
        }
        let path = String(nulTerminated: name)
        var attributes = termios()
        tcgetattr(fd, &attributes)
        cfmakeraw(&attributes)
        tcsetattr(fd, TCSANOW, &attributes)
        slavePath = path
        keepAliveSlave = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC)
        if keepAliveSlave >= 0 {
            var slaveAttributes = termios()
            tcgetattr(keepAliveSlave, &slaveAttributes)
            cfmakeraw(&slaveAttributes)
            tcsetattr(keepAliveSlave, TCSANOW, &slaveAttributes)
        }
        master = DescriptorLink(fd: fd, name: "pty master for \(path)")
        if let linkPath {
            unlink(linkPath)
            guard symlink(path, linkPath) == 0 else {
                throw DeviceError.cannotOpen(linkPath, problem: "cannot create symlink to \(path): \(String(cString: strerror(errno)))",
                                             suggestion: "choose a path in a writable folder such as /tmp")
            }
        }
        self.linkPath = linkPath
    }

    /// The path clients should open: the symlink if there is one.
    public var clientPath: String { linkPath ?? slavePath }

    deinit { close() }

    public func close() {
        if let linkPath { unlink(linkPath) }
        if keepAliveSlave >= 0 { Glibc.close(keepAliveSlave) }
        keepAliveSlave = -1
        master.close()
    }
}
