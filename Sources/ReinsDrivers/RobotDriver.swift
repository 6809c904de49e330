import ReinsConfig
import ReinsCore

/// What one `read` produced.
public enum ReadOutcome: Sendable, Equatable {
    /// New values were measured this tick.
    case fresh
    /// Nothing new arrived before the deadline; the state keeps its previous values and timestamp.
    case stale
    /// The link is gone or the device reported a fault; the runtime safe-stops.
    case fault(DriverFault)
}

/// Faults a driver reports from inside a tick, without allocating. Plain numbers only: the driver
/// that returned one turns it into a sentence with `explain(_:)` once the tick is over.
public enum DriverFault: Sendable, Equatable, CustomStringConvertible {
    case disconnected
    /// The device stopped answering (e.g. a servo id missing from a sync read).
    case noResponse(id: Int)
    /// A servo or controller raised a hardware error. `code` is the device's own error register:
    /// Dynamixel Hardware Error Status (70), Feetech status byte, VESC fault code; -1 when the device
    /// flagged an error whose register could not be read in time.
    case hardwareError(id: Int, code: Int)
    /// The vehicle left the mode the driver put it in (e.g. PX4 failsafe out of offboard).
    case modeLost
    case writeFailed
    /// An arm joint (index into the description's joints) stayed `error` rad from its goal for longer
    /// than the description's `tracking_error_ms` without closing in on it.
    case trackingError(joint: Int, error: Double)

    public var description: String {
        switch self {
        case .disconnected: return "link lost"
        case .noResponse(let id): return "device \(id) stopped answering"
        case .hardwareError(let id, let code): return "device \(id) reports hardware error \(code)"
        case .modeLost: return "vehicle left the commanded mode"
        case .writeFailed: return "command could not be sent"
        case .trackingError(let joint, let error): return "joint \(joint) is \(error) rad from its goal"
        }
    }
}

/// Counters a driver keeps about its link, for the run summary and the recording.
public struct DriverHealth: Sendable, Equatable {
    public var reads: UInt64 = 0
    public var staleReads: UInt64 = 0
    public var checksumErrors: UInt64 = 0
    public var retries: UInt64 = 0
    public var writes: UInt64 = 0
    /// Latest slow-rate telemetry, e.g. servo temperature (°C) and input voltage (V).
    public var maximumTemperature: Double = 0
    public var minimumVoltage: Double = 0
    /// Last hardware status text worth showing (e.g. "servo 3: overload"), set outside the tick.
    public var lastWarning: String?
    /// What the device would not do as configured and what it does instead (e.g. a refused
    /// telemetry rate and the rate it really streams at), set at connect/configure for the CLI to
    /// print; never set inside the tick.
    public var configurationWarnings: [String] = []

    public init() {}
}

/// One robot's hardware component, in the spirit of ros2_control's hardware interface and
/// LeRobot's Robot: a lifecycle, a `read` into preallocated state, a `write` that reports what was
/// really applied, and the robot kind's safe stop. Drivers never clamp: the safety filter does.
///
/// `connect`, `configure`, `activate`, `deactivate`, `disconnect` and `safeStop` run outside the
/// control tick and may block; `read` and `write` run inside it and must not allocate or wait past
/// their deadline.
public protocol RobotDriver: AnyObject {
    var robot: RobotDescription { get }
    /// The device or endpoint, for messages.
    var deviceName: String { get }
    var health: DriverHealth { get }

    /// Opens the link and finds the device (pings servos, waits for a heartbeat, says hello).
    func connect() throws(DeviceError)
    /// Puts the device in the mode the runtime needs (operating mode, limits, stream rates).
    func configure() throws(DeviceError)
    /// Makes the robot obey commands: torque on, arm and take off, start the motor loop.
    func activate() throws(DeviceError)
    /// Fills `state` with the newest measurement, waiting at most until `deadline`.
    func read(into state: RobotState, deadline: UInt64) -> ReadOutcome
    /// Sends `command` (action units) and writes what the device was actually told into `applied`.
    func write(_ command: UnsafeBufferPointer<Double>, applied: UnsafeMutableBufferPointer<Double>, deadline: UInt64) -> Bool
    /// The robot kind's safe stop: arm hold then torque off; car brake and centre; drone hover then
    /// land. Returns what the device confirmed. `progress` hears what the stop is waiting for while
    /// it waits on the device (one line each, e.g. "waiting for LAND acknowledgement from ..."), so a
    /// long wait is never silent.
    func safeStop(reason: String, progress: (String) -> Void) -> SafeStopReport
    /// A sentence for a fault this driver's `read` returned: the device, and the joint, servo or
    /// register it concerns, and what to do. Called outside the tick.
    func explain(_ fault: DriverFault) -> String
    /// Stops obeying commands gracefully (torque off, disarm after landing).
    func deactivate()
    func disconnect()
}
