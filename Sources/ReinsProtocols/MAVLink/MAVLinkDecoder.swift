/// Finds MAVLink 2 frames in a byte stream that may split them anywhere, carry noise, MAVLink 1
/// frames or messages of unknown dialects.
///
/// Only frames whose CRC checks out are returned, so every returned frame's message id is in the
/// decoder's `MAVLinkMessageTable` (see there for why unknown ids are treated as noise). On
/// anything that is not a valid frame the decoder drops only the magic byte and searches again
/// from the next byte, so a frame that starts inside a broken one is still found. Valid MAVLink 1
/// frames (0xFE) are checked the same way and skipped whole; a broken one is treated as noise, so
/// a MAVLink 2 frame after or inside it survives.
///
/// With a `MAVLinkSignatureVerifier`, frames that fail signing rules are dropped and counted in
/// `linkCounters`. Without one, signed frames are returned unverified; since the CRC does not
/// cover the signature block, a signed frame cut off inside it then takes up to 13 bytes of the
/// next frame (a limit of the protocol, not of this decoder).
///
/// Storage is allocated once in `init`; `feed` and `next` never allocate, checking signatures
/// included (Reins' own SHA-256, see `MAVLinkSignatureHash`). Every byte fed ends up in
/// exactly one place: a returned frame, `discardedBytes`, `overflowBytes`, or the buffer waiting
/// for the rest of a frame.
public final class MAVLinkDecoder: @unchecked Sendable {
    public static let mavlink1Magic: UInt8 = 0xFE

    public let messages: MAVLinkMessageTable
    public let signatureVerifier: MAVLinkSignatureVerifier?
    public private(set) var counters = DecoderCounters()
    public private(set) var linkCounters = MAVLinkLinkCounters()

    private let buffer: ReceiveBuffer
    private let scratch: UnsafeMutableRawBufferPointer

    /// - Parameters:
    ///   - receiveCapacity: bytes buffered between drains (at least two maximum frames). Feed at
    ///     most `receiveCapacity - bufferedByteCount` bytes between drains, or the oldest bytes are
    ///     dropped (counted in `overflowBytes`).
    public init(messages: MAVLinkMessageTable = .common, signatureVerifier: MAVLinkSignatureVerifier? = nil,
                receiveCapacity: Int = 4096) {
        self.messages = messages
        self.signatureVerifier = signatureVerifier
        buffer = ReceiveBuffer(capacity: max(receiveCapacity, 2 * MAVLinkEncoder.maximumFrameLength))
        scratch = .allocate(byteCount: MAVLinkEncoder.maximumFrameLength, alignment: 8)
    }

    deinit { scratch.deallocate() }

    public var bufferedByteCount: Int { buffer.count }

    public func feed(_ bytes: UnsafeRawBufferPointer) {
        counters.overflowBytes += UInt64(buffer.append(bytes))
    }

    public func feed(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { feed($0) }
    }

