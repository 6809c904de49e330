import ReinsConfig
import ReinsCore
import ReinsDrivers
import ReinsTransport
import Synchronization

/// A leader arm as an operator device (`--device leader:Robots/koch-leader.yaml`): a person moves
/// an arm by hand and the follower mirrors it joint by joint.
///
/// `start` opens the leader on its own link (for `link: sim`, its simulator through the launcher
/// the command hands in), switches its torque off, reads it through its own calibration and refuses
/// to start while it stands farther from the follower than `leader.max_start_difference_rad`: the
/// follower would otherwise be pulled across the table at the first tick. Then a thread reads it at
/// four times the follower's control rate (at least 100 Hz) and publishes the joint angles as absolute
/// commands, in the follower's joint order (matched by name) and clamped to the follower's joint
/// limits. The loop's `OperatorInput` engages them gently. A fault, or no fresh reading for longer
/// than the leader's watchdog timeout, ends publishing for good: the loop then sees the operator
/// silent and applies the fallback, and the follower never jumps to a leader that comes back.
///
/// Smoothing, because the follower's acceleration limit allows its per-tick step to change by only
/// acceleration × period² (1.5 mrad at 100 Hz) while an encoder count is 1.5 mrad: raw readings,
/// picked up by a loop that is not in step with the reading thread (a reading seen twice, then
/// one skipped), would have the safety filter clamping most ticks. So the thread tracks each joint
/// with an alpha-beta filter (`AlphaBetaTracker`: position and speed; a few milliradians behind a
/// moving hand), and
/// `poll` carries the newest estimate forward to the tick's time at the speed between the last
/// two.
public final class LeaderArmOperator: OperatorDevice, @unchecked Sendable {
    public let leader: RobotDescription
    public let deviceName: String
    public let operatorNames: [String]
    private let simulators: (any SimulatorLauncher)?
    private let channel = OperatorChannel()
    private let stopping = AtomicFlag()
    private let failureNote = FailureNote()
    private var thread: PosixThread?
    private var arm: LeaderArm?
    private var positions: UnsafeMutableBufferPointer<Double>?
    /// Loop side: the two newest estimates `poll` has seen, and the follower's joint limits.
    private var newest = OperatorCommand()
    private var previous = OperatorCommand()
    private var estimatesSeen = 0
    private var lowerLimits = InlineArray<8, Double>(repeating: 0)
    private var upperLimits = InlineArray<8, Double>(repeating: 0)
    private var maximumLeadNanoseconds: UInt64 = 0
    /// The leader's simulator, for `link: sim` (started by `start`, stopped by `stop`).
    public private(set) var launchedSimulator: (any LaunchedSimulator)?

    /// The slowest the thread reads the leader, whatever the follower's control rate.
    public static let minimumRateHz = 100.0
    /// Leader readings per follower control period.
    public static let readingsPerTick = 4.0

    /// How often the thread reads the leader for `follower`.
    public static func readingRateHz(follower: RobotDescription) -> Double {
        max(follower.controlRateHz * readingsPerTick, minimumRateHz)
    }
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

    /// Why the device stopped publishing before `stop` (a fault, a leader gone quiet); nil while it
    /// publishes.
    public var failure: String? { failureNote.message.withLock { $0 } }

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
        // Several readings per control period: a hand's move waits a fraction of a tick for the
        // next reading instead of a whole one (the loop and this thread are not in step).
        let rateHz = Self.readingRateHz(follower: robot)
        for (f, joint) in followerJoints.enumerated() {
            lowerLimits[f] = joint.position.lowerBound
            upperLimits[f] = joint.position.upperBound
        }
        // A leader read late is carried forward at most two readings' worth; after that the
        // command simply ages until the loop calls the operator silent.
        maximumLeadNanoseconds = UInt64(2e9 / rateHz)
        startThread(map: map, limits: followerJoints.map(\.position), rateHz: rateHz)
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

    private func startThread(map: [Int], limits: [ClosedRange<Double>], rateHz: Double) {
        guard let arm, let positions else { return }
        let channel = self.channel, stopping = self.stopping, failureNote = self.failureNote
        let period = UInt64(1e9 / rateHz)
        let silenceLimit = UInt64(leader.safety.watchdogTimeout * 1e9)
        let count = map.count
        let deviceName = self.deviceName
        thread = PosixThread {
            var tracker = AlphaBetaTracker(count: count, rateHz: rateHz)
            var next = MonotonicClock.nowNanoseconds()
            var lastFresh = next
            while !stopping.isSet {
                next &+= period
                let asked = MonotonicClock.nowNanoseconds()
                let outcome = arm.read(into: positions, deadline: next)
                let now = MonotonicClock.nowNanoseconds()
                switch outcome {
                case .fresh:
                    lastFresh = now
                    // The servos answered somewhere between the request and the reply.
                    let measured = asked + (now &- asked) / 2
                    tracker.update(UnsafeBufferPointer(positions), at: measured)
                    var command = OperatorCommand()
                    command.count = UInt8(count)
                    command.mode = .absolute
                    command.timestamp = measured
                    for i in 0..<count {
                        let f = map[i]
                        command[f] = min(max(tracker.positions[i], limits[f].lowerBound), limits[f].upperBound)
                    }
                    channel.publish(command)
                case .stale:
                    if now &- lastFresh > silenceLimit {
                        failureNote.message.withLock {
                            $0 = "\(deviceName): no fresh reading for \((now &- lastFresh) / 1_000_000) ms; stopped publishing"
                        }
                        return
                    }
                case .fault(let fault):
                    let explanation = arm.explain(fault)
                    failureNote.message.withLock { $0 = explanation + "; stopped publishing" }
                    return
                }
                // Behind (a slow read): start the next period now rather than reading back to back.
                if now < next { MonotonicClock.sleep(untilNanoseconds: next) } else { next = now }
            }
        }
    }

    public func poll(_ view: OperatorView, into command: inout OperatorCommand) -> Bool {
        var latest = OperatorCommand()
        guard channel.latest(into: &latest) else { return false }
        if estimatesSeen == 0 || latest.timestamp != newest.timestamp {
            previous = newest
            newest = latest
            estimatesSeen = min(estimatesSeen + 1, 2)
        }
        command = newest
        guard estimatesSeen == 2, newest.timestamp > previous.timestamp, view.now > newest.timestamp else { return true }
        let span = Double(newest.timestamp - previous.timestamp)
        let lead = Double(min(view.now - newest.timestamp, maximumLeadNanoseconds))
        for i in 0..<Int(newest.count) {
            let carried = newest[i] + (newest[i] - previous[i]) * lead / span
            command[i] = min(max(carried, lowerLimits[i]), upperLimits[i])
        }
        return true
    }

    public func stop() {
        stopping.set()
        thread?.join()
        thread = nil
        arm?.disconnect()
        arm = nil
        launchedSimulator?.stop()
        launchedSimulator = nil
        positions?.deallocate()
        positions = nil
    }
}

/// Why a device thread stopped, written once by the thread and read by the command afterwards.
private final class FailureNote: Sendable {
    let message = Mutex<String?>(nil)
}
