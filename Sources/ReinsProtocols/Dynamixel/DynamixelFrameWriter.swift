/// Writes one Protocol 2.0 frame into a `ByteWriter`: header, ID, LEN placeholder, then the stuffed
/// instruction and parameters; `finish` fills in LEN and appends the CRC. Never allocates.
public struct DynamixelFrameWriter: ServoFrameWriter {
    public typealias Wire = DynamixelWire
    static let header: (UInt8, UInt8, UInt8, UInt8) = (0xFF, 0xFF, 0xFD, 0x00)
    /// Header (4) + ID + LEN (2).
    static let prefixLength = 7

    let writer: ByteWriter
    let start: Int
    private var window = DynamixelByteStuffing.Window()
    private var crc: UInt16 = 0
    private var crcEnd: Int

    public init(id: UInt8, instruction: UInt8, into writer: ByteWriter) throws(DynamixelEncodingError) {
        guard !writer.overflowed else { throw .writerFull(capacity: writer.capacity) }
        self.writer = writer
        start = writer.count
        crcEnd = start
        writer.append(Self.header.0)
        writer.append(Self.header.1)
        writer.append(Self.header.2)
        writer.append(Self.header.3)
        writer.append(id)
        writer.append(0)
        writer.append(0)
        append(instruction)
    }

    @inline(__always)
    public mutating func append(_ byte: UInt8) {
        writer.append(byte)
        if window.push(byte) { writer.append(0xFD) }
    }

    /// Appends without stuffing: the FAST_SYNC_READ reply is the one packet devices send unstuffed.
    @inline(__always)
    mutating func appendUnstuffed(_ byte: UInt8) {
        writer.append(byte)
    }

    /// The CRC from the first header byte to the last byte written so far. LEN must be final
    /// before the first call, because the CRC is carried on from where the last call stopped.
    mutating func runningCRC() -> UInt16 {
        crc = DynamixelCRC.update(crc, with: UnsafeRawBufferPointer(rebasing: writer.bytes[crcEnd...]))
        crcEnd = writer.count
        return crc
    }

    /// Fills in LEN for `length` (INST + parameters + CRC), for frames whose length is known up front.
    func setLength(_ length: Int) {
        writer.set(UInt8(truncatingIfNeeded: length), at: start + 5)
        writer.set(UInt8(truncatingIfNeeded: length >> 8), at: start + 6)
    }

    public mutating func finish() throws(DynamixelEncodingError) {
        let length = writer.count - start - Self.prefixLength + 2
        guard !writer.overflowed else { throw .writerFull(capacity: writer.capacity) }
        guard length <= Int(UInt16.max) else { throw .packetTooLong(length: length) }
        setLength(length)
        let crc = runningCRC()
        writer.append(UInt8(truncatingIfNeeded: crc))
        writer.append(UInt8(truncatingIfNeeded: crc >> 8))
        guard !writer.overflowed else { throw .writerFull(capacity: writer.capacity) }
    }
}
