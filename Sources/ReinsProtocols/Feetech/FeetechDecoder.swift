/// Finds Feetech STS/SCS packets (instructions or replies) in a stream of bytes.
///
/// Feed whatever the link delivers, in pieces of any size, then call `next()` until it returns nil.
/// The decoder checks the header, the ID, the length (against `maximumFrameLength`) and the
/// checksum; anything that fails is skipped one byte at a time, so a valid packet right behind
/// garbage, a truncated packet or a corrupted one is still found. Every skipped byte and rejected
/// frame is counted in `counters`. The checksum is only 8 bits: about one corrupted frame in 256
/// passes it, so the driver should also check that a reply has the ID and length it asked for.
///
/// Real-time: all storage is allocated in `init`; `feed` and `next` never allocate. Returned packets
/// are views into this decoder's storage, valid until the next call into it. Use from one thread at a time.
public final class FeetechDecoder: @unchecked Sendable {
    /// The longest frame the LEN byte allows: `FF FF ID LEN` + 255.
    public static let longestPossibleFrame = 4 + 255
    /// `FF FF ID LEN X CHK`.
    public static let minimumFrameLength = 6

    /// The longest frame accepted, header to checksum. A corrupted LEN byte can make the decoder
    /// wait for this many bytes, so set it to the longest reply the bus can produce.
    public let maximumFrameLength: Int
    public private(set) var counters = DecoderCounters()

    private let buffer: ReceiveBuffer
    private let frameStorage: UnsafeMutableRawPointer

    /// - Parameters:
    ///   - maximumFrameLength: longest frame accepted (everything LEN can describe by default).
    ///   - bufferCapacity: bytes held between `feed` and `next`; by default four maximum frames.
    ///     Bytes that do not fit push out the oldest (counted in `counters.overflowBytes`).
    public init(maximumFrameLength: Int = FeetechDecoder.longestPossibleFrame, bufferCapacity: Int? = nil) {
        precondition((Self.minimumFrameLength...Self.longestPossibleFrame).contains(maximumFrameLength),
                     "maximumFrameLength must be \(Self.minimumFrameLength)...\(Self.longestPossibleFrame) bytes")
        self.maximumFrameLength = maximumFrameLength
        buffer = ReceiveBuffer(capacity: max(bufferCapacity ?? 4 * maximumFrameLength, maximumFrameLength))
        frameStorage = .allocate(byteCount: maximumFrameLength, alignment: 1)
    }

    deinit { frameStorage.deallocate() }

    /// Bytes received but not yet returned or skipped (a partial frame, typically).
    public var bufferedByteCount: Int { buffer.count }

    public func feed(_ bytes: UnsafeRawBufferPointer) {
        counters.overflowBytes += UInt64(buffer.append(bytes))
    }

    public func feed(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { feed($0) }
    }

    /// The next complete, valid packet, or nil when more bytes are needed.
    public func next() -> FeetechPacket? {
        while true {
            skipToHeaderCandidate()
            let available = buffer.count
            guard available >= FeetechFrameWriter.prefixLength else { return nil }
            let id = buffer[2]
            let length = Int(buffer[3])
            let frameLength = FeetechFrameWriter.prefixLength + length
            // `FF FF FF ...` is a longer run of header bytes, not ID 255: the header is the last two.
            if id == 0xFF {
                discard(1)
                continue
            }
            // Checked before waiting for the body, so a corrupted header is dropped at once instead
            // of holding back the packets behind it.
            guard length >= 2, frameLength <= maximumFrameLength else {
                rejectMalformed()
                continue
            }
            guard available >= frameLength else { return nil }

            let received = UnsafeRawBufferPointer(rebasing: buffer.readable[0..<frameLength])
            let computed = FeetechChecksum.checksum(UnsafeRawBufferPointer(rebasing: received[2..<(frameLength - 1)]))
            guard computed == received[frameLength - 1] else {
                counters.checksumErrors += 1
                discard(1)
                continue
            }
            frameStorage.copyMemory(from: received.baseAddress!, byteCount: frameLength)
            let frame = UnsafeRawBufferPointer(start: frameStorage, count: frameLength)
            buffer.consume(frameLength)
            counters.frames += 1
            return FeetechPacket(
                id: id, instructionOrError: frame[4],
                parameters: UnsafeRawBufferPointer(rebasing: frame[5..<(frameLength - 1)]), frame: frame)
        }
    }

    /// Gives up on the partial frame at the front of the buffer (call when a reply timed out): skips
    /// its first byte so that `next()` looks for packets in the bytes after it. A corrupted LEN
    /// byte otherwise keeps the decoder waiting for bytes that will never come.
    public func resynchronize() {
        guard !buffer.isEmpty else { return }
        rejectMalformed()
    }

    /// Drops everything buffered (counted as discarded), for example before a new transaction.
    public func reset() {
        counters.discardedBytes += UInt64(buffer.count)
        buffer.reset()
    }

    /// Skips bytes up to the first `FF FF`, or a final `FF` that may become one.
    private func skipToHeaderCandidate() {
        let bytes = buffer.readable
        var position = 0
        while position < bytes.count {
            if bytes[position] == 0xFF && (position + 1 == bytes.count || bytes[position + 1] == 0xFF) { break }
            position += 1
        }
        discard(position)
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
