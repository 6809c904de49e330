/// MAV_RESULT: the outcome in COMMAND_ACK. Open-ended so a newer autopilot's values still decode.
public struct MAVResult: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
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

    /// The common.xml name, e.g. "FAILED".
    public var name: String {
        switch rawValue {
        case 0: return "ACCEPTED"
        case 1: return "TEMPORARILY_REJECTED"
        case 2: return "DENIED"
        case 3: return "UNSUPPORTED"
        case 4: return "FAILED"
        case 5: return "IN_PROGRESS"
        case 6: return "CANCELLED"
        case 7: return "COMMAND_LONG_ONLY"
        case 8: return "COMMAND_INT_ONLY"
        default: return "unknown"
        }
    }

    /// "MAV_RESULT 4 (FAILED)", for messages.
    public var description: String { "MAV_RESULT \(rawValue) (\(name))" }
}
