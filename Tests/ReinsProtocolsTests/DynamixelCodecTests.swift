import ReinsProtocols
import Testing

/// A Protocol 2.0 frame with exactly these bytes between LEN and CRC (no stuffing applied), so tests
/// can build packets the encoders refuse to make.
func rawDynamixelFrame(id: UInt8, instruction: UInt8, body: [UInt8]) -> [UInt8] {
    let length = 1 + body.count + 2
    var frame: [UInt8] = [0xFF, 0xFF, 0xFD, 0x00, id, UInt8(length & 0xFF), UInt8(length >> 8), instruction] + body
    let crc = DynamixelCRC.checksum(frame)
    frame += [UInt8(crc & 0xFF), UInt8(crc >> 8)]
    return frame
}

@Suite struct DynamixelByteStuffingTests {
    @Test func stuffingInsertsFDAfterEveryHeaderLookAlike() {
        #expect(DynamixelByteStuffing.stuff([0xFF, 0xFF, 0xFD, 0x00]) == [0xFF, 0xFF, 0xFD, 0xFD, 0x00])
        // Matched on the original bytes: FF FF FD FD becomes FF FF FD FD FD.
        #expect(DynamixelByteStuffing.stuff([0xFF, 0xFF, 0xFD, 0xFD]) == [0xFF, 0xFF, 0xFD, 0xFD, 0xFD])
        #expect(DynamixelByteStuffing.stuff([0xFF, 0xFF, 0xFD, 0xFF, 0xFF, 0xFD])
            == [0xFF, 0xFF, 0xFD, 0xFD, 0xFF, 0xFF, 0xFD, 0xFD])
        #expect(DynamixelByteStuffing.stuff([0xFF, 0xFD, 0xFF, 0xFF, 0x00]) == [0xFF, 0xFD, 0xFF, 0xFF, 0x00])
    }

    @Test func unstuffingUndoesStuffingForRandomHeaderHeavyData() {
        var generator = ServoFuzzGenerator(seed: 0xD1A1)
        let alphabet: [UInt8] = [0xFF, 0xFD, 0x00, 0x55]
        for _ in 0..<2000 {
            let original = (0..<generator.int(0...24)).map { _ in alphabet[generator.int(0...3)] }
            let stuffed = DynamixelByteStuffing.stuff(original)
            #expect(DynamixelByteStuffing.unstuff(stuffed) == original, "\(ServoHex.string(original))")
        }
    }

    @Test func unstuffingToleratesAMissingStuffingByte() {
        // The FAST_SYNC_READ reply is sent unstuffed.
        #expect(DynamixelByteStuffing.unstuff([0xFF, 0xFF, 0xFD, 0x07]) == [0xFF, 0xFF, 0xFD, 0x07])
    }
}

@Suite struct DynamixelEncoderTests {
    @Test func encodersAppendFramesToAPreallocatedWriter() throws {
        let writer = ByteWriter(capacity: 64)
        try DynamixelInstruction.ping(id: 1).encode(into: writer)
        try DynamixelInstruction.action(id: 1).encode(into: writer)
        #expect(ServoHex.string(writer.array) == "FF FF FD 00 01 03 00 01 19 4E FF FF FD 00 01 03 00 05 02 CE")
    }

