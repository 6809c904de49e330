extension DynamixelPacket {
    /// This instruction packet as an owned value (the simulator's side of the bus). Checks that the
    /// parameters have the layout the instruction needs; allocates the arrays it returns.
    public func instruction() throws(DynamixelDecodingError) -> DynamixelInstruction {
        guard !isStatus else { throw .notAnInstructionPacket(id: id) }
        guard let code = instructionCode else { throw .unsupportedInstruction(instructionByte) }
        let p = parameters
        let count = p.count

        func expect(_ condition: Bool, _ expected: String) throws(DynamixelDecodingError) {
            guard condition else { throw .malformedParameters(code, parameterCount: count, expected: expected) }
        }
        func word(_ offset: Int) -> UInt16 { UInt16(p[offset]) | UInt16(p[offset + 1]) << 8 }
        func bytes(_ range: Range<Int>) -> [UInt8] { Array(UnsafeRawBufferPointer(rebasing: p[range])) }
        func expectBroadcast() throws(DynamixelDecodingError) {
            guard id == DynamixelDeviceID.broadcast else { throw .groupInstructionNotBroadcast(code, id: id) }
        }

        switch code {
        case .ping:
            try expect(count == 0, "none")
            return .ping(id: id)
        case .action:
            try expect(count == 0, "none")
            return .action(id: id)
        case .reboot:
            try expect(count == 0, "none")
            return .reboot(id: id)
        case .read:
            try expect(count == 4, "4 (address, length)")
            return .read(id: id, address: word(0), length: word(2))
        case .write:
            try expect(count >= 2, "2 (address) + data")
            return .write(id: id, address: word(0), data: bytes(2..<count))
        case .regWrite:
            try expect(count >= 2, "2 (address) + data")
            return .regWrite(id: id, address: word(0), data: bytes(2..<count))
        case .factoryReset:
            try expect(count == 1, "1 (scope)")
            guard let scope = DynamixelFactoryResetScope(rawValue: p[0]) else { throw .unsupportedFactoryResetScope(p[0]) }
            return .factoryReset(id: id, scope: scope)
        case .clear:
            guard bytes(0..<count) == DynamixelInstruction.clearMultiTurnParameters else {
                throw .unsupportedClearParameters(bytes(0..<count))
            }
            return .clearMultiTurn(id: id)
        case .syncRead, .fastSyncRead:
            try expectBroadcast()
            try expect(count >= 5, "4 (address, length) + one ID per device")
            let ids = bytes(4..<count)
            return code == .syncRead
                ? .syncRead(address: word(0), length: word(2), ids: ids)
                : .fastSyncRead(address: word(0), length: word(2), ids: ids)
        case .syncWrite:
            try expectBroadcast()
            let length = count >= 4 ? Int(word(2)) : 0
            let stride = 1 + length
            try expect(count >= 4 + stride && (count - 4) % stride == 0,
                       "4 (address, length) + (1 + length) per device")
            var ids: [UInt8] = []
            var data: [UInt8] = []
            var offset = 4
            while offset < count {
                ids.append(p[offset])
                data.append(contentsOf: UnsafeRawBufferPointer(rebasing: p[(offset + 1)..<(offset + stride)]))
                offset += stride
            }
            return .syncWrite(address: word(0), length: UInt16(length), ids: ids, data: data)
        case .bulkRead, .fastBulkRead:
            try expectBroadcast()
            try expect(count >= 5 && count % 5 == 0, "5 (ID, address, length) per device")
            let entries = stride(from: 0, to: count, by: 5).map {
                DynamixelBulkReadEntry(id: p[$0], address: word($0 + 1), length: word($0 + 3))
            }
            return code == .bulkRead ? .bulkRead(entries) : .fastBulkRead(entries)
        case .bulkWrite:
            try expectBroadcast()
            var entries: [DynamixelBulkWriteEntry] = []
            var offset = 0
            while offset < count {
                try expect(count - offset >= 5, "5 (ID, address, length) + data per device")
                let length = Int(word(offset + 3))
                try expect(count - offset - 5 >= length, "\(length) data bytes for device \(p[offset])")
                entries.append(DynamixelBulkWriteEntry(
                    id: p[offset], address: word(offset + 1), data: bytes((offset + 5)..<(offset + 5 + length))))
                offset += 5 + length
            }
            try expect(!entries.isEmpty, "at least one device")
            return .bulkWrite(entries)
        case .status:
            throw .notAnInstructionPacket(id: id)
        }
    }
}
