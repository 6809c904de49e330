/// Reads fixed-width fields, front to back, from a received payload.
///
/// The two ways of running out of bytes are protocol rules, so both are here: VESC replies from
/// older firmware simply end early (`readBigEndian` returns nil), while MAVLink 2 strips trailing
/// zero bytes on the wire and receivers read the missing bytes as zeros
/// (`readLittleEndianZeroFilled`). Reading never allocates and never reads out of bounds.
public struct ByteReader {
    public let bytes: UnsafeRawBufferPointer
    /// Offset of the next byte to read, from the start of `bytes`.
    public private(set) var offset = 0

    public init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    public var remaining: Int { max(0, bytes.count - offset) }

    @inline(__always)
    public mutating func readByte() -> UInt8? {
        guard offset < bytes.count else { return nil }
        defer { offset += 1 }
        return bytes[offset]
    }

    /// A big-endian integer, or nil (and nothing consumed) when fewer than its size remain.
    @inline(__always)
    public mutating func readBigEndian<T: FixedWidthInteger>(_: T.Type = T.self) -> T? {
        let size = MemoryLayout<T>.size
        guard remaining >= size else { return nil }
        // Assembled unsigned, then truncated, so a negative signed value keeps its two's complement bits.
        var value: UInt64 = 0
        for index in 0..<size { value = value << 8 | UInt64(bytes[offset + index]) }
        offset += size
        return T(truncatingIfNeeded: value)
    }

    /// A little-endian integer whose bytes past the end of the payload read as zero.
    @inline(__always)
    public mutating func readLittleEndianZeroFilled<T: FixedWidthInteger>(_: T.Type = T.self) -> T {
        let size = MemoryLayout<T>.size
        var value: UInt64 = 0
        for index in 0..<size where offset + index < bytes.count {
            value |= UInt64(bytes[offset + index]) << (8 * UInt64(index))
        }
        offset += size
        return T(truncatingIfNeeded: value)
    }

    /// A little-endian IEEE 754 single whose bytes past the end of the payload read as zero.
    @inline(__always)
    public mutating func readFloatZeroFilled() -> Float {
        Float(bitPattern: readLittleEndianZeroFilled(UInt32.self))
    }

    public mutating func skip(_ count: Int) {
        offset += max(0, count)
    }
}
