/// A failure a user can act on, raised on the way to a device or by the device itself (opening a link,
/// starting a simulator, connecting and configuring a driver): it names the device (and the register,
/// message or file concerned), says what went wrong, and what to do about it.
public struct DeviceError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The port, address, bus or robot, as the user would recognise it.
    public var device: String
    public var problem: String
    public var suggestion: String?
    /// What could not be done to the device, said before it: "cannot open" reads
    /// `cannot open /dev/ttyUSB0: no such device`. Nil when the message starts with the device, as a
    /// driver's do (its caller already says "cannot connect").
    public var failedAction: String?

    public init(device: String, problem: String, suggestion: String? = nil, failedAction: String? = nil) {
        self.device = device
        self.problem = problem
        self.suggestion = suggestion
        self.failedAction = failedAction
    }

    public var description: String {
        (failedAction.map { "\($0) " } ?? "") + "\(device): \(problem)" + (suggestion.map { "; \($0)" } ?? "")
    }
}
