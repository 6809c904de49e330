import ReinsProtocols
import Testing

/// Every Protocol 2.0 vector of the wire reference (`/work/shared/reference/protocols.md`), both ways:
/// Reins must produce exactly these bytes, and decode them back to the same value.
@Suite struct DynamixelVectorTests {
    struct InstructionVector: Sendable, CustomTestStringConvertible {
        var name: String
        var instruction: DynamixelInstruction
        var wire: String
        var testDescription: String { name }
    }

    static let instructionVectors: [InstructionVector] = [
        InstructionVector(name: "PING id 1", instruction: .ping(id: 1), wire: "FF FF FD 00 01 03 00 01 19 4E"),
        InstructionVector(name: "broadcast PING", instruction: .ping(id: 0xFE), wire: "FF FF FD 00 FE 03 00 01 31 42"),
        InstructionVector(name: "READ Present Position",
                          instruction: .read(id: 1, address: 132, length: 4),
                          wire: "FF FF FD 00 01 07 00 02 84 00 04 00 1D 15"),
        InstructionVector(name: "WRITE Goal Position 512",
                          instruction: .write(id: 1, address: 116, data: [0x00, 0x02, 0x00, 0x00]),
                          wire: "FF FF FD 00 01 09 00 03 74 00 00 02 00 00 CA 89"),
        InstructionVector(name: "ACTION", instruction: .action(id: 1), wire: "FF FF FD 00 01 03 00 05 02 CE"),
        InstructionVector(name: "REBOOT", instruction: .reboot(id: 1), wire: "FF FF FD 00 01 03 00 08 2F 4E"),
        InstructionVector(name: "SYNC_READ 132x4 ids 1,2",
                          instruction: .syncRead(address: 132, length: 4, ids: [1, 2]),
                          wire: "FF FF FD 00 FE 09 00 82 84 00 04 00 01 02 CE FA"),
        InstructionVector(name: "SYNC_WRITE 116 id1=150 id2=170",
                          instruction: .syncWrite(address: 116, length: 4, ids: [1, 2],
                                                  data: [150, 0, 0, 0, 170, 0, 0, 0]),
                          wire: "FF FF FD 00 FE 11 00 83 74 00 04 00 01 96 00 00 00 02 AA 00 00 00 82 87"),
        InstructionVector(name: "BULK_READ",
                          instruction: .bulkRead([DynamixelBulkReadEntry(id: 1, address: 144, length: 2),
                                                  DynamixelBulkReadEntry(id: 2, address: 146, length: 1)]),
                          wire: "FF FF FD 00 FE 0D 00 92 01 90 00 02 00 02 92 00 01 00 1A 05"),
        InstructionVector(name: "BULK_WRITE",
                          instruction: .bulkWrite([DynamixelBulkWriteEntry(id: 1, address: 32, data: [0xA0, 0x00]),
                                                   DynamixelBulkWriteEntry(id: 2, address: 31, data: [0x50])]),
                          wire: "FF FF FD 00 FE 10 00 93 01 20 00 02 00 A0 00 02 1F 00 01 00 50 B7 68"),
        InstructionVector(name: "FAST_SYNC_READ 132x4 ids 3,7,4",
                          instruction: .fastSyncRead(address: 132, length: 4, ids: [3, 7, 4]),
                          wire: "FF FF FD 00 FE 0A 00 8A 84 00 04 00 03 07 04 20 F2"),
        InstructionVector(name: "WRITE whose data needs stuffing",
                          instruction: .write(id: 1, address: 116, data: [0xFF, 0xFF, 0xFD, 0x00]),
                          wire: "FF FF FD 00 01 0A 00 03 74 00 FF FF FD FD 00 21 E7"),
    ]

    @Test(arguments: instructionVectors)
    func instructionEncodesToTheReferenceBytes(_ vector: InstructionVector) throws {
        #expect(ServoHex.string(try vector.instruction.encoded()) == vector.wire)
    }

    @Test(arguments: instructionVectors)
    func referenceInstructionBytesDecodeToTheInstruction(_ vector: InstructionVector) throws {
        let decoder = DynamixelDecoder()
        decoder.feed(ServoHex.bytes(vector.wire))
        let packet = try #require(decoder.next())
        #expect(try packet.instruction() == vector.instruction)
        #expect(packet.id == vector.instruction.id)
        #expect(Array(packet.frame) == ServoHex.bytes(vector.wire))
        #expect(decoder.next() == nil)
        #expect(decoder.counters.frames == 1)
        #expect(decoder.counters.discardedBytes == 0 && decoder.counters.checksumErrors == 0)
    }

