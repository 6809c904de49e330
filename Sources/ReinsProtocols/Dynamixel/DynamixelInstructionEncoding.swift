extension DynamixelInstruction {
    /// The parameters of CLEAR that select the multi-turn clear (`0x01`, then "DXL\"").
    static let clearMultiTurnParameters: [UInt8] = [0x01, 0x44, 0x58, 0x4C, 0x22]

    /// Appends the encoded packet to `writer` without allocating. Everything is validated before
    /// the first byte is written, except running out of room (`.writerFull`: reset the writer).
    public func encode(into writer: ByteWriter) throws(DynamixelEncodingError) {
        try validate()
        var frame = try DynamixelFrameWriter(id: id, instruction: code.rawValue, into: writer)
        switch self {
        case .ping, .action, .reboot:
            break
        case .read(_, let address, let length):
            frame.appendLittleEndian(address)
            frame.appendLittleEndian(length)
        case .write(_, let address, let data), .regWrite(_, let address, let data):
            frame.appendLittleEndian(address)
            frame.append(data)
        case .factoryReset(_, let scope):
            frame.append(scope.rawValue)
        case .clearMultiTurn:
            frame.append(Self.clearMultiTurnParameters)
        case .syncRead(let address, let length, let ids), .fastSyncRead(let address, let length, let ids):
            frame.appendLittleEndian(address)
            frame.appendLittleEndian(length)
            frame.append(ids)
        case .syncWrite(let address, let length, let ids, let data):
            frame.appendLittleEndian(address)
            frame.appendLittleEndian(length)
            let stride = Int(length)
            for position in ids.indices {
                frame.append(ids[position])
                for offset in (position * stride)..<((position + 1) * stride) { frame.append(data[offset]) }
            }
        case .bulkRead(let entries), .fastBulkRead(let entries):
            for index in entries.indices {
                let entry = entries[index]
                frame.append(entry.id)
                frame.appendLittleEndian(entry.address)
                frame.appendLittleEndian(entry.length)
            }
        case .bulkWrite(let entries):
            for index in entries.indices {
                let entry = entries[index]
                frame.append(entry.id)
                frame.appendLittleEndian(entry.address)
                frame.appendLittleEndian(UInt16(entry.data.count))
                frame.append(entry.data)
            }
        }
        try frame.finish()
    }

    /// The encoded packet as a new array (for tests and non-real-time code).
    public func encoded() throws(DynamixelEncodingError) -> [UInt8] {
        let writer = ByteWriter(capacity: Self.worstCaseFrameLength(parameterCount: unstuffedParameterCount))
        try encode(into: writer)
        return writer.array
    }

    /// Frame bytes for a parameter count if stuffing inserts the most bytes it can (one per three).
    static func worstCaseFrameLength(parameterCount: Int) -> Int {
        let body = 1 + parameterCount
        return DynamixelFrameWriter.prefixLength + body + body / 3 + 1 + 2
    }

    private var unstuffedParameterCount: Int {
        switch self {
        case .ping, .action, .reboot: return 0
        case .read: return 4
        case .write(_, _, let data), .regWrite(_, _, let data): return 2 + data.count
        case .factoryReset: return 1
        case .clearMultiTurn: return Self.clearMultiTurnParameters.count
        case .syncRead(_, _, let ids), .fastSyncRead(_, _, let ids): return 4 + ids.count
        case .syncWrite(_, _, let ids, let data): return 4 + ids.count + data.count
        case .bulkRead(let entries), .fastBulkRead(let entries): return 5 * entries.count
        case .bulkWrite(let entries):
            var count = 0
            for index in entries.indices { count += 5 + entries[index].data.count }
            return count
        }
    }

    private func validate() throws(DynamixelEncodingError) {
        guard DynamixelDeviceID.isAddressable(id) else { throw .invalidID(id) }
        switch self {
        case .ping, .read, .action, .factoryReset, .reboot, .clearMultiTurn:
            break
        case .write(_, _, let data), .regWrite(_, _, let data):
            try Self.checkLength(2 + data.count)
        case .syncRead(_, _, let ids), .fastSyncRead(_, _, let ids):
            try DynamixelDeviceID.validateDeviceList(count: ids.count, code) { ids[$0] }
            try Self.checkLength(4 + ids.count)
        case .syncWrite(_, let length, let ids, let data):
            try DynamixelDeviceID.validateDeviceList(count: ids.count, code) { ids[$0] }
            guard data.count == ids.count * Int(length) else {
                throw .syncWriteDataMismatch(deviceCount: ids.count, dataLength: Int(length), dataCount: data.count)
            }
            try Self.checkLength(4 + ids.count + data.count)
        case .bulkRead(let entries), .fastBulkRead(let entries):
            try DynamixelDeviceID.validateDeviceList(count: entries.count, code) { entries[$0].id }
            try Self.checkLength(5 * entries.count)
        case .bulkWrite(let entries):
            try DynamixelDeviceID.validateDeviceList(count: entries.count, code) { entries[$0].id }
            for index in entries.indices where entries[index].data.count > Int(UInt16.max) {
                throw .dataTooLong(count: entries[index].data.count, maximum: Int(UInt16.max))
            }
            try Self.checkLength(unstuffedParameterCount)
        }
    }

    /// LEN before stuffing; stuffing can only add to it, which `finish` checks again.
    private static func checkLength(_ parameterCount: Int) throws(DynamixelEncodingError) {
        let length = 1 + parameterCount + 2
        guard length <= Int(UInt16.max) else { throw .packetTooLong(length: length) }
    }
}
