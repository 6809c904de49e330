import ReinsProtocols
import Testing

private func bytes(_ hex: String) -> [UInt8] {
    hex.split(separator: " ").map { UInt8($0, radix: 16)! }
}

/// The vectors of /work/shared/reference/protocols.md (VESC section).
private let referenceVectors: [(VESCCommand, String)] = [
    (.alive, "02 01 1E F3 FF 03"),
    (.requestValues, "02 01 04 40 84 03"),
    (.requestFirmwareVersion, "02 01 00 00 00 03"),
    (.setElectricalRPM(1000), "02 05 08 00 00 03 E8 2B 58 03"),
    (.setElectricalRPM(-1500), "02 05 08 FF FF FA 24 1E 01 03"),
    (.setDutyCycle(0.25), "02 05 05 00 00 61 A8 2F AE 03"),
    (.setCurrent(amperes: 5), "02 05 06 00 00 13 88 8B 25 03"),
    (.setServoPosition(0.5), "02 03 0C 01 F4 E9 CB 03"),
]

/// A full current-firmware telemetry record whose values are exact multiples of their wire steps.
let vescFullValues: VESCValues = {
    var values = VESCValues()
    values.fetTemperatureCelsius = 25.3
    values.motorTemperatureCelsius = -4.5
    values.motorCurrentAmperes = 12.34
    values.inputCurrentAmperes = -3.21
    values.directAxisCurrentAmperes = 0.5
    values.quadratureAxisCurrentAmperes = 11.75
    values.dutyCycle = -0.123
    values.electricalRPM = -23_071
    values.inputVoltage = 16.8
    values.ampereHoursDrawn = 1.2345
    values.ampereHoursCharged = 0.0678
    values.wattHoursDrawn = 20.5
    values.wattHoursCharged = 1.0001
    values.tachometer = -123_456
    values.tachometerAbsolute = 654_321
    values.fault = .overTemperatureFET
    values.pidPositionDegrees = 359.999999
    values.controllerID = 42
    values.mosfetTemperaturesCelsius = .init(30.1, 30.2, 29.9)
    values.directAxisVoltage = -1.234
    values.quadratureAxisVoltage = 7.5
    values.status = [.commandTimedOut]
    return values
}()

@Suite struct VESCCodecTests {
    @Test func checksumMatchesTheCRC16XMODEMCheckValue() {
        #expect(VESCChecksum.crc16(Array("123456789".utf8)) == 0x31C3)
    }

    @Test(arguments: referenceVectors)
    func commandEncodesToTheReferenceBytes(command: VESCCommand, hex: String) throws {
        #expect(try VESCFraming.frame(command) == bytes(hex))
    }

    @Test(arguments: referenceVectors)
    func referenceBytesDecodeToTheCommand(command: VESCCommand, hex: String) throws {
        let decoder = VESCFrameDecoder()
        decoder.feed(bytes(hex))
        let frame = try #require(decoder.next())
        #expect(frame.commandID == command.commandID)
        #expect(try VESCCommand(payload: frame.payload) == command)
        #expect(decoder.next() == nil)
        #expect(decoder.counters.frames == 1 && decoder.counters.discardedBytes == 0)
    }

    @Test func everyCommandRoundTripsThroughAFrame() throws {
        let commands: [VESCCommand] = [
            .requestFirmwareVersion, .requestValues, .setDutyCycle(-0.95), .setCurrent(amperes: -12.5),
            .setBrakeCurrent(amperes: 30), .setElectricalRPM(Int32.min), .setPosition(degrees: 123.456789),
            .setServoPosition(0.15), .reboot, .alive, .requestSelectedValues([.electricalRPM, .inputVoltage]),
        ]
        let writer = ByteWriter(capacity: 256)
        for command in commands { try VESCFraming.encode(command, into: writer) }
        let decoder = VESCFrameDecoder()
        decoder.feed(writer.array)
        let decoded = try decoder.drainPayloads().map { try VESCCommand(payload: $0) }
        #expect(decoded == commands)
    }

