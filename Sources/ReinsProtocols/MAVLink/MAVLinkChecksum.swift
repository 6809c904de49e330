/// CRC-16/MCRF4XX (the "X.25" CRC of the MAVLink spec: initial value 0xFFFF, reflected polynomial
/// 0x1021, no final XOR). A frame's CRC covers every byte after the magic byte up to the end of the
/// payload, then the message's CRC_EXTRA byte, which is never sent: it is how two sides built from
/// different message definitions notice that they disagree about a payload layout.
public struct MAVLinkChecksum: Sendable {
    public private(set) var value: UInt16 = 0xFFFF

    public init() {}

    @inline(__always)
    public mutating func accumulate(_ byte: UInt8) {
        var mixed = byte ^ UInt8(truncatingIfNeeded: value)
        mixed ^= mixed << 4
        let wide = UInt16(mixed)
        value = (value >> 8) ^ (wide << 8) ^ (wide << 3) ^ (wide >> 4)
    }

    public mutating func accumulate(_ bytes: UnsafeRawBufferPointer) {
        for byte in bytes { accumulate(byte) }
    }

    /// The CRC of `bytes` alone (no CRC_EXTRA), for checks and tests.
    public static func crc(_ bytes: [UInt8]) -> UInt16 {
        var checksum = MAVLinkChecksum()
        bytes.withUnsafeBytes { checksum.accumulate($0) }
        return checksum.value
    }
}