    @Test func crcOfTheCheckStringIs0xFEE8() {
        #expect(DynamixelCRC.checksum(Array("123456789".utf8)) == 0xFEE8)
    }

    @Test func stuffedWriteCarriesTheOriginalDataAfterDecoding() throws {
        let decoder = DynamixelDecoder()
        decoder.feed(ServoHex.bytes("FF FF FD 00 01 0A 00 03 74 00 FF FF FD FD 00 21 E7"))
        let packet = try #require(decoder.next())
        #expect(Array(packet.parameters) == [0x74, 0x00, 0xFF, 0xFF, 0xFD, 0x00])
    }

    @Test func pingReplyCarriesModelNumberAndFirmware() throws {
        let wire = "FF FF FD 00 01 07 00 55 00 06 04 26 65 5D"
        let reply = DynamixelStatus.pingReply(id: 1, modelNumber: DynamixelModel.xm430W210.rawValue, firmwareVersion: 38)
        #expect(ServoHex.string(try reply.encoded()) == wire)

        let decoder = DynamixelDecoder()
        decoder.feed(ServoHex.bytes(wire))
        let packet = try #require(decoder.next())
        #expect(packet.isStatus && packet.id == 1 && packet.deviceError == DynamixelDeviceError.none)
        #expect(try DynamixelXSeries.modelNumber.value(in: packet.statusData, dataAddress: 0) == 1030)
        #expect(DynamixelModel(rawValue: UInt16(try DynamixelXSeries.modelNumber.value(in: packet.statusData, dataAddress: 0))) == .xm430W210)
        #expect(packet.statusData[2] == 38)
        #expect(try packet.status() == reply)
    }

    @Test func readReplyCarriesPresentPosition166() throws {
        let wire = "FF FF FD 00 01 08 00 55 00 A6 00 00 00 8C C0"
        let reply = DynamixelStatus(id: 1, data: try DynamixelXSeries.presentPosition.bytes(166))
        #expect(ServoHex.string(try reply.encoded()) == wire)

        let decoder = DynamixelDecoder()
        decoder.feed(ServoHex.bytes(wire))
        let packet = try #require(decoder.next())
        #expect(try DynamixelXSeries.presentPosition.value(in: packet.statusData, dataAddress: 132) == 166)
    }

    @Test func writeReplyIsAnEmptyStatus() throws {
        let wire = "FF FF FD 00 01 04 00 55 00 A1 0C"
        #expect(ServoHex.string(try DynamixelStatus(id: 1).encoded()) == wire)
        let decoder = DynamixelDecoder()
        decoder.feed(ServoHex.bytes(wire))
        let packet = try #require(decoder.next())
        #expect(try packet.status() == DynamixelStatus(id: 1, error: .none, data: []))
        #expect(packet.statusData.isEmpty)
    }

    static let fastSyncReadReply =
        "FF FF FD 00 FE 19 00 55 00 03 A6 00 00 00 84 08 00 07 1F 08 00 00 16 CA 00 04 FF 03 00 00 D1 9E"

    @Test func fastSyncReadReplyEncodesToTheReferenceBytes() throws {
        let devices = [
            DynamixelStatus(id: 3, data: try DynamixelXSeries.presentPosition.bytes(166)),
            DynamixelStatus(id: 7, data: try DynamixelXSeries.presentPosition.bytes(2079)),
            DynamixelStatus(id: 4, data: try DynamixelXSeries.presentPosition.bytes(1023)),
        ]
        #expect(ServoHex.string(try DynamixelFastReply.encoded(devices)) == Self.fastSyncReadReply)
    }

    @Test func fastSyncReadReplySplitsIntoDevicesWithCheckedCRCs() throws {
        let decoder = DynamixelDecoder()
        decoder.feed(ServoHex.bytes(Self.fastSyncReadReply))
        let packet = try #require(decoder.next())
        let segments = try packet.fastSyncReadSegments(dataLength: 4)
        #expect(segments.count == 3)
        let positions = try segments.map { segment in
            try DynamixelXSeries.presentPosition.value(in: segment.data, dataAddress: 132)
        }
        #expect(segments.map(\.id) == [3, 7, 4])
        #expect(positions == [166, 2079, 1023])
        #expect(segments.allSatisfy { $0.error.isNone })
    }
}