    @Test func commandValuesAreRoundedToTheNearestWireStep() throws {
        // 0.123456 x 1e5 = 12345.6: the firmware would truncate to 12345; Reins sends 12346.
        #expect(try VESCFraming.frame(VESCCommand.setDutyCycle(0.123456))[2...6] == [5, 0, 0, 0x30, 0x3A])
    }

    @Test func valuesThatDoNotFitTheirFieldAreRefusedWithTheFieldName() {
        let writer = ByteWriter(capacity: 64)
        #expect(throws: VESCError.valueNotRepresentable(field: "servo position", value: 40, minimum: -32.768, maximum: 32.767)) {
            try VESCFraming.encode(VESCCommand.setServoPosition(40), into: writer)
        }
        #expect(throws: VESCError.self) { try VESCFraming.encode(VESCCommand.setDutyCycle(.nan), into: writer) }
        #expect(throws: VESCError.self) { try VESCFraming.encode(VESCCommand.setCurrent(amperes: 3e6), into: writer) }
        #expect(writer.count == 0, "a refused command must leave the writer untouched")
        let error = VESCError.valueNotRepresentable(field: "duty", value: 1e5, minimum: -21474.83648, maximum: 21474.83647)
        #expect(error.description.contains("duty"))
    }

    @Test func aFullWriterIsReportedBeforeAnythingIsWritten() throws {
        let writer = ByteWriter(capacity: 12)
        try VESCFraming.encode(VESCCommand.alive, into: writer)
        #expect(throws: VESCError.writerFull(needed: 10, available: 6)) {
            try VESCFraming.encode(VESCCommand.setElectricalRPM(1), into: writer)
        }
        #expect(writer.array == bytes("02 01 1E F3 FF 03"))
    }

    @Test func payloadsOver255BytesUseTheLongFrameAndRoundTrip() throws {
        let payload = (0..<300).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let frame = try VESCFraming.frame(payload: payload)
        #expect(frame.count == 306)
        #expect(Array(frame[0..<3]) == [0x03, 0x01, 0x2C])
        let crc = VESCChecksum.crc16(payload)
        #expect(Array(frame[303...]) == [UInt8(crc >> 8), UInt8(crc & 0xFF), 0x03])
        #expect(try VESCFraming.frame(payload: Array(payload[0..<255]))[0] == 0x02)

        let decoder = VESCFrameDecoder()
        decoder.feed(frame)
        #expect(decoder.next()?.payloadBytes == payload)
        #expect(throws: VESCError.payloadLengthOutOfRange(length: 0)) { try VESCFraming.frame(payload: []) }
        #expect(throws: VESCError.payloadLengthOutOfRange(length: 65536)) {
            try VESCFraming.frame(payload: [UInt8](repeating: 1, count: 65536))
        }
    }

    @Test func commandDecodingNamesWhatIsWrong() {
        #expect(throws: VESCError.emptyPayload) { try VESCCommand(payload: []) }
        #expect(throws: VESCError.wrongPayloadLength(command: .setRPM, expected: 5, actual: 4)) {
            try VESCCommand(payload: [8, 0, 0, 3])
        }
        #expect(throws: VESCError.wrongPayloadLength(command: .alive, expected: 1, actual: 2)) {
            try VESCCommand(payload: [30, 0])
        }
        #expect(throws: VESCError.unsupportedCommand(VESCCommandID(rawValue: 77))) { try VESCCommand(payload: [77]) }
        #expect(VESCError.wrongPayloadLength(command: .setRPM, expected: 5, actual: 4).description
            == "VESC COMM_SET_RPM (8) payload has 4 bytes, expected 5 (command id included)")
    }
}

