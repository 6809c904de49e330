/// MAV_RESULT: the outcome in COMMAND_ACK. Open-ended so a newer autopilot's values still decode.
public struct MAVResult: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let accepted = MAVResult(rawValue: 0)
    public static let temporarilyRejected = MAVResult(rawValue: 1)
    public static let denied = MAVResult(rawValue: 2)
    public static let unsupported = MAVResult(rawValue: 3)
    public static let failed = MAVResult(rawValue: 4)
    /// Progress is in COMMAND_ACK.progress; a final ACK follows.
    public static let inProgress = MAVResult(rawValue: 5)
    /// Defined by newer common.xml than pymavlink 2.4.50 ships.
    public static let cancelled = MAVResult(rawValue: 6)
    public static let commandLongOnly = MAVResult(rawValue: 7)
    public static let commandIntOnly = MAVResult(rawValue: 8)
}
