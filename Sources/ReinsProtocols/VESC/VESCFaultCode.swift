/// `mc_fault_code` from the firmware's datatypes.h, as reported in the GET_VALUES reply.
/// Open-ended: newer firmware adds codes, and any byte must decode.
public struct VESCFaultCode: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let none = VESCFaultCode(rawValue: 0)
    public static let overVoltage = VESCFaultCode(rawValue: 1)
    public static let underVoltage = VESCFaultCode(rawValue: 2)
    public static let driver = VESCFaultCode(rawValue: 3)
    public static let absoluteOverCurrent = VESCFaultCode(rawValue: 4)
    public static let overTemperatureFET = VESCFaultCode(rawValue: 5)
    public static let overTemperatureMotor = VESCFaultCode(rawValue: 6)
}

/// The status byte at the end of a current-firmware GET_VALUES reply.
public struct VESCStatusFlags: OptionSet, Hashable, Sendable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// The command timeout fired: no SET_* or ALIVE within APPCONF_TIMEOUT_MSEC, motor released.
    public static let commandTimedOut = VESCStatusFlags(rawValue: 1 << 0)
    public static let killSwitchActive = VESCStatusFlags(rawValue: 1 << 1)
}