    @Test func idsThatNoDeviceCanHaveAreRefused() {
        #expect(throws: DynamixelEncodingError.invalidID(253)) { try DynamixelInstruction.ping(id: 253).encoded() }
        #expect(throws: DynamixelEncodingError.invalidID(255)) { try DynamixelInstruction.read(id: 255, address: 0, length: 1).encoded() }
        #expect(throws: DynamixelEncodingError.invalidID(254)) { try DynamixelStatus(id: 254).encoded() }
        #expect(throws: DynamixelEncodingError.invalidDeviceID(254, position: 1)) {
            try DynamixelInstruction.syncRead(address: 132, length: 4, ids: [1, 254]).encoded()
        }
        #expect(throws: DynamixelEncodingError.duplicateDeviceID(3, position: 2)) {
            try DynamixelInstruction.fastSyncRead(address: 132, length: 4, ids: [3, 4, 3]).encoded()
        }
        #expect(throws: DynamixelEncodingError.duplicateDeviceID(200, position: 1)) {
            try DynamixelInstruction.bulkRead([DynamixelBulkReadEntry(id: 200, address: 0, length: 1),
                                               DynamixelBulkReadEntry(id: 200, address: 2, length: 1)]).encoded()
        }
        #expect(throws: DynamixelEncodingError.emptyDeviceList(.syncRead)) {
            try DynamixelInstruction.syncRead(address: 132, length: 4, ids: []).encoded()
        }
    }

    @Test func errorMessagesNameTheWrongField() {
        #expect("\(DynamixelEncodingError.invalidID(253))".contains("ID byte 253"))
        #expect("\(DynamixelEncodingError.invalidDeviceID(254, position: 1))".contains("position 1"))
        #expect("\(DynamixelEncodingError.syncWriteDataMismatch(deviceCount: 2, dataLength: 4, dataCount: 7))"
            .contains("7 bytes but 2 devices x 4 bytes need 8"))
        #expect("\(DynamixelDecodingError.malformedParameters(.read, parameterCount: 3, expected: "4 (address, length)"))"
            == "READ has 3 parameter bytes; expected 4 (address, length)")
        #expect("\(DynamixelDecodingError.fastReplySegmentCRC(position: 1, id: 7, received: 0x1234, computed: 0xCA16))"
            == "segment 1 (device 7) has CRC 0x1234, computed 0xCA16")
    }

    @Test func syncWriteDataMustMatchTheDevices() {
        #expect(throws: DynamixelEncodingError.syncWriteDataMismatch(deviceCount: 2, dataLength: 4, dataCount: 7)) {
            try DynamixelInstruction.syncWrite(address: 116, length: 4, ids: [1, 2], data: [UInt8](repeating: 0, count: 7)).encoded()
        }
    }

    @Test func aFrameTooLongForTheLengthFieldIsRefused() {
        let data = [UInt8](repeating: 0, count: 65_533)
        #expect(throws: DynamixelEncodingError.packetTooLong(length: 65_538)) {
            try DynamixelInstruction.write(id: 1, address: 0, data: data).encoded()
        }
    }

    @Test func aFullWriterIsReportedNotOverrun() throws {
        let writer = ByteWriter(capacity: 12)
        #expect(throws: DynamixelEncodingError.writerFull(capacity: 12)) {
            try DynamixelInstruction.read(id: 1, address: 132, length: 4).encode(into: writer)
        }
        #expect(writer.count == 12 && writer.overflowed)
        // A writer left overflowed is refused until it is reset.
        #expect(throws: DynamixelEncodingError.writerFull(capacity: 12)) {
            try DynamixelInstruction.ping(id: 1).encode(into: writer)
        }
        writer.reset()
        try DynamixelInstruction.ping(id: 1).encode(into: writer)
        #expect(writer.count == 10)
    }

    @Test func clearAndFactoryResetCarryTheirFixedParameters() throws {
        #expect(Array(try DynamixelInstruction.clearMultiTurn(id: 1).encoded()[7..<13]) == [0x10, 0x01, 0x44, 0x58, 0x4C, 0x22])
        #expect(Array(try DynamixelInstruction.factoryReset(id: 1, scope: .everythingExceptID).encoded()[7..<9]) == [0x06, 0x01])
    }
}

@Suite struct DynamixelInstructionRoundTripTests {
    static func randomData(_ generator: inout ServoFuzzGenerator, maximum: Int) -> [UInt8] {
        // Biased towards FF and FD so stuffing happens often.
        (0..<generator.int(0...maximum)).map { _ in
            generator.chance(0.5) ? [0xFF, 0xFD, 0x00][generator.int(0...2)] : generator.byte()
        }
    }

    static func randomIDs(_ generator: inout ServoFuzzGenerator) -> [UInt8] {
        var ids: [UInt8] = []
        for _ in 0..<generator.int(1...8) {
            let id = UInt8(generator.int(0...252))
            if !ids.contains(id) { ids.append(id) }
        }
        return ids
    }

