/// A complete Dynamixel Protocol 2.0 instruction packet, as a value.
///
/// The robot driver builds these and encodes them into a preallocated `ByteWriter`; the simulator
/// gets them back from `DynamixelPacket.instruction()`. Building one from arrays the driver keeps
/// allocated does not allocate. Addresses and lengths are the 16-bit wire fields; multi-byte data
/// is little-endian, as the devices store it. Group instructions always go to the broadcast ID.
public enum DynamixelInstruction: Sendable, Equatable {
    case ping(id: UInt8)
    case read(id: UInt8, address: UInt16, length: UInt16)
    case write(id: UInt8, address: UInt16, data: [UInt8])
    /// Like WRITE, but held until ACTION.
    case regWrite(id: UInt8, address: UInt16, data: [UInt8])
    case action(id: UInt8)
    case factoryReset(id: UInt8, scope: DynamixelFactoryResetScope)
    case reboot(id: UInt8)
    /// CLEAR with `01 44 58 4C 22`: resets the multi-turn count of Present Position to within one turn.
    case clearMultiTurn(id: UInt8)
    /// Each listed device answers with its own status packet, in list order.
    case syncRead(address: UInt16, length: UInt16, ids: [UInt8])
    /// `data` holds `length` bytes per device, in the order of `ids`.
    case syncWrite(address: UInt16, length: UInt16, ids: [UInt8], data: [UInt8])
    /// The listed devices answer together in one status packet from the broadcast ID.
    case fastSyncRead(address: UInt16, length: UInt16, ids: [UInt8])
    case bulkRead([DynamixelBulkReadEntry])
    case bulkWrite([DynamixelBulkWriteEntry])
    case fastBulkRead([DynamixelBulkReadEntry])

    /// The instruction byte this packet carries.
    public var code: DynamixelInstructionCode {
        switch self {
        case .ping: .ping
        case .read: .read
        case .write: .write
        case .regWrite: .regWrite
        case .action: .action
        case .factoryReset: .factoryReset
        case .reboot: .reboot
        case .clearMultiTurn: .clear
        case .syncRead: .syncRead
        case .syncWrite: .syncWrite
        case .fastSyncRead: .fastSyncRead
        case .bulkRead: .bulkRead
        case .bulkWrite: .bulkWrite
        case .fastBulkRead: .fastBulkRead
        }
    }

    /// The ID byte of the packet (the broadcast ID for group instructions).
    public var id: UInt8 {
        switch self {
        case .ping(let id), .read(let id, _, _), .write(let id, _, _), .regWrite(let id, _, _), .action(let id),
             .factoryReset(let id, _), .reboot(let id), .clearMultiTurn(let id):
            id
        case .syncRead, .syncWrite, .fastSyncRead, .bulkRead, .bulkWrite, .fastBulkRead:
            DynamixelDeviceID.broadcast
        }
    }
}

/// One device's part of a BULK_READ or FAST_BULK_READ: where to read and how many bytes.
public struct DynamixelBulkReadEntry: Sendable, Equatable {
    public var id: UInt8
    public var address: UInt16
    public var length: UInt16

    public init(id: UInt8, address: UInt16, length: UInt16) {
        self.id = id
        self.address = address
        self.length = length
    }
}

/// One device's part of a BULK_WRITE: where to write and the bytes (their count is the length field).
public struct DynamixelBulkWriteEntry: Sendable, Equatable {
    public var id: UInt8
    public var address: UInt16
    public var data: [UInt8]

    public init(id: UInt8, address: UInt16, data: [UInt8]) {
        self.id = id
        self.address = address
        self.data = data
    }
}

/// What FACTORY_RESET keeps.
public enum DynamixelFactoryResetScope: UInt8, Sendable, CaseIterable {
    /// Everything, including ID (back to 1) and baud rate.
    case everything = 0xFF
    case everythingExceptID = 0x01
    case everythingExceptIDAndBaudRate = 0x02
}