@Suite struct VESCReplyTests {
    /// The GET_VALUES reply written field by field as commands.c does, independent of the encoder.
    private func firmwareLayout(_ v: VESCValues) -> [UInt8] {
        var out: [UInt8] = [4]
        func i16(_ x: Double, _ scale: Double) { let r = Int16((x * scale).rounded()); out += [UInt8(truncatingIfNeeded: r >> 8), UInt8(truncatingIfNeeded: r)] }
        func i32(_ r: Int32) { out += [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: r >> $0) } }
        func f32(_ x: Double, _ scale: Double) { i32(Int32((x * scale).rounded())) }
        i16(v.fetTemperatureCelsius!, 10); i16(v.motorTemperatureCelsius!, 10)
        f32(v.motorCurrentAmperes!, 100); f32(v.inputCurrentAmperes!, 100)
        f32(v.directAxisCurrentAmperes!, 100); f32(v.quadratureAxisCurrentAmperes!, 100)
        i16(v.dutyCycle!, 1000); f32(v.electricalRPM!, 1); i16(v.inputVoltage!, 10)
        f32(v.ampereHoursDrawn!, 1e4); f32(v.ampereHoursCharged!, 1e4)
        f32(v.wattHoursDrawn!, 1e4); f32(v.wattHoursCharged!, 1e4)
        i32(v.tachometer!); i32(v.tachometerAbsolute!)
        out.append(v.fault!.rawValue)
        f32(v.pidPositionDegrees!, 1e6)
        out.append(v.controllerID!)
        let mos = v.mosfetTemperaturesCelsius!
        i16(mos.first, 10); i16(mos.second, 10); i16(mos.third, 10)
        f32(v.directAxisVoltage!, 1e3); f32(v.quadratureAxisVoltage!, 1e3)
        out.append(v.status!.rawValue)
        return out
    }

    @Test func getValuesReplyHasTheFirmwareLayoutAndRoundTrips() throws {
        let expected = firmwareLayout(vescFullValues)
        #expect(expected.count == 74)
        let frame = try VESCFraming.frame(VESCReply.values(vescFullValues))
        #expect(Array(frame[2..<76]) == expected)
        #expect(Array(expected[1...2]) == [0x00, 0xFD], "temp_fet 25.3 C is 253 (x10)")

        let decoded = try VESCValues(replyPayload: expected)
        #expect(decoded == vescFullValues)
        #expect(decoded.presentFields == .all)
        #expect(try VESCReply(payload: expected) == .values(vescFullValues))
    }

    @Test func olderFirmwareRepliesEndEarlyAndLaterFieldsAreNil() throws {
        let full = firmwareLayout(vescFullValues)
        // Firmware 2.x-era replies stop after the fault code (payload byte 53).
        let old = try VESCValues(replyPayload: Array(full[0..<54]))
        #expect(old.fault == .overTemperatureFET)
        #expect(old.tachometerAbsolute == 654_321)
        #expect(old.pidPositionDegrees == nil && old.controllerID == nil && old.status == nil)
        #expect(old.presentFields == VESCValueMask(rawValue: (1 << 16) - 1))

        // A reply of an older firmware re-encodes to the same bytes.
        #expect(try VESCFraming.frame(VESCReply.values(old))[2..<56] == full[0..<54])

        // Newer firmware may append fields Reins does not know: they are ignored.
        #expect(try VESCValues(replyPayload: full + [1, 2, 3]) == vescFullValues)
    }

    @Test func aReplyEndingInsideAFieldIsAnErrorNamingTheField() {
        let full = firmwareLayout(vescFullValues)
        #expect(throws: VESCError.truncatedField(field: "rpm", offset: 23, needed: 4, available: 2)) {
            try VESCValues(replyPayload: Array(full[0..<25]))
        }
        #expect(throws: VESCError.truncatedField(field: "temp_mos1..3", offset: 59, needed: 6, available: 4)) {
            try VESCValues(replyPayload: Array(full[0..<63]))
        }
        #expect(throws: VESCError.unsupportedCommand(.setRPM)) { try VESCValues(replyPayload: [8, 0]) }
    }

    @Test func getValuesCannotEncodeAGapBeforeAPresentField() {
        var values = vescFullValues
        values.inputVoltage = nil
        #expect(throws: VESCError.fieldAfterMissingField(field: "amp_hours", missing: "v_in")) {
            try VESCFraming.frame(VESCReply.values(values))
        }
    }

    @Test func selectiveRepliesCarryTheMaskThenExactlyTheMaskedFieldsInBitOrder() throws {
        let mask: VESCValueMask = [.status, .inputVoltage, .electricalRPM, .mosfetTemperatures]
        var values = VESCValues()
        values.electricalRPM = 4614
        values.inputVoltage = 12.6
        values.mosfetTemperaturesCelsius = .init(1, 2, 3)
        values.status = [.killSwitchActive]
        let frame = try VESCFraming.frame(VESCReply.selectedValues(mask, values))
        #expect(Array(frame[2..<frame.count - 3]) == [
            50, 0x00, 0x24, 0x01, 0x80,  // id, mask bits 7, 8, 18, 21
            0x00, 0x00, 0x12, 0x06,  // rpm 4614
            0x00, 0x7E,  // v_in 126
            0x00, 0x0A, 0x00, 0x14, 0x00, 0x1E,  // temp_mos1..3
            0x02,  // status
        ])
        let payload = Array(frame[2..<frame.count - 3])
        #expect(try VESCReply(payload: payload) == .selectedValues(mask, values))
        #expect(throws: VESCError.truncatedField(field: "status", offset: 17, needed: 1, available: 0)) {
            try VESCValues(replyPayload: Array(payload.dropLast()))
        }
        #expect(throws: VESCError.missingField(field: "avg_vd")) {
            try VESCFraming.frame(VESCReply.selectedValues([.directAxisVoltage], values))
        }
        #expect(try VESCCommand(payload: [50, 0x00, 0x24, 0x01, 0x80]) == .requestSelectedValues(mask))
    }

    @Test func firmwareVersionReplyDecodesWhatCurrentAndOldFirmwareSend() throws {
        let uuid: [UInt8] = [0x33, 0x00, 0x2C, 0x00, 0x0F, 0x47, 0x37, 0x31, 0x33, 0x34, 0x36, 0x38]
        // commands.c, COMM_FW_VERSION: major, minor, HW_NAME\0, UUID, pairing, test version,
        // hw type, custom config count, phase filters, QML hw, QML app, NRF flags, FW_NAME\0.
        let current: [UInt8] = [0, 6, 5] + Array("60_MK5".utf8) + [0] + uuid + [1, 0, 0, 0, 1, 0, 0, 0] + Array("F1TENTH".utf8) + [0]
        let version = try VESCFirmwareVersion(replyPayload: current)
        #expect(version == VESCFirmwareVersion(
            major: 6, minor: 5, hardwareName: "60_MK5", uuid: uuid, isPaired: true, testVersion: 0, hardwareType: 0,
            customConfigurationCount: 0, hasPhaseFilters: true, qmlHardwareFlags: 0, qmlAppFlags: 0, nrfFlags: 0,
            firmwareName: "F1TENTH"))
        #expect(try VESCFraming.frame(VESCReply.firmwareVersion(version))[2..<(2 + current.count)] == current[...])

        let old = try VESCFirmwareVersion(replyPayload: [0, 3, 40, 0x34, 0x31, 0x30, 0] + uuid + [0])
        #expect(old.major == 3 && old.minor == 40 && old.hardwareName == "410" && old.uuid == uuid)
        #expect(old.isPaired == false && old.testVersion == nil && old.firmwareName == nil)
        #expect(try VESCFirmwareVersion(replyPayload: [0, 2, 18]) == VESCFirmwareVersion(major: 2, minor: 18))
        #expect(throws: VESCError.truncatedField(field: "UUID", offset: 7, needed: 12, available: 3)) {
            try VESCFirmwareVersion(replyPayload: [0, 3, 40, 0x34, 0x31, 0x30, 0, 1, 2, 3])
        }
        #expect(throws: VESCError.invalidText(field: "HW_NAME", offset: 3)) {
            try VESCFirmwareVersion(replyPayload: [0, 3, 40, 0xFF, 0xFE, 0])
        }
    }
}
