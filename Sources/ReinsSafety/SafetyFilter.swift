import ReinsConfig
import ReinsCore

/// The one place that changes actions before they reach a robot.
///
/// Per kind: arm — joint position limits, joint velocity and acceleration limits, the maximum
/// change per tick, and the optional workspace box for the tool point; car — speed range and
/// acceleration, steering lock and steering rate, maximum change per tick; drone — horizontal and
/// vertical speed, yaw rate, the altitude band and the geofence (looking one second ahead), maximum
/// change per tick. For every kind a NaN or infinite action, or stale state, is replaced by the
/// fallback: hold (arm), slow to a stop with the steering held (car), hover (drone). Every change
/// is counted by reason and reported as a `ClampReason` bit mask; nothing here allocates.
public final class SafetyFilter: @unchecked Sendable {
    public let robot: RobotDescription
    private let period: Double
    private let count: Int
    /// The previous output (arm: goals; car: speed, steering; drone: velocities).
    private let last: UnsafeMutableBufferPointer<Double>
    /// Previous per-tick goal change (arm), for the acceleration limit.
    private let lastStep: UnsafeMutableBufferPointer<Double>
    private var clampCounts: [Int]
    /// Arms with a workspace box: the tool point's kinematics, and a candidate goal for the search.
    public let kinematics: ArmKinematics?
    private let candidate: UnsafeMutableBufferPointer<Double>
    /// How far ahead the drone's altitude band and geofence look, s.
    public var lookaheadSeconds = 1.0

    /// - Parameter rateHz: the loop's actual rate (default: the robot's control rate); per-tick
    ///   limits are the robot's rate limits times this period.
    public init(robot: RobotDescription, rateHz: Double? = nil) {
        self.robot = robot
        period = 1 / (rateHz ?? robot.controlRateHz)
        count = robot.actionNames.count
        last = .allocate(capacity: count)
        last.initialize(repeating: 0)
        lastStep = .allocate(capacity: count)
        lastStep.initialize(repeating: 0)
        clampCounts = [Int](repeating: 0, count: ClampReason.allCases.count)
        kinematics = robot.workspace.map(ArmKinematics.init)
        candidate = .allocate(capacity: count)
        candidate.initialize(repeating: 0)
    }

    deinit {
        last.deallocate()
        lastStep.deallocate()
        candidate.deallocate()
    }

    /// Clamps counted so far, by reason.
    public var counts: [(reason: ClampReason, count: Int)] {
        ClampReason.allCases.map { ($0, clampCounts[$0.rawValue]) }
    }

    public func count(of reason: ClampReason) -> Int { clampCounts[reason.rawValue] }

    /// Starts from the robot's present state so the first output is continuous with it.
    public func reset(state: UnsafeBufferPointer<Double>) {
        for i in 0..<count { lastStep[i] = 0 }
        switch robot.body {
        case .arm(let joints):
            // An arm's goals start at its joints' measured positions.
            let arm = ArmStateView(state, jointCount: joints.count)
            for i in 0..<count { last[i] = arm.position(i) }
        case .car:
            let car = CarStateView(state)
            last[0] = car.speed
            last[1] = car.steering
        case .drone:
            for i in 0..<count { last[i] = 0 }
        }
    }

    /// The previous output, which the corrector's `hold` response repeats.
    public var lastOutput: UnsafeBufferPointer<Double> { UnsafeBufferPointer(last) }

    /// Filters `proposed` into `output` and returns the reasons it changed anything.
    /// - Parameters:
    ///   - stateFresh: the state is recent enough to act on; otherwise the fallback applies.
    ///   - fallback: apply the kind's fallback (hold, slow to a stop, hover) whatever `proposed`
    ///     says, within the same limits; a caller's decision, so no clamp reason is counted for it.
    public func filter(_ proposed: UnsafeBufferPointer<Double>, state: UnsafeBufferPointer<Double>, stateFresh: Bool,
                       fallback requested: Bool = false, into output: UnsafeMutableBufferPointer<Double>) -> UInt32 {
        var mask: UInt32 = 0
        var usable = true
        for i in 0..<count where !proposed[i].isFinite { usable = false }
        if !usable { mask |= ClampReason.nonFinite.bit }
        if !stateFresh { mask |= ClampReason.staleState.bit }
        let fallback = mask != 0 || requested
        switch robot.body {
        case .arm(let joints): mask |= filterArm(proposed, joints: joints, fallback: fallback, into: output)
        case .car(let limits): mask |= filterCar(proposed, limits: limits, fallback: fallback, into: output)
        case .drone(let limits): mask |= filterDrone(proposed, state: state, limits: limits, fallback: fallback, into: output)
        }
        for i in 0..<count { last[i] = output[i] }
        // Index loop: `allCases` would build an array (an allocation) every tick.
        if mask != 0 {
            for bit in 0..<clampCounts.count where mask & (1 << UInt32(bit)) != 0 { clampCounts[bit] += 1 }
        }
        return mask
    }

