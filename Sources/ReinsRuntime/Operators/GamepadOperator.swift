import CPlatform
import ReinsConfig
import ReinsCore
import ReinsProtocols
#if canImport(Glibc)
import Glibc
#endif

/// A gamepad as an operator device, through the Linux input subsystem: an evdev node
/// (`/dev/input/event*`, best under `/dev/input/by-id/*-event-joystick`) or, if the mapping file
/// says `api: joystick`, a joystick node (`/dev/input/js*`). A FIFO or a regular file carrying the
/// same records works too (recorded input, tests); a regular file is read as a device that never
/// unplugs, so bytes appended later are read as they come.
///
/// Its thread reads the node (non-blocking, `poll` with a 10 ms timeout), applies the mapping and
/// publishes the command every 20 ms and after every read. When the node goes away (ENODEV:
/// unplugged; a FIFO's writer closed) the thread stops publishing, so the loop sees the device
/// silent and gives the robot kind's fallback; it never repeats the last command.
public final class GamepadOperator: OperatorDevice, @unchecked Sendable {
    public let deviceName: String
    public let operatorNames: [String]
    public let path: String
    public private(set) var mapping: GamepadMapping
    private let channel = OperatorChannel()
    private let stopping = AtomicFlag()
    private let gone = AtomicFlag()
    private var thread: PosixThread?
    private var fd: Int32 = -1
    /// How often the thread publishes without input (the device's heartbeat).
    public static let heartbeatNanoseconds = KeyboardOperator.heartbeatNanoseconds

    /// - Parameters:
    ///   - path: the device node (or a FIFO or file of recorded records).
    ///   - mapping: the mapping file applied to the robot this run drives.
    ///   - operatorName: recorded on every human tick (default: the login name).
    public init(path: String, mapping: GamepadMapping, operatorName: String? = nil) {
        self.path = path
        self.mapping = mapping
        deviceName = "gamepad \(path)"
        operatorNames = [operatorName ?? ProcessInfoName.user]
    }

    /// The device went away (read error, unplugged, end of a FIFO) and the thread stopped.
    public var isGone: Bool { gone.isSet }

    public func start(robot: RobotDescription, follower: UnsafeBufferPointer<Double>) throws(DeviceError) {
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else {
            let error = errno
            let suggestion: String
            switch error {
            case EACCES, EPERM:
                suggestion = "the input nodes usually belong to group `input`: add yourself (sudo usermod -aG input $USER, then log in again), or check with ls -l \(path)"
            default:
                suggestion = "list connected pads with `ls /dev/input/by-id` (evdev nodes end in -event-joystick) and pass that path"
            }
            throw DeviceError(device: deviceName, problem: String(cString: strerror(error)), suggestion: suggestion, failedAction: "cannot open")
        }
        for index in mapping.axesWithoutRange {
            let axis = mapping.axes[index]
            var minimum: Int32 = 0, maximum: Int32 = 0
            let result = reins_input_absolute_range(fd, UInt32(axis.code), &minimum, &maximum)
            guard result == 0, minimum < maximum else {
                close(fd)
                throw DeviceError(device: deviceName,
                                  problem: "axis \(axis.code) (\(mapping.file):\(axis.mark.line)) has no `range` and the device does not report one"
                                      + (result == 0 ? " (it reports \(minimum)...\(maximum))" : " (\(String(cString: strerror(result))))"),
                                  suggestion: "add `range: [min, max]` to that axis in \(mapping.file) (an Xbox pad's sticks: [-32768, 32767])")
            }
            mapping.setRange(minimum...maximum, ofAxis: index)
        }
        var status = stat()
        let isRegularFile = fstat(fd, &status) == 0 && (status.st_mode & S_IFMT) == S_IFREG
        self.fd = fd
        var mapping = self.mapping
        let channel = self.channel, stopping = self.stopping, gone = self.gone
        thread = PosixThread {
            let evdev = mapping.api == .evdev
            let events = LinuxInputDecoder(), joystick = JoystickEventDecoder()
            // Whole records: an evdev node refuses reads shorter than one event.
            var bytes = [UInt8](repeating: 0, count: 32 * LinuxInputEvent.byteCount)
            var lastPublish: UInt64 = 0
            while !stopping.isSet {
                var revents: Int16 = 0
                let ready = reins_poll_one(fd, Int16(POLLIN), &revents, 10_000_000)
                var changed = false
                if ready > 0 && revents & Int16(POLLIN) != 0 {
                    let count = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                    if count > 0 {
                        mapping.advance(to: MonotonicClock.nowNanoseconds())
                        bytes.withUnsafeBytes { raw in
                            let received = UnsafeRawBufferPointer(rebasing: raw[0..<count])
                            if evdev {
                                events.feed(received)
                                while let event = events.next() { if let input = event.gamepadInput { mapping.apply(input) } }
                            } else {
                                joystick.feed(received)
                                while let event = joystick.next() { mapping.apply(event.gamepadInput) }
                            }
                        }
                        changed = true
                    } else if count == 0 && isRegularFile {
                        // The end of a file is no hang-up: wait for more, as a device that is not touched.
                        MonotonicClock.sleep(untilNanoseconds: MonotonicClock.deadline(in: 0.01))
                    } else if count == 0 || (errno != EAGAIN && errno != EINTR) {
                        // The writer closed the FIFO, or the device is gone (ENODEV: unplugged).
                        gone.set()
                        return
                    }
                } else if ready > 0 && revents & Int16(POLLHUP | POLLERR | POLLNVAL) != 0 {
                    gone.set()
                    return
                } else if ready < 0 && errno != EINTR {
                    gone.set()
                    return
                }
                let now = MonotonicClock.nowNanoseconds()
                if changed || now &- lastPublish >= Self.heartbeatNanoseconds {
                    channel.publish(mapping.command(at: now))
                    lastPublish = now
                }
            }
        }
    }

    public func poll(_ view: OperatorView, into command: inout OperatorCommand) -> Bool {
        channel.latest(into: &command)
    }

    public func stop() {
        stopping.set()
        thread?.join()
        thread = nil
        if fd >= 0 {
            close(fd)
            fd = -1
        }
    }
}
