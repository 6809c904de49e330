/// The first payload byte of every VESC frame (`COMM_PACKET_ID` in the firmware's datatypes.h).
///
/// A struct rather than an enum because the firmware defines well over a hundred ids and a decoder
/// must be able to report any of them; the constants are the ones Reins speaks.
public struct VESCCommandID: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let firmwareVersion = VESCCommandID(rawValue: 0)
    public static let getValues = VESCCommandID(rawValue: 4)
    public static let setDuty = VESCCommandID(rawValue: 5)
    public static let setCurrent = VESCCommandID(rawValue: 6)
    public static let setCurrentBrake = VESCCommandID(rawValue: 7)
    public static let setRPM = VESCCommandID(rawValue: 8)
    public static let setPosition = VESCCommandID(rawValue: 9)
    public static let setServoPosition = VESCCommandID(rawValue: 12)
    public static let reboot = VESCCommandID(rawValue: 29)
    public static let alive = VESCCommandID(rawValue: 30)
    public static let getValuesSelective = VESCCommandID(rawValue: 50)

    public var description: String {
        switch self {
        case .firmwareVersion: "COMM_FW_VERSION (0)"
        case .getValues: "COMM_GET_VALUES (4)"
        case .setDuty: "COMM_SET_DUTY (5)"
        case .setCurrent: "COMM_SET_CURRENT (6)"
        case .setCurrentBrake: "COMM_SET_CURRENT_BRAKE (7)"
        case .setRPM: "COMM_SET_RPM (8)"
        case .setPosition: "COMM_SET_POS (9)"
        case .setServoPosition: "COMM_SET_SERVO_POS (12)"
        case .reboot: "COMM_REBOOT (29)"
        case .alive: "COMM_ALIVE (30)"
        case .getValuesSelective: "COMM_GET_VALUES_SELECTIVE (50)"
        default: "command id \(rawValue)"
        }
    }
}