    @inline(__always)
    private func limit(_ value: Double, _ bound: Double, _ reason: ClampReason, _ mask: inout UInt32) -> Double {
        if value > bound { mask |= reason.bit; return bound }
        if value < -bound { mask |= reason.bit; return -bound }
        return value
    }

    private func filterArm(_ proposed: UnsafeBufferPointer<Double>, joints: [JointSpec], fallback: Bool,
                           into output: UnsafeMutableBufferPointer<Double>) -> UInt32 {
        var mask: UInt32 = 0
        let maxChange = robot.safety.maxChangePerTick
        for i in 0..<count {
            let joint = joints[i]
            // Hold is the fallback: the previous goal again.
            var goal = fallback ? last[i] : proposed[i]
            var step = goal - last[i]
            step = limit(step, joint.velocity * period, .jointVelocity, &mask)
            let accelerationStep = joint.acceleration * period * period
            if step > lastStep[i] + accelerationStep {
                step = lastStep[i] + accelerationStep
                mask |= ClampReason.jointAcceleration.bit
            } else if step < lastStep[i] - accelerationStep {
                step = lastStep[i] - accelerationStep
                mask |= ClampReason.jointAcceleration.bit
            }
            step = limit(step, maxChange, .changePerTick, &mask)
            goal = last[i] + step
            // Position limits last: they hold whatever the rate limits would allow.
            if goal > joint.position.upperBound {
                goal = joint.position.upperBound
                mask |= ClampReason.jointPosition.bit
            } else if goal < joint.position.lowerBound {
                goal = joint.position.lowerBound
                mask |= ClampReason.jointPosition.bit
            }
            output[i] = goal
        }
        if let kinematics { mask |= keepInWorkspace(kinematics, output) }
        for i in 0..<count { lastStep[i] = output[i] - last[i] }
        return mask
    }

    /// Keeps the commanded tool point in the workspace box. From a goal inside the box, the step
    /// is shortened to the largest fraction (found by bisection, 12 halvings) whose end is still
    /// inside; from a goal already outside (an arm started outside the box), only steps that bring
    /// the tool closer to the box go through, and any other is replaced by holding. This stops the
    /// arm at the wall without regard to the acceleration limit, like the position limits.
    private func keepInWorkspace(_ kinematics: ArmKinematics, _ output: UnsafeMutableBufferPointer<Double>) -> UInt32 {
        let proposed = kinematics.distanceOutside(kinematics.toolPoint(UnsafeBufferPointer(output)))
        if proposed == 0 { return 0 }
        let from = UnsafeBufferPointer(last)
        let current = kinematics.distanceOutside(kinematics.toolPoint(from))
        if current > 0 {
            if proposed < current { return 0 }
            for i in 0..<count { output[i] = last[i] }
            return ClampReason.workspace.bit
        }
        var inside = 0.0, outside = 1.0
        for _ in 0..<12 {
            let fraction = (inside + outside) / 2
            for i in 0..<count { candidate[i] = last[i] + fraction * (output[i] - last[i]) }
            if kinematics.distanceOutside(kinematics.toolPoint(UnsafeBufferPointer(candidate))) == 0 {
                inside = fraction
            } else {
                outside = fraction
            }
        }
        for i in 0..<count { output[i] = last[i] + inside * (output[i] - last[i]) }
        return ClampReason.workspace.bit
    }