    static func randomInstruction(_ generator: inout ServoFuzzGenerator) -> DynamixelInstruction {
        let id = generator.chance(0.1) ? DynamixelDeviceID.broadcast : UInt8(generator.int(0...252))
        let address = UInt16(truncatingIfNeeded: generator.next())
        let length = UInt16(generator.int(0...8))
        switch generator.int(0...13) {
        case 0: return .ping(id: id)
        case 1: return .read(id: id, address: address, length: UInt16(truncatingIfNeeded: generator.next()))
        case 2: return .write(id: id, address: address, data: randomData(&generator, maximum: 16))
        case 3: return .regWrite(id: id, address: address, data: randomData(&generator, maximum: 16))
        case 4: return .action(id: id)
        case 5: return .factoryReset(id: id, scope: DynamixelFactoryResetScope.allCases[generator.int(0...2)])
        case 6: return .reboot(id: id)
        case 7: return .clearMultiTurn(id: id)
        case 8: return .syncRead(address: address, length: length, ids: randomIDs(&generator))
        case 9: return .fastSyncRead(address: address, length: length, ids: randomIDs(&generator))
        case 10:
            let ids = randomIDs(&generator)
            let data = (0..<(ids.count * Int(length))).map { _ in [0xFF, 0xFD, generator.byte()][generator.int(0...2)] }
            return .syncWrite(address: address, length: length, ids: ids, data: data)
        case 11:
            return .bulkRead(randomIDs(&generator).map { DynamixelBulkReadEntry(id: $0, address: address, length: length) })
        case 12:
            return .fastBulkRead(randomIDs(&generator).map { DynamixelBulkReadEntry(id: $0, address: address, length: length) })
        default:
            var entries: [DynamixelBulkWriteEntry] = []
            for id in randomIDs(&generator) {
                entries.append(DynamixelBulkWriteEntry(id: id, address: address, data: randomData(&generator, maximum: 8)))
            }
            return .bulkWrite(entries)
        }
    }

    @Test func everyInstructionSurvivesEncodeAndDecode() throws {
        var generator = ServoFuzzGenerator(seed: 0x1257)
        let decoder = DynamixelDecoder()
        for _ in 0..<3000 {
            let instruction = Self.randomInstruction(&generator)
            decoder.feed(try instruction.encoded())
            let packet = try #require(decoder.next())
            #expect(try packet.instruction() == instruction)
        }
        #expect(decoder.counters.checksumErrors == 0 && decoder.counters.malformedFrames == 0)
    }

    @Test func statusPacketsSurviveEncodeAndDecodeIncludingRepeatedStuffing() throws {
        var generator = ServoFuzzGenerator(seed: 0x5747)
        let decoder = DynamixelDecoder()
        var statuses = [
            DynamixelStatus(id: 1, data: [0xFF, 0xFF, 0xFD, 0x07, 0xFF, 0xFD, 0xFD]),
            DynamixelStatus(id: 2, data: [0xFF, 0xFF, 0xFD, 0xFD, 0xFF, 0xFF, 0xFD, 0xFD]),
            DynamixelStatus(id: 3, data: [0xFF, 0xFF, 0xFD]),
        ]
        for _ in 0..<2000 {
            statuses.append(DynamixelStatus(id: UInt8(generator.int(0...252)),
                                            error: DynamixelDeviceError(rawValue: generator.byte()),
                                            data: Self.randomData(&generator, maximum: 24)))
        }
        for status in statuses {
            decoder.feed(try status.encoded())
            let packet = try #require(decoder.next())
            #expect(try packet.status() == status)
        }
    }
}

@Suite struct DynamixelInstructionDecodingTests {
    static func decode(_ frame: [UInt8]) throws -> DynamixelInstruction? {
        let decoder = DynamixelDecoder()
        decoder.feed(frame)
        return try decoder.next()?.instruction()
    }

