import ReinsConfig
import ReinsCore

/// A written or recorded sequence of actions, one row per tick, through the safety filter like
/// any other source.
///
/// The first row may be far from where the robot is, so the source first ramps to it. An arm's
/// goals move toward the first row on a trapezoidal profile within each joint's velocity and
/// acceleration limits and the per-tick change, slowing down so they stop on it rather than
/// overshoot (the filter's acceleration limit alone would carry a far goal past it and ring). A
/// car's or drone's commands are speeds, which the filter's acceleration and per-tick limits ramp
/// without overshoot, so the source proposes the first row until the filter lets it through. The
/// ramp ends when the robot was told the first row, or when the filter held it still for a few
/// ticks (at a wall such as the workspace box); then one row goes out per tick, and rows the limits
/// do not allow are clamped and counted like any other.
public final class TrajectorySource: ActionSource, @unchecked Sendable {
    public let trajectory: Trajectory
    /// Rows sent so far (the ramp does not count).
    public private(set) var index = 0
    /// Ticks spent reaching the first row.
    public private(set) var rampTicks = 0
    private var ramping = true
    private var previousApplied: [Double]
    private var stalledTicks = 0
    /// Arms: each joint's ramp limits per tick (velocity step, acceleration step) and the ramp's
    /// own previous goal and step; empty for other kinds.
    private let rampLimits: [(step: Double, acceleration: Double)]
    private var rampGoal: [Double]
    private var rampStep: [Double]
    /// Ticks without any change of the applied action after which the ramp counts as held at a wall.
    private static let stallTicks = 5

    /// - Parameter rateHz: the rate rows go out at, in control time (default: the robot's).
    public init(_ trajectory: Trajectory, robot: RobotDescription, rateHz: Double? = nil) {
        self.trajectory = trajectory
        let n = robot.actionNames.count
        previousApplied = [Double](repeating: .nan, count: n)
        let period = 1 / (rateHz ?? robot.controlRateHz)
        if case .arm(let joints) = robot.body {
            // A little inside the limits, so the filter has nothing to change on the way.
            rampLimits = joints.map { joint in
                (min(0.95 * joint.velocity * period, 0.95 * robot.safety.maxChangePerTick), 0.95 * joint.acceleration * period * period)
            }
        } else {
            rampLimits = []
        }
        rampGoal = [Double](repeating: 0, count: rampLimits.count)
        rampStep = [Double](repeating: 0, count: rampLimits.count)
    }

    /// Proposes once into scratch buffers, so the first real tick meets no lazy initialisation,
    /// then starts the ramp from where the robot is.
    public func warmUp(_ input: ActionInput) {
        let n = previousApplied.count
        let proposed = UnsafeMutableBufferPointer<Double>.allocate(capacity: n), corrected = UnsafeMutableBufferPointer<Double>.allocate(capacity: n)
        defer {
            proposed.deallocate()
            corrected.deallocate()
        }
        for i in 0..<rampGoal.count { rampGoal[i] = input.lastApplied[i] }
        var proposal = Proposal(proposed: proposed, corrected: corrected)
        var sample = TickSample()
        propose(input, into: &proposal, sample: &sample)
        index = 0
        rampTicks = 0
        ramping = true
        stalledTicks = 0
        for i in 0..<n { previousApplied[i] = .nan }
        for i in 0..<rampGoal.count {
            rampGoal[i] = input.lastApplied[i]
            rampStep[i] = 0
        }
    }

    public func propose(_ input: ActionInput, into proposal: inout Proposal, sample: inout TickSample) {
        sample.source = .replay
        sample.segment = .demo
        // Indexing, not `.first`: unspecialised (debug) generic code would allocate in the tick.
        guard !trajectory.actions.isEmpty else {
            proposal.fallback = true
            proposal.finished = true
            return
        }
        let first = trajectory.actions[0]
        if ramping {
            // Reached: the robot was told the first row (to the driver's resolution). Stalled: for
            // several ticks the filter held the robot where it was, so waiting would not get closer.
            var reached = true, unchanged = rampTicks > 0
            for i in 0..<first.count {
                if abs(input.lastApplied[i] - first[i]) > 1e-3 * max(1, abs(first[i])) { reached = false }
                if input.lastApplied[i] != previousApplied[i] { unchanged = false }
                previousApplied[i] = input.lastApplied[i]
            }
            // An arm's own ramp must have arrived too, not only passed through the first row.
            for i in 0..<rampGoal.count where rampGoal[i] != first[i] { reached = false }
            stalledTicks = unchanged ? stalledTicks + 1 : 0
            if !(reached || stalledTicks >= Self.stallTicks) {
                rampTicks += 1
                for i in 0..<first.count { proposal.proposed[i] = first[i] }
                if rampLimits.isEmpty {
                    for i in 0..<first.count { proposal.corrected[i] = first[i] }
                } else {
                    advanceRamp(toward: first)
                    for i in 0..<first.count { proposal.corrected[i] = rampGoal[i] }
                }
                return
            }
            ramping = false
        }
        let row = trajectory.actions[index]
        for i in 0..<row.count {
            proposal.proposed[i] = row[i]
            proposal.corrected[i] = row[i]
        }
        index += 1
        proposal.finished = index >= trajectory.actions.count
    }

    /// One tick of each joint's trapezoidal move to `target`: accelerate, cruise, and brake so
    /// that the goal stops on the target.
    private func advanceRamp(toward target: [Double]) {
        for i in 0..<rampLimits.count {
            let (maximumStep, accelerationStep) = rampLimits[i]
            let remaining = target[i] - rampGoal[i]
            if abs(remaining) <= accelerationStep {
                rampStep[i] = remaining
                rampGoal[i] = target[i]
                continue
            }
            let direction = remaining > 0 ? 1.0 : -1.0
            // The fastest step from which steps falling by `accelerationStep` still stop in time.
            let braking = (2 * accelerationStep * abs(remaining)).squareRoot() - accelerationStep / 2
            // Two-argument min: the variadic one builds an array (an allocation) for its extra arguments.
            let speed = max(0, min(min(maximumStep, abs(rampStep[i]) + accelerationStep), min(braking, abs(remaining))))
            rampStep[i] = direction * speed
            rampGoal[i] += rampStep[i]
        }
    }
}
