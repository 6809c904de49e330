/// Finds Dynamixel Protocol 2.0 packets (instructions and status replies) in a stream of bytes.
///
/// Feed whatever the link delivers, in pieces of any size, then call `next()` until it returns nil.
/// The decoder checks the header, the ID, the length (against `maximumFrameLength`), the
/// instruction byte and the CRC; anything that fails is skipped one byte at a time, so a valid
/// packet right behind garbage, a truncated packet or a corrupted one is still found. Every skipped
/// byte and rejected frame is counted in `counters`.
///
/// Real-time: all storage is allocated in `init`; `feed` and `next` never allocate. Returned packets
/// are views into this decoder's storage, valid until the next call into it. Use from one thread at a time.
public final class DynamixelDecoder: @unchecked Sendable {
    /// The longest frame accepted, header to CRC. A corrupted length field can make the decoder wait
    /// for this many bytes, so set it to the longest reply the bus can produce.
    public let maximumFrameLength: Int
    public private(set) var counters = DecoderCounters()

    private let buffer: ReceiveBuffer
    private let frameStorage: UnsafeMutableRawPointer
    private let parameterStorage: UnsafeMutableRawPointer

    /// Header (4) + ID + LEN (2) + INST + CRC (2).
    public static let minimumFrameLength = 10

    /// - Parameters:
    ///   - maximumFrameLength: longest frame accepted; 1024 bytes by default, the size of the vendor
    ///     SDK's packet buffers.
    ///   - bufferCapacity: bytes held between `feed` and `next`; by default four maximum frames.
    ///     Bytes that do not fit push out the oldest (counted in `counters.overflowBytes`).
    public init(maximumFrameLength: Int = 1024, bufferCapacity: Int? = nil) {
        precondition(maximumFrameLength >= Self.minimumFrameLength,
                     "maximumFrameLength must be at least \(Self.minimumFrameLength) bytes")
        self.maximumFrameLength = maximumFrameLength
        buffer = ReceiveBuffer(capacity: max(bufferCapacity ?? 4 * maximumFrameLength, maximumFrameLength))
        frameStorage = .allocate(byteCount: maximumFrameLength, alignment: 1)
        parameterStorage = .allocate(byteCount: maximumFrameLength, alignment: 1)
    }

    deinit {
        frameStorage.deallocate()
        parameterStorage.deallocate()
    }

    /// Bytes received but not yet returned or skipped (a partial frame, typically).
    public var bufferedByteCount: Int { buffer.count }

    public func feed(_ bytes: UnsafeRawBufferPointer) {
        counters.overflowBytes += UInt64(buffer.append(bytes))
    }

    public func feed(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { feed($0) }
    }

    /// The next complete, valid packet, or nil when more bytes are needed.
    public func next() -> DynamixelPacket? {
        while true {
            skipToHeaderCandidate()
            let available = buffer.count
            guard available >= DynamixelFrameWriter.prefixLength else { return nil }
            let id = buffer[4]
            let length = Int(buffer[5]) | Int(buffer[6]) << 8
            let frameLength = DynamixelFrameWriter.prefixLength + length
            // Checked before waiting for the body, so a corrupted header is dropped at once
            // instead of holding back the packets behind it.
            guard DynamixelDeviceID.isAddressable(id), length >= 3, frameLength <= maximumFrameLength else {
                rejectMalformed()
                continue
            }
            guard available >= 8 else { return nil }
            guard let code = DynamixelInstructionCode(rawValue: buffer[7]), code != .status || length >= 4 else {
                rejectMalformed()
                continue
            }
            guard available >= frameLength else { return nil }

            let received = UnsafeRawBufferPointer(rebasing: buffer.readable[0..<frameLength])
            let computedCRC = DynamixelCRC.update(0, with: UnsafeRawBufferPointer(rebasing: received[0..<(frameLength - 2)]))
            let receivedCRC = UInt16(received[frameLength - 2]) | UInt16(received[frameLength - 1]) << 8
            guard computedCRC == receivedCRC else {
                counters.checksumErrors += 1
                discard(1)
                continue
            }
            frameStorage.copyMemory(from: received.baseAddress!, byteCount: frameLength)
            let frame = UnsafeRawBufferPointer(start: frameStorage, count: frameLength)
            // The receiver checks the CRC over the stuffed bytes, then removes the stuffing.
            let parameterCount = DynamixelByteStuffing.unstuff(
                UnsafeRawBufferPointer(rebasing: frame[8..<(frameLength - 2)]), into: parameterStorage)
            buffer.consume(frameLength)
            counters.frames += 1
            return DynamixelPacket(
                id: id, instructionByte: code.rawValue,
                parameters: UnsafeRawBufferPointer(start: parameterStorage, count: parameterCount), frame: frame)
        }
    }

    /// Gives up on the partial frame at the front of the buffer (call when a reply timed out): skips
    /// its first byte so that `next()` looks for packets in the bytes after it. A corrupted length
    /// field otherwise keeps the decoder waiting for bytes that will never come.
    public func resynchronize() {
        guard !buffer.isEmpty else { return }
        rejectMalformed()
    }

    /// Drops everything buffered (counted as discarded), for example before a new transaction.
    public func reset() {
        counters.discardedBytes += UInt64(buffer.count)
        buffer.reset()
    }

    /// Skips bytes up to the first place where a header `FF FF FD 00` starts, or could start once
    /// more bytes arrive.
    private func skipToHeaderCandidate() {
        let bytes = buffer.readable
        var position = 0
        while position < bytes.count && !Self.couldStartHeader(bytes, at: position) {
            position += 1
        }
        discard(position)
    }

    @inline(__always)
    private static func couldStartHeader(_ bytes: UnsafeRawBufferPointer, at position: Int) -> Bool {
        let remaining = bytes.count - position
        guard bytes[position] == 0xFF else { return false }
        if remaining > 1 && bytes[position + 1] != 0xFF { return false }
        if remaining > 2 && bytes[position + 2] != 0xFD { return false }
        // Reserved byte: 0x00 in a header, 0xFD where a stuffed `FF FF FD FD` sits inside a packet.
        if remaining > 3 && bytes[position + 3] != 0x00 { return false }
        return true
    }

    private func rejectMalformed() {
        counters.malformedFrames += 1
        discard(1)
    }

    @inline(__always)
    private func discard(_ count: Int) {
        guard count > 0 else { return }
        counters.discardedBytes += UInt64(count)
        buffer.consume(count)
    }
}
