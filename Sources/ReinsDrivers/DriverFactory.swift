import ReinsConfig

/// Picks the driver a robot description names, on the link it names (or on `link` when a
/// simulator was started for it).
public enum DriverFactory {
    public static func make(_ robot: RobotDescription, link: LinkSpec? = nil, localization: LinkSpec? = nil) throws(DriverError) -> any RobotDriver {
        let link = link ?? robot.link
        if link == .sim {
            throw DriverError(device: robot.name, problem: "`link: sim` needs the simulator started first",
                              suggestion: "open the robot with RobotSession, which starts it")
        }
        switch robot.driver {
        case .dynamixel: return DynamixelArmDriver(robot: robot, link: link)
        case .feetech: return FeetechArmDriver(robot: robot, link: link)
        case .vesc: return VESCCarDriver(robot: robot, link: link, localization: localization ?? robot.localization)
        case .mavlink: return try MAVLinkDroneDriver(robot: robot, link: link)
        case .zmq:
            guard case .zmq(let endpoint) = link else {
                throw DriverError(device: robot.name, problem: "the zmq driver needs a zmq: link, not \(link)")
            }
            return RobotProtocolDriver(robot: robot, endpoint: endpoint)
        }
    }
}
