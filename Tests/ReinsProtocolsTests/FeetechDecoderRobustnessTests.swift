import ReinsProtocols
import Testing

/// The streaming decoder against hostile input: random bytes, split reads, corrupted and truncated
/// frames, impossible lengths. Fixed seeds, so a failure reproduces.
@Suite struct FeetechDecoderRobustnessTests {
    static func randomIDs(_ generator: inout ServoFuzzGenerator) -> [UInt8] {
        var ids: [UInt8] = []
        for _ in 0..<generator.int(1...6) {
            let id = UInt8(generator.int(0...253))
            if !ids.contains(id) { ids.append(id) }
        }
        return ids
    }

    static func randomInstruction(_ generator: inout ServoFuzzGenerator) -> FeetechInstruction {
        let id = generator.chance(0.1) ? FeetechDeviceID.broadcast : UInt8(generator.int(0...253))
        let address = generator.byte()
        let length = UInt8(generator.int(0...4))
        switch generator.int(0...6) {
        case 0: return .ping(id: id)
        case 1: return .read(id: id, address: address, length: generator.byte())
        case 2: return .write(id: id, address: address, data: generator.bytes(generator.int(0...12)))
        case 3: return .regWrite(id: id, address: address, data: generator.bytes(generator.int(0...12)))
        case 4: return .action(id: id)
        case 5: return .syncRead(address: address, length: length, ids: randomIDs(&generator))
        default:
            let ids = randomIDs(&generator)
            return .syncWrite(address: address, length: length, ids: ids, data: generator.bytes(ids.count * Int(length)))
        }
    }

    static func randomValidFrame(_ generator: inout ServoFuzzGenerator) throws -> [UInt8] {
        if generator.chance(0.5) { return try randomInstruction(&generator).encoded() }
        return try FeetechStatus(id: UInt8(generator.int(0...253)), error: FeetechStatusError(rawValue: generator.byte() & 0x2F),
                                 data: generator.bytes(generator.int(0...8))).encoded()
    }

    static func garbage(_ generator: inout ServoFuzzGenerator) throws -> [UInt8] {
        switch generator.int(0...4) {
        case 0:
            return generator.bytes(generator.int(0...24))
        case 1:
            let alphabet: [UInt8] = [0xFF, 0xFE, 0x00, 0x01, 0x02]
            return (0..<generator.int(1...16)).map { _ in alphabet[generator.int(0...(alphabet.count - 1))] }
        case 2:
            let frame = try randomValidFrame(&generator)
            return Array(frame.prefix(generator.int(1...(frame.count - 1))))
        case 3:
            var frame = try randomValidFrame(&generator)
            frame[generator.int(0...(frame.count - 1))] ^= UInt8(generator.int(1...255))
            return frame
        default:
            return [0xFF, 0xFF] + generator.bytes(generator.int(0...12))
        }
    }

    @Test func randomStreamsNeverCrashHangOrLoseTrackOfBytes() {
        var generator = ServoFuzzGenerator(seed: 0xFEE_0001)
        let headerHeavy: [UInt8] = [0xFF, 0xFF, 0x01, 0x02, 0xFE]
        for _ in 0..<20_000 {
            let length = generator.int(0...200)
            let stream: [UInt8] = (0..<length).map { _ in
                generator.chance(0.3) ? headerHeavy[generator.int(0...(headerHeavy.count - 1))] : generator.byte()
            }
            let decoder = FeetechDecoder(maximumFrameLength: 64, bufferCapacity: 96)
            for frame in decodeInRandomChunks(stream, decoder: decoder, maximumChunk: 48, using: &generator) {
                #expect(frame.bytes.count <= 64 && frame.bytes.count == 4 + Int(frame.bytes[3]))
                #expect(FeetechChecksum.checksum(Array(frame.bytes[2..<(frame.bytes.count - 1)])) == frame.bytes.last)
            }
        }
    }

