import ReinsProtocols
import Testing

/// A Feetech frame with exactly these bytes after LEN (no validation), so tests can build packets
/// the encoders refuse to make.
func rawFeetechFrame(id: UInt8, instructionOrError: UInt8, parameters: [UInt8]) -> [UInt8] {
    let body = [id, UInt8(parameters.count + 2), instructionOrError] + parameters
    return [0xFF, 0xFF] + body + [FeetechChecksum.checksum(body)]
}

@Suite struct FeetechEncoderTests {
    @Test func idsThatNoServoCanHaveAreRefused() {
        #expect(throws: FeetechEncodingError.invalidID(255)) { try FeetechInstruction.ping(id: 255).encoded() }
        #expect(throws: FeetechEncodingError.invalidID(254)) { try FeetechStatus(id: 254).encoded() }
        #expect(throws: FeetechEncodingError.invalidDeviceID(254, position: 0)) {
            try FeetechInstruction.syncRead(address: 56, length: 2, ids: [254]).encoded()
        }
        #expect(throws: FeetechEncodingError.duplicateDeviceID(1, position: 1)) {
            try FeetechInstruction.syncRead(address: 56, length: 2, ids: [1, 1]).encoded()
        }
        #expect(throws: FeetechEncodingError.emptyDeviceList(.syncWrite)) {
            try FeetechInstruction.syncWrite(address: 42, length: 2, ids: [], data: []).encoded()
        }
        #expect("\(FeetechEncodingError.invalidID(255))".contains("ID byte 255"))
    }

    @Test func syncWriteDataMustMatchTheServos() {
        #expect(throws: FeetechEncodingError.syncWriteDataMismatch(deviceCount: 2, dataLength: 2, dataCount: 3)) {
            try FeetechInstruction.syncWrite(address: 42, length: 2, ids: [1, 2], data: [0, 0, 0]).encoded()
        }
    }

    @Test func aFrameTooLongForTheLengthByteIsRefused() throws {
        #expect(throws: FeetechEncodingError.packetTooLong(length: 256)) {
            try FeetechInstruction.write(id: 1, address: 0, data: [UInt8](repeating: 0, count: 253)).encoded()
        }
        #expect(try FeetechInstruction.write(id: 1, address: 0, data: [UInt8](repeating: 0, count: 252)).encoded().count == 259)
        #expect(throws: FeetechEncodingError.packetTooLong(length: 256)) {
            try FeetechStatus(id: 1, data: [UInt8](repeating: 0, count: 254)).encoded()
        }
    }

    @Test func aFullWriterIsReportedNotOverrun() throws {
        let writer = ByteWriter(capacity: 7)
        #expect(throws: FeetechEncodingError.writerFull(capacity: 7)) {
            try FeetechInstruction.read(id: 1, address: 56, length: 2).encode(into: writer)
        }
        writer.reset()
        try FeetechInstruction.ping(id: 1).encode(into: writer)
        #expect(ServoHex.string(writer.array) == "FF FF 01 02 01 FB")
    }

    @Test func everyInstructionSurvivesEncodeAndDecode() throws {
        var generator = ServoFuzzGenerator(seed: 0xFEE7)
        let decoder = FeetechDecoder()
        for _ in 0..<3000 {
            let instruction = FeetechDecoderRobustnessTests.randomInstruction(&generator)
            decoder.feed(try instruction.encoded())
            let packet = try #require(decoder.next())
            #expect(try packet.instruction() == instruction)
        }
        #expect(decoder.counters.checksumErrors == 0 && decoder.counters.malformedFrames == 0)
    }
}

@Suite struct FeetechInstructionDecodingTests {
    static func decode(_ frame: [UInt8]) throws -> FeetechInstruction? {
        let decoder = FeetechDecoder()
        decoder.feed(frame)
        return try decoder.next()?.instruction()
    }

    @Test func parametersThatDoNotFitTheInstructionAreReported() {
        #expect(throws: FeetechDecodingError.malformedParameters(.read, parameterCount: 1, expected: "2 (address, length)")) {
            try Self.decode(rawFeetechFrame(id: 1, instructionOrError: 0x02, parameters: [56]))
        }
        #expect(throws: FeetechDecodingError.malformedParameters(
            .syncWrite, parameterCount: 7, expected: "2 (address, length) + (1 + length) per servo")) {
            try Self.decode(rawFeetechFrame(id: 0xFE, instructionOrError: 0x83, parameters: [42, 2, 1, 0xE8, 0x03, 2, 0xB8]))
        }
        #expect(throws: FeetechDecodingError.groupInstructionNotBroadcast(.syncRead, id: 3)) {
            try Self.decode(rawFeetechFrame(id: 3, instructionOrError: 0x82, parameters: [56, 2, 1]))
        }
        #expect(throws: FeetechDecodingError.unsupportedInstruction(0x40)) {
            try Self.decode(rawFeetechFrame(id: 3, instructionOrError: 0x40, parameters: []))
        }
    }
}

