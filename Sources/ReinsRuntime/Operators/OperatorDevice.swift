import ReinsConfig
import ReinsCore
import Synchronization

/// The buttons of an operator device that change who is in control or end an episode. A command
/// carries the buttons pressed since the device's previous command (edges, not levels), so a press
/// is seen once however many commands the loop drains in a tick.
public struct OperatorButtons: OptionSet, Sendable, BitwiseCopyable, CustomStringConvertible {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// Take control from the policy (deploy with an operator).
    public static let takeover = OperatorButtons(rawValue: 1 << 0)
    /// The robot is back in a familiar state: recovery ends, correction starts.
    public static let recovered = OperatorButtons(rawValue: 1 << 1)
    /// Give control back to the policy (or end the episode after the correction).
    public static let handback = OperatorButtons(rawValue: 1 << 2)
    /// Start the next episode (teleoperation waits for it between episodes).
    public static let startEpisode = OperatorButtons(rawValue: 1 << 3)
    /// End the episode as a success, a failure, or throw it away (re-record).
    public static let success = OperatorButtons(rawValue: 1 << 4)
    public static let failure = OperatorButtons(rawValue: 1 << 5)
    public static let discard = OperatorButtons(rawValue: 1 << 6)
    /// Stop the run (the kind's safe stop).
    public static let stop = OperatorButtons(rawValue: 1 << 7)

    public static let names: [(OperatorButtons, String)] = [
        (.takeover, "takeover"), (.recovered, "recovered"), (.handback, "handback"), (.startEpisode, "start"),
        (.success, "success"), (.failure, "failure"), (.discard, "discard"), (.stop, "stop"),
    ]

    /// The button a name (as mapping files and the README write it) stands for.
    public static func named(_ name: String) -> OperatorButtons? {
        names.first { $0.1 == name }?.0
    }

    /// The episode end the operator's marks ask for (discard over failure over success), if any.
    public var episodeEnd: EpisodeEndRequest? {
        if contains(.discard) { return .outcome(.discarded) }
        if contains(.failure) { return .outcome(.failure) }
        if contains(.success) { return .outcome(.success) }
        return nil
    }

    public var description: String {
        Self.names.filter { contains($0.0) }.map(\.1).joined(separator: "+")
    }
}

/// How a command's values are meant.
public enum OperatorCommandMode: UInt8, Sendable, BitwiseCopyable {
    /// The action itself, in the robot's action order and units (a leader arm's joint angles, a
    /// car's speed and steering, a drone's velocities).
    case absolute = 0
    /// Offsets accumulated since the device started (a keyboard jogging arm joints): the robot
    /// moves by how much they changed since control passed to the person, from where it was.
    case offset = 1
}

/// What an operator device hands the loop: its latest command, the buttons pressed since the
/// previous one, and when the device produced it. Plain values, no references: it crosses threads
/// through an `SPSCRing`.
public struct OperatorCommand: Sendable, BitwiseCopyable {
    public static let capacity = 8
    public var values = InlineArray<8, Double>(repeating: 0)
    /// How many of `values` are meaningful (the robot's action count).
    public var count: UInt8 = 0
    public var mode: OperatorCommandMode = .absolute
    public var buttons: OperatorButtons = []
    /// CLOCK_MONOTONIC ns when the device produced (or, for a remote device, received) it.
    public var timestamp: UInt64 = 0
    /// Which of the device's operators sent it (an index into `OperatorDevice.operatorNames`).
    public var operatorIndex: UInt8 = 0

    public init() {}

    public subscript(index: Int) -> Double {
        get { values[index] }
        set { values[index] = newValue }
    }
}

