/// Finds Dynamixel Protocol 2.0 packets (instructions and status replies) in a stream of bytes.
///
/// The decoder checks the header, the ID, the length (against `maximumFrameLength`), the
/// instruction byte and the CRC; anything that fails is skipped one byte at a time (see
/// `StreamingDecoder`), so a valid packet right behind garbage, a truncated packet or a corrupted one
/// is still found. Every skipped byte and rejected frame is counted in `counters`.
public final class DynamixelDecoder: StreamingDecoder, @unchecked Sendable {
    /// The longest frame accepted, header to CRC. A corrupted length field can make the decoder wait
    /// for this many bytes, so set it to the longest reply the bus can produce.
    public let maximumFrameLength: Int
    public let input: DecoderInput

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
        input = DecoderInput(capacity: max(bufferCapacity ?? 4 * maximumFrameLength, maximumFrameLength))
        frameStorage = .allocate(byteCount: maximumFrameLength, alignment: 1)
        parameterStorage = .allocate(byteCount: maximumFrameLength, alignment: 1)
    }

    deinit {
        frameStorage.deallocate()
        parameterStorage.deallocate()
    }

    /// A header `FF FF FD 00` starts here, or could once more bytes arrive.
    @inline(__always)
    public static func couldStartFrame(_ bytes: UnsafeRawBufferPointer, at position: Int) -> Bool {
        let remaining = bytes.count - position
        guard bytes[position] == 0xFF else { return false }
        if remaining > 1 && bytes[position + 1] != 0xFF { return false }
        if remaining > 2 && bytes[position + 2] != 0xFD { return false }
        // Reserved byte: 0x00 in a header, 0xFD where a stuffed `FF FF FD FD` sits inside a packet.
        if remaining > 3 && bytes[position + 3] != 0x00 { return false }
        return true
    }

    public func scanFrame(_ bytes: UnsafeRawBufferPointer) -> FrameScan<DynamixelPacket> {
        let available = bytes.count
        guard available >= DynamixelFrameWriter.prefixLength else { return .needMoreBytes }
        let id = bytes[4]
        let length = Int(bytes[5]) | Int(bytes[6]) << 8
        let frameLength = DynamixelFrameWriter.prefixLength + length
        // Checked before waiting for the body, so a corrupted header is dropped at once instead of
        // holding back the packets behind it.
        guard DynamixelDeviceID.isAddressable(id), length >= 3, frameLength <= maximumFrameLength else { return .malformed }
        guard available >= 8 else { return .needMoreBytes }
        guard let code = DynamixelInstructionCode(rawValue: bytes[7]), code != .status || length >= 4 else { return .malformed }
        guard available >= frameLength else { return .needMoreBytes }

        let computedCRC = DynamixelCRC.update(0, with: UnsafeRawBufferPointer(rebasing: bytes[0..<(frameLength - 2)]))
        let receivedCRC = UInt16(bytes[frameLength - 2]) | UInt16(bytes[frameLength - 1]) << 8
        guard computedCRC == receivedCRC else { return .checksumMismatch }
        frameStorage.copyMemory(from: bytes.baseAddress!, byteCount: frameLength)
        let frame = UnsafeRawBufferPointer(start: frameStorage, count: frameLength)
        // The receiver checks the CRC over the stuffed bytes, then removes the stuffing.
        let parameterCount = DynamixelByteStuffing.unstuff(
            UnsafeRawBufferPointer(rebasing: frame[8..<(frameLength - 2)]), into: parameterStorage)
        let packet = DynamixelPacket(
            id: id, instructionByte: code.rawValue,
            parameters: UnsafeRawBufferPointer(start: parameterStorage, count: parameterCount), frame: frame)
        return .frame(packet, length: frameLength)
    }
}
