import ReinsProtocols
import Testing

/// The streaming decoder against hostile input: random bytes, split reads, corrupted and truncated
/// frames, impossible lengths. Fixed seeds, so a failure reproduces.
@Suite struct DynamixelDecoderRobustnessTests {
    static func randomValidFrame(_ generator: inout ServoFuzzGenerator) throws -> [UInt8] {
        switch generator.int(0...2) {
        case 0:
            return try DynamixelInstructionRoundTripTests.randomInstruction(&generator).encoded()
        case 1:
            return try DynamixelStatus(id: UInt8(generator.int(0...252)), error: DynamixelDeviceError(rawValue: generator.byte()),
                                       data: DynamixelInstructionRoundTripTests.randomData(&generator, maximum: 12)).encoded()
        default:
            let length = generator.int(0...4)
            let devices = DynamixelInstructionRoundTripTests.randomIDs(&generator).map { id in
                DynamixelStatus(id: id, error: DynamixelDeviceError(rawValue: generator.byte()),
                                data: (0..<length).map { _ in [0xFF, 0xFD, generator.byte()][generator.int(0...2)] })
            }
            return try DynamixelFastReply.encoded(devices)
        }
    }

    /// Noise of the kinds a bus produces: random bytes, header fragments, cut-off and corrupted frames.
    static func garbage(_ generator: inout ServoFuzzGenerator) throws -> [UInt8] {
        switch generator.int(0...4) {
        case 0:
            return generator.bytes(generator.int(0...24))
        case 1:
            let alphabet: [UInt8] = [0xFF, 0xFD, 0x00, 0x55, 0x01, 0xFE]
            return (0..<generator.int(1...16)).map { _ in alphabet[generator.int(0...(alphabet.count - 1))] }
        case 2:
            let frame = try randomValidFrame(&generator)
            return Array(frame.prefix(generator.int(1...(frame.count - 1))))
        case 3:
            var frame = try randomValidFrame(&generator)
            frame[generator.int(0...(frame.count - 1))] ^= UInt8(generator.int(1...255))
            return frame
        default:
            return [0xFF, 0xFF, 0xFD, 0x00] + generator.bytes(generator.int(0...12))
        }
    }

    @Test func randomStreamsNeverCrashHangOrLoseTrackOfBytes() {
        var generator = ServoFuzzGenerator(seed: 0xD7A_0001)
        let headerHeavy: [UInt8] = [0xFF, 0xFF, 0xFD, 0x00, 0x01, 0xFE, 0x55]
        var frames = 0
        for _ in 0..<20_000 {
            let length = generator.int(0...200)
            let stream: [UInt8] = (0..<length).map { _ in
                generator.chance(0.3) ? headerHeavy[generator.int(0...(headerHeavy.count - 1))] : generator.byte()
            }
            let decoder = DynamixelDecoder(maximumFrameLength: 64, bufferCapacity: 96)
            let decoded = decodeInRandomChunks(stream, decoder: decoder, maximumChunk: 48, using: &generator)
            for frame in decoded {
                #expect(frame.bytes.count <= 64)
                let crc = DynamixelCRC.checksum(Array(frame.bytes.dropLast(2)))
                #expect(frame.bytes.suffix(2) == [UInt8(crc & 0xFF), UInt8(crc >> 8)])
            }
            frames += decoded.count
        }
        // Random bytes almost never make a frame with a valid CRC.
        #expect(frames < 5)
    }

    @Test func validFramesAmongGarbageComeOutInOrder() throws {
        var generator = ServoFuzzGenerator(seed: 0xD7A_0002)
        var report = RecoveryReport()
        for _ in 0..<3000 {
            var stream: [UInt8] = []
            var planted: [PlacedFrame] = []
            for _ in 0..<generator.int(1...8) {
                if generator.chance(0.7) { stream += try Self.garbage(&generator) }
                let frame = try Self.randomValidFrame(&generator)
                planted.append(PlacedFrame(bytes: frame, offset: stream.count))
                stream += frame
            }
            if generator.chance(0.5) { stream += try Self.garbage(&generator) }
            let decoded = decodeInRandomChunks(stream, decoder: DynamixelDecoder(), maximumChunk: generator.int(1...64),
                                               using: &generator)
            report.add(planted: planted, decoded: decoded)
        }
        #expect(report.unexplainedLosses.count == 0, "lost frames starting at \(report.unexplainedLosses.prefix(5)) ...")
        // A garbage frame passes the 16-bit CRC about once in 65536 tries.
        #expect(report.lostToFalseFrames <= 2, "\(report)")
        #expect(report.recovered + report.lostToFalseFrames == report.planted)
    }

