/// MAV_STATE: a system's overall state in its HEARTBEAT.
public struct MAVState: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let uninitialized = MAVState(rawValue: 0)
    public static let boot = MAVState(rawValue: 1)
    public static let calibrating = MAVState(rawValue: 2)
    public static let standby = MAVState(rawValue: 3)
    public static let active = MAVState(rawValue: 4)
    public static let critical = MAVState(rawValue: 5)
    public static let emergency = MAVState(rawValue: 6)
    public static let powerOff = MAVState(rawValue: 7)
    public static let flightTermination = MAVState(rawValue: 8)
}
