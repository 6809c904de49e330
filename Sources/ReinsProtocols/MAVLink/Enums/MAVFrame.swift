/// MAV_FRAME: the coordinate frame of a setpoint (`coordinate_frame` fields).
public struct MAVFrame: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// North-east-down from the vehicle's local origin.
    public static let localNED = MAVFrame(rawValue: 1)
    public static let localOffsetNED = MAVFrame(rawValue: 7)
    /// NED axes, origin at the vehicle (PX4: velocities in the body's heading frame).
    public static let bodyNED = MAVFrame(rawValue: 8)
    public static let bodyOffsetNED = MAVFrame(rawValue: 9)
    public static let bodyFRD = MAVFrame(rawValue: 12)
    public static let localFRD = MAVFrame(rawValue: 20)
    public static let localFLU = MAVFrame(rawValue: 21)
}
