import ReinsProtocols
import Testing

private func bytes(_ hex: String) -> [UInt8] {
    hex.split(separator: " ").map { UInt8($0, radix: 16)! }
}

private func decodeOne(_ frame: [UInt8]) throws -> MAVLinkOwnedFrame {
    let decoder = MAVLinkDecoder()
    decoder.feed(frame)
    let frames = decoder.drain()
    try #require(frames.count == 1, "expected one frame, got \(frames.count): \(decoder.counters)")
    return frames[0]
}

@Suite struct MAVLinkCodecTests {
    @Test func checksumMatchesTheMCRF4XXCheckValue() {
        #expect(MAVLinkChecksum.crc(Array("123456789".utf8)) == 0x6F91)
    }

    @Test func heartbeatFromAGroundStationMatchesTheReferenceBytes() throws {
        let encoder = MAVLinkEncoder(systemID: 255, componentID: 190)
        let frame = try encoder.frame(MAVLinkHeartbeat.groundStation)
        #expect(frame == bytes("FD 09 00 00 00 FF BE 00 00 00 00 00 00 00 06 08 00 04 03 3D 48"))
        let decoded = try decodeOne(frame)
        #expect(decoded.message(as: MAVLinkHeartbeat.self) == .groundStation)
        #expect(decoded.header.payloadLength == 9 && decoded.header.sequence == 0 && decoded.header.messageID == 0)
        #expect(decoded.header.systemID == 255 && decoded.header.componentID == 190 && !decoded.header.isSigned)
        #expect(decoded.bytes == frame)
    }

    @Test func armCommandIsTruncatedFrom33To32BytesAsInTheReference() throws {
        let encoder = MAVLinkEncoder(systemID: 255, componentID: 190)
        encoder.sequence = 1
        let frame = try encoder.frame(MAVLinkCommandLong.arm(true, targetSystem: 1))
        let expected = bytes("FD 20 00 00 01 FF BE 4C 00 00 00 00 80 3F") + [UInt8](repeating: 0, count: 24)
            + bytes("90 01 01 01 70 04")
        #expect(frame == expected)
        // The stripped `confirmation` byte reads back as zero.
        #expect(try decodeOne(frame).message(as: MAVLinkCommandLong.self) == .arm(true, targetSystem: 1))
    }

    @Test func anAllZeroPayloadKeepsOneByteAndReadsBackAsZeros() throws {
        let zero = MAVLinkAttitude(timeBootMilliseconds: 0, roll: 0, pitch: 0, yaw: 0, rollRate: 0, pitchRate: 0, yawRate: 0)
        let frame = try MAVLinkEncoder(systemID: 1, componentID: 1).frame(zero)
        #expect(frame[1] == 1 && frame.count == 13)
        #expect(try decodeOne(frame).message(as: MAVLinkAttitude.self) == zero)
    }

