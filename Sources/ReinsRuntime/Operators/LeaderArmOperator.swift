import ReinsConfig
import ReinsCore
import ReinsDrivers
import ReinsTransport

/// A leader arm as an operator device (`--device leader:Robots/koch-leader.yaml`): a person moves
/// an arm by hand and the follower mirrors it joint by joint.
///
/// `start` opens the leader on its own link (for `link: sim`, its simulator through the launcher
/// the command hands in), switches its torque off, reads it through its own calibration and refuses
/// to start while it stands farther from the follower than `leader.max_start_difference_rad`: the
/// follower would otherwise be pulled across the table at the first tick. Then the loop reads it:
/// each tick's `poll` makes one bus read, waiting at most `readBudget` of the period, and hands back
/// the joint angles as absolute commands, in the follower's joint order (matched by name) and
/// clamped to the follower's joint limits. A hand's move read in a tick leaves in that tick's write,
/// and no reading thread runs out of step with the loop. The loop's `OperatorInput` engages the
/// commands gently.
///
/// A read that misses its budget leaves the previous estimate, carried forward at its speed for at
/// most `carriedPeriods`, and the command keeps the time of the last fresh reading, so the silence
/// counts. A fault, or no fresh reading for longer than the leader's watchdog timeout, ends reading
/// for good: `poll` returns false from then on, the loop sees the operator silent and applies the
/// fallback, and the follower never jumps to a leader that comes back.
///
/// Smoothing, because the follower's acceleration limit allows its per-tick step to change by only
/// acceleration × period² (1.5 mrad at 100 Hz) while an encoder count is 1.5 mrad: a hand moving
/// steadily reads as steps of one count more or less from tick to tick, and raw readings would have
/// the safety filter clamping a good share of ticks. So each joint is tracked with an alpha-beta
/// filter (`AlphaBetaTracker`: position and speed, updated once per tick; a few milliradians behind
/// a moving hand), and the command is its estimate carried to the moment `poll` returns.
///
/// `poll` runs on the loop thread only; `start` and `stop` run before the loop starts and after it
/// ended.
public final class LeaderArmOperator: OperatorDevice, @unchecked Sendable {
    public let leader: RobotDescription
    public let deviceName: String
    public let operatorNames: [String]
    private let simulators: (any SimulatorLauncher)?
    private var arm: LeaderArm?
    private var positions: UnsafeMutableBufferPointer<Double>?
    /// Loop side: the tracked joints (leader order), where each leads (follower order), the
    /// follower's joint limits, and the command handed out.
    private var tracker = AlphaBetaTracker(count: 0, rateHz: AlphaBetaTracker.referenceRateHz)
    private var jointCount = 0
    private var followerJoint = InlineArray<8, Int>(repeating: 0)
    private var lowerLimits = InlineArray<8, Double>(repeating: 0)
    private var upperLimits = InlineArray<8, Double>(repeating: 0)
    private var latest = OperatorCommand()
    private var silenceLimitNanoseconds: UInt64 = 0
    /// When the last fresh reading came; 0 until the first `poll` (the time between `start` and the
    /// loop's first tick is no silence).
    private var lastFresh: UInt64 = 0
    /// Why reading ended for good (plain values, set on the loop thread without allocating).
    private var ended: ReadingEnd?
    private var failureMessage: String?
    /// The leader's simulator, for `link: sim` (started by `start`, stopped by `stop`).
    public private(set) var launchedSimulator: (any LaunchedSimulator)?

    /// The share of the loop's period a tick's read of the leader may wait. The follower's own read
    /// may take until three fifths of the period; this leaves a fifth for the safety filter, the
    /// write and the recording even when both reads run to their deadlines.
    public static let readBudget = 0.2
    /// How far a missed reading's estimate is carried forward at its speed, in periods; past that the
    /// command stands still until the leader answers or its watchdog ends reading.
    public static let carriedPeriods: UInt64 = 2
    /// How long `start` waits for the leader's first reading.
    public static let firstReadingSeconds = 1.0
    /// - Parameters:
    ///   - leader: the leader's description (`role: leader`), with its own link and calibration.
    ///   - simulators: starts the leader's simulator when it says `link: sim`.
    ///   - operatorName: recorded on every human tick (default: the login name).
    public init(leader: RobotDescription, simulators: (any SimulatorLauncher)?, operatorName: String? = nil) {
        self.leader = leader
        self.simulators = simulators
        deviceName = "leader arm \(leader.name) on \(leader.link)"
        operatorNames = [operatorName ?? ProcessInfoName.user]
    }

    deinit {
        stop()
    }

