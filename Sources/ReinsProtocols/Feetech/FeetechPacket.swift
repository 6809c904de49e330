/// A packet the streaming decoder found: a view into storage the decoder owns.
///
/// Feetech instructions and replies have the same shape, `FF FF ID LEN X params CHK`, where X is the
/// instruction in an instruction packet and the servo's error byte in a reply; which one it is
/// depends on which side of the bus is reading. The buffers are valid only until the next call into
/// the decoder that returned it; copy what must outlive that (`status()`, `instruction()`).
public struct FeetechPacket {
    /// The ID byte: the sender of a reply, the addressee of an instruction.
    public let id: UInt8
    /// The instruction byte of an instruction packet, or the error byte of a reply.
    public let instructionOrError: UInt8
    /// The bytes between that byte and the checksum: the data of a reply.
    public let parameters: UnsafeRawBufferPointer
    /// The whole frame as received, header to checksum.
    public let frame: UnsafeRawBufferPointer

    public init(id: UInt8, instructionOrError: UInt8, parameters: UnsafeRawBufferPointer, frame: UnsafeRawBufferPointer) {
        self.id = id
        self.instructionOrError = instructionOrError
        self.parameters = parameters
        self.frame = frame
    }

    /// Read as a reply: the servo's error flags.
    public var error: FeetechStatusError { FeetechStatusError(rawValue: instructionOrError) }

    /// Read as an instruction: the instruction, if the byte is one Feetech defines.
    public var instructionCode: FeetechInstructionCode? { FeetechInstructionCode(rawValue: instructionOrError) }

    /// A copy of this packet read as a reply.
    public func status() -> FeetechStatus {
        FeetechStatus(id: id, error: error, data: Array(parameters))
    }

    /// This packet read as an instruction (the simulator's side of the bus), as an owned value.
    public func instruction() throws(FeetechDecodingError) -> FeetechInstruction {
        guard let code = instructionCode else { throw .unsupportedInstruction(instructionOrError) }
        let p = parameters
        let count = p.count

        func expect(_ condition: Bool, _ expected: String) throws(FeetechDecodingError) {
            guard condition else { throw .malformedParameters(code, parameterCount: count, expected: expected) }
        }
        func bytes(_ range: Range<Int>) -> [UInt8] { Array(UnsafeRawBufferPointer(rebasing: p[range])) }
        func expectBroadcast() throws(FeetechDecodingError) {
            guard id == FeetechDeviceID.broadcast else { throw .groupInstructionNotBroadcast(code, id: id) }
        }

        switch code {
        case .ping:
            try expect(count == 0, "none")
            return .ping(id: id)
        case .action:
            try expect(count == 0, "none")
            return .action(id: id)
        case .read:
            try expect(count == 2, "2 (address, length)")
            return .read(id: id, address: p[0], length: p[1])
        case .write:
            try expect(count >= 1, "1 (address) + data")
            return .write(id: id, address: p[0], data: bytes(1..<count))
        case .regWrite:
            try expect(count >= 1, "1 (address) + data")
            return .regWrite(id: id, address: p[0], data: bytes(1..<count))
        case .syncRead:
            try expectBroadcast()
            try expect(count >= 3, "2 (address, length) + one ID per servo")
            return .syncRead(address: p[0], length: p[1], ids: bytes(2..<count))
        case .syncWrite:
            try expectBroadcast()
            let entryLength = count >= 2 ? 1 + Int(p[1]) : 1
            try expect(count >= 2 + entryLength && (count - 2) % entryLength == 0,
                       "2 (address, length) + (1 + length) per servo")
            var ids: [UInt8] = []
            var data: [UInt8] = []
            for offset in stride(from: 2, to: count, by: entryLength) {
                ids.append(p[offset])
                data.append(contentsOf: UnsafeRawBufferPointer(rebasing: p[(offset + 1)..<(offset + entryLength)]))
            }
            return .syncWrite(address: p[0], length: p[1], ids: ids, data: data)
        case .recovery, .reset:
            // Their parameters are not documented consistently across Feetech's SDKs.
            throw .unsupportedInstruction(instructionOrError)
        }
    }
}
