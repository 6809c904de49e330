import ReinsConfig
import ReinsCore
import ReinsDrivers

/// Replays a trajectory through a driver at the robot's rate: read (watchdog), send the next
/// action, and safe-stop when the trajectory ends or a fault occurs.
public final class ReplayTask: ControlTask, @unchecked Sendable {
    public let session: RobotSession
    public let trajectory: Trajectory
    private var index = 0
    private var watchdog: Watchdog
    private let command: UnsafeMutableBufferPointer<Double>
    private let applied: UnsafeMutableBufferPointer<Double>
    public private(set) var fault: RunFault?
    public private(set) var ticks = 0
    public private(set) var freshReads = 0
    /// What the loop ended with, after the safe stop.
    public private(set) var stopReason: LoopStopReason?
    public private(set) var safeStopped = false

    public static let phaseNames = ["read", "write"]

    public init(session: RobotSession, trajectory: Trajectory) {
        self.session = session
        self.trajectory = trajectory
        watchdog = Watchdog(timeout: session.robot.safety.watchdogTimeout)
        let n = session.robot.actionNames.count
        command = .allocate(capacity: n)
        command.initialize(repeating: 0)
        applied = .allocate(capacity: n)
        applied.initialize(repeating: 0)
    }

    deinit {
        command.deallocate()
        applied.deallocate()
    }

    public func loopWillStart() {
        watchdog = Watchdog(timeout: session.robot.safety.watchdogTimeout)
    }

    public func tick(_ clock: inout TickClock) -> TickOutcome {
        ticks += 1
        // Leave the last fifth of the period for the write.
        let readDeadline = clock.deadline &+ clock.period * 4 / 5
        switch session.driver.read(into: session.state, deadline: readDeadline) {
        case .fresh:
            freshReads += 1
            watchdog.fresh(at: MonotonicClock.nowNanoseconds())
        case .stale:
            if let stale = watchdog.expired(at: MonotonicClock.nowNanoseconds()) {
                fault = .watchdog(staleNanoseconds: stale)
                return .fault
            }
        case .fault(let driverFault):
            fault = .driver(driverFault)
            return .fault
        }
        clock.markPhase()
        let action = trajectory.actions[index]
        for i in 0..<command.count { command[i] = action[i] }
        guard session.driver.write(UnsafeBufferPointer(command), applied: applied, deadline: clock.nextDeadline) else {
            fault = .writeFailed
            return .fault
        }
        clock.markPhase()
        index += 1
        return index >= trajectory.actions.count ? .finished : .proceed
    }

    public func loopDidStop(_ reason: LoopStopReason) {
        stopReason = reason
        if case .overrunLimit(let count) = reason { fault = .overruns(count: count) }
        let why = fault.map { $0.message(driver: session.driver) } ?? "trajectory finished"
        session.driver.safeStop(reason: why)
        safeStopped = true
    }

    /// The last action sent.
    public var lastApplied: [Double] { Array(applied) }
}
