/// One received VESC frame: a view of its payload (command id first) in decoder-owned storage.
///
/// The view is valid only until the next call into the decoder that returned it; decode what is
/// needed (`VESCValues(replyPayload:)`, `VESCCommand(payload:)`) or copy `payloadBytes` first.
public struct VESCFrame {
    public let payload: UnsafeRawBufferPointer

    public var commandID: VESCCommandID { VESCCommandID(rawValue: payload[0]) }

    /// A copy of the payload, for tests and non-real-time code.
    public var payloadBytes: [UInt8] { Array(payload) }
}

/// Finds VESC frames in a byte stream that may split them anywhere and may carry noise.
///
/// On anything that is not a valid frame (bad length, missing end byte, CRC mismatch) the decoder
/// drops only the start byte and searches again from the next byte (see `StreamingDecoder`), so a
/// valid frame that begins inside a broken one is still found.
///
/// One loss is built into the framing: the end byte and the long-frame start byte are both `03`,
/// so a frame that lost only its end byte, followed by a long frame, reads as complete and takes
/// the long frame's start byte (the firmware's parser does the same). The frames after are kept.
/// Noise that looks like a long-frame header holds the frames behind it until `resynchronize()`;
/// the firmware drops such a partial frame after PACKET_RX_TIMEOUT.
public final class VESCFrameDecoder: StreamingDecoder, @unchecked Sendable {
    /// The longest payload accepted; longer claimed lengths are treated as noise.
    public let maximumPayloadLength: Int
    public let input: DecoderInput

    private let scratch: UnsafeMutableRawBufferPointer

    /// - Parameters:
    ///   - maximumPayloadLength: the firmware's PACKET_MAX_PL_LEN (512 in bldc), which it can
    ///     neither send nor accept more of; a longer claimed length is rejected at once instead of
    ///     holding up the frames behind it while the decoder waits for bytes. Keep it below 513
    ///     where possible: then a frame's end byte (`03`) followed by the next frame's `02 LEN`
    ///     never looks like a long-frame header. At most 65535.
    ///   - receiveCapacity: bytes buffered while a frame is incomplete; at least two maximum frames.
    ///     Feed at most `receiveCapacity - bufferedByteCount` bytes between drains, or the oldest
    ///     bytes are dropped (counted in `overflowBytes`).
    public init(maximumPayloadLength: Int = 512, receiveCapacity: Int? = nil) {
        precondition((1...VESCFraming.maximumPayloadLength).contains(maximumPayloadLength),
                     "maximumPayloadLength must be 1...65535")
        self.maximumPayloadLength = maximumPayloadLength
        let maximumFrame = VESCFraming.frameLength(payloadLength: maximumPayloadLength)
        input = DecoderInput(capacity: max(receiveCapacity ?? 0, 2 * maximumFrame))
        scratch = .allocate(byteCount: maximumPayloadLength, alignment: 8)
    }

    deinit { scratch.deallocate() }

    @inline(__always)
    public static func couldStartFrame(_ bytes: UnsafeRawBufferPointer, at position: Int) -> Bool {
        bytes[position] == VESCFraming.shortFrameStart || bytes[position] == VESCFraming.longFrameStart
    }

    public func scanFrame(_ bytes: UnsafeRawBufferPointer) -> FrameScan<VESCFrame> {
        let available = bytes.count
        let isShort = bytes[0] == VESCFraming.shortFrameStart
        let headerLength = isShort ? 2 : 3
        guard available >= headerLength else { return .needMoreBytes }
        let payloadLength = isShort ? Int(bytes[1]) : Int(bytes[1]) << 8 | Int(bytes[2])
        // A payload holds at least the command id, and a long frame is only used when a short
        // one cannot carry the payload, so anything else is noise that looks like a header.
        let lengthIsPossible = payloadLength <= maximumPayloadLength
            && (isShort ? payloadLength >= 1 : payloadLength > 255)
        guard lengthIsPossible else { return .malformed }
        let frameLength = headerLength + payloadLength + 3
        guard available >= frameLength else { return .needMoreBytes }
        guard bytes[frameLength - 1] == VESCFraming.frameEnd else { return .malformed }
        let payload = UnsafeRawBufferPointer(rebasing: bytes[headerLength..<headerLength + payloadLength])
        let receivedCRC = UInt16(bytes[headerLength + payloadLength]) << 8 | UInt16(bytes[headerLength + payloadLength + 1])
        guard VESCChecksum.crc16(payload) == receivedCRC else { return .checksumMismatch }
        let copy = UnsafeMutableRawBufferPointer(rebasing: scratch[0..<payloadLength])
        copy.copyMemory(from: payload)
        return .frame(VESCFrame(payload: UnsafeRawBufferPointer(copy)), length: frameLength)
    }

    /// Copies of every complete frame's payload available now, for tests and non-real-time code.
    public func drainPayloads() -> [[UInt8]] {
        var payloads: [[UInt8]] = []
        while let frame = next() { payloads.append(frame.payloadBytes) }
        return payloads
    }
}
