/// Which `VESCValues` fields a COMM_GET_VALUES_SELECTIVE request asks for; bit n is the n-th field
/// of the full COMM_GET_VALUES reply (the firmware uses one mask for both).
public struct VESCValueMask: OptionSet, Hashable, Sendable {
    public var rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let fetTemperature = VESCValueMask(rawValue: 1 << 0)
    public static let motorTemperature = VESCValueMask(rawValue: 1 << 1)
    public static let motorCurrent = VESCValueMask(rawValue: 1 << 2)
    public static let inputCurrent = VESCValueMask(rawValue: 1 << 3)
    public static let directAxisCurrent = VESCValueMask(rawValue: 1 << 4)
    public static let quadratureAxisCurrent = VESCValueMask(rawValue: 1 << 5)
    public static let dutyCycle = VESCValueMask(rawValue: 1 << 6)
    public static let electricalRPM = VESCValueMask(rawValue: 1 << 7)
    public static let inputVoltage = VESCValueMask(rawValue: 1 << 8)
    public static let ampereHoursDrawn = VESCValueMask(rawValue: 1 << 9)
    public static let ampereHoursCharged = VESCValueMask(rawValue: 1 << 10)
    public static let wattHoursDrawn = VESCValueMask(rawValue: 1 << 11)
    public static let wattHoursCharged = VESCValueMask(rawValue: 1 << 12)
    public static let tachometer = VESCValueMask(rawValue: 1 << 13)
    public static let tachometerAbsolute = VESCValueMask(rawValue: 1 << 14)
    public static let fault = VESCValueMask(rawValue: 1 << 15)
    public static let pidPosition = VESCValueMask(rawValue: 1 << 16)
    public static let controllerID = VESCValueMask(rawValue: 1 << 17)
    /// The three MOSFET temperatures travel together under one bit.
    public static let mosfetTemperatures = VESCValueMask(rawValue: 1 << 18)
    public static let directAxisVoltage = VESCValueMask(rawValue: 1 << 19)
    public static let quadratureAxisVoltage = VESCValueMask(rawValue: 1 << 20)
    public static let status = VESCValueMask(rawValue: 1 << 21)

    /// Every field current firmware knows (bits 0...21).
    public static let all = VESCValueMask(rawValue: (1 << 22) - 1)
}
