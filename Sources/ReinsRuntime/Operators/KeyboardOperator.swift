import CPlatform
import ReinsConfig
import ReinsCore
#if canImport(Glibc)
import Glibc
#endif

/// One key of the keyboard operator and what it does.
public struct KeyBinding: Sendable {
    public var key: Character
    public var meaning: String
    /// How the help shows the key ("space", "Enter", "1-9").
    public var label: String

    public init(key: Character, meaning: String, label: String? = nil) {
        self.key = key
        self.meaning = meaning
        self.label = label ?? (key == " " ? "space" : key == "\r" ? "Enter" : String(key))
    }
}

/// What the keyboard operator's keys do to its command, for one robot kind. Plain letters, digits
/// and punctuation only (no arrow keys), so it works the same over SSH. Pure: bytes in, command
/// state out; the device thread feeds it and tests call it directly.
public struct KeyboardMapping: Sendable {
    public let kind: RobotKind
    public let actionCount: Int
    /// The values the keys set (absolute for cars and drones, accumulated offsets for arm joints).
    public private(set) var values: [Double]
    /// Arms: the joint the jog keys move, and the jog step in radians.
    public private(set) var selectedJoint = 0
    public private(set) var jogStep = 0.05
    /// Buttons pressed since the last `takeButtons`.
    private var buttons: OperatorButtons = []
    private let speedStep: Double
    private let steeringStep: Double
    private let speedRange: ClosedRange<Double>
    private let steeringLimit: Double
    private let horizontalStep: Double
    private let verticalStep: Double
    private let yawStep: Double
    private let horizontalLimit: Double
    private let verticalLimit: Double
    private let yawLimit: Double

    public init(robot: RobotDescription) {
        kind = robot.kind
        actionCount = min(robot.actionNames.count, OperatorCommand.capacity)
        values = [Double](repeating: 0, count: actionCount)
        var speed = 0.0...0.0, steering = 0.0, horizontal = 0.0, vertical = 0.0, yaw = 0.0
        switch robot.body {
        case .car(let limits):
            speed = limits.speed
            steering = limits.steering
        case .drone(let limits):
            horizontal = limits.horizontalVelocity
            vertical = limits.verticalVelocity
            yaw = limits.yawRate
        case .arm:
            break
        }
        speedRange = speed
        steeringLimit = steering
        speedStep = max(0.05, (speed.upperBound - speed.lowerBound) / 20)
        steeringStep = steering / 8
        horizontalLimit = horizontal
        verticalLimit = vertical
        yawLimit = yaw
        horizontalStep = horizontal / 8
        verticalStep = vertical / 8
        yawStep = yaw / 8
    }

    /// The command mode of this kind's values.
    public var mode: OperatorCommandMode { kind == .arm ? .offset : .absolute }

    /// The keys every kind shares: who drives and the episode marks.
    public static let commonBindings = [
        KeyBinding(key: "t", meaning: "take over from the policy"),
        KeyBinding(key: "r", meaning: "recovered: start the correction"),
        KeyBinding(key: "h", meaning: "hand back (ends the episode unless --resume-after-correction)"),
        KeyBinding(key: "\r", meaning: "start the next episode (teleop)"),
        KeyBinding(key: "y", meaning: "episode succeeded"),
        KeyBinding(key: "n", meaning: "episode failed"),
        KeyBinding(key: "x", meaning: "discard the episode (re-record)"),
        KeyBinding(key: "q", meaning: "stop (safe stop), as Ctrl-C"),
    ]