/// What the loop tells an operator device each tick. Threaded devices (keyboard, gamepad, remote)
/// ignore it; a leader arm bounds its read by the period; the scripted operator watches the robot
/// and the task through it, the way a person watches the robot.
public struct OperatorView {
    /// The tick number and its start (CLOCK_MONOTONIC ns).
    public var tick: UInt64
    public var now: UInt64
    /// The loop's period in real time, ns: a device read inside the tick waits a share of it at most.
    public var period: UInt64
    /// Control (simulated) seconds since the episode started.
    public var elapsed: Double
    public var state: UnsafeBufferPointer<Double>
    public var lastApplied: UnsafeBufferPointer<Double>
    /// Who is in control and the segment, as the arbiter sees it before this tick's buttons.
    public var phase: InterventionPhase
    /// The monitor asked for a takeover and is waiting for the operator.
    public var takeoverRequested: Bool

    public init(tick: UInt64, now: UInt64, period: UInt64, elapsed: Double, state: UnsafeBufferPointer<Double>,
                lastApplied: UnsafeBufferPointer<Double>, phase: InterventionPhase, takeoverRequested: Bool) {
        self.tick = tick
        self.now = now
        self.period = period
        self.elapsed = elapsed
        self.state = state
        self.lastApplied = lastApplied
        self.phase = phase
        self.takeoverRequested = takeoverRequested
    }
}

/// Who drives, as the intervention arbiter sees it.
public enum InterventionPhase: UInt8, Sendable {
    /// The policy drives (or, in teleoperation, nobody has started an episode yet).
    case autonomous = 0
    /// The monitor asked for the operator; the robot holds until they take over.
    case awaitingOperator = 1
    /// The person drives the robot back to a familiar state.
    case recovery = 2
    /// The person completes the sub-task.
    case correction = 3
    /// The person drives a whole demonstration (teleoperation).
    case demonstration = 4
    /// Teleoperation between episodes: the person may set the scene up; the next episode starts
    /// with the start button.
    case waiting = 5
}

/// A person's input device, or a scripted stand-in for one. The loop calls `poll` once per tick,
/// which never allocates or locks. A device whose input comes when it likes (keys, a pad, a remote
/// station) runs on its own thread and publishes through an `OperatorChannel`, and `poll` never
/// waits; a device the loop asks (a leader arm's servo bus) is read in `poll`, waiting a bounded
/// share of the period at most, so what it reads leaves in the same tick's write.
public protocol OperatorDevice: AnyObject {
    /// What the device is, for the status line and the recording ("keyboard", "gamepad /dev/input/event3").
    var deviceName: String { get }
    /// The people who may drive through it; a command's `operatorIndex` points into this list.
    var operatorNames: [String] { get }
    /// Opens the device (and starts its thread, if it has one). Throws when the device cannot be
    /// opened or refuses to start (a leader arm too far from the follower).
    func start(robot: RobotDescription, follower: UnsafeBufferPointer<Double>) throws(DeviceError)
    /// The latest command into `command`; false when the device has none to act on (it never
    /// produced one, or it stopped for good: a leader arm that faulted or went quiet).
    func poll(_ view: OperatorView, into command: inout OperatorCommand) -> Bool
    /// A new episode begins (the scripted operator resets what it watches).
    func episodeStarted(_ view: OperatorView)
    /// Stops its thread, if it has one, and releases the device (the terminal's mode, the port).
    func stop()
}

extension OperatorDevice {
    public func episodeStarted(_ view: OperatorView) {}
}

/// The hand-over between a device's thread and the loop: the device pushes commands, the loop
/// drains them and keeps the newest, with every button pressed in between.
public final class OperatorChannel: @unchecked Sendable {
    private let ring = SPSCRing<OperatorCommand>(capacity: 64)
    private var latest = OperatorCommand()
    private var hasCommand = false

    public init() {}

    /// Device side (one thread).
    @discardableResult
    public func publish(_ command: OperatorCommand) -> Bool {
        ring.push(command)
    }

    /// Loop side: the newest command, with the buttons of every command since the last call.
    public func latest(into command: inout OperatorCommand) -> Bool {
        var buttons: OperatorButtons = []
        while let next = ring.pop() {
            latest = next
            buttons.formUnion(next.buttons)
            hasCommand = true
        }
        guard hasCommand else { return false }
        command = latest
        command.buttons = buttons
        return true
    }
}
