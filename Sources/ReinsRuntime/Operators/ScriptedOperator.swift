import ReinsConfig
import ReinsCore
import ReinsTasks
#if canImport(Glibc)
import Glibc
#endif

/// A simulated person for tests, demonstrations and experiments (`--operator sim`). It watches
/// the task as a person watching the robot would and intervenes by the RaC protocol:
///
/// 1. **Takes over** (after a reaction time) when the policy stalls (an arm's or drone's cost has
///    not improved for a while; a car that stands still), drifts toward failure (a car far off the
///    centre line, a drone far from where it was doing well), or the monitor asks for the
///    operator. After a hand-back the policy gets a fresh stall window.
/// 2. **Recovers**: drives back to a familiar, in-distribution state (an arm to the pose it
///    started the episode in, a car slowly back onto the centre line, a drone to the last
///    position where the policy was making progress) and presses "recovered".
/// 3. **Corrects**: the task's expert completes the sub-task, for at least a second and one and a
///    half times as long as the recovery took (RaC's 1:1 to 1:2), then hands back, unless the
///    task ends the episode first.
///
/// It runs on the loop thread in lockstep with the robot (no thread of its own), so a run is
/// deterministic for a seed. Nothing per tick allocates.
public final class ScriptedOperator: OperatorDevice, @unchecked Sendable {
    public let deviceName = "scripted operator"
    public let operatorNames = ["scripted"]
    public let task: any RobotTask
    public let expert: any Expert
    private let robot: RobotDescription
    private let period: Double
    private var random: SeededRandom
    /// Reaction time for this episode, s (a person does not act on the tick they notice).
    private var reaction = 0.3
    private var noticedAt: Double?
    private var bestCost = Double.infinity
    private var bestCostAt = 0.0
    private var phaseTicks: UInt64 = 0
    private var recoveryTicks: UInt64 = 0
    private var lastPhase: InterventionPhase = .autonomous
    private var command = OperatorCommand()
    /// Arms: the joint positions the episode started in.
    private let home: UnsafeMutableBufferPointer<Double>
    private let scratch: UnsafeMutableBufferPointer<Double>
    /// Cars: the task's lateral offset and heading error, to see a drift coming.
    private let trackError: UnsafeMutableBufferPointer<Double>
    /// Drones: the last position where the policy was making progress.
    private var goodPosition = (north: 0.0, east: 0.0, down: -2.0)

    /// How far ahead the operator judges a car's drift, s.
    public static let anticipationSeconds = 0.5
    /// The task's cost must improve by this fraction within `stallSeconds`, or the policy stalls.
    public static let stallImprovement = 0.05
    public let stallSeconds: Double

    public init(robot: RobotDescription, task: any RobotTask, seed: UInt64, rateHz: Double? = nil) {
        self.robot = robot
        self.task = task
        expert = ExpertFactory.make(for: robot, task: task)
        period = 1 / (rateHz ?? robot.controlRateHz)
        random = SeededRandom(seed: seed ^ 0x5c1e_0be7)
        let n = robot.actionNames.count
        home = .allocate(capacity: max(1, n))
        home.initialize(repeating: 0)
        scratch = .allocate(capacity: max(1, n))
        trackError = .allocate(capacity: 2)
        trackError.initialize(repeating: 0)
        scratch.initialize(repeating: 0)
        command.count = UInt8(min(n, OperatorCommand.capacity))
        switch robot.kind {
        case .arm: stallSeconds = 1.0
        case .car: stallSeconds = 3.0
        case .drone: stallSeconds = 2.5
        }
    }

    deinit {
        home.deallocate()
        scratch.deallocate()
        trackError.deallocate()
    }

    public func start(robot: RobotDescription, follower: UnsafeBufferPointer<Double>) throws(DeviceError) {}
    public func stop() {}

    public func episodeStarted(_ view: OperatorView) {
        if case .arm(let joints) = robot.body {
            let arm = ArmStateView(view.state, jointCount: joints.count)
            for i in 0..<min(home.count, joints.count) { home[i] = arm.position(i) }
        }
        if case .drone = robot.body {
            let p = DroneStateView(view.state).position
            goodPosition = (p.north, p.east, p.down)
        }
        reaction = random.uniform(0.2...0.4)
        noticedAt = nil
        bestCost = .infinity
        bestCostAt = 0
        phaseTicks = 0
        recoveryTicks = 0
        lastPhase = .autonomous
    }

