/// The CRC-16 that closes every Dynamixel Protocol 2.0 packet.
///
/// It is CRC-16/BUYPASS (polynomial 0x8005, initial value 0, no reflection, no final xor), computed
/// from the first header byte to the last parameter byte *after* byte stuffing, and sent little-endian.
/// The bitwise form needs no table, so it can never allocate, not even on first use on the control thread;
/// a frame of a few hundred bytes costs a few microseconds.
public enum DynamixelCRC {
    /// Continues `crc` over `bytes`. Start a packet with `0`.
    @inline(__always)
    public static func update(_ crc: UInt16, with bytes: UnsafeRawBufferPointer) -> UInt16 {
        var crc = crc
        for byte in bytes { crc = update(crc, with: byte) }
        return crc
    }

    @inline(__always)
    static func update(_ crc: UInt16, with byte: UInt8) -> UInt16 {
        var crc = crc ^ (UInt16(byte) << 8)
        for _ in 0..<8 {
            crc = (crc & 0x8000) != 0 ? (crc << 1) ^ 0x8005 : crc << 1
        }
        return crc
    }

    /// The CRC of `bytes` (for tests and non-real-time code).
    public static func checksum(_ bytes: [UInt8]) -> UInt16 {
        bytes.withUnsafeBytes { update(0, with: $0) }
    }
}
