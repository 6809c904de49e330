/// The instructions only Dynamixel Protocol 2.0 has; `DynamixelInstruction.reboot(id:)` and the like
/// build them (see `ServoInstruction` for the ones Feetech shares).
public enum DynamixelSpecificInstruction: ServoSpecificInstruction {
    case factoryReset(id: UInt8, scope: DynamixelFactoryResetScope)
    case reboot(id: UInt8)
    /// CLEAR with `01 44 58 4C 22`: resets the multi-turn count of Present Position to within one turn.
    case clearMultiTurn(id: UInt8)
    /// The listed devices answer together in one status packet from the broadcast ID.
    case fastSyncRead(address: UInt16, length: UInt16, ids: [UInt8])
    case bulkRead([DynamixelBulkReadEntry])
    case bulkWrite([DynamixelBulkWriteEntry])
    case fastBulkRead([DynamixelBulkReadEntry])

    /// The parameters of CLEAR that select the multi-turn clear (`0x01`, then "DXL\"").
    static let clearMultiTurnParameters: [UInt8] = [0x01, 0x44, 0x58, 0x4C, 0x22]

    public var code: DynamixelInstructionCode {
        switch self {
        case .factoryReset: .factoryReset
        case .reboot: .reboot
        case .clearMultiTurn: .clear
        case .fastSyncRead: .fastSyncRead
        case .bulkRead: .bulkRead
        case .bulkWrite: .bulkWrite
        case .fastBulkRead: .fastBulkRead
        }
    }

    public var id: UInt8 {
        switch self {
        case .factoryReset(let id, _), .reboot(let id), .clearMultiTurn(let id): id
        case .fastSyncRead, .bulkRead, .bulkWrite, .fastBulkRead: DynamixelDeviceID.broadcast
        }
    }

    public var parameterCount: Int {
        switch self {
        case .reboot: return 0
        case .factoryReset: return 1
        case .clearMultiTurn: return Self.clearMultiTurnParameters.count
        case .fastSyncRead(_, _, let ids): return 4 + ids.count
        case .bulkRead(let entries), .fastBulkRead(let entries): return 5 * entries.count
        case .bulkWrite(let entries):
            var count = 0
            for index in entries.indices { count += 5 + entries[index].data.count }
            return count
        }
    }

    public func validate() throws(DynamixelEncodingError) {
        switch self {
        case .factoryReset, .reboot, .clearMultiTurn:
            break
        case .fastSyncRead(_, _, let ids):
            try DynamixelDeviceID.validateDeviceList(count: ids.count, code) { ids[$0] }
        case .bulkRead(let entries), .fastBulkRead(let entries):
            try DynamixelDeviceID.validateDeviceList(count: entries.count, code) { entries[$0].id }
        case .bulkWrite(let entries):
            try DynamixelDeviceID.validateDeviceList(count: entries.count, code) { entries[$0].id }
            for index in entries.indices where entries[index].data.count > Int(UInt16.max) {
                throw .dataTooLong(count: entries[index].data.count, maximum: Int(UInt16.max))
            }
        }
    }

    public func appendParameters(to frame: inout DynamixelFrameWriter) {
        switch self {
        case .reboot:
            break
        case .factoryReset(_, let scope):
            frame.append(scope.rawValue)
        case .clearMultiTurn:
            frame.append(Self.clearMultiTurnParameters)
        case .fastSyncRead(let address, let length, let ids):
            frame.appendGroupRead(address: address, length: length, ids: ids)
        case .bulkRead(let entries), .fastBulkRead(let entries):
            for index in entries.indices {
                let entry = entries[index]
                frame.append(entry.id)
                frame.append(field: entry.address)
                frame.append(field: entry.length)
            }
        case .bulkWrite(let entries):
            for index in entries.indices {
                let entry = entries[index]
                frame.append(entry.id)
                frame.append(field: entry.address)
                frame.append(field: UInt16(entry.data.count))
                frame.append(entry.data)
            }
        }
    }