    public func poll(_ view: OperatorView, into result: inout OperatorCommand) -> Bool {
        if view.phase != lastPhase {
            if lastPhase == .recovery { recoveryTicks = phaseTicks }
            if view.phase == .autonomous && (lastPhase == .recovery || lastPhase == .correction) {
                // Handed back (--resume-after-correction): judge the policy afresh from here, not by
                // the best cost before the intervention, or it "stalls" again at once.
                bestCost = .infinity
                bestCostAt = view.elapsed
                noticedAt = nil
            }
            phaseTicks = 0
            lastPhase = view.phase
        }
        phaseTicks &+= 1
        command.buttons = []
        command.timestamp = view.now
        command.mode = .absolute
        let cost = task.cost(state: view.state)
        switch view.phase {
        case .autonomous, .awaitingOperator:
            watch(view, cost: cost)
            // Between interventions the command follows the robot, so nothing is stale when it takes over.
            for i in 0..<Int(command.count) { command[i] = view.lastApplied[i] }
        case .recovery:
            if recover(view, cost: cost) { command.buttons.insert(.recovered) }
        case .waiting:
            // Ready for the next demonstration at once; hold still meanwhile.
            command.buttons.insert(.startEpisode)
            for i in 0..<Int(command.count) { command[i] = view.lastApplied[i] }
        case .correction, .demonstration:
            expert.act(state: view.state, into: scratch)
            for i in 0..<Int(command.count) { command[i] = scratch[i] }
            // The sub-task is done when the goal is close (or the correction has gone on for long);
            // RaC's ratio asks for at least as much correction as recovery.
            let seconds = Double(phaseTicks) * period
            let done = task.goalReached(state: view.state) || (robot.kind == .car && cost < 0.1) || seconds > 3 * stallSeconds
            if view.phase == .correction && done && seconds >= max(1.0, 1.5 * Double(recoveryTicks) * period) {
                command.buttons.insert(.handback)
            }
        }
        result = command
        return true
    }

    /// Decides whether to take over: the monitor's request, a stall, or a drift toward failure.
    private func watch(_ view: OperatorView, cost: Double) {
        if cost < bestCost * (1 - Self.stallImprovement) || !bestCost.isFinite {
            bestCost = cost
            bestCostAt = view.elapsed
            if case .drone = robot.body {
                let p = DroneStateView(view.state).position
                goodPosition = (p.north, p.east, p.down)
            }
        }
        var trouble = view.takeoverRequested
        // A stall is a cost that stops falling toward the goal: an arm's error to its target, a
        // drone's distance to its waypoint. A car's cost is its distance from the centre line, which
        // a car driving well holds near zero instead of lowering; a car stalls by standing still.
        if robot.kind != .car && view.elapsed - bestCostAt > stallSeconds && view.elapsed > stallSeconds { trouble = true }
        switch robot.body {
        case .car:
            // A person sees a drift coming: where the car will be off the centre line half a
            // second from now at its speed and heading error, not only where it is.
            let car = CarStateView(view.state)
            task.write(.trackError, state: view.state, into: trackError)
            let ahead = trackError[0] + car.speed * sin(trackError[1]) * Self.anticipationSeconds
            if cost > 0.3 || abs(ahead) > 0.3 || (view.elapsed > 2 && car.speed < 0.2) { trouble = true }
        case .drone(let limits):
            let drone = DroneStateView(view.state)
            if drone.horizontalDistance > 0.8 * limits.geofenceRadius { trouble = true }
        case .arm:
            break
        }
        guard trouble else {
            noticedAt = nil
            return
        }
        if noticedAt == nil { noticedAt = view.elapsed }
        if let noticedAt, view.elapsed - noticedAt >= reaction {
            command.buttons.insert(.takeover)
            self.noticedAt = nil
        }
    }

    /// One tick of recovery into `command`; true once the robot is back in a familiar state (or
    /// recovery has gone on for as long as the stall window, which a person would not exceed).
    private func recover(_ view: OperatorView, cost: Double) -> Bool {
        let n = Int(command.count)
        var done = false
        switch robot.body {
        case .arm(let joints):
            // Back to the pose the episode started in, at half the joint speed limits.
            var farthest = 0.0
            let arm = ArmStateView(view.state, jointCount: joints.count)
            for i in 0..<n {
                let position = arm.position(i)
                let step = 0.5 * joints[i].velocity * period
                let error = home[i] - view.lastApplied[i]
                command[i] = view.lastApplied[i] + max(-step, min(step, error))
                farthest = max(farthest, abs(home[i] - position))
            }
            done = farthest < 0.05
        case .car(let limits):
            // The expert's steering onto the centre line, at half its speed.
            expert.act(state: view.state, into: scratch)
            command[0] = min(scratch[0], 0.5 * limits.speed.upperBound)
            command[1] = scratch[1]
            let car = CarStateView(view.state)
            done = cost < 0.08 && car.speed > 0.1
        case .drone(let limits):
            // Fly back to the last good position at half the speed limits.
            let p = DroneStateView(view.state).position
            let dn = goodPosition.north - p.north, de = goodPosition.east - p.east, dd = goodPosition.down - p.down
            let horizontal = (dn * dn + de * de).squareRoot()
            let speed = min(0.5 * limits.horizontalVelocity, horizontal)
            command[0] = horizontal > 1e-6 ? dn / horizontal * speed : 0
            command[1] = horizontal > 1e-6 ? de / horizontal * speed : 0
            command[2] = max(-0.5 * limits.verticalVelocity, min(0.5 * limits.verticalVelocity, dd))
            if n > 3 { command[3] = 0 }
            done = (horizontal * horizontal + dd * dd).squareRoot() < 0.3
        }
        return done || Double(phaseTicks) * period > 2 * stallSeconds
    }
}