    @Test func fieldsGoOnTheWireSortedBySizeWithExtensionsLast() throws {
        let manual = MAVLinkManualControl(target: 7, x: 0x0102, y: 0x0304, z: 0x0506, r: 0x0708, buttons: 0x090A,
                                          buttons2: 0x0B0C, enabledExtensions: [.pitchOnlyAxis, .rollOnlyAxis],
                                          pitchOnlyAxis: 0x0D0E, rollOnlyAxis: 0x0F10, aux1: 0x1112, aux2: 0x1314,
                                          aux3: 0x1516, aux4: 0x1718, aux5: 0x191A, aux6: 0x1B1C)
        let frame = try decodeOne(try MAVLinkEncoder(systemID: 1, componentID: 1).frame(manual))
        // int16 x y z r, uint16 buttons, uint8 target, then the extensions in declaration order.
        #expect(frame.payload == [0x02, 0x01, 0x04, 0x03, 0x06, 0x05, 0x08, 0x07, 0x0A, 0x09, 7,
                                  0x0C, 0x0B, 0x03, 0x0E, 0x0D, 0x10, 0x0F, 0x12, 0x11, 0x14, 0x13,
                                  0x16, 0x15, 0x18, 0x17, 0x1A, 0x19, 0x1C, 0x1B])

        let target = MAVLinkSetPositionTargetLocalNED(
            timeBootMilliseconds: 0x0403_0201, targetSystem: 0xA1, targetComponent: 0xA2, coordinateFrame: .bodyNED,
            typeMask: PositionTargetTypeMask(rawValue: 0x0BB0), x: 1, y: 0, z: 0, vx: 0, vy: 0, vz: 0, accelerationX: 0,
            accelerationY: 0, accelerationZ: 0, yaw: 0, yawRate: -2)
        let payload = try decodeOne(try MAVLinkEncoder(systemID: 1, componentID: 1).frame(target)).payload
        // uint32 time, 11 floats, uint16 type_mask, then the uint8s in declaration order.
        #expect(Array(payload[0..<8]) == [0x01, 0x02, 0x03, 0x04, 0x00, 0x00, 0x80, 0x3F])
        #expect(Array(payload[44..<53]) == [0x00, 0x00, 0x00, 0xC0, 0xB0, 0x0B, 0xA1, 0xA2, 8])
    }

    @Test func olderSendersWithoutExtensionsAndNewerSendersWithMoreStillDecode() throws {
        let encoder = MAVLinkEncoder(systemID: 1, componentID: 1)
        let writer = ByteWriter(capacity: 300)
        // COMMAND_ACK from a sender built before the extensions existed: 3 bytes.
        try [UInt8]([0x90, 0x01, 0x00]).withUnsafeBytes {
            try encoder.encode(messageID: MAVLinkCommandAck.messageID, crcExtra: MAVLinkCommandAck.crcExtra, payload: $0, into: writer)
        }
        // SET_ATTITUDE_TARGET from a sender whose definition has the newer `thrust_body[3]` extension.
        var attitude = MAVLinkSamples.messages.compactMap { if case let .setAttitudeTarget(m) = $0 { m } else { nil } }[0]
        let newer = ByteWriter(capacity: 64)
        attitude.write(to: newer)
        let extended = newer.array + [0, 0, 0x80, 0x3F, 0, 0, 0, 0, 0, 0, 0x80, 0xBF]
        try extended.withUnsafeBytes {
            try encoder.encode(messageID: MAVLinkSetAttitudeTarget.messageID, crcExtra: MAVLinkSetAttitudeTarget.crcExtra,
                               payload: $0, into: writer)
        }
        let decoder = MAVLinkDecoder()
        decoder.feed(writer.array)
        let frames = decoder.drain()
        try #require(frames.count == 2)
        #expect(frames[0].message(as: MAVLinkCommandAck.self) == MAVLinkCommandAck(command: .componentArmDisarm, result: .accepted))
        #expect(frames[1].payload.count == 51)
        #expect(frames[1].message(as: MAVLinkSetAttitudeTarget.self) == attitude)
        attitude.thrust = 0
        #expect(frames[1].message(as: MAVLinkAttitudeTarget.self) == nil, "another message id decodes to nil")
    }

    @Test func everyTypedMessageRoundTripsThroughTheDecoder() throws {
        let encoder = MAVLinkEncoder(systemID: 42, componentID: 200)
        let writer = ByteWriter(capacity: 4096)
        for message in MAVLinkSamples.messages { try message.encode(with: encoder, into: writer) }
        let decoder = MAVLinkDecoder()
        decoder.feed(writer.array)
        let frames = decoder.drain()
        try #require(frames.count == MAVLinkSamples.messages.count)
        for (index, (frame, message)) in zip(frames, MAVLinkSamples.messages).enumerated() {
            #expect(frame.header.sequence == UInt8(index))
            #expect(frame.header.systemID == 42 && frame.header.componentID == 200)
            #expect(frame.signatureStatus == .unsigned && frame.signature == nil)
            let decoded = try #require(MAVLinkCommonMessage(frame: frame))
            #expect(MAVLinkSamples.fields(of: decoded).fields == MAVLinkSamples.fields(of: message).fields)
        }
        #expect(decoder.counters.frames == UInt64(MAVLinkSamples.messages.count))
    }

    /// The reference table of /work/shared/reference/protocols.md: (id, CRC_EXTRA, full length).
    @Test func typedMessagesCarryTheReferenceIDsCRCExtrasAndLengths() {
        func check<M: MAVLinkMessage>(_ type: M.Type, _ id: UInt32, _ crcExtra: UInt8, _ length: Int, base: Int? = nil,
                                      sourceLocation: SourceLocation = #_sourceLocation) {
            #expect(M.messageID == id && M.crcExtra == crcExtra && M.payloadLength == length, sourceLocation: sourceLocation)
            #expect(M.basePayloadLength == base ?? length, sourceLocation: sourceLocation)
            let writer = ByteWriter(capacity: 255)
            M(payload: UnsafeRawBufferPointer(start: nil, count: 0)).write(to: writer)
            #expect(writer.count == length, sourceLocation: sourceLocation)
            let info = MAVLinkMessageTable.common.info(forID: id)
            #expect(info?.crcExtra == crcExtra && info?.maximumLength == length && info?.minimumLength == base ?? length,
                    sourceLocation: sourceLocation)
        }
        check(MAVLinkHeartbeat.self, 0, 50, 9)
        check(MAVLinkSystemStatus.self, 1, 124, 43, base: 31)
        check(MAVLinkAttitude.self, 30, 39, 28)
        check(MAVLinkLocalPositionNED.self, 32, 185, 28)
        check(MAVLinkManualControl.self, 69, 243, 30, base: 11)
        check(MAVLinkCommandLong.self, 76, 152, 33)
        check(MAVLinkCommandAck.self, 77, 143, 10, base: 3)
        check(MAVLinkSetAttitudeTarget.self, 82, 49, 39)
        check(MAVLinkAttitudeTarget.self, 83, 22, 37)
        check(MAVLinkSetPositionTargetLocalNED.self, 84, 143, 53)
        check(MAVLinkHighresIMU.self, 105, 93, 63, base: 62)
        // Not in the reference table; from pymavlink 2.4.50's common dialect.
        check(MAVLinkPositionTargetLocalNED.self, 85, 140, 51)
        check(MAVLinkOdometry.self, 331, 91, 233, base: 230)
        #expect(MAVLinkHeartbeat.info.name == "HEARTBEAT")
    }

    @Test func px4CustomModesAndModeCommandsUseTheDocumentedBits() {
        #expect(PX4CustomMode.offboard.rawValue == 0x0006_0000)
        #expect(PX4CustomMode.autoLand.rawValue == 0x0604_0000)
        #expect(PX4CustomMode.autoTakeoff.rawValue == 0x0204_0000)
        #expect(PX4CustomMode(rawValue: 0x0304_0000).mainMode == .auto)
        #expect(PX4CustomMode(rawValue: 0x0304_0000).subMode == PX4AutoSubMode.loiter.rawValue)
        let command = MAVLinkCommandLong.setPX4Mode(.offboard, targetSystem: 1)
        #expect(command.command == .doSetMode && command.param1 == 1 && command.param2 == 6 && command.param3 == 0)
        let heartbeat = MAVLinkHeartbeat(type: .quadrotor, autopilot: .px4, baseMode: [.customModeEnabled, .safetyArmed],
                                         customMode: 0x0006_0000, systemStatus: .active, mavlinkVersion: 3)
        #expect(heartbeat.px4Mode == .offboard && heartbeat.isArmed)
        #expect(MAVLinkCommandLong.arm(false, targetSystem: 1, force: true).param2 == 21196)
        #expect(MAVLinkCommandLong.takeoff(altitude: 2.5, targetSystem: 1).command.rawValue == 22)
        #expect(MAVLinkCommandLong.land(targetSystem: 1).command.rawValue == 21)
        let interval = MAVLinkCommandLong.setMessageInterval(messageID: 331, intervalMicroseconds: 20_000, targetSystem: 1)
        #expect(interval.command.rawValue == 511 && interval.param1 == 331 && interval.param2 == 20_000)
        #expect(PositionTargetTypeMask.velocityAndYawRate.rawValue == 0b0101_1100_0111)
        #expect(MAVFrame.localNED.rawValue == 1 && MAVFrame.bodyNED.rawValue == 8)
    }

    @Test func theSequenceNumberWrapsAfter255() throws {
        let encoder = MAVLinkEncoder(systemID: 1, componentID: 1)
        encoder.sequence = 255
        #expect(try encoder.frame(MAVLinkHeartbeat.groundStation)[4] == 255)
        #expect(try encoder.frame(MAVLinkHeartbeat.groundStation)[4] == 0)
    }

    @Test func encodingErrorsAreReportedBeforeAnythingIsWritten() throws {
        let encoder = MAVLinkEncoder(systemID: 1, componentID: 1)
        let writer = ByteWriter(capacity: 20)
        #expect(throws: MAVLinkError.writerFull(needed: 44, available: 20)) {
            try encoder.encode(MAVLinkCommandLong.arm(true, targetSystem: 1), into: writer)
        }
        #expect(writer.count == 0 && encoder.sequence == 0)
        #expect(throws: MAVLinkError.payloadTooLong(length: 256)) {
            try [UInt8](repeating: 1, count: 256).withUnsafeBytes { try encoder.encode(messageID: 1, crcExtra: 0, payload: $0, into: writer) }
        }
        #expect(throws: MAVLinkError.messageIDOutOfRange(1 << 24)) {
            try [UInt8](repeating: 1, count: 4).withUnsafeBytes { try encoder.encode(messageID: 1 << 24, crcExtra: 0, payload: $0, into: writer) }
        }
        #expect(MAVLinkError.writerFull(needed: 44, available: 20).description.contains("44 bytes"))
    }

    @Test func typedDecodingOfAnyPayloadLengthIsSafe() {
        for length in 0...255 {
            let payload = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37) }
            for messageID in [0, 1, 30, 32, 69, 76, 77, 82, 83, 84, 85, 105, 331] as [UInt32] {
                _ = payload.withUnsafeBytes { MAVLinkCommonMessage(messageID: messageID, payload: $0) }
            }
        }
        #expect(MAVLinkCommonMessage(messageID: 109, payload: UnsafeRawBufferPointer(start: nil, count: 0)) == nil)
    }

    @Test func covarianceHoldsTwentyOneValuesAndMarksUnknownWithNaN() {
        var covariance = MAVLinkCovariance((0..<30).map(Float.init))
        #expect(covariance.values == (0..<21).map(Float.init))
        covariance[20] = -1
        #expect(covariance[20] == -1)
        #expect(MAVLinkCovariance.unknown.isUnknown && !covariance.isUnknown)
        #expect(MAVLinkCovariance([1, 2]).values == [1, 2] + [Float](repeating: 0, count: 19))
    }
}
