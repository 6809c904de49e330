/// The checksum that closes every Feetech STS/SCS packet: the inverted low byte of the sum of
/// everything from the ID to the last parameter (`~(ID + LEN + INST + params) & 0xFF`).
public enum FeetechChecksum {
    @inline(__always)
    public static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt8 {
        var sum: UInt8 = 0
        for byte in bytes { sum &+= byte }
        return ~sum
    }

    public static func checksum(_ bytes: [UInt8]) -> UInt8 {
        bytes.withUnsafeBytes { checksum($0) }
    }
}
