import ReinsConfig

/// A simulated robot started in this process for a `link: sim` description, serving its real wire
/// protocol on a pty or socket. The runtime only needs where to connect and how to stop it.
public protocol LaunchedSimulator: AnyObject, Sendable {
    /// The link a driver of the robot's kind opens to reach the simulator.
    var driverLink: LinkSpec { get }
    /// The car's pose stream, when the simulator publishes one.
    var localization: LinkSpec? { get }
    /// "Where to connect" lines for people.
    var connectionLines: [String] { get }
    func stop()
}

/// Starts simulators for `link: sim` robots. The executable hands one to the runtime, so the
/// runtime library does not depend on the simulators (and a test can hand in its own).
public protocol SimulatorLauncher: Sendable {
    /// Starts the simulator of `robot`; the error says why it could not.
    func launch(_ robot: RobotDescription) throws -> any LaunchedSimulator
}