    public init(decoding p: ServoParameters<DynamixelWire>) throws(DynamixelDecodingError) {
        let id = p.id
        switch p.code {
        case .reboot:
            try p.expect(p.count == 0, "none")
            self = .reboot(id: id)
        case .factoryReset:
            try p.expect(p.count == 1, "1 (scope)")
            guard let scope = DynamixelFactoryResetScope(rawValue: p.bytes[0]) else { throw .unsupportedFactoryResetScope(p.bytes[0]) }
            self = .factoryReset(id: id, scope: scope)
        case .clear:
            guard p.copy(0..<p.count) == Self.clearMultiTurnParameters else {
                throw .unsupportedClearParameters(p.copy(0..<p.count))
            }
            self = .clearMultiTurn(id: id)
        case .fastSyncRead:
            let (address, length, ids) = try p.groupRead()
            self = .fastSyncRead(address: address, length: length, ids: ids)
        case .bulkRead, .fastBulkRead:
            try p.expectBroadcast()
            try p.expect(p.count >= 5 && p.count % 5 == 0, "5 (ID, address, length) per device")
            let entries = stride(from: 0, to: p.count, by: 5).map {
                DynamixelBulkReadEntry(id: p.bytes[$0], address: p.field(at: $0 + 1), length: p.field(at: $0 + 3))
            }
            self = p.code == .bulkRead ? .bulkRead(entries) : .fastBulkRead(entries)
        case .bulkWrite:
            try p.expectBroadcast()
            var entries: [DynamixelBulkWriteEntry] = []
            var offset = 0
            while offset < p.count {
                try p.expect(p.count - offset >= 5, "5 (ID, address, length) + data per device")
                let length = Int(p.field(at: offset + 3))
                try p.expect(p.count - offset - 5 >= length, "\(length) data bytes for device \(p.bytes[offset])")
                entries.append(DynamixelBulkWriteEntry(
                    id: p.bytes[offset], address: p.field(at: offset + 1), data: p.copy((offset + 5)..<(offset + 5 + length))))
                offset += 5 + length
            }
            try p.expect(!entries.isEmpty, "at least one device")
            self = .bulkWrite(entries)
        case .status:
            throw .notAnInstructionPacket(id: id)
        case .ping, .read, .write, .regWrite, .action, .syncRead, .syncWrite:
            // `ServoInstruction` decodes the instructions Feetech shares; it never asks for these.
            throw .unsupportedInstruction(p.code.rawValue)
        }
    }
}

extension ServoInstruction where Wire == DynamixelWire {
    public static func factoryReset(id: UInt8, scope: DynamixelFactoryResetScope) -> Self { .specific(.factoryReset(id: id, scope: scope)) }
    public static func reboot(id: UInt8) -> Self { .specific(.reboot(id: id)) }
    public static func clearMultiTurn(id: UInt8) -> Self { .specific(.clearMultiTurn(id: id)) }
    public static func fastSyncRead(address: UInt16, length: UInt16, ids: [UInt8]) -> Self {
        .specific(.fastSyncRead(address: address, length: length, ids: ids))
    }
    public static func bulkRead(_ entries: [DynamixelBulkReadEntry]) -> Self { .specific(.bulkRead(entries)) }
    public static func bulkWrite(_ entries: [DynamixelBulkWriteEntry]) -> Self { .specific(.bulkWrite(entries)) }
    public static func fastBulkRead(_ entries: [DynamixelBulkReadEntry]) -> Self { .specific(.fastBulkRead(entries)) }
}

extension DynamixelPacket {
    /// This instruction packet as an owned value (the simulator's side of the bus). Checks that the
    /// parameters have the layout the instruction needs; allocates the arrays it returns.
    public func instruction() throws(DynamixelDecodingError) -> DynamixelInstruction {
        guard !isStatus else { throw .notAnInstructionPacket(id: id) }
        guard let code = instructionCode else { throw .unsupportedInstruction(instructionByte) }
        return try DynamixelInstruction(code: code, id: id, parameters: parameters)
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
