/// MAV_CMD: the command number of COMMAND_LONG / COMMAND_ACK. Open-ended (any UInt16 decodes);
/// the constants are the commands a Reins driver sends.
public struct MAVCommand: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// param4 yaw (deg, NaN = keep), param5/6 latitude/longitude, param7 altitude.
    public static let navigationLand = MAVCommand(rawValue: 21)
    /// param1 pitch (fixed wing), param4 yaw, param5/6 latitude/longitude, param7 altitude.
    public static let navigationTakeoff = MAVCommand(rawValue: 22)
    /// param1 base mode (MAV_MODE_FLAG), param2 custom main mode, param3 custom sub mode.
    public static let doSetMode = MAVCommand(rawValue: 176)
    /// param1 1 = arm, 0 = disarm; param2 21196 forces it (skips the autopilot's safety checks).
    public static let componentArmDisarm = MAVCommand(rawValue: 400)
    /// param1 message id, param2 interval in microseconds (-1 disables, 0 default rate).
    public static let setMessageInterval = MAVCommand(rawValue: 511)
}