    @Test func mutatedFramesNeverHideTheFrameAfterThem() throws {
        var generator = ServoFuzzGenerator(seed: 0xD7A_0003)
        let sentinel = try DynamixelStatus.pingReply(id: 9, modelNumber: 1060, firmwareVersion: 45).encoded()
        var report = RecoveryReport()
        for _ in 0..<20_000 {
            var frame = try Self.randomValidFrame(&generator)
            for _ in 0..<generator.int(1...3) {
                let position = generator.int(0...(frame.count - 1))
                switch generator.int(0...3) {
                case 0: frame[position] ^= UInt8(generator.int(1...255))
                case 1: frame.remove(at: position)
                case 2: frame.insert(generator.byte(), at: position)
                default: frame = Array(frame.prefix(position))
                }
                if frame.isEmpty { break }
            }
            let stream = frame + sentinel
            let decoded = decodeInRandomChunks(stream, decoder: DynamixelDecoder(maximumFrameLength: 128),
                                               maximumChunk: 32, using: &generator)
            report.add(planted: [PlacedFrame(bytes: sentinel, offset: frame.count)],
                       decoded: decoded.filter { $0.bytes == sentinel || $0.offset < frame.count })
        }
        #expect(report.unexplainedLosses.count == 0, "lost frames starting at \(report.unexplainedLosses.prefix(5)) ...")
        #expect(report.lostToFalseFrames <= 2, "\(report)")
    }

    @Test func interpretingAnyFrameThatPassesTheCRCNeverCrashes() {
        var generator = ServoFuzzGenerator(seed: 0xD7A_0004)
        let codes = DynamixelInstructionCode.allCases.map(\.rawValue)
        let decoder = DynamixelDecoder()
        var interpreted = 0
        for _ in 0..<20_000 {
            let id = generator.chance(0.3) ? DynamixelDeviceID.broadcast : UInt8(generator.int(0...252))
            let code = codes[generator.int(0...(codes.count - 1))]
            let body = (0..<generator.int(0...20)).map { _ in generator.chance(0.5) ? UInt8(generator.int(0...4)) : generator.byte() }
            decoder.feed(rawDynamixelFrame(id: id, instruction: code, body: body))
            while let packet = decoder.next() {
                _ = try? packet.instruction()
                _ = try? packet.status()
                if let segments = try? packet.fastSyncReadSegments(dataLength: UInt16(generator.int(0...6))) {
                    for segment in segments { interpreted += segment.data.count }
                }
                let requested = (0..<generator.int(0...3)).map { _ in
                    DynamixelBulkReadEntry(id: UInt8(generator.int(0...4)), address: 0, length: UInt16(generator.int(0...4)))
                }
                if let segments = try? packet.fastBulkReadSegments(requested: requested) {
                    for segment in segments { interpreted += segment.data.count }
                }
                _ = try? DynamixelXSeries.presentPosition.value(in: packet.statusData, dataAddress: 132)
            }
        }
        #expect(decoder.counters.frames > 19_000)
        #expect(interpreted > 0)
    }

    @Test func aFrameArrivingOneByteAtATimeIsFoundOnce() throws {
        let frames = [
            ServoHex.bytes("FF FF FD 00 01 07 00 02 84 00 04 00 1D 15"),
            ServoHex.bytes("FF FF FD 00 01 0A 00 03 74 00 FF FF FD FD 00 21 E7"),
            ServoHex.bytes(DynamixelVectorTests.fastSyncReadReply),
        ]
        let decoder = DynamixelDecoder()
        var found: [[UInt8]] = []
        for byte in frames.joined() {
            decoder.feed([byte])
            while let packet = decoder.next() { found.append(Array(packet.frame)) }
        }
        #expect(found == frames)
        #expect(decoder.counters.discardedBytes == 0)
    }

