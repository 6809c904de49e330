/// The instruction byte of a Dynamixel Protocol 2.0 packet (the byte after LEN).
public enum DynamixelInstructionCode: UInt8, ServoInstructionCode, CaseIterable {
    case ping = 0x01
    case read = 0x02
    case write = 0x03
    case regWrite = 0x04
    case action = 0x05
    case factoryReset = 0x06
    case reboot = 0x08
    case clear = 0x10
    /// Marks a status packet (a device's reply); the byte after it is the device's error byte.
    case status = 0x55
    case syncRead = 0x82
    case syncWrite = 0x83
    case fastSyncRead = 0x8A
    case bulkRead = 0x92
    case bulkWrite = 0x93
    case fastBulkRead = 0x9A

    public var description: String {
        switch self {
        case .ping, .read, .write, .regWrite, .action, .syncRead, .syncWrite: sharedName
        case .factoryReset: "FACTORY_RESET"
        case .reboot: "REBOOT"
        case .clear: "CLEAR"
        case .status: "STATUS"
        case .fastSyncRead: "FAST_SYNC_READ"
        case .bulkRead: "BULK_READ"
        case .bulkWrite: "BULK_WRITE"
        case .fastBulkRead: "FAST_BULK_READ"
        }
    }
}
