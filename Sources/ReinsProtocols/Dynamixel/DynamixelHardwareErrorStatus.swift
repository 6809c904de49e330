/// The Hardware Error Status register (X-series address 70) that the alert bit of a status packet
/// points to. The device keeps these latched, with torque off, until a REBOOT.
public struct DynamixelHardwareErrorStatus: OptionSet, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: UInt8

    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let inputVoltage = DynamixelHardwareErrorStatus(rawValue: 1 << 0)
    public static let overheating = DynamixelHardwareErrorStatus(rawValue: 1 << 2)
    public static let motorEncoder = DynamixelHardwareErrorStatus(rawValue: 1 << 3)
    public static let electricalShock = DynamixelHardwareErrorStatus(rawValue: 1 << 4)
    public static let overload = DynamixelHardwareErrorStatus(rawValue: 1 << 5)

    private static let names: [(DynamixelHardwareErrorStatus, String)] = [
        (.inputVoltage, "input voltage out of range"),
        (.overheating, "overheating"),
        (.motorEncoder, "motor encoder fault"),
        (.electricalShock, "electrical shock or insufficient power"),
        (.overload, "overload"),
    ]

    public var description: String {
        if rawValue == 0 { return "no hardware error" }
        var parts = Self.names.filter { contains($0.0) }.map(\.1)
        let unknown = rawValue & ~Self.names.reduce(0) { $0 | $1.0.rawValue }
        for bit in 0..<8 where unknown & (1 << bit) != 0 {
            parts.append("unknown bit \(bit)")
        }
        return parts.joined(separator: ", ")
    }
}
