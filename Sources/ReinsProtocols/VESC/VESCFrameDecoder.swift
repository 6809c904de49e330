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
/// Storage is allocated once in `init`, so `feed` and `next` never allocate. On anything that is
/// not a valid frame (bad length, missing end byte, CRC mismatch) the decoder drops only the start
/// byte and searches again from the next byte, so a valid frame that begins inside a broken one is
/// still found. Every byte fed ends up in exactly one place: a returned frame, `discardedBytes`,
/// `overflowBytes`, or the buffer still waiting for the rest of a frame.
///
/// One loss is built into the framing: the end byte and the long-frame start byte are both `03`,
/// so a frame that lost only its end byte, followed by a long frame, reads as complete and takes
/// the long frame's start byte (the firmware's parser does the same). The frames after are kept.
public final class VESCFrameDecoder: @unchecked Sendable {
    /// The longest payload accepted; longer claimed lengths are treated as noise.
    public let maximumPayloadLength: Int
    public private(set) var counters = DecoderCounters()

    private let buffer: ReceiveBuffer
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
        buffer = ReceiveBuffer(capacity: max(receiveCapacity ?? 0, 2 * maximumFrame))
        scratch = .allocate(byteCount: maximumPayloadLength, alignment: 8)
    }

    deinit { scratch.deallocate() }

    /// Bytes received but not yet returned or discarded (the start of an incomplete frame).
    public var bufferedByteCount: Int { buffer.count }

    public func feed(_ bytes: UnsafeRawBufferPointer) {
        counters.overflowBytes += UInt64(buffer.append(bytes))
    }

    public func feed(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { feed($0) }
    }

    /// The next complete, valid frame, or nil when more bytes are needed.
    public func next() -> VESCFrame? {
        while true {
            let readable = buffer.readable
            // Skip to the next possible start byte.
            var start = 0
            while start < readable.count && readable[start] != VESCFraming.shortFrameStart
                && readable[start] != VESCFraming.longFrameStart {
                start += 1
            }
            discard(start)
            let available = buffer.count
            guard available > 0 else { return nil }

            let isShort = buffer[0] == VESCFraming.shortFrameStart
            let headerLength = isShort ? 2 : 3
            guard available >= headerLength else { return nil }
            let payloadLength = isShort ? Int(buffer[1]) : Int(buffer[1]) << 8 | Int(buffer[2])
            // A payload holds at least the command id, and a long frame is only used when a short
            // one cannot carry the payload, so anything else is noise that looks like a header.
            let lengthIsPossible = payloadLength <= maximumPayloadLength
                && (isShort ? payloadLength >= 1 : payloadLength > 255)
            guard lengthIsPossible else {
                counters.malformedFrames += 1
                discard(1)
                continue
            }
            let frameLength = headerLength + payloadLength + 3
            guard available >= frameLength else { return nil }
            guard buffer[frameLength - 1] == VESCFraming.frameEnd else {
                counters.malformedFrames += 1
                discard(1)
                continue
            }
            let frame = buffer.readable
            let payload = UnsafeRawBufferPointer(rebasing: frame[headerLength..<headerLength + payloadLength])
            let receivedCRC = UInt16(frame[headerLength + payloadLength]) << 8 | UInt16(frame[headerLength + payloadLength + 1])
            guard VESCChecksum.crc16(payload) == receivedCRC else {
                counters.checksumErrors += 1
                discard(1)
                continue
            }
            let copy = UnsafeMutableRawBufferPointer(rebasing: scratch[0..<payloadLength])
            copy.copyMemory(from: payload)
            buffer.consume(frameLength)
            counters.frames += 1
            return VESCFrame(payload: UnsafeRawBufferPointer(copy))
        }
    }

    /// Copies of every complete frame's payload available now, for tests and non-real-time code.
    public func drainPayloads() -> [[UInt8]] {
        var payloads: [[UInt8]] = []
        while let frame = next() { payloads.append(frame.payloadBytes) }
        return payloads
    }

    /// Gives up on the incomplete frame at the front of the buffer: its start byte is discarded
    /// (counted as malformed) and the bytes after it are searched again. Returns false when no
    /// frame was waiting.
    ///
    /// A noise byte that looks like a header with a long length makes the decoder wait for that
    /// many bytes before it can tell; the firmware drops such a partial frame after
    /// PACKET_RX_TIMEOUT. The codec has no clock, so the driver calls this when a frame has stayed
    /// incomplete longer than the link needs to deliver one.
    @discardableResult
    public func abandonIncompleteFrame() -> Bool {
        guard !buffer.isEmpty, buffer[0] == VESCFraming.shortFrameStart || buffer[0] == VESCFraming.longFrameStart else {
            return false
        }
        counters.malformedFrames += 1
        discard(1)
        return true
    }

    /// Forgets buffered bytes (after reopening a port, say); counters are kept.
    public func reset() {
        buffer.reset()
    }

    private func discard(_ count: Int) {
        guard count > 0 else { return }
        buffer.consume(count)
        counters.discardedBytes += UInt64(count)
    }
}
