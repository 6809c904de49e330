import ReinsConfig
import ReinsSafety

/// Checks a stream of commands that left for a robot against every limit of its description, the
/// way a reviewer would read the description: arm joint position, velocity, acceleration and
/// per-tick change and the workspace box; car speed range, acceleration, steering lock and rate and
/// per-tick change; drone horizontal, vertical and yaw speeds, per-tick change, the altitude band
/// and the geofence (as the filter promises them: no command that would leave them within its one
/// second look-ahead). Independent of the safety filter's code, so a filter bug shows here.
public final class LimitChecker {
    public let robot: RobotDescription
    let period: Double
    /// Slack for values that went through a driver's resolution (servo ticks, float32, ERPM).
    let resolution: Double
    let kinematics: ArmKinematics?
    private var previous: [Double]?
    private var previousStep: [Double]?
    public private(set) var commands = 0
    public private(set) var violations: [String] = []

    /// - Parameters:
    ///   - rateHz: the rate commands were sent at, in control time.
    ///   - resolution: the driver's resolution in action units (0 for commands checked before a driver).
    public init(robot: RobotDescription, rateHz: Double? = nil, resolution: Double = 0) {
        self.robot = robot
        period = 1 / (rateHz ?? robot.controlRateHz)
        self.resolution = resolution
        kinematics = robot.workspace.map(ArmKinematics.init)
    }

    /// Starts from the robot's present commanded state (arm: its joint positions; car: its speed
    /// and steering; drone: at rest).
    public func start(from applied: [Double]) {
        previous = applied
        previousStep = applied.map { _ in 0 }
    }

    /// One command; `state` is the measured state it was computed from; `wallStop` says the filter
    /// stopped the robot at a wall this tick (arm: a position limit or the workspace box; drone:
    /// the altitude band or the geofence), which the description allows to ignore the acceleration
    /// and per-tick limits.
    public func check(_ applied: [Double], state: [Double], wallStop: Bool = false) {
        commands += 1
        let tolerance = 1e-9 + resolution
        func fail(_ text: String) { if violations.count < 50 { violations.append("command \(commands): \(text)") } }
        for (i, value) in applied.enumerated() where !value.isFinite { fail("entry \(i) is \(value)") }
        guard applied.allSatisfy(\.isFinite) else { return }
        let last = previous ?? applied
        let step = zip(applied, last).map { $0 - $1 }
        // A stop at a wall (arm position limits and workspace box; drone altitude band and geofence)
        // may change a command faster than max_change_per_tick, as the description allows.
        if robot.safety.maxChangePerTick.isFinite && !wallStop {
            for (i, change) in step.enumerated() where abs(change) > robot.safety.maxChangePerTick + 2 * tolerance {
                fail("entry \(i) changed \(change) in one tick (max_change_per_tick \(robot.safety.maxChangePerTick))")
            }
        }
        switch robot.body {
        case .arm(let joints):
            for (i, joint) in joints.enumerated() {
                if applied[i] < joint.position.lowerBound - tolerance || applied[i] > joint.position.upperBound + tolerance {
                    fail("\(joint.name) goal \(applied[i]) outside \(joint.position)")
                }
                if abs(step[i]) > joint.velocity * period + 2 * tolerance {
                    fail("\(joint.name) moved \(step[i]) rad in one tick (velocity \(joint.velocity) rad/s)")
                }
                if let previousStep, !wallStop, abs(step[i] - previousStep[i]) > joint.acceleration * period * period + 4 * tolerance {
                    fail("\(joint.name) step changed by \(step[i] - previousStep[i]) (acceleration \(joint.acceleration) rad/s²)")
                }
            }
            if let kinematics, let previous {
                let before = kinematics.distanceOutside(kinematics.toolPoint(previous))
                let now = kinematics.distanceOutside(kinematics.toolPoint(applied))
                // Inside stays inside; an arm outside may only come closer. Goals rounded to the
                // servo's resolution may move the tool by that angle times the arm's reach (< 1 m).
                let slack = 1e-6 + resolution
                if before == 0 ? now > slack : now > before + slack {
                    fail("tool point \(now) m outside the workspace box (was \(before) m)")
                }
            }
        case .car(let limits):
            if applied[0] < limits.speed.lowerBound - tolerance || applied[0] > limits.speed.upperBound + tolerance {
                fail("speed \(applied[0]) outside \(limits.speed)")
            }
            if abs(step[0]) > limits.acceleration * period + 2 * tolerance { fail("speed changed \(step[0]) in one tick (acceleration \(limits.acceleration))") }
            if abs(applied[1]) > limits.steering + tolerance { fail("steering \(applied[1]) beyond the lock \(limits.steering)") }
            if abs(step[1]) > limits.steeringRate * period + 2 * tolerance { fail("steering changed \(step[1]) in one tick (rate \(limits.steeringRate))") }
        case .drone(let limits):
            let horizontal = (applied[0] * applied[0] + applied[1] * applied[1]).squareRoot()
            if horizontal > limits.horizontalVelocity + tolerance { fail("horizontal speed \(horizontal) over \(limits.horizontalVelocity)") }
            if abs(applied[2]) > limits.verticalVelocity + tolerance { fail("vertical speed \(applied[2]) over \(limits.verticalVelocity)") }
            if applied.count > 3, abs(applied[3]) > limits.yawRate + tolerance { fail("yaw rate \(applied[3]) over \(limits.yawRate)") }
            let (altitude, position, distance) = state.withUnsafeBufferPointer {
                let drone = DroneStateView($0)
                return (drone.altitude, drone.position, drone.horizontalDistance)
            }
            let climbRoom = max(0, limits.altitude.upperBound - altitude), descentRoom = max(0, altitude - limits.altitude.lowerBound)
            if -applied[2] > climbRoom + tolerance + 1e-6 { fail("climbs at \(-applied[2]) m/s with \(climbRoom) m to the ceiling") }
            if applied[2] > descentRoom + tolerance + 1e-6 { fail("descends at \(applied[2]) m/s with \(descentRoom) m to the floor") }
            if distance > 1e-6 {
                let outward = (applied[0] * position.north + applied[1] * position.east) / distance
                let room = max(0, limits.geofenceRadius - distance)
                if outward > room + tolerance + 1e-6 { fail("flies outward at \(outward) m/s with \(room) m to the geofence") }
            }
        }
        previous = applied
        previousStep = step
    }
}
