import ReinsProtocols
import Testing

/// Every Feetech STS vector of the wire reference (`/work/shared/reference/protocols.md`), both ways.
@Suite struct FeetechVectorTests {
    struct InstructionVector: Sendable, CustomTestStringConvertible {
        var name: String
        var instruction: FeetechInstruction
        var wire: String
        var testDescription: String { name }
    }

    static let instructionVectors: [InstructionVector] = [
        InstructionVector(name: "PING 1", instruction: .ping(id: 1), wire: "FF FF 01 02 01 FB"),
        InstructionVector(name: "READ 56x2", instruction: .read(id: 1, address: 56, length: 2), wire: "FF FF 01 04 02 38 02 BE"),
        InstructionVector(name: "SYNC_WRITE 42x2 id1=1000 id2=3000",
                          instruction: .syncWrite(address: 42, length: 2, ids: [1, 2], data: [0xE8, 0x03, 0xB8, 0x0B]),
                          wire: "FF FF FE 0A 83 2A 02 01 E8 03 02 B8 0B 97"),
        InstructionVector(name: "SYNC_READ 56x2 ids 1,2",
                          instruction: .syncRead(address: 56, length: 2, ids: [1, 2]),
                          wire: "FF FF FE 06 82 38 02 01 02 3C"),
    ]

    @Test(arguments: instructionVectors)
    func instructionEncodesToTheReferenceBytes(_ vector: InstructionVector) throws {
        #expect(ServoHex.string(try vector.instruction.encoded()) == vector.wire)
    }

    @Test(arguments: instructionVectors)
    func referenceInstructionBytesDecodeToTheInstruction(_ vector: InstructionVector) throws {
        let decoder = FeetechDecoder()
        decoder.feed(ServoHex.bytes(vector.wire))
        let packet = try #require(decoder.next())
        #expect(try packet.instruction() == vector.instruction)
        #expect(Array(packet.frame) == ServoHex.bytes(vector.wire))
        #expect(decoder.next() == nil)
        #expect(decoder.counters.frames == 1 && decoder.counters.discardedBytes == 0)
    }

    @Test func syncWriteOfGoalPositionsBuildsFromTheRegister() throws {
        var data = [UInt8](repeating: 0, count: 4)
        try FeetechSTS.goalPosition.store(1000, into: &data, at: 0)
        try FeetechSTS.goalPosition.store(3000, into: &data, at: 2)
        let instruction = FeetechInstruction.syncWrite(address: FeetechSTS.goalPosition.address,
                                                       length: UInt8(FeetechSTS.goalPosition.size), ids: [1, 2], data: data)
        #expect(ServoHex.string(try instruction.encoded()) == "FF FF FE 0A 83 2A 02 01 E8 03 02 B8 0B 97")
    }

    @Test func minusFiftyWithTheSignAtBit15Is0x8032() throws {
        #expect(try SignMagnitude.encode(-50, signBit: 15) == 0x8032)
        #expect(SignMagnitude.decode(0x8032, signBit: 15) == -50)
        #expect(try FeetechSTS.goalVelocity.bytes(-50) == [0x32, 0x80])
        #expect(try FeetechSTS.presentVelocity.value(in: [0x32, 0x80], dataAddress: 58) == -50)
    }

    @Test func theChecksumIsTheInvertedLowByteOfTheSum() {
        // ~(0x01 + 0x02 + 0x01) = ~0x04 = 0xFB: the PING vector's last byte.
        #expect(FeetechChecksum.checksum([0x01, 0x02, 0x01]) == 0xFB)
        #expect(FeetechChecksum.checksum([0xFE, 0x0A, 0x83, 0x2A, 0x02, 0x01, 0xE8, 0x03, 0x02, 0xB8, 0x0B]) == 0x97)
    }

    @Test func repliesHaveTheErrorByteWhereTheInstructionWas() throws {
        // FF FF ID LEN ERR data CHK: a READ 56x2 reply with position 2048 and the overheat flag.
        let reply = FeetechStatus(id: 1, error: .overheat, data: try FeetechSTS.presentPosition.bytes(2048))
        let wire = try reply.encoded()
        #expect(ServoHex.string(wire) == "FF FF 01 04 04 00 08 EE")
        let decoder = FeetechDecoder()
        decoder.feed(wire)
        let packet = try #require(decoder.next())
        #expect(packet.id == 1 && packet.error == .overheat)
        #expect(try FeetechSTS.presentPosition.value(in: packet.parameters, dataAddress: 56) == 2048)
        #expect(packet.status() == reply)
        #expect(ServoHex.string(try FeetechStatus(id: 1).encoded()) == "FF FF 01 02 00 FC")
    }
}