    /// This kind's motion keys.
    public var motionBindings: [KeyBinding] {
        switch kind {
        case .arm:
            return [KeyBinding(key: "1", meaning: "select a joint", label: "1-9"),
                    KeyBinding(key: "w", meaning: "jog the selected joint +"), KeyBinding(key: "s", meaning: "jog the selected joint −"),
                    KeyBinding(key: "]", meaning: "double the jog step"), KeyBinding(key: "[", meaning: "halve the jog step")]
        case .car:
            return [KeyBinding(key: "w", meaning: "faster"), KeyBinding(key: "s", meaning: "slower / reverse"),
                    KeyBinding(key: "a", meaning: "steer left"), KeyBinding(key: "d", meaning: "steer right"),
                    KeyBinding(key: " ", meaning: "stop and centre the steering")]
        case .drone:
            return [KeyBinding(key: "w", meaning: "north +"), KeyBinding(key: "s", meaning: "north −"),
                    KeyBinding(key: "d", meaning: "east +"), KeyBinding(key: "a", meaning: "east −"),
                    KeyBinding(key: "i", meaning: "up"), KeyBinding(key: "k", meaning: "down"),
                    KeyBinding(key: "j", meaning: "yaw left"), KeyBinding(key: "l", meaning: "yaw right"),
                    KeyBinding(key: " ", meaning: "hover (all velocities 0)")]
        }
    }

    /// One key pressed.
    public mutating func press(_ byte: UInt8) {
        switch byte {
        case UInt8(ascii: "t"): buttons.insert(.takeover)
        case UInt8(ascii: "r"): buttons.insert(.recovered)
        case UInt8(ascii: "h"): buttons.insert(.handback)
        case 13, 10: buttons.insert(.startEpisode)
        case UInt8(ascii: "y"): buttons.insert(.success)
        case UInt8(ascii: "n"): buttons.insert(.failure)
        case UInt8(ascii: "x"): buttons.insert(.discard)
        case UInt8(ascii: "q"): buttons.insert(.stop)
        default: move(byte)
        }
    }

    private mutating func move(_ byte: UInt8) {
        switch kind {
        case .arm:
            if byte >= UInt8(ascii: "1") && byte <= UInt8(ascii: "9") {
                let joint = Int(byte - UInt8(ascii: "1"))
                if joint < actionCount { selectedJoint = joint }
            } else if byte == UInt8(ascii: "w") || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "=") {
                values[selectedJoint] += jogStep
            } else if byte == UInt8(ascii: "s") || byte == UInt8(ascii: "-") {
                values[selectedJoint] -= jogStep
            } else if byte == UInt8(ascii: "]") {
                jogStep = min(0.4, jogStep * 2)
            } else if byte == UInt8(ascii: "[") {
                jogStep = max(0.005, jogStep / 2)
            }
        case .car:
            switch byte {
            case UInt8(ascii: "w"): values[0] = min(speedRange.upperBound, values[0] + speedStep)
            case UInt8(ascii: "s"): values[0] = max(speedRange.lowerBound, values[0] - speedStep)
            case UInt8(ascii: "a"): values[1] = min(steeringLimit, values[1] + steeringStep)
            case UInt8(ascii: "d"): values[1] = max(-steeringLimit, values[1] - steeringStep)
            case UInt8(ascii: " "): values[0] = 0; values[1] = 0
            default: break
            }
        case .drone:
            func step(_ i: Int, _ delta: Double, _ limit: Double) {
                guard i < actionCount else { return }
                values[i] = max(-limit, min(limit, values[i] + delta))
            }
            switch byte {
            case UInt8(ascii: "w"): step(0, horizontalStep, horizontalLimit)
            case UInt8(ascii: "s"): step(0, -horizontalStep, horizontalLimit)
            case UInt8(ascii: "d"): step(1, horizontalStep, horizontalLimit)
            case UInt8(ascii: "a"): step(1, -horizontalStep, horizontalLimit)
            // NED: up is negative down-velocity.
            case UInt8(ascii: "i"): step(2, -verticalStep, verticalLimit)
            case UInt8(ascii: "k"): step(2, verticalStep, verticalLimit)
            case UInt8(ascii: "j"): step(3, -yawStep, yawLimit)
            case UInt8(ascii: "l"): step(3, yawStep, yawLimit)
            case UInt8(ascii: " "): for i in 0..<actionCount { values[i] = 0 }
            default: break
            }
        }
    }

    /// The command now, with the buttons pressed since the previous one (which are then cleared).
    public mutating func command(at timestamp: UInt64) -> OperatorCommand {
        var command = OperatorCommand()
        for i in 0..<actionCount { command[i] = values[i] }
        command.count = UInt8(actionCount)
        command.mode = mode
        command.buttons = buttons
        command.timestamp = timestamp
        buttons = []
        return command
    }
}

