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
/// `feed` and `next` never allocate, checking signatures included (Reins' own SHA-256, see
/// `MAVLinkSignatureHash`). A noise byte that looks like a header makes the decoder wait for up to
/// 280 bytes before it can tell, until `resynchronize()` (see `StreamingDecoder`).
public final class MAVLinkDecoder: StreamingDecoder, @unchecked Sendable {
    public static let mavlink1Magic: UInt8 = 0xFE

    public let messages: MAVLinkMessageTable
    public let signatureVerifier: MAVLinkSignatureVerifier?
    public let input: DecoderInput
    public private(set) var linkCounters = MAVLinkLinkCounters()

    private let scratch: UnsafeMutableRawBufferPointer

    /// - Parameters:
    ///   - receiveCapacity: bytes buffered between drains (at least two maximum frames). Feed at
    ///     most `receiveCapacity - bufferedByteCount` bytes between drains, or the oldest bytes are
    ///     dropped (counted in `overflowBytes`).
    public init(messages: MAVLinkMessageTable = .common, signatureVerifier: MAVLinkSignatureVerifier? = nil,
                receiveCapacity: Int = 4096) {
        self.messages = messages
        self.signatureVerifier = signatureVerifier
        input = DecoderInput(capacity: max(receiveCapacity, 2 * MAVLinkEncoder.maximumFrameLength))
        scratch = .allocate(byteCount: MAVLinkEncoder.maximumFrameLength, alignment: 8)
    }

    deinit { scratch.deallocate() }

    @inline(__always)
    public static func couldStartFrame(_ bytes: UnsafeRawBufferPointer, at position: Int) -> Bool {
        bytes[position] == MAVLinkEncoder.magic || bytes[position] == mavlink1Magic
    }

    public func scanFrame(_ bytes: UnsafeRawBufferPointer) -> FrameScan<MAVLinkFrame> {
        if bytes[0] == Self.mavlink1Magic { return scanMAVLink1Frame(bytes) }
        let available = bytes.count
        guard available >= MAVLinkEncoder.headerLength else { return .needMoreBytes }
        let incompatibilityFlags = bytes[2]
        guard incompatibilityFlags & ~MAVLinkFrameHeader.signedFlag == 0 else { return .malformed }
        let messageID = UInt32(bytes[7]) | UInt32(bytes[8]) << 8 | UInt32(bytes[9]) << 16
        guard let crcExtra = messages.crcExtra(forID: messageID) else {
            linkCounters.unknownMessageIDs += 1
            return .skip(1)
        }
        let payloadLength = Int(bytes[1])
        let isSigned = incompatibilityFlags & MAVLinkFrameHeader.signedFlag != 0
        let crcEnd = MAVLinkEncoder.headerLength + payloadLength + 2
        let frameLength = crcEnd + (isSigned ? MAVLinkEncoder.signatureLength : 0)
        guard available >= frameLength else { return .needMoreBytes }

        let frame = UnsafeRawBufferPointer(rebasing: bytes[0..<frameLength])
        var checksum = MAVLinkChecksum()
        checksum.accumulate(UnsafeRawBufferPointer(rebasing: frame[1..<crcEnd - 2]))
        checksum.accumulate(crcExtra)
        guard checksum.value == UInt16(frame[crcEnd - 2]) | UInt16(frame[crcEnd - 1]) << 8 else { return .checksumMismatch }

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
                // The CRC does not cover the signature block, so it may be the cut-off end of this
                // frame plus the start of the next one: only the checked part is dropped, and the 13
                // bytes are searched again.
                return .skip(crcEnd)
            }
            status = .verified
        case let (verifier?, false):
            guard verifier.allowedUnsignedMessageIDs.contains(messageID) else {
                count(.unsignedNotAllowed)
                return .skip(frameLength)
            }
            status = .unsignedAllowed
        }

        let copy = UnsafeMutableRawBufferPointer(rebasing: scratch[0..<frameLength])
        copy.copyMemory(from: frame)
        let stored = UnsafeRawBufferPointer(copy)
        var signature: MAVLinkSignature?
        if isSigned {
            var timestamp: UInt64 = 0
            for index in 0..<6 { timestamp |= UInt64(stored[crcEnd + 1 + index]) << (8 * UInt64(index)) }
            signature = MAVLinkSignature(linkID: stored[crcEnd], timestamp: timestamp)
        }
        let decoded = MAVLinkFrame(
            header: MAVLinkFrameHeader(bytes: stored),
            payload: UnsafeRawBufferPointer(rebasing: stored[MAVLinkEncoder.headerLength..<crcEnd - 2]),
            bytes: stored, signature: signature, signatureStatus: status)
        return .frame(decoded, length: frameLength)
    }

    /// Copies of every frame available now, for tests and non-real-time code.
    public func drain() -> [MAVLinkOwnedFrame] {
        var frames: [MAVLinkOwnedFrame] = []
        while let frame = next() { frames.append(frame.owned()) }
        return frames
    }

    /// MAVLink 1: `FE LEN SEQ SYS COMP MSGID payload CRC(2)`, CRC with the same CRC_EXTRA. A valid one
    /// is skipped whole and counted; a broken one is noise, so a MAVLink 2 frame inside it survives.
    private func scanMAVLink1Frame(_ bytes: UnsafeRawBufferPointer) -> FrameScan<MAVLinkFrame> {
        let available = bytes.count
        guard available >= 6 else { return .needMoreBytes }
        guard let crcExtra = messages.crcExtra(forID: UInt32(bytes[5])) else { return .skip(1) }
        let frameLength = 6 + Int(bytes[1]) + 2
        guard available >= frameLength else { return .needMoreBytes }
        var checksum = MAVLinkChecksum()
        checksum.accumulate(UnsafeRawBufferPointer(rebasing: bytes[1..<frameLength - 2]))
        checksum.accumulate(crcExtra)
        guard checksum.value == UInt16(bytes[frameLength - 2]) | UInt16(bytes[frameLength - 1]) << 8 else { return .skip(1) }
        linkCounters.mavlink1Frames += 1
        return .skip(frameLength)
    }

    private func count(_ rejection: MAVLinkSignatureRejection) {
        switch rejection {
        case .badSignature: linkCounters.badSignatures += 1
        case .replayedTimestamp: linkCounters.replayedTimestamps += 1
        case .unsignedNotAllowed: linkCounters.unsignedRejected += 1
        }
    }
}
