/// Finds Feetech STS/SCS packets (instructions or replies) in a stream of bytes.
///
/// The decoder checks the header, the ID, the length (against `maximumFrameLength`) and the
/// checksum; anything that fails is skipped one byte at a time (see `StreamingDecoder`), so a valid
/// packet right behind garbage, a truncated packet or a corrupted one is still found. Every skipped
/// byte and rejected frame is counted in `counters`. The checksum is only 8 bits: about one corrupted
/// frame in 256 passes it, so the driver should also check that a reply has the ID and length it asked for.
public final class FeetechDecoder: StreamingDecoder, @unchecked Sendable {
    /// The longest frame the LEN byte allows: `FF FF ID LEN` + 255.
    public static let longestPossibleFrame = 4 + 255
    /// `FF FF ID LEN X CHK`.
    public static let minimumFrameLength = 6

    /// The longest frame accepted, header to checksum. A corrupted LEN byte can make the decoder
    /// wait for this many bytes, so set it to the longest reply the bus can produce.
    public let maximumFrameLength: Int
    public let input: DecoderInput

    private let frameStorage: UnsafeMutableRawPointer

    /// - Parameters:
    ///   - maximumFrameLength: longest frame accepted (everything LEN can describe by default).
    ///   - bufferCapacity: bytes held between `feed` and `next`; by default four maximum frames.
    ///     Bytes that do not fit push out the oldest (counted in `counters.overflowBytes`).
    public init(maximumFrameLength: Int = FeetechDecoder.longestPossibleFrame, bufferCapacity: Int? = nil) {
        precondition((Self.minimumFrameLength...Self.longestPossibleFrame).contains(maximumFrameLength),
                     "maximumFrameLength must be \(Self.minimumFrameLength)...\(Self.longestPossibleFrame) bytes")
        self.maximumFrameLength = maximumFrameLength
        input = DecoderInput(capacity: max(bufferCapacity ?? 4 * maximumFrameLength, maximumFrameLength))
        frameStorage = .allocate(byteCount: maximumFrameLength, alignment: 1)
    }

    deinit { frameStorage.deallocate() }

    /// `FF FF` starts here, or a final `FF` that may become one.
    @inline(__always)
    public static func couldStartFrame(_ bytes: UnsafeRawBufferPointer, at position: Int) -> Bool {
        bytes[position] == 0xFF && (position + 1 == bytes.count || bytes[position + 1] == 0xFF)
    }

    public func scanFrame(_ bytes: UnsafeRawBufferPointer) -> FrameScan<FeetechPacket> {
        let available = bytes.count
        guard available >= FeetechFrameWriter.prefixLength else { return .needMoreBytes }
        let id = bytes[2]
        let length = Int(bytes[3])
        let frameLength = FeetechFrameWriter.prefixLength + length
        // `FF FF FF ...` is a longer run of header bytes, not ID 255: the header is the last two.
        if id == 0xFF { return .skip(1) }
        // Checked before waiting for the body, so a corrupted header is dropped at once instead of
        // holding back the packets behind it.
        guard length >= 2, frameLength <= maximumFrameLength else { return .malformed }
        guard available >= frameLength else { return .needMoreBytes }

        let computed = FeetechChecksum.checksum(UnsafeRawBufferPointer(rebasing: bytes[2..<(frameLength - 1)]))
        guard computed == bytes[frameLength - 1] else { return .checksumMismatch }
        frameStorage.copyMemory(from: bytes.baseAddress!, byteCount: frameLength)
        let frame = UnsafeRawBufferPointer(start: frameStorage, count: frameLength)
        let packet = FeetechPacket(
            id: id, instructionOrError: frame[4],
            parameters: UnsafeRawBufferPointer(rebasing: frame[5..<(frameLength - 1)]), frame: frame)
        return .frame(packet, length: frameLength)
    }
}
