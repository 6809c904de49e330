/// Why a MAVLink frame could not be encoded, or a signing setting is unusable. (Received bytes
/// never throw: the decoder skips what is not a valid frame and counts it.)
public enum MAVLinkError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The output writer has fewer free bytes than the frame needs.
    case writerFull(needed: Int, available: Int)
    /// MAVLink 2 payloads are at most 255 bytes (one length byte).
    case payloadTooLong(length: Int)
    /// Message ids are 24 bits on the wire.
    case messageIDOutOfRange(UInt32)
    /// Signing keys are exactly 32 bytes.
    case signingKeyLength(Int)
    /// Signing timestamps are 48 bits (10 µs units since 2015-01-01, good until the year 2104).
    case signingTimestampOutOfRange(UInt64)

    public var description: String {
        switch self {
        case let .writerFull(needed, available):
            "MAVLink frame needs \(needed) bytes but the writer has \(available) free; use a larger ByteWriter (280 bytes fits any frame) or reset it"
        case let .payloadTooLong(length):
            "MAVLink payload of \(length) bytes: the length byte allows at most 255"
        case let .messageIDOutOfRange(id):
            "MAVLink message id \(id) does not fit the 24-bit id field (0...16777215)"
        case let .signingKeyLength(count):
            "MAVLink signing key has \(count) bytes; it must be exactly 32 (or use MAVLinkSigningKey(passphrase:))"
        case let .signingTimestampOutOfRange(timestamp):
            "MAVLink signing timestamp \(timestamp) does not fit 48 bits; it counts 10 µs units since 2015-01-01"
        }
    }
}
