import ReinsConfig
import ReinsCore
import ReinsDrivers
import ReinsSafety

/// The one way commands reach a robot: every action goes through the safety filter, then the
/// driver's `write`, and the port keeps what the driver reports it applied. Deploy, demonstrations,
/// replay and evaluation all send through a port, so no command can skip the filter; nothing else
/// in Reins calls `RobotDriver.write` (a test checks).
public final class CommandPort: @unchecked Sendable {
    public let safety: SafetyFilter
    private let driver: any RobotDriver
    private let filtered: UnsafeMutableBufferPointer<Double>
    private let appliedValues: UnsafeMutableBufferPointer<Double>
    /// Hears each applied action right after the driver wrote it, with the safety filter's
    /// `ClampReason` bits, on the loop thread (so it must not allocate, lock or block): `reins bench
    /// operator` times input-to-write latency and counts clamped ticks with it.
    public var afterWrite: ((_ applied: UnsafeBufferPointer<Double>, _ clamps: UInt32) -> Void)?

    /// - Parameter rateHz: the rate commands are sent at, in control time (default: the robot's).
    public init(driver: any RobotDriver, robot: RobotDescription, rateHz: Double? = nil) {
        self.driver = driver
        safety = SafetyFilter(robot: robot, rateHz: rateHz)
        let n = robot.actionNames.count
        filtered = .allocate(capacity: n)
        filtered.initialize(repeating: 0)
        appliedValues = .allocate(capacity: n)
        appliedValues.initialize(repeating: 0)
    }

    deinit {
        filtered.deallocate()
        appliedValues.deallocate()
    }

    /// What the driver reported it applied on the last successful send.
    public var applied: UnsafeBufferPointer<Double> { UnsafeBufferPointer(appliedValues) }

    /// Starts from the robot's present state, so the first command is continuous with it.
    public func reset(state: UnsafeBufferPointer<Double>) {
        safety.reset(state: state)
        for i in 0..<appliedValues.count { appliedValues[i] = safety.lastOutput[i] }
    }

    /// Filters `action` and writes it to the robot before `deadline`.
    /// - Parameters:
    ///   - stateUsable: the state is recent enough to act on; when false the filter applies the
    ///     kind's fallback (hold, slow to a stop, hover).
    ///   - fallback: the caller asks for the fallback regardless of `action` (e.g. a takeover
    ///     request with nobody to take over).
    /// - Returns: the `ClampReason` bits, or nil when the driver could not send.
    public func send(_ action: UnsafeBufferPointer<Double>, state: UnsafeBufferPointer<Double>, stateUsable: Bool,
                     fallback: Bool = false, deadline: UInt64) -> UInt32? {
        let clamps = safety.filter(action, state: state, stateFresh: stateUsable, fallback: fallback, into: filtered)
        guard driver.write(UnsafeBufferPointer(filtered), applied: appliedValues, deadline: deadline) else { return nil }
        afterWrite?(UnsafeBufferPointer(appliedValues), clamps)
        return clamps
    }
}