    /// The next valid frame, or nil when more bytes are needed.
    public func next() -> MAVLinkFrame? {
        while true {
            let readable = buffer.readable
            var start = 0
            while start < readable.count && readable[start] != MAVLinkEncoder.magic
                && readable[start] != Self.mavlink1Magic {
                start += 1
            }
            discard(start)
            guard !buffer.isEmpty else { return nil }

            if buffer[0] == Self.mavlink1Magic {
                switch skipMAVLink1Frame() {
                case .needMoreBytes: return nil
                case .handled: continue
                }
            }

            let available = buffer.count
            guard available >= MAVLinkEncoder.headerLength else { return nil }
            let incompatibilityFlags = buffer[2]
            guard incompatibilityFlags & ~MAVLinkFrameHeader.signedFlag == 0 else {
                counters.malformedFrames += 1
                discard(1)
                continue
            }
            let messageID = UInt32(buffer[7]) | UInt32(buffer[8]) << 8 | UInt32(buffer[9]) << 16
            guard let crcExtra = messages.crcExtra(forID: messageID) else {
                linkCounters.unknownMessageIDs += 1
                discard(1)
                continue
            }
            let payloadLength = Int(buffer[1])
            let isSigned = incompatibilityFlags & MAVLinkFrameHeader.signedFlag != 0
            let crcEnd = MAVLinkEncoder.headerLength + payloadLength + 2
            let frameLength = crcEnd + (isSigned ? MAVLinkEncoder.signatureLength : 0)
            guard available >= frameLength else { return nil }

            let frame = UnsafeRawBufferPointer(rebasing: buffer.readable[0..<frameLength])
            var checksum = MAVLinkChecksum()
            checksum.accumulate(UnsafeRawBufferPointer(rebasing: frame[1..<crcEnd - 2]))
            checksum.accumulate(crcExtra)
            guard checksum.value == UInt16(frame[crcEnd - 2]) | UInt16(frame[crcEnd - 1]) << 8 else {
                counters.checksumErrors += 1
                discard(1)
                continue
            }

            let systemID = frame[5], componentID = frame[6]
            let status: MAVLinkSignatureStatus
            switch (signatureVerifier, isSigned) {
            case (nil, false):
                status = .unsigned
            case (nil, true):
                status = .notVerified
            case let (verifier?, true):
                if let rejection = verifier.check(signedFrame: frame, systemID: systemID, componentID: componentID) {
                    count(rejection)
                    // The CRC does not cover the signature block, so it may be the cut-off end of
                    // this frame plus the start of the next one: only the checked part is dropped,
                    // and the 13 bytes are searched again.
                    discard(crcEnd)
                    continue
                }
                status = .verified
            case let (verifier?, false):
                guard verifier.allowedUnsignedMessageIDs.contains(messageID) else {
                    count(.unsignedNotAllowed)
                    discard(frameLength)
                    continue
                }
                status = .unsignedAllowed
            }

            let copy = UnsafeMutableRawBufferPointer(rebasing: scratch[0..<frameLength])
            copy.copyMemory(from: frame)
            buffer.consume(frameLength)
            counters.frames += 1
            let bytes = UnsafeRawBufferPointer(copy)
            var signature: MAVLinkSignature?
            if isSigned {
                var timestamp: UInt64 = 0
                for index in 0..<6 { timestamp |= UInt64(bytes[crcEnd + 1 + index]) << (8 * UInt64(index)) }
                signature = MAVLinkSignature(linkID: bytes[crcEnd], timestamp: timestamp)
            }
            return MAVLinkFrame(
                header: MAVLinkFrameHeader(bytes: bytes),
                payload: UnsafeRawBufferPointer(rebasing: bytes[MAVLinkEncoder.headerLength..<crcEnd - 2]),
                bytes: bytes, signature: signature, signatureStatus: status)
        }
    }

    /// Copies of every frame available now, for tests and non-real-time code.
    public func drain() -> [MAVLinkOwnedFrame] {
        var frames: [MAVLinkOwnedFrame] = []
        while let frame = next() { frames.append(frame.owned()) }
        return frames
    }

    /// Gives up on the incomplete frame at the front of the buffer: its magic byte is discarded
    /// (counted as malformed) and the bytes after it are searched again. Returns false when no
    /// frame was waiting.
    ///
    /// A noise byte that looks like a header makes the decoder wait for up to 280 bytes before it
    /// can tell. The codec has no clock, so the driver calls this when a frame has stayed
    /// incomplete longer than the link needs to deliver one.
    @discardableResult
    public func abandonIncompleteFrame() -> Bool {
        guard !buffer.isEmpty, buffer[0] == MAVLinkEncoder.magic || buffer[0] == Self.mavlink1Magic else { return false }
        counters.malformedFrames += 1
        discard(1)
        return true
    }

    /// Forgets buffered bytes (after reopening a port, say); counters are kept.
    public func reset() {
        buffer.reset()
    }

    private enum MAVLink1Outcome {
        case needMoreBytes
        case handled
    }

    /// MAVLink 1: `FE LEN SEQ SYS COMP MSGID payload CRC(2)`, CRC with the same CRC_EXTRA.
    private func skipMAVLink1Frame() -> MAVLink1Outcome {
        let available = buffer.count
        guard available >= 6 else { return .needMoreBytes }
        guard let crcExtra = messages.crcExtra(forID: UInt32(buffer[5])) else {
            discard(1)
            return .handled
        }
        let frameLength = 6 + Int(buffer[1]) + 2
        guard available >= frameLength else { return .needMoreBytes }
        let frame = UnsafeRawBufferPointer(rebasing: buffer.readable[0..<frameLength])
        var checksum = MAVLinkChecksum()
        checksum.accumulate(UnsafeRawBufferPointer(rebasing: frame[1..<frameLength - 2]))
        checksum.accumulate(crcExtra)
        guard checksum.value == UInt16(frame[frameLength - 2]) | UInt16(frame[frameLength - 1]) << 8 else {
            discard(1)
            return .handled
        }
        linkCounters.mavlink1Frames += 1
        discard(frameLength)
        return .handled
    }

    private func count(_ rejection: MAVLinkSignatureRejection) {
        switch rejection {
        case .badSignature: linkCounters.badSignatures += 1
        case .replayedTimestamp: linkCounters.replayedTimestamps += 1
        case .unsignedNotAllowed: linkCounters.unsignedRejected += 1
        }
    }

    private func discard(_ count: Int) {
        guard count > 0 else { return }
        buffer.consume(count)
        counters.discardedBytes += UInt64(count)
    }
}
