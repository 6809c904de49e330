/// What a sender needs to sign frames: the key, its link id, and the current timestamp.
///
/// Replay protection on the receiving side rejects any timestamp not greater than the last one
/// seen from the same (link id, system, component), so the encoder signs with `timestamp` and then
/// adds one: several frames sent within one 10 µs step still carry strictly increasing
/// timestamps. The caller advances it from its clock each tick with `advance(to:)`.
public struct MAVLinkSigningContext: Sendable {
    public let key: MAVLinkSigningKey
    public var linkID: UInt8
    /// The timestamp the next signed frame carries (10 µs units since 2015-01-01).
    public private(set) var timestamp: UInt64

    public init(key: MAVLinkSigningKey, linkID: UInt8, timestamp: UInt64 = 0) throws(MAVLinkError) {
        guard timestamp <= MAVLinkSigningTime.maximum else { throw .signingTimestampOutOfRange(timestamp) }
        self.key = key
        self.linkID = linkID
        self.timestamp = timestamp
    }

    /// Moves the timestamp forward to `now` if that is later; never moves it back.
    public mutating func advance(to now: UInt64) {
        timestamp = max(timestamp, min(now, MAVLinkSigningTime.maximum))
    }

    mutating func takeTimestamp() throws(MAVLinkError) -> UInt64 {
        guard timestamp <= MAVLinkSigningTime.maximum else { throw .signingTimestampOutOfRange(timestamp) }
        defer { timestamp += 1 }
        return timestamp
    }
}
