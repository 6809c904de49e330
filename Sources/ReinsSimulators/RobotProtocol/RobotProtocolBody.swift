import ReinsProtocols

/// A simulated robot as the Reins robot protocol sees it: named state values out, action values in.
public protocol RobotProtocolBody: AnyObject {
    var layout: RobotLayout { get }
    /// Writes the state values (layout order) and returns the STATE flags.
    func readState(into values: UnsafeMutableBufferPointer<Double>) -> RobotMessage.Flags
    /// Applies an ACTION received at simulated time `time`.
    func apply(action values: UnsafeBufferPointer<Double>, flags: RobotMessage.Flags, at time: Double)
    func step(_ dt: Double, at time: Double)
}