    @Test func parametersThatDoNotFitTheInstructionAreReported() {
        #expect(throws: DynamixelDecodingError.malformedParameters(.read, parameterCount: 3, expected: "4 (address, length)")) {
            try Self.decode(rawDynamixelFrame(id: 1, instruction: 0x02, body: [0x84, 0x00, 0x04]))
        }
        #expect(throws: DynamixelDecodingError.malformedParameters(.ping, parameterCount: 1, expected: "none")) {
            try Self.decode(rawDynamixelFrame(id: 1, instruction: 0x01, body: [0x00]))
        }
        #expect(throws: DynamixelDecodingError.malformedParameters(
            .syncWrite, parameterCount: 10, expected: "4 (address, length) + (1 + length) per device")) {
            try Self.decode(rawDynamixelFrame(id: 0xFE, instruction: 0x83, body: [0x74, 0x00, 0x04, 0x00, 1, 2, 3, 4, 5, 6]))
        }
        #expect(throws: DynamixelDecodingError.malformedParameters(.bulkWrite, parameterCount: 6, expected: "2 data bytes for device 1")) {
            try Self.decode(rawDynamixelFrame(id: 0xFE, instruction: 0x93, body: [1, 0x20, 0x00, 0x02, 0x00, 0xA0]))
        }
        #expect(throws: DynamixelDecodingError.unsupportedFactoryResetScope(0x07)) {
            try Self.decode(rawDynamixelFrame(id: 1, instruction: 0x06, body: [0x07]))
        }
        #expect(throws: DynamixelDecodingError.unsupportedClearParameters([0x02])) {
            try Self.decode(rawDynamixelFrame(id: 1, instruction: 0x10, body: [0x02]))
        }
    }

    @Test func groupInstructionsMustBeBroadcast() {
        #expect(throws: DynamixelDecodingError.groupInstructionNotBroadcast(.syncRead, id: 1)) {
            try Self.decode(rawDynamixelFrame(id: 1, instruction: 0x82, body: [0x84, 0x00, 0x04, 0x00, 0x01]))
        }
    }

    @Test func statusAndInstructionPacketsAreNotConfused() throws {
        let decoder = DynamixelDecoder()
        decoder.feed(try DynamixelStatus(id: 4).encoded())
        let status = try #require(decoder.next())
        #expect(throws: DynamixelDecodingError.notAnInstructionPacket(id: 4)) { try status.instruction() }
        decoder.feed(try DynamixelInstruction.ping(id: 4).encoded())
        let ping = try #require(decoder.next())
        #expect(ping.deviceError == nil && ping.statusData.isEmpty)
        #expect(throws: DynamixelDecodingError.notAStatusPacket(instruction: 0x01)) { try ping.status() }
    }
}

@Suite struct DynamixelStatusErrorTests {
    @Test func errorByteSplitsIntoAlertAndCode() {
        let error = DynamixelDeviceError(rawValue: 0x84)
        #expect(error.hardwareAlert && error.code == .dataRange && !error.isNone)
        #expect(error.description
            == "hardware alert (read Hardware Error Status at address 70; REBOOT clears it); data range error (the value is outside the register's range)")
        #expect(DynamixelDeviceError(rawValue: 0x80).code == nil)
        #expect(DynamixelDeviceError(rawValue: 0x80).description.hasPrefix("hardware alert"))
        #expect(DynamixelDeviceError(rawValue: 0x09).description == "unknown error code 9")
        #expect(DynamixelDeviceError.none.description == "no error")
        #expect(DynamixelDeviceError.Code.allCases.map(\.rawValue) == [1, 2, 3, 4, 5, 6, 7])
        #expect(DynamixelDeviceError(rawValue: 7).code == .access)
    }

    @Test func hardwareErrorStatusNamesEachBit() {
        let status = DynamixelHardwareErrorStatus(rawValue: 0b0010_0101)
        #expect(status.contains(.inputVoltage) && status.contains(.overheating) && status.contains(.overload))
        #expect(status.description == "input voltage out of range, overheating, overload")
        #expect(DynamixelHardwareErrorStatus(rawValue: 0b1000_0010).description == "unknown bit 1, unknown bit 7")
    }
}

@Suite struct DynamixelRegisterTests {
    @Test func signedRegistersAreTwosComplement() throws {
        let data: [UInt8] = [0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x08, 0x00, 0x00]
        #expect(try DynamixelXSeries.presentVelocity.value(in: data, dataAddress: 128) == -1)
        #expect(try DynamixelXSeries.presentPosition.value(in: data, dataAddress: 128) == 2048)
        #expect(try DynamixelXSeries.goalCurrent.bytes(-2) == [0xFE, 0xFF])
        #expect(try DynamixelXSeries.maxPositionLimit.bytes(4095) == [0xFF, 0x0F, 0x00, 0x00])
    }

