/// MAV_AUTOPILOT: the flight stack of the system sending a HEARTBEAT.
public struct MAVAutopilot: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let generic = MAVAutopilot(rawValue: 0)
    public static let ardupilot = MAVAutopilot(rawValue: 3)
    /// Not a flight controller (a GCS or companion computer); autopilots ignore its mode fields.
    public static let invalid = MAVAutopilot(rawValue: 8)
    public static let px4 = MAVAutopilot(rawValue: 12)
}
