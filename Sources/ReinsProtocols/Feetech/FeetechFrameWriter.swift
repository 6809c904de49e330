/// Writes one Feetech frame into a `ByteWriter`: `FF FF ID LEN`, the instruction (or error) byte,
/// the parameters, then `finish` fills in LEN and appends the checksum. Never allocates.
public struct FeetechFrameWriter: ServoFrameWriter {
    public typealias Wire = FeetechWire

    /// `FF FF ID LEN`.
    static let prefixLength = 4

    let writer: ByteWriter
    let start: Int

    /// `instruction` is the instruction byte of an instruction packet, the error byte of a reply.
    public init(id: UInt8, instruction: UInt8, into writer: ByteWriter) throws(FeetechEncodingError) {
        guard !writer.overflowed else { throw .writerFull(capacity: writer.capacity) }
        self.writer = writer
        start = writer.count
        writer.append(0xFF)
        writer.append(0xFF)
        writer.append(id)
        writer.append(0)
        writer.append(instruction)
    }

    @inline(__always)
    public func append(_ byte: UInt8) { writer.append(byte) }

    public func finish() throws(FeetechEncodingError) {
        // LEN counts the instruction byte, the parameters and the checksum.
        let length = writer.count - start - Self.prefixLength + 1
        guard !writer.overflowed else { throw .writerFull(capacity: writer.capacity) }
        guard length <= Int(UInt8.max) else { throw .packetTooLong(length: length) }
        writer.set(UInt8(length), at: start + 3)
        let checksum = FeetechChecksum.checksum(UnsafeRawBufferPointer(rebasing: writer.bytes[(start + 2)...]))
        writer.append(checksum)
        guard !writer.overflowed else { throw .writerFull(capacity: writer.capacity) }
    }
}