    @Test func theWholePresentStateBlockReadsInOneGo() throws {
        var block = [UInt8](repeating: 0, count: Int(DynamixelXSeries.presentStateBlockLength))
        let base = DynamixelXSeries.presentStateBlockAddress
        try DynamixelXSeries.presentCurrent.store(-120, into: &block, at: 0)
        try DynamixelXSeries.presentVelocity.store(-35, into: &block, at: 2)
        try DynamixelXSeries.presentPosition.store(3000, into: &block, at: 6)
        try DynamixelXSeries.presentInputVoltage.store(121, into: &block, at: 18)
        try DynamixelXSeries.presentTemperature.store(41, into: &block, at: 20)
        #expect(try DynamixelXSeries.presentCurrent.value(in: block, dataAddress: base) == -120)
        #expect(try DynamixelXSeries.presentVelocity.value(in: block, dataAddress: base) == -35)
        #expect(try DynamixelXSeries.presentPosition.value(in: block, dataAddress: base) == 3000)
        #expect(try DynamixelXSeries.presentInputVoltage.value(in: block, dataAddress: base) == 121)
        #expect(try DynamixelXSeries.presentTemperature.value(in: block, dataAddress: base) == 41)
    }

    @Test func valuesOutsideTheRegisterAreRefused() {
        #expect(throws: DynamixelEncodingError.valueOutOfRange(register: "Torque Enable", value: 256, range: 0...255)) {
            try DynamixelXSeries.torqueEnable.bytes(256)
        }
        #expect(throws: DynamixelEncodingError.valueOutOfRange(register: "Goal PWM", value: -32769, range: -32768...32767)) {
            try DynamixelXSeries.goalPWM.bytes(-32769)
        }
    }

    @Test func aRegisterOutsideTheDataReadIsReported() {
        let data: [UInt8] = [0, 0, 0, 0]
        #expect(throws: DynamixelDecodingError.registerOutsideData(
            register: "Present Position", address: 132, size: 4, dataAddress: 130, dataCount: 4)) {
            try DynamixelXSeries.presentPosition.value(in: data, dataAddress: 130)
        }
        #expect(throws: DynamixelDecodingError.self) { try DynamixelXSeries.presentCurrent.value(in: data, dataAddress: 128) }
    }

    @Test func controlTableMatchesTheReference() {
        let expected: [(DynamixelRegister, UInt16, Int)] = [
            (DynamixelXSeries.modelNumber, 0, 2), (DynamixelXSeries.firmwareVersion, 6, 1), (DynamixelXSeries.id, 7, 1),
            (DynamixelXSeries.baudRate, 8, 1), (DynamixelXSeries.returnDelayTime, 9, 1),
            (DynamixelXSeries.operatingMode, 11, 1), (DynamixelXSeries.homingOffset, 20, 4),
            (DynamixelXSeries.temperatureLimit, 31, 1), (DynamixelXSeries.maxVoltageLimit, 32, 2),
            (DynamixelXSeries.minVoltageLimit, 34, 2), (DynamixelXSeries.pwmLimit, 36, 2),
            (DynamixelXSeries.currentLimit, 38, 2), (DynamixelXSeries.velocityLimit, 44, 4),
            (DynamixelXSeries.maxPositionLimit, 48, 4), (DynamixelXSeries.minPositionLimit, 52, 4),
            (DynamixelXSeries.shutdown, 63, 1), (DynamixelXSeries.torqueEnable, 64, 1), (DynamixelXSeries.led, 65, 1),
            (DynamixelXSeries.statusReturnLevel, 68, 1), (DynamixelXSeries.hardwareErrorStatus, 70, 1),
            (DynamixelXSeries.busWatchdog, 98, 1), (DynamixelXSeries.goalPWM, 100, 2),
            (DynamixelXSeries.goalCurrent, 102, 2), (DynamixelXSeries.goalVelocity, 104, 4),
            (DynamixelXSeries.profileAcceleration, 108, 4), (DynamixelXSeries.profileVelocity, 112, 4),
            (DynamixelXSeries.goalPosition, 116, 4), (DynamixelXSeries.realtimeTick, 120, 2),
            (DynamixelXSeries.moving, 122, 1), (DynamixelXSeries.movingStatus, 123, 1),
            (DynamixelXSeries.presentPWM, 124, 2), (DynamixelXSeries.presentCurrent, 126, 2),
            (DynamixelXSeries.presentVelocity, 128, 4), (DynamixelXSeries.presentPosition, 132, 4),
            (DynamixelXSeries.presentInputVoltage, 144, 2), (DynamixelXSeries.presentTemperature, 146, 1),
        ]
        for (register, address, size) in expected {
            #expect(register.address == address && register.size == size, "\(register)")
        }
        let block = DynamixelXSeries.presentTemperature.address + 1 - DynamixelXSeries.presentCurrent.address
        #expect(block == DynamixelXSeries.presentStateBlockLength)
        #expect(DynamixelModel.xl430W250.rawValue == 1060 && DynamixelModel.xm430W350.rawValue == 1020
            && DynamixelModel.xm430W210.rawValue == 1030)
        #expect(DynamixelOperatingMode.position.rawValue == 3 && DynamixelOperatingMode.pwm.rawValue == 16)
        #expect(DynamixelXSeriesBaudRate.baud57600.rawValue == 1 && DynamixelXSeriesBaudRate.baud1M.rawValue == 3)
    }
}

