/// CRC-16/XMODEM (polynomial 0x1021, initial value 0, no reflection), the checksum of every VESC
/// frame, computed over the payload only and sent big-endian.
///
/// Computed bit by bit rather than from a table: a lazily built global table would allocate on
/// first use, possibly on the control thread, and VESC payloads are a few dozen bytes.
public enum VESCChecksum {
    public static func crc16(_ bytes: UnsafeRawBufferPointer) -> UInt16 {
        var crc: UInt16 = 0
        for byte in bytes {
            crc ^= UInt16(byte) << 8
            for _ in 0..<8 {
                crc = crc & 0x8000 != 0 ? (crc << 1) ^ 0x1021 : crc << 1
            }
        }
        return crc
    }

    public static func crc16(_ bytes: [UInt8]) -> UInt16 {
        bytes.withUnsafeBytes { crc16($0) }
    }
}
