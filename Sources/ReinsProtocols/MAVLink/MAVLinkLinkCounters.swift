/// MAVLink-specific counts a decoder keeps besides the common `DecoderCounters`.
public struct MAVLinkLinkCounters: Equatable, Sendable {
    /// Valid MAVLink 1 frames (magic 0xFE), skipped whole: Reins speaks MAVLink 2 only.
    public var mavlink1Frames: UInt64 = 0
    /// MAVLink 2 headers whose message id is not in the decoder's table: a message of another
    /// dialect, or noise that looked like a header. Their bytes are scanned again as noise.
    public var unknownMessageIDs: UInt64 = 0
    /// Signed frames whose signature did not match the key.
    public var badSignatures: UInt64 = 0
    /// Signed frames whose timestamp was not newer than their stream's last (replays), or too old
    /// for a new stream.
    public var replayedTimestamps: UInt64 = 0
    /// Unsigned frames dropped because signing is required.
    public var unsignedRejected: UInt64 = 0

    public init() {}
}