    /// For each of the leader's joints, the index of the follower's joint of the same name; throws
    /// when the two arms cannot be paired (a follower that is not a joint-position arm, other joint
    /// names, a simulated leader for a real follower).
    public static func followerJoints(leader: RobotDescription, follower: RobotDescription) throws(DeviceError) -> [Int] {
        let device = "leader arm \(leader.name)"
        guard case .arm(let leaderJoints) = leader.body else {
            throw DeviceError(device: device, problem: "\(leader.sourcePath) describes \(leader.kind.withArticle), not an arm",
                              suggestion: "point leader: at an arm description with `role: leader`, such as Robots/koch-leader.yaml")
        }
        guard case .arm(let followerJoints) = follower.body, follower.action == .jointPosition else {
            throw DeviceError(device: device, problem: "\(follower.name) is not an arm driven by joint positions; a leader arm leads only those",
                              suggestion: "choose another --device for \(follower.kind.withArticle)")
        }
        if leader.link == .sim && follower.link != .sim {
            throw DeviceError(device: device, problem: "a simulated leader (link: sim) leads simulated robots only; \(follower.name) is on \(follower.link)",
                              suggestion: "use the real leader's description, e.g. Robots/koch-leader.yaml")
        }
        let leaderNames = leaderJoints.map(\.name), followerNames = followerJoints.map(\.name)
        let unmatched = leaderNames.filter { !followerNames.contains($0) }
        let missing = followerNames.filter { !leaderNames.contains($0) }
        guard unmatched.isEmpty, missing.isEmpty, leaderNames.count == followerNames.count else {
            var problems: [String] = []
            if !unmatched.isEmpty { problems.append("\(follower.name) has no joint " + unmatched.map { "`\($0)`" }.joined(separator: ", ")) }
            if !missing.isEmpty { problems.append("the leader has no joint " + missing.map { "`\($0)`" }.joined(separator: ", ")) }
            if problems.isEmpty { problems.append("the leader has \(leaderNames.count) joints, \(follower.name) \(followerNames.count)") }
            throw DeviceError(device: device, problem: "its joints do not pair with \(follower.name)'s: " + problems.joined(separator: "; "),
                              suggestion: "name the leader's joints as the follower's (\(followerNames.joined(separator: ", "))) in \(leader.sourcePath)")
        }
        return leaderNames.map { name in followerNames.firstIndex(of: name)! }
    }

    public func start(robot: RobotDescription, follower: UnsafeBufferPointer<Double>) throws(DeviceError) {
        let map = try Self.followerJoints(leader: leader, follower: robot)
        guard case .arm(let followerJoints) = robot.body else { return }
        guard map.count <= OperatorCommand.capacity else {
            throw DeviceError(device: deviceName, problem: "it has \(map.count) joints; an operator command carries \(OperatorCommand.capacity) at most")
        }
        do {
            try open()
            let positions = UnsafeMutableBufferPointer<Double>.allocate(capacity: map.count)
            positions.initialize(repeating: 0)
            self.positions = positions
            try firstReading(into: positions)
            try checkStartPose(positions, follower: follower, map: map, followerJoints: followerJoints)
        } catch {
            stop()
            throw error
        }
        jointCount = map.count
        for (i, f) in map.enumerated() { followerJoint[i] = f }
        for (f, joint) in followerJoints.enumerated() {
            lowerLimits[f] = joint.position.lowerBound
            upperLimits[f] = joint.position.upperBound
        }
        silenceLimitNanoseconds = UInt64(leader.safety.watchdogTimeout * 1e9)
        lastFresh = 0
        ended = nil
        failureMessage = nil
        // One reading per tick: the gains are per reading at the follower's control rate.
        tracker = AlphaBetaTracker(count: map.count, rateHz: robot.controlRateHz)
        latest = OperatorCommand()
        latest.count = UInt8(map.count)
        latest.mode = .absolute
        if let positions {
            let now = MonotonicClock.nowNanoseconds()
            tracker.update(UnsafeBufferPointer(positions), at: now)
            latest.timestamp = now
            carryEstimate(to: now, limit: 0)
        }
    }

    /// The leader's link (its simulator's, for `link: sim`), connected with torque off.
    private func open() throws(DeviceError) {
        var link = leader.link
        if link == .sim {
            guard let simulators else {
                throw DeviceError(device: deviceName, problem: "the leader says `link: sim` but no simulator is available here",
                                  suggestion: "run it through the reins command, which starts the built-in simulators")
            }
            do {
                let simulator = try simulators.launch(leader)
                launchedSimulator = simulator
                link = simulator.driverLink
            } catch let error as DeviceError {
                throw error
            } catch {
                throw DeviceError(device: deviceName, problem: "cannot start its simulator: \(error)")
            }
        }
        let arm = LeaderArm(robot: leader, link: link)
        self.arm = arm
        try arm.connect()
    }