@Suite struct DynamixelFastReplyTests {
    @Test func bulkReplySegmentsUseTheLengthEachDeviceWasAskedFor() throws {
        let requested = [DynamixelBulkReadEntry(id: 1, address: 144, length: 2),
                         DynamixelBulkReadEntry(id: 2, address: 146, length: 1)]
        let reply = try DynamixelFastReply.encoded([
            DynamixelStatus(id: 2, data: [41]),
            DynamixelStatus(id: 1, error: DynamixelDeviceError(rawValue: 0x80), data: [121, 0]),
        ])
        let decoder = DynamixelDecoder()
        decoder.feed(reply)
        let packet = try #require(decoder.next())
        let segments = Array(try packet.fastBulkReadSegments(requested: requested)).map(DynamixelStatus.init)
        #expect(segments == [DynamixelStatus(id: 2, data: [41]),
                             DynamixelStatus(id: 1, error: DynamixelDeviceError(rawValue: 0x80), data: [121, 0])])
        #expect(throws: DynamixelDecodingError.fastReplyUnexpectedDevice(position: 0, id: 2)) {
            try packet.fastBulkReadSegments(requested: [requested[0]])
        }
    }

    @Test func fastReplyDataIsReadUnstuffedFromTheFrame() throws {
        let devices = [DynamixelStatus(id: 1, data: [0xFF, 0xFF, 0xFD, 0x00]), DynamixelStatus(id: 2, data: [0xFF, 0xFF, 0xFD, 0xFD])]
        let reply = try DynamixelFastReply.encoded(devices)
        #expect(reply.count == 8 + 2 * 8)
        let decoder = DynamixelDecoder()
        decoder.feed(reply)
        let packet = try #require(decoder.next())
        #expect(Array(try packet.fastSyncReadSegments(dataLength: 4)).map(DynamixelStatus.init) == devices)
    }

    @Test func aWrongRunningCRCNamesTheSegment() throws {
        var reply = ServoHex.bytes(DynamixelVectorTests.fastSyncReadReply)
        reply[22] ^= 0x01  // device 7's CRC
        let crc = DynamixelCRC.checksum(Array(reply[0..<(reply.count - 2)]))
        reply[reply.count - 2] = UInt8(crc & 0xFF)
        reply[reply.count - 1] = UInt8(crc >> 8)
        let decoder = DynamixelDecoder()
        decoder.feed(reply)
        let packet = try #require(decoder.next())
        #expect(throws: DynamixelDecodingError.fastReplySegmentCRC(position: 1, id: 7, received: 0xCA17, computed: 0xCA16)) {
            try packet.fastSyncReadSegments(dataLength: 4)
        }
    }

    @Test func aReplyThatDoesNotSplitIntoSegmentsIsReported() throws {
        let decoder = DynamixelDecoder()
        decoder.feed(ServoHex.bytes(DynamixelVectorTests.fastSyncReadReply))
        let packet = try #require(decoder.next())
        #expect(throws: DynamixelDecodingError.self) { try packet.fastSyncReadSegments(dataLength: 2) }
        #expect(throws: DynamixelDecodingError.self) { try packet.fastSyncReadSegments(dataLength: 5) }

        decoder.feed(try DynamixelStatus(id: 3, data: [0xA6, 0, 0, 0]).encoded())
        let normal = try #require(decoder.next())
        #expect(throws: DynamixelDecodingError.fastReplyNotBroadcast(id: 3)) { try normal.fastSyncReadSegments(dataLength: 4) }
    }
}