    private func filterCar(_ proposed: UnsafeBufferPointer<Double>, limits: CarLimits, fallback: Bool,
                           into output: UnsafeMutableBufferPointer<Double>) -> UInt32 {
        var mask: UInt32 = 0
        let maxChange = robot.safety.maxChangePerTick
        // Fallback: slow to a stop, steering held.
        var speed = fallback ? 0 : proposed[0]
        var steering = fallback ? last[1] : proposed[1]
        if speed > limits.speed.upperBound {
            speed = limits.speed.upperBound
            mask |= ClampReason.speed.bit
        } else if speed < limits.speed.lowerBound {
            speed = limits.speed.lowerBound
            mask |= ClampReason.speed.bit
        }
        var speedStep = limit(speed - last[0], limits.acceleration * period, .acceleration, &mask)
        speedStep = limit(speedStep, maxChange, .changePerTick, &mask)
        speed = last[0] + speedStep
        steering = limit(steering, limits.steering, .steering, &mask)
        var steeringStep = limit(steering - last[1], limits.steeringRate * period, .steeringRate, &mask)
        steeringStep = limit(steeringStep, maxChange, .changePerTick, &mask)
        output[0] = speed
        output[1] = last[1] + steeringStep
        return mask
    }

    private func filterDrone(_ proposed: UnsafeBufferPointer<Double>, state: UnsafeBufferPointer<Double>, limits: DroneLimits,
                             fallback: Bool, into output: UnsafeMutableBufferPointer<Double>) -> UInt32 {
        var mask: UInt32 = 0
        let maxChange = robot.safety.maxChangePerTick
        // Fallback: hover.
        var north = fallback ? 0 : proposed[0], east = fallback ? 0 : proposed[1], down = fallback ? 0 : proposed[2]
        let horizontal = (north * north + east * east).squareRoot()
        if horizontal > limits.horizontalVelocity {
            north *= limits.horizontalVelocity / horizontal
            east *= limits.horizontalVelocity / horizontal
            mask |= ClampReason.horizontalVelocity.bit
        }
        down = limit(down, limits.verticalVelocity, .verticalVelocity, &mask)
        // The altitude band and the geofence shape the target first, so the per-tick change heads
        // for a speed that is allowed...
        mask |= keepInsideVolume(&north, &east, &down, state: state, limits: limits)
        // ...then the per-tick change. The horizontal step is limited as a vector, so the result
        // lies between two speeds inside the horizontal limit and stays inside it (component by
        // component it would not: from (√2, √2) toward (2, 0) it would reach 2.005 m/s).
        let stepNorth = north - last[0], stepEast = east - last[1]
        let horizontalStep = (stepNorth * stepNorth + stepEast * stepEast).squareRoot()
        if horizontalStep > maxChange {
            north = last[0] + stepNorth * maxChange / horizontalStep
            east = last[1] + stepEast * maxChange / horizontalStep
            mask |= ClampReason.changePerTick.bit
        }
        down = last[2] + limit(down - last[2], maxChange, .changePerTick, &mask)
        // ...and the band and fence once more, last: a drone close to them stops at once, even if
        // that changes the speed by more than the per-tick change (a wall stop, like an arm's
        // position limits).
        mask |= keepInsideVolume(&north, &east, &down, state: state, limits: limits)
        output[0] = north
        output[1] = east
        output[2] = down
        if count > 3 {
            var rate = fallback ? 0 : proposed[3]
            rate = limit(rate, limits.yawRate, .yawRate, &mask)
            output[3] = last[3] + limit(rate - last[3], maxChange, .changePerTick, &mask)
        }
        return mask
    }

    /// Removes the climb, descent and outward speed that would cross the altitude band or the
    /// geofence within the lookahead.
    private func keepInsideVolume(_ north: inout Double, _ east: inout Double, _ down: inout Double,
                                  state: UnsafeBufferPointer<Double>, limits: DroneLimits) -> UInt32 {
        var mask: UInt32 = 0
        let drone = DroneStateView(state)
        let altitude = drone.altitude
        let climbRoom = (limits.altitude.upperBound - altitude) / lookaheadSeconds
        let descentRoom = (altitude - limits.altitude.lowerBound) / lookaheadSeconds
        if -down > max(0, climbRoom) { down = -max(0, climbRoom); mask |= ClampReason.altitude.bit }
        if down > max(0, descentRoom) { down = max(0, descentRoom); mask |= ClampReason.altitude.bit }
        let position = drone.position
        let distance = drone.horizontalDistance
        if distance > 1e-6 {
            let un = position.north / distance, ue = position.east / distance
            let outward = north * un + east * ue
            let room = (limits.geofenceRadius - distance) / lookaheadSeconds
            if outward > max(0, room) {
                let excess = outward - max(0, room)
                north -= excess * un
                east -= excess * ue
                mask |= ClampReason.geofence.bit
            }
        }
        return mask
    }
}
