/// What a decoder concluded about a returned frame's signature.
public enum MAVLinkSignatureStatus: Equatable, Sendable {
    /// No signature, and the decoder does not require one.
    case unsigned
    /// Signed, but the decoder has no key to check it with.
    case notVerified
    /// The signature matches the key and its timestamp is newer than any before on its stream.
    case verified
    /// No signature, but signing is required and this message id is on the verifier's
    /// allowed-unsigned list.
    case unsignedAllowed
}

/// Why a frame was refused by signature checking (counted, never returned).
public enum MAVLinkSignatureRejection: Equatable, Sendable {
    case badSignature
    /// Timestamp not newer than the last accepted one on the same stream, or a new stream whose
    /// first timestamp is more than a minute behind the verifier's time.
    case replayedTimestamp
    case unsignedNotAllowed
}

/// Checks signatures on received frames when a link requires signing.
///
/// Replay protection follows the MAVLink spec: each (link id, system id, component id) is a
/// stream, and a frame is accepted only if its timestamp is greater than the last accepted one on
/// that stream; a stream seen for the first time must not be more than a minute behind the
/// verifier's `currentTimestamp` (the newest accepted timestamp, or the caller's clock via
/// `advance(to:)`). Streams are only recorded after the signature is verified, so forged frames
/// cannot push a stream's timestamp forward.
///
/// The stream table has a fixed capacity (allocated in `init`); when it is full the stream with
/// the oldest timestamp is forgotten, and the new-stream rule then still bounds replays of it.
///
/// Unsigned frames are rejected, except for the message ids in `allowedUnsignedMessageIDs`, a
/// small opt-in list (RADIO_STATUS, 109, for example, is injected unsigned by SiK radios).
public final class MAVLinkSignatureVerifier: @unchecked Sendable {
    private struct Stream {
        var linkID: UInt8
        var systemID: UInt8
        var componentID: UInt8
        var timestamp: UInt64
    }

    public let key: MAVLinkSigningKey
    public let allowedUnsignedMessageIDs: Set<UInt32>
    public let streamCapacity: Int
    public private(set) var currentTimestamp: UInt64
    private var streams: [Stream]

    public init(key: MAVLinkSigningKey, allowedUnsignedMessageIDs: Set<UInt32> = [], streamCapacity: Int = 32,
                currentTimestamp: UInt64 = 0) {
        precondition(streamCapacity >= 1, "streamCapacity must be at least 1")
        self.key = key
        self.allowedUnsignedMessageIDs = allowedUnsignedMessageIDs
        self.streamCapacity = streamCapacity
        self.currentTimestamp = currentTimestamp
        streams = []
        streams.reserveCapacity(streamCapacity)
    }

    /// Moves the verifier's notion of now forward (10 µs units since 2015-01-01).
    public func advance(to now: UInt64) {
        currentTimestamp = max(currentTimestamp, now)
    }

    /// The last accepted timestamp of a stream, if it is known.
    public func lastTimestamp(linkID: UInt8, systemID: UInt8, componentID: UInt8) -> UInt64? {
        streamIndex(linkID: linkID, systemID: systemID, componentID: componentID).map { streams[$0].timestamp }
    }

    /// Checks a signed frame (`frame` is the whole frame including its 13-byte signature block).
    func check(signedFrame frame: UnsafeRawBufferPointer, systemID: UInt8, componentID: UInt8)
        -> MAVLinkSignatureRejection? {
        let blockStart = frame.count - 13
        let linkID = frame[blockStart]
        var timestamp: UInt64 = 0
        for index in 0..<6 { timestamp |= UInt64(frame[blockStart + 1 + index]) << (8 * UInt64(index)) }
        var received: UInt64 = 0
        for index in 0..<6 { received |= UInt64(frame[blockStart + 7 + index]) << (8 * UInt64(index)) }

        let known = streamIndex(linkID: linkID, systemID: systemID, componentID: componentID)
        if let known {
            guard timestamp > streams[known].timestamp else { return .replayedTimestamp }
        } else if timestamp + MAVLinkSigningTime.newStreamWindow < currentTimestamp {
            return .replayedTimestamp
        }
        let expected = MAVLinkSignatureHash.compute(
            key: key, signedBytes: UnsafeRawBufferPointer(rebasing: frame[0..<blockStart + 7]))
        guard expected == received else { return .badSignature }

        if let known {
            streams[known].timestamp = timestamp
        } else {
            record(Stream(linkID: linkID, systemID: systemID, componentID: componentID, timestamp: timestamp))
        }
        currentTimestamp = max(currentTimestamp, timestamp)
        return nil
    }

    private func streamIndex(linkID: UInt8, systemID: UInt8, componentID: UInt8) -> Int? {
        // A plain loop: a capturing predicate closure allocates a context in unoptimised builds.
        for index in streams.indices
        where streams[index].linkID == linkID && streams[index].systemID == systemID
            && streams[index].componentID == componentID {
            return index
        }
        return nil
    }

    private func record(_ stream: Stream) {
        if streams.count < streamCapacity {
            streams.append(stream)
            return
        }
        var oldest = 0
        for index in streams.indices where streams[index].timestamp < streams[oldest].timestamp { oldest = index }
        streams[oldest] = stream
    }
}