    private func firstReading(into positions: UnsafeMutableBufferPointer<Double>) throws(DeviceError) {
        guard let arm else { return }
        let end = MonotonicClock.deadline(in: Self.firstReadingSeconds)
        while MonotonicClock.nowNanoseconds() < end {
            switch arm.read(into: positions, deadline: MonotonicClock.deadline(in: 0.05)) {
            case .fresh: return
            case .stale: continue
            case .fault(let fault): throw DeviceError(device: deviceName, problem: arm.explain(fault))
            }
        }
        throw DeviceError(device: deviceName, problem: "no reading of the joints within \(Int(Self.firstReadingSeconds * 1000)) ms",
                          suggestion: "check the leader's power, cable and baud rate")
    }

    /// Refuses a leader farther than `max_start_difference_rad` from the follower on any joint,
    /// naming the worst joint and both angles.
    private func checkStartPose(_ positions: UnsafeMutableBufferPointer<Double>, follower: UnsafeBufferPointer<Double>,
                                map: [Int], followerJoints: [JointSpec]) throws(DeviceError) {
        var worst: (joint: Int, difference: Double)?
        for (i, f) in map.enumerated() {
            let difference = abs(positions[i] - follower[f])
            if difference > (worst?.difference ?? 0) { worst = (i, difference) }
        }
        let allowed = leader.leader.maxStartDifference
        guard let (i, difference) = worst, difference > allowed else { return }
        let f = map[i]
        throw DeviceError(device: deviceName,
                          problem: "its \(followerJoints[f].name) is at \(Self.radians(positions[i])), the follower's at \(Self.radians(follower[f])): "
                              + "\(Self.radians(difference)) apart, more than the \(Self.radians(allowed)) allowed at the start",
                          suggestion: "move the leader into the follower's pose and start again (or raise leader.max_start_difference_rad in \(leader.sourcePath))")
    }

    private static func radians(_ value: Double) -> String {
        let rounded = (value * 100).rounded() / 100
        return "\(rounded == 0 ? 0 : rounded) rad"
    }

    /// Why reading ended for good.
    private enum ReadingEnd {
        case fault(DriverFault)
        case quiet(nanoseconds: UInt64)
    }

    /// Why the device stopped reading the leader before `stop` (a fault, a leader gone quiet); nil
    /// while it reads. Ask once the loop has stopped.
    public var failure: String? {
        if failureMessage == nil, let ended {
            switch ended {
            case .fault(let fault): failureMessage = (arm?.explain(fault) ?? "\(deviceName): \(fault)") + "; stopped reading it"
            case .quiet(let nanoseconds): failureMessage = "\(deviceName): no fresh reading for \(nanoseconds / 1_000_000) ms; stopped reading it"
            }
        }
        return failureMessage
    }

    public func poll(_ view: OperatorView, into command: inout OperatorCommand) -> Bool {
        guard let arm, let positions, ended == nil else { return false }
        let asked = MonotonicClock.nowNanoseconds()
        if lastFresh == 0 { lastFresh = asked }
        let outcome = arm.read(into: positions, deadline: asked &+ UInt64(Double(view.period) * Self.readBudget))
        let answered = MonotonicClock.nowNanoseconds()
        switch outcome {
        case .fresh:
            lastFresh = answered
            // The servos answered somewhere between the request and the reply.
            let measured = asked &+ (answered &- asked) / 2
            tracker.update(UnsafeBufferPointer(positions), at: measured)
            latest.timestamp = measured
        case .stale:
            let silence = answered &- lastFresh
            if silence > silenceLimitNanoseconds {
                ended = .quiet(nanoseconds: silence)
                return false
            }
        case .fault(let fault):
            ended = .fault(fault)
            return false
        }
        carryEstimate(to: answered, limit: Self.carriedPeriods &* view.period)
        command = latest
        return true
    }

    /// The tracker's estimate carried to `time` at its speed (at most `limit` ns past the newest
    /// reading), into `latest` in the follower's order, within its joint limits.
    private func carryEstimate(to time: UInt64, limit: UInt64) {
        let lead = Double(min(time &- min(time, tracker.estimated), limit)) / 1e9
        for i in 0..<jointCount {
            let f = followerJoint[i]
            latest[f] = min(max(tracker.positions[i] + tracker.speeds[i] * lead, lowerLimits[f]), upperLimits[f])
        }
    }

    public func stop() {
        if failureMessage == nil { _ = failure }
        arm?.disconnect()
        arm = nil
        launchedSimulator?.stop()
        launchedSimulator = nil
        positions?.deallocate()
        positions = nil
    }
}
