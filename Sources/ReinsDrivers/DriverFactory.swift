import ReinsConfig
import ReinsCore

/// Picks the driver a robot description names, on the link it names (or on `link` when a
/// simulator was started for it).
public enum DriverFactory {
    public static func make(_ robot: RobotDescription, link: LinkSpec? = nil, localization: LinkSpec? = nil) throws(DeviceError) -> any RobotDriver {
        let link = link ?? robot.link
        if link == .sim {
            throw DeviceError(device: robot.name, problem: "`link: sim` needs the simulator started first",
                              suggestion: "open the robot with RobotSession, which starts it")
        }
        switch robot.driver {
        case .dynamixel, .feetech: return ArmDriver(robot: robot, link: link)
        case .vesc: return VESCCarDriver(robot: robot, link: link, localization: localization ?? robot.localization)
        case .mavlink: return try MAVLinkDroneDriver(robot: robot, link: link)
        case .zmq:
            guard case .zmq(let endpoint) = link else {
                throw DeviceError(device: robot.name, problem: "the zmq driver needs a zmq: link, not \(link)")
            }
            return RobotProtocolDriver(robot: robot, endpoint: endpoint)
        }
    }

    /// The servo bus of an arm description whose driver is `dynamixel` or `feetech`, on `link`, with
    /// the servo ids of its calibration in joint order. Arm drivers and leader arms both read it.
    public static func servoBus(for robot: RobotDescription, link: LinkSpec) -> any ServoBus {
        guard case .arm(let calibration) = robot.calibration else {
            preconditionFailure("a servo bus needs an arm description with its calibration")
        }
        let ids = calibration.joints.map { UInt8($0.calibration.servoID) }
        switch robot.driver {
        case .dynamixel: return DynamixelBus(ids: ids, link: link)
        case .feetech: return FeetechBus(ids: ids, link: link)
        case .vesc, .mavlink, .zmq: preconditionFailure("\(robot.driver.rawValue) is not a servo bus")
        }
    }
}
