/// MAV_MODE_FLAG: the HEARTBEAT `base_mode` bits (and DO_SET_MODE param1).
public struct MAVModeFlag: OptionSet, Hashable, Sendable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// `custom_mode` holds the autopilot's own mode (PX4: `PX4CustomMode`).
    public static let customModeEnabled = MAVModeFlag(rawValue: 1)
    public static let testEnabled = MAVModeFlag(rawValue: 2)
    public static let autoEnabled = MAVModeFlag(rawValue: 4)
    public static let guidedEnabled = MAVModeFlag(rawValue: 8)
    public static let stabilizeEnabled = MAVModeFlag(rawValue: 16)
    public static let hardwareInLoopEnabled = MAVModeFlag(rawValue: 32)
    public static let manualInputEnabled = MAVModeFlag(rawValue: 64)
    public static let safetyArmed = MAVModeFlag(rawValue: 128)
}
