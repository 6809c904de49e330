import ReinsConfig
import ReinsCore
import ReinsDrivers
import ReinsRuntime
import ReinsSimulators

extension RobotSession {
    /// A session whose `link: sim` robot runs on Reins' built-in simulators, as the `reins` command
    /// starts them.
    public convenience init(_ robot: RobotDescription, simulatorOptions: SimulatorOptions = SimulatorOptions()) throws(DeviceError) {
        try self.init(robot, simulators: BuiltInSimulators(options: simulatorOptions))
    }

    /// The built-in simulator behind a `link: sim` session: its physics and host, for tests to look at.
    public var simulator: RunningSimulator? { launchedSimulator as? RunningSimulator }
}