/// The terminal as an operator device: keys read on their own thread from a terminal put in
/// raw mode (restored on every way out: stop, exit, Ctrl-C, a crash signal). The thread publishes
/// the command every 20 ms and on every key, so the loop sees the device alive; the car's and
/// drone's values are levels the keys raise and lower (space zeroes them), the arm's are jog
/// offsets from where the arm was when the person took control.
public final class KeyboardOperator: OperatorDevice, @unchecked Sendable {
    public let deviceName: String
    public let operatorNames: [String]
    private let fd: Int32
    private let channel = OperatorChannel()
    private let stopping = AtomicFlag()
    private var thread: PosixThread?
    /// How often the thread publishes without a key (the device's heartbeat).
    public static let heartbeatNanoseconds: UInt64 = 20_000_000

    /// - Parameters:
    ///   - fd: the terminal to read (standard input by default).
    ///   - operatorName: recorded on every human tick (default: the login name).
    public init(fd: Int32 = 0, operatorName: String? = nil) {
        self.fd = fd
        deviceName = "keyboard"
        operatorNames = [operatorName ?? ProcessInfoName.user]
    }

    public func start(robot: RobotDescription, follower: UnsafeBufferPointer<Double>) throws(DeviceError) {
        guard isatty(fd) != 0 else {
            throw DeviceError(device: "keyboard", problem: "standard input is not a terminal",
                              suggestion: "run reins in a terminal (over SSH: ssh -t), or choose another --device")
        }
        let result = reins_terminal_raw(fd)
        guard result == 0 else {
            throw DeviceError(device: "keyboard", problem: "cannot set the terminal's mode: \(String(cString: strerror(result)))")
        }
        var mapping = KeyboardMapping(robot: robot)
        let fd = self.fd, channel = self.channel, stopping = self.stopping
        thread = PosixThread {
            var bytes = [UInt8](repeating: 0, count: 64)
            var lastPublish: UInt64 = 0
            while !stopping.isSet {
                var events: Int16 = 0
                let ready = reins_poll_one(fd, Int16(POLLIN), &events, 10_000_000)
                var pressed = false
                if ready > 0 && events & Int16(POLLIN) != 0 {
                    let count = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                    if count > 0 {
                        for byte in bytes[0..<count] { mapping.press(byte) }
                        pressed = true
                    } else if count == 0 {
                        // The terminal hung up: stop publishing, so the loop sees the device silent.
                        return
                    }
                } else if ready > 0 && events & Int16(POLLHUP | POLLERR | POLLNVAL) != 0 {
                    return
                }
                let now = MonotonicClock.nowNanoseconds()
                if pressed || now &- lastPublish >= Self.heartbeatNanoseconds {
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
        reins_terminal_restore()
    }

    /// The help text the commands print on start: this kind's keys, then the shared ones.
    public static func help(for robot: RobotDescription) -> String {
        let mapping = KeyboardMapping(robot: robot)
        return (mapping.motionBindings + KeyboardMapping.commonBindings).map { "\($0.label) \($0.meaning)" }.joined(separator: " · ")
    }
}

/// The login name, for the recording's operator name.
enum ProcessInfoName {
    static var user: String {
        if let name = getenv("USER").map({ String(cString: $0) }), !name.isEmpty { return name }
        if let entry = getpwuid(getuid()), let name = entry.pointee.pw_name { return String(cString: name) }
        return "operator"
    }
}
