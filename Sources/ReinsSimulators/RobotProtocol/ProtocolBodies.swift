import ReinsConfig
import ReinsProtocols

/// The simulated arm over the robot protocol. State: `J.pos`, `J.vel`, `J.effort` per joint;
/// action: `J.goal` per joint. The first action turns torque on; `safeStop` turns it off.
public final class ArmProtocolBody: RobotProtocolBody, @unchecked Sendable {
    public let arm: SimulatedArm
    public let layout: RobotLayout
    public var faults: FaultSpec

    public init(arm: SimulatedArm, name: String, rateHz: Double, faults: FaultSpec = .none) {
        self.arm = arm
        self.faults = faults
        let n = arm.names
        layout = RobotLayout(robot: name, kind: "arm", state: StateLayout(kind: .arm, jointNames: n).names,
                             action: n.map { "\($0).goal" }, rateHz: rateHz)
        if let stuck = faults.stuckComponent, stuck < arm.joints.count { arm.joints[stuck].stuck = true }
    }

    public func readState(into values: UnsafeMutableBufferPointer<Double>) -> RobotMessage.Flags {
        let n = arm.joints.count
        for (i, joint) in arm.joints.enumerated() {
            values[i] = joint.position
            values[n + i] = joint.velocity
            values[2 * n + i] = joint.presentCurrentMilliamps / 1000
        }
        return arm.joints.allSatisfy(\.torqueEnabled) ? [] : .stopped
    }

    public func apply(action values: UnsafeBufferPointer<Double>, flags: RobotMessage.Flags, at time: Double) {
        let stop = flags.contains(.safeStop)
        for i in arm.joints.indices {
            if stop {
                arm.joints[i].torqueEnabled = false
            } else {
                arm.joints[i].torqueEnabled = true
                arm.joints[i].goal = values[i]
            }
        }
    }

    public func step(_ dt: Double, at time: Double) { arm.step(dt) }
}

/// The simulated car over the robot protocol. State: `pose.x`, `pose.y`, `pose.yaw`, `speed`,
/// `steering`; action: `speed` (m/s), `steering` (rad). `safeStop` brakes and centres.
public final class CarProtocolBody: RobotProtocolBody, @unchecked Sendable {
    public let car: SimulatedCar
    public let layout: RobotLayout

    public init(car: SimulatedCar, name: String, rateHz: Double) {
        self.car = car
        layout = RobotLayout(robot: name, kind: "car", state: StateLayout(kind: .car).names,
                             action: ["speed", "steering"], rateHz: rateHz)
    }

    public func readState(into values: UnsafeMutableBufferPointer<Double>) -> RobotMessage.Flags {
        values[0] = car.body.x
        values[1] = car.body.y
        values[2] = car.body.yaw
        values[3] = car.body.speed
        values[4] = car.body.steering
        return car.command == .released ? .stopped : []
    }

    public func apply(action values: UnsafeBufferPointer<Double>, flags: RobotMessage.Flags, at time: Double) {
        let calibration = car.calibration
        if flags.contains(.safeStop) {
            car.setCommand(.brake(20), at: time)
            car.setServo(calibration.servoCentre, at: time)
            return
        }
        car.setCommand(.rpm(values[0] * calibration.erpmPerMetrePerSecond), at: time)
        car.setServo(calibration.servoCentre + calibration.servoPerRadian * values[1], at: time)
    }

    public func step(_ dt: Double, at time: Double) { car.step(dt, at: time) }
}

/// The simulated drone over the robot protocol. State: position, velocity (NED) and attitude;
/// action: velocity north/east/down (and `yaw_rate` with the 4-value layout). The drone's own
/// driver arms and switches to offboard on the first action; `safeStop` lands.
public final class DroneProtocolBody: RobotProtocolBody, @unchecked Sendable {
    public let drone: SimulatedDrone
    public let layout: RobotLayout
    private let withYawRate: Bool

    public init(drone: SimulatedDrone, name: String, rateHz: Double, withYawRate: Bool) {
        self.drone = drone
        self.withYawRate = withYawRate
        let axes = ["north", "east", "down"]
        layout = RobotLayout(robot: name, kind: "drone", state: StateLayout(kind: .drone).names,
                             action: axes.map { "velocity.\($0)" } + (withYawRate ? ["yaw_rate"] : []), rateHz: rateHz)
    }

    public func readState(into values: UnsafeMutableBufferPointer<Double>) -> RobotMessage.Flags {
        let b = drone.body
        let state = [b.north, b.east, b.down, b.velocityNorth, b.velocityEast, b.velocityDown, b.roll, b.pitch, b.yaw]
        for (i, v) in state.enumerated() { values[i] = v }
        return drone.armed ? [] : .stopped
    }

    public func apply(action values: UnsafeBufferPointer<Double>, flags: RobotMessage.Flags, at time: Double) {
        if flags.contains(.safeStop) {
            _ = drone.setMode(.land, at: time)
            return
        }
        drone.receiveSetpoint(.velocity(north: values[0], east: values[1], down: values[2], yawRate: withYawRate ? values[3] : 0), at: time)
        if !drone.armed { _ = drone.arm(true, at: time) }
        if drone.mode != .offboard && drone.mode != .land { _ = drone.setMode(.offboard, at: time) }
    }

    public func step(_ dt: Double, at time: Double) { drone.step(dt, at: time) }
}
