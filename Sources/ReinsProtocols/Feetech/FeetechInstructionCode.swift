/// The instruction byte of a Feetech STS/SCS instruction packet (in a reply the same byte is the
/// servo's error byte, so the two directions cannot be told apart from the bytes alone).
public enum FeetechInstructionCode: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    case ping = 0x01
    case read = 0x02
    case write = 0x03
    case regWrite = 0x04
    case action = 0x05
    case recovery = 0x06
    case reset = 0x0A
    case syncRead = 0x82
    case syncWrite = 0x83

    public var description: String {
        switch self {
        case .ping: "PING"
        case .read: "READ"
        case .write: "WRITE"
        case .regWrite: "REG_WRITE"
        case .action: "ACTION"
        case .recovery: "RECOVERY"
        case .reset: "RESET"
        case .syncRead: "SYNC_READ"
        case .syncWrite: "SYNC_WRITE"
        }
    }
}

/// Servo IDs on a Feetech bus.
public enum FeetechDeviceID {
    /// Every servo executes a packet sent here; none replies (except to the group reads).
    public static let broadcast: UInt8 = 0xFE
    /// The highest ID a servo can have.
    public static let maximum: UInt8 = 0xFD

    @inline(__always)
    public static func isDevice(_ id: UInt8) -> Bool { id <= maximum }

    @inline(__always)
    public static func isAddressable(_ id: UInt8) -> Bool { id <= maximum || id == broadcast }

    static func validateDeviceList(_ ids: [UInt8], _ code: FeetechInstructionCode) throws(FeetechEncodingError) {
        guard !ids.isEmpty else { throw .emptyDeviceList(code) }
        // A 256-bit set on the stack: finding duplicates must not allocate on the control thread.
        var seen: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        for position in ids.indices {
            let id = ids[position]
            guard isDevice(id) else { throw .invalidDeviceID(id, position: position) }
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