    @Test func validFramesAmongGarbageComeOutInOrder() throws {
        var generator = ServoFuzzGenerator(seed: 0xFEE_0002)
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
            let decoded = decodeInRandomChunks(stream, decoder: FeetechDecoder(), maximumChunk: generator.int(1...64),
                                               using: &generator)
            report.add(planted: planted, decoded: decoded)
        }
        #expect(report.unexplainedLosses.count == 0, "lost frames starting at \(report.unexplainedLosses.prefix(5)) ...")
        // The 8-bit checksum lets about one garbage frame in 256 through; a few of those swallow a
        // planted frame. Far more would mean the checksum or the length checks are not applied.
        #expect(Double(report.lostToFalseFrames) < 0.003 * Double(report.planted), "\(report)")
        #expect(report.recovered + report.lostToFalseFrames == report.planted)
    }

    @Test func mutatedFramesNeverHideTheFrameAfterThemUnlessTheChecksumIsFooled() throws {
        var generator = ServoFuzzGenerator(seed: 0xFEE_0003)
        let sentinel = try FeetechStatus(id: 9, data: [0x00, 0x08]).encoded()
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
            let decoded = decodeInRandomChunks(frame + sentinel, decoder: FeetechDecoder(maximumFrameLength: 64),
                                               maximumChunk: 32, using: &generator)
            report.add(planted: [PlacedFrame(bytes: sentinel, offset: frame.count)],
                       decoded: decoded.filter { $0.bytes == sentinel || $0.offset < frame.count })
        }
        #expect(report.unexplainedLosses.count == 0, "lost frames starting at \(report.unexplainedLosses.prefix(5)) ...")
        #expect(Double(report.lostToFalseFrames) < 0.003 * Double(report.planted), "\(report)")
    }

    @Test func interpretingAnyFrameThatPassesTheChecksumNeverCrashes() {
        var generator = ServoFuzzGenerator(seed: 0xFEE_0004)
        let codes = FeetechInstructionCode.allCases.map(\.rawValue)
        let decoder = FeetechDecoder()
        for _ in 0..<20_000 {
            let id = generator.chance(0.3) ? FeetechDeviceID.broadcast : UInt8(generator.int(0...253))
            let code = generator.chance(0.8) ? codes[generator.int(0...(codes.count - 1))] : generator.byte()
            let parameters = (0..<generator.int(0...12)).map { _ in generator.chance(0.5) ? UInt8(generator.int(0...3)) : generator.byte() }
            decoder.feed(rawFeetechFrame(id: id, instructionOrError: code, parameters: parameters))
            while let packet = decoder.next() {
                _ = try? packet.instruction()
                _ = packet.status()
                _ = try? FeetechSTS.presentVelocity.value(in: packet.parameters, dataAddress: 56)
            }
        }
        #expect(decoder.counters.frames == 20_000)
    }

    @Test func aFrameArrivingOneByteAtATimeIsFoundOnce() {
        let frames = [ServoHex.bytes("FF FF 01 02 01 FB"), ServoHex.bytes("FF FF FE 0A 83 2A 02 01 E8 03 02 B8 0B 97"),
                      ServoHex.bytes("FF FF 01 04 04 00 08 EE")]
        let decoder = FeetechDecoder()
        var found: [[UInt8]] = []
        for byte in frames.joined() {
            decoder.feed([byte])
            while let packet = decoder.next() { found.append(Array(packet.frame)) }
        }
        #expect(found == frames)
        #expect(decoder.counters.discardedBytes == 0)
    }

    @Test func aCorruptedFrameIsSkippedAndTheNextOneKept() throws {
        let valid = ServoHex.bytes("FF FF 01 04 02 38 02 BE")
        var corrupted = valid
        corrupted[5] = 0x39
        let decoder = FeetechDecoder()
        decoder.feed([0x12, 0xFF, 0x00] + corrupted + valid)
        let packet = try #require(decoder.next())
        #expect(Array(packet.frame) == valid)
        #expect(decoder.counters.checksumErrors == 1)
        #expect(decoder.counters.discardedBytes == UInt64(3 + corrupted.count))
    }

    @Test func extraHeaderBytesAndImplausibleLengthsAreSkipped() throws {
        let valid = ServoHex.bytes("FF FF 01 02 01 FB")
        let decoder = FeetechDecoder(maximumFrameLength: 32)
        // Three extra FF before a header, a LEN of 1 (no room for the checksum) and a LEN of 200.
        decoder.feed([0xFF, 0xFF, 0xFF] + valid + [0xFF, 0xFF, 0x01, 0x01] + [0xFF, 0xFF, 0x01, 0xC8] + valid)
        #expect(Array(try #require(decoder.next()).frame) == valid)
        #expect(Array(try #require(decoder.next()).frame) == valid)
        #expect(decoder.next() == nil)
        #expect(decoder.counters.malformedFrames == 2)
        #expect(decoder.counters.discardedBytes == 3 + 4 + 4)
    }

    @Test func resynchronizingFindsAFrameHiddenBehindABogusLength() throws {
        let valid = ServoHex.bytes("FF FF 01 02 01 FB")
        let decoder = FeetechDecoder()
        decoder.feed([0xFF, 0xFF, 0x05, 0x40] + valid)
        #expect(decoder.next() == nil)
        decoder.resynchronize()
        #expect(Array(try #require(decoder.next()).frame) == valid)
    }
}
