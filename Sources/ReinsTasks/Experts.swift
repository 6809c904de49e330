import ReinsConfig
import ReinsCore
#if canImport(Glibc)
import Glibc
#endif

/// A scripted controller that solves a task from the robot's state: the teacher for demonstrations.
/// Its output is an action in the robot's action units; the safety filter still applies.
public protocol Expert: AnyObject {
    func act(state: UnsafeBufferPointer<Double>, into action: UnsafeMutableBufferPointer<Double>)
}

public enum ExpertFactory {
    public static func make(for robot: RobotDescription, task: any RobotTask) -> any Expert {
        switch (robot.body, task) {
        case (.arm(let joints), let reach as ArmReachTask):
            return ArmReachExpert(joints: joints, task: reach, controlRateHz: robot.controlRateHz)
        case (.car(let limits), let laps as CarLapTask):
            return PurePursuitExpert(limits: limits, task: laps)
        case (.drone(let limits), let waypoints as DroneWaypointTask):
            return WaypointExpert(limits: limits, task: waypoints, withYawRate: robot.action == .velocityYawRate)
        default:
            preconditionFailure("no expert for this robot and task")
        }
    }
}

/// Joint-space PD to the target: the goal leads the present position by a gain times the error,
/// damped by the joint velocity, and is capped a few ticks of motion ahead. The servo's own
/// position loop does the rest. With gain 1 the goal is the target itself once within the cap, so
/// an imitation error shifts where the arm settles by that error and no more.
public final class ArmReachExpert: Expert, @unchecked Sendable {
    let joints: [JointSpec]
    let task: ArmReachTask
    let period: Double
    public var gain = 1.0
    public var damping = 0.0

    init(joints: [JointSpec], task: ArmReachTask, controlRateHz: Double) {
        self.joints = joints
        self.task = task
        period = 1 / controlRateHz
    }

    public func act(state: UnsafeBufferPointer<Double>, into action: UnsafeMutableBufferPointer<Double>) {
        let arm = ArmStateView(state, jointCount: joints.count)
        for i in 0..<joints.count {
            let position = arm.position(i), velocity = arm.velocity(i)
            let step = gain * (task.target[i] - position) - damping * velocity
            let cap = 0.8 * joints[i].velocity * period * 4
            action[i] = position + max(-cap, min(cap, step))
        }
    }
}

/// Pure pursuit on the track's centre line at a constant speed, slowing a little in curves.
public final class PurePursuitExpert: Expert, @unchecked Sendable {
    let limits: CarLimits
    let task: CarLapTask
    public var lookahead = 1.0
    public var cruiseSpeed = 1.5
    private var hint: Int?

    init(limits: CarLimits, task: CarLapTask) {
        self.limits = limits
        self.task = task
    }

    public func act(state: UnsafeBufferPointer<Double>, into action: UnsafeMutableBufferPointer<Double>) {
        let track = task.track
        let car = CarStateView(state)
        let projection = track.project(x: car.x, y: car.y, hint: hint)
        hint = projection.index
        let point = track.point(atArc: projection.arc + lookahead)
        let c = cos(car.yaw), s = sin(car.yaw)
        let dx = point.x - car.x, dy = point.y - car.y
        let y = -s * dx + c * dy
        let distance2 = dx * dx + dy * dy
        let curvature = 2 * y / max(distance2, 1e-6)
        let steering = atan(limits.wheelbase * curvature)
        action[0] = min(limits.speed.upperBound, cruiseSpeed / (1 + 0.5 * abs(curvature)))
        action[1] = max(-limits.steering, min(limits.steering, steering))
    }
}

/// Position control to the waypoint: velocity proportional to the offset, capped at 80% of the limits.
public final class WaypointExpert: Expert, @unchecked Sendable {
    let limits: DroneLimits
    let task: DroneWaypointTask
    let withYawRate: Bool
    public var gain = 0.9

    init(limits: DroneLimits, task: DroneWaypointTask, withYawRate: Bool) {
        self.limits = limits
        self.task = task
        self.withYawRate = withYawRate
    }

    public func act(state: UnsafeBufferPointer<Double>, into action: UnsafeMutableBufferPointer<Double>) {
        let waypoint = task.waypoint
        let position = DroneStateView(state).position
        var north = gain * (waypoint.north - position.north), east = gain * (waypoint.east - position.east)
        let horizontal = (north * north + east * east).squareRoot()
        let cap = 0.8 * limits.horizontalVelocity
        if horizontal > cap {
            north *= cap / horizontal
            east *= cap / horizontal
        }
        action[0] = north
        action[1] = east
        action[2] = max(-0.8 * limits.verticalVelocity, min(0.8 * limits.verticalVelocity, gain * (waypoint.down - position.down)))
        if withYawRate { action[3] = 0 }
    }
}
