/// Device IDs on a Dynamixel Protocol 2.0 bus.
public enum DynamixelDeviceID {
    /// Every device executes a packet sent here; only PING and the group reads make them answer.
    public static let broadcast: UInt8 = 0xFE
    /// The highest ID a device can have (253 and 255 would make `FF FF FD` header look-alikes).
    public static let maximum: UInt8 = 252

    /// Whether a device can have this ID (and so send a status packet from it).
    @inline(__always)
    public static func isDevice(_ id: UInt8) -> Bool { id <= maximum }

    /// Whether an instruction packet can be addressed to this ID.
    @inline(__always)
    public static func isAddressable(_ id: UInt8) -> Bool { id <= maximum || id == broadcast }

    /// Checks the IDs of a group instruction, read through `id(position)` so that no array of IDs
    /// has to be built on the control thread.
    static func validateDeviceList(count: Int, _ code: DynamixelInstructionCode,
                                   id: (Int) -> UInt8) throws(DynamixelEncodingError) {
        guard count > 0 else { throw .emptyDeviceList(code) }
        // A 256-bit set on the stack: finding duplicates must not allocate on the control thread.
        var seen: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        for position in 0..<count {
            let id = id(position)
            guard DynamixelDeviceID.isDevice(id) else { throw .invalidDeviceID(id, position: position) }
            let bit = UInt64(1) << UInt64(id & 63)
            let alreadySeen: Bool
            switch id >> 6 {
            case 0: alreadySeen = seen.0 & bit != 0; seen.0 |= bit
            case 1: alreadySeen = seen.1 & bit != 0; seen.1 |= bit
            case 2: alreadySeen = seen.2 & bit != 0; seen.2 |= bit
            default: alreadySeen = seen.3 & bit != 0; seen.3 |= bit
            }
            if alreadySeen { throw .duplicateDeviceID(id, position: position) }
        }
    }
}