@Suite struct FeetechStatusErrorTests {
    @Test func errorBitsHaveNames() {
        let error: FeetechStatusError = [.voltage, .overload]
        #expect(error.rawValue == 33)
        #expect(error.description == "input voltage out of range, overload")
        #expect(FeetechStatusError(rawValue: 0b0001_1110).description == "angle sensor fault, overheating, over-current, unknown bit 4")
        #expect(FeetechStatusError().description == "no error")
        #expect([FeetechStatusError.voltage, .angleSensor, .overheat, .overCurrent, .overload].map(\.rawValue) == [1, 2, 4, 8, 32])
    }
}

@Suite struct FeetechSignMagnitudeTests {
    @Test func valuesRoundTripAtEverySignBit() throws {
        for signBit in [7, 11, 15] {
            let range = SignMagnitude.range(signBit: signBit)
            for value in [range.lowerBound, -1, 0, 1, range.upperBound] {
                let raw = try SignMagnitude.encode(value, signBit: signBit)
                #expect(SignMagnitude.decode(raw, signBit: signBit) == value)
                #expect(raw >> UInt32(signBit + 1) == 0)
            }
        }
        #expect(try SignMagnitude.encode(-1, signBit: 11) == 0x801)
        #expect(try SignMagnitude.encode(2047, signBit: 11) == 0x7FF)
    }

    @Test func magnitudesThatReachTheSignBitAreRefused() {
        #expect(throws: SignMagnitudeError(value: 2048, signBit: 11, range: -2047...2047)) {
            try SignMagnitude.encode(2048, signBit: 11)
        }
        #expect(throws: SignMagnitudeError(value: -32768, signBit: 15, range: -32767...32767)) {
            try SignMagnitude.encode(-32768, signBit: 15)
        }
        #expect("\(SignMagnitudeError(value: 2048, signBit: 11, range: -2047...2047))".contains("bit 11"))
    }

    @Test func negativeZeroReadsAsZero() {
        #expect(SignMagnitude.decode(0x8000, signBit: 15) == 0)
    }

    @Test func homingOffsetUsesBit11() throws {
        #expect(try FeetechSTS.homingOffset.bytes(-100) == [0x64, 0x08])
        #expect(try FeetechSTS.homingOffset.value(in: [0x64, 0x08], dataAddress: 31) == -100)
        #expect(throws: FeetechEncodingError.valueOutOfRange(register: "Homing Offset", value: 2048, range: -2047...2047)) {
            try FeetechSTS.homingOffset.bytes(2048)
        }
    }
}

@Suite struct FeetechRegisterTests {
    @Test func controlTableMatchesTheReference() {
        let expected: [(FeetechRegister, UInt8, Int)] = [
            (FeetechSTS.modelNumber, 3, 2), (FeetechSTS.id, 5, 1), (FeetechSTS.baudRate, 6, 1),
            (FeetechSTS.minPositionLimit, 9, 2), (FeetechSTS.maxPositionLimit, 11, 2), (FeetechSTS.homingOffset, 31, 2),
            (FeetechSTS.operatingMode, 33, 1), (FeetechSTS.torqueEnable, 40, 1), (FeetechSTS.acceleration, 41, 1),
            (FeetechSTS.goalPosition, 42, 2), (FeetechSTS.goalVelocity, 46, 2), (FeetechSTS.torqueLimit, 48, 2),
            (FeetechSTS.lock, 55, 1), (FeetechSTS.presentPosition, 56, 2), (FeetechSTS.presentVelocity, 58, 2),
            (FeetechSTS.presentLoad, 60, 2), (FeetechSTS.presentVoltage, 62, 1), (FeetechSTS.presentTemperature, 63, 1),
            (FeetechSTS.moving, 66, 1), (FeetechSTS.presentCurrent, 69, 2),
        ]
        for (register, address, size) in expected {
            #expect(register.address == address && register.size == size, "\(register)")
        }
        #expect(FeetechSTS.homingOffset.signBit == 11 && FeetechSTS.goalVelocity.signBit == 15
            && FeetechSTS.presentVelocity.signBit == 15 && FeetechSTS.presentPosition.signBit == nil)
        #expect(FeetechModel.sts3215.rawValue == 777)
        #expect(FeetechBaudRate.allCases.prefix(6).map(\.bitsPerSecond) == [1_000_000, 500_000, 250_000, 128_000, 115_200, 57_600])
    }

    @Test func aSyncReadReplyReadsPositionAndVelocity() throws {
        let data: [UInt8] = [0x00, 0x08, 0x32, 0x80]
        #expect(try FeetechSTS.presentPosition.value(in: data, dataAddress: 56) == 2048)
        #expect(try FeetechSTS.presentVelocity.value(in: data, dataAddress: 56) == -50)
        #expect(throws: FeetechDecodingError.registerOutsideData(
            register: "Present Load", address: 60, size: 2, dataAddress: 56, dataCount: 4)) {
            try FeetechSTS.presentLoad.value(in: data, dataAddress: 56)
        }
    }

    @Test func unsignedValuesOutsideTheRegisterAreRefused() {
        #expect(throws: FeetechEncodingError.valueOutOfRange(register: "Goal Position", value: -1, range: 0...65535)) {
            try FeetechSTS.goalPosition.bytes(-1)
        }
    }
}
