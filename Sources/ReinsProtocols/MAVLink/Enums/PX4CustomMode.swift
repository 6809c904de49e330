/// PX4's flight mode as carried in HEARTBEAT `custom_mode` (and set with DO_SET_MODE): main mode
/// in bits 16...23, sub mode in bits 24...31 (px4_custom_mode.h). Bits 0...15 are unused.
public struct PX4CustomMode: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public init(mainMode: PX4MainMode, subMode: UInt8 = 0) {
        rawValue = UInt32(mainMode.rawValue) << 16 | UInt32(subMode) << 24
    }

    public var mainMode: PX4MainMode { PX4MainMode(rawValue: UInt8(truncatingIfNeeded: rawValue >> 16)) }
    public var subMode: UInt8 { UInt8(truncatingIfNeeded: rawValue >> 24) }

    public static let manual = PX4CustomMode(mainMode: .manual)
    public static let altitudeControl = PX4CustomMode(mainMode: .altitudeControl)
    public static let positionControl = PX4CustomMode(mainMode: .positionControl)
    public static let acro = PX4CustomMode(mainMode: .acro)
    /// The mode an external controller streams setpoints in (heartbeat custom_mode 0x00060000).
    public static let offboard = PX4CustomMode(mainMode: .offboard)
    public static let stabilized = PX4CustomMode(mainMode: .stabilized)
    public static let autoTakeoff = PX4CustomMode(mainMode: .auto, subMode: PX4AutoSubMode.takeoff.rawValue)
    public static let autoLoiter = PX4CustomMode(mainMode: .auto, subMode: PX4AutoSubMode.loiter.rawValue)
    public static let autoMission = PX4CustomMode(mainMode: .auto, subMode: PX4AutoSubMode.mission.rawValue)
    public static let autoReturnToLaunch = PX4CustomMode(mainMode: .auto, subMode: PX4AutoSubMode.returnToLaunch.rawValue)
    public static let autoLand = PX4CustomMode(mainMode: .auto, subMode: PX4AutoSubMode.land.rawValue)
}

/// PX4_CUSTOM_MAIN_MODE.
public struct PX4MainMode: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let manual = PX4MainMode(rawValue: 1)
    public static let altitudeControl = PX4MainMode(rawValue: 2)
    public static let positionControl = PX4MainMode(rawValue: 3)
    public static let auto = PX4MainMode(rawValue: 4)
    public static let acro = PX4MainMode(rawValue: 5)
    public static let offboard = PX4MainMode(rawValue: 6)
    public static let stabilized = PX4MainMode(rawValue: 7)
}

/// PX4_CUSTOM_SUB_MODE_AUTO: the sub mode when the main mode is `.auto`.
public struct PX4AutoSubMode: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let takeoff = PX4AutoSubMode(rawValue: 2)
    public static let loiter = PX4AutoSubMode(rawValue: 3)
    public static let mission = PX4AutoSubMode(rawValue: 4)
    public static let returnToLaunch = PX4AutoSubMode(rawValue: 5)
    public static let land = PX4AutoSubMode(rawValue: 6)
}
