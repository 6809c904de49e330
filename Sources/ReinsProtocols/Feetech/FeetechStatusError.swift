/// The error byte of a Feetech reply: conditions the servo reports. Several can be set at once.
public struct FeetechStatusError: OptionSet, Error, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: UInt8

    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let voltage = FeetechStatusError(rawValue: 1)
    public static let angleSensor = FeetechStatusError(rawValue: 2)
    public static let overheat = FeetechStatusError(rawValue: 4)
    public static let overCurrent = FeetechStatusError(rawValue: 8)
    public static let overload = FeetechStatusError(rawValue: 32)

    private static let names: [(FeetechStatusError, String)] = [
        (.voltage, "input voltage out of range"),
        (.angleSensor, "angle sensor fault"),
        (.overheat, "overheating"),
        (.overCurrent, "over-current"),
        (.overload, "overload"),
    ]

    public var description: String {
        if rawValue == 0 { return "no error" }
        var parts = Self.names.filter { contains($0.0) }.map(\.1)
        let unknown = rawValue & ~Self.names.reduce(0) { $0 | $1.0.rawValue }
        for bit in 0..<8 where unknown & (1 << bit) != 0 {
            parts.append("unknown bit \(bit)")
        }
        return parts.joined(separator: ", ")
    }
}