    @Test func aCorruptedFrameIsSkippedAndTheNextOneKept() throws {
        var corrupted = ServoHex.bytes("FF FF FD 00 01 08 00 55 00 A6 00 00 00 8C C0")
        corrupted[9] = 0xA7
        let valid = ServoHex.bytes("FF FF FD 00 01 04 00 55 00 A1 0C")
        let decoder = DynamixelDecoder()
        decoder.feed([0x00, 0x13, 0xFF] + corrupted + valid)
        let packet = try #require(decoder.next())
        #expect(Array(packet.frame) == valid)
        #expect(decoder.next() == nil)
        #expect(decoder.counters.checksumErrors == 1)
        #expect(decoder.counters.discardedBytes == UInt64(3 + corrupted.count))
    }

    @Test func implausibleHeadersAreDroppedWithoutWaiting() throws {
        let valid = ServoHex.bytes("FF FF FD 00 01 03 00 01 19 4E")
        let implausible: [[UInt8]] = [
            [0xFF, 0xFF, 0xFD, 0x00, 0xFD, 0x03, 0x00, 0x01],  // ID 253
            [0xFF, 0xFF, 0xFD, 0x00, 0xFF, 0x03, 0x00, 0x01],  // ID 255
            [0xFF, 0xFF, 0xFD, 0x00, 0x01, 0x02, 0x00, 0x01],  // LEN 2: no room for the CRC
            [0xFF, 0xFF, 0xFD, 0x00, 0x01, 0x00, 0x04, 0x01],  // LEN 1024: longer than the decoder accepts
            [0xFF, 0xFF, 0xFD, 0x00, 0x01, 0x03, 0x00, 0x07],  // instruction 0x07 does not exist
            [0xFF, 0xFF, 0xFD, 0x00, 0x01, 0x03, 0x00, 0x55],  // status without its error byte
        ]
        for header in implausible {
            let decoder = DynamixelDecoder()
            decoder.feed(header + valid)
            let packet = try #require(decoder.next(), "\(ServoHex.string(header))")
            #expect(Array(packet.frame) == valid)
            #expect(decoder.counters.malformedFrames == 1)
        }
    }

    @Test func resynchronizingFindsAFrameHiddenBehindABogusLength() throws {
        let valid = ServoHex.bytes("FF FF FD 00 01 04 00 55 00 A1 0C")
        let decoder = DynamixelDecoder()
        decoder.feed([0xFF, 0xFF, 0xFD, 0x00, 0x01, 0xC8, 0x00, 0x55] + valid)
        #expect(decoder.next() == nil)
        #expect(decoder.bufferedByteCount == 8 + valid.count)
        decoder.resynchronize()
        let packet = try #require(decoder.next())
        #expect(Array(packet.frame) == valid)
        #expect(decoder.counters.malformedFrames == 1 && decoder.counters.discardedBytes == 8)
    }

    @Test func overflowDropsTheOldestBytesAndIsCounted() throws {
        let decoder = DynamixelDecoder(maximumFrameLength: 32, bufferCapacity: 64)
        let ping = ServoHex.bytes("FF FF FD 00 01 03 00 01 19 4E")
        decoder.feed([UInt8](repeating: 0x00, count: 100) + ping)
        #expect(decoder.counters.overflowBytes == 46)
        let packet = try #require(decoder.next())
        #expect(Array(packet.frame) == ping)
        #expect(decoder.bufferedByteCount == 0)
    }

    @Test func resetDropsBufferedBytes() throws {
        let decoder = DynamixelDecoder()
        decoder.feed([0xFF, 0xFF, 0xFD, 0x00, 0x01])
        #expect(decoder.next() == nil)
        decoder.reset()
        #expect(decoder.bufferedByteCount == 0 && decoder.counters.discardedBytes == 5)
        decoder.feed(ServoHex.bytes("FF FF FD 00 01 03 00 01 19 4E"))
        #expect(try #require(decoder.next()).id == 1)
    }
}
