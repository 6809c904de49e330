import ReinsProtocols
import Testing

/// SplitMix64 (Steele, Lea, Flood 2014): a tiny generator, so every run sees the same streams.
fileprivate struct SplitMix64 {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }

    mutating func byte() -> UInt8 { UInt8(truncatingIfNeeded: next()) }

    /// Noise rich in magic bytes, small values (known message ids, valid flags) and whole fake
    /// headers, which is what stresses resynchronisation.
    mutating func noise(count: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        while bytes.count < count {
            switch below(12) {
            case 0: bytes.append(0xFD)
            case 1: bytes.append(0xFE)
            case 2, 3: bytes.append(UInt8(below(3)))
            case 4:
                // A plausible MAVLink 2 header of a known message with a random length.
                let id = [0, 1, 30, 76, 331][below(5)]
                bytes += [0xFD, byte(), UInt8(below(2)), 0, byte(), byte(), byte(), UInt8(id & 0xFF), UInt8(id >> 8), 0]
            default: bytes.append(byte())
            }
        }
        return Array(bytes.prefix(count))
    }
}

@Suite struct MAVLinkFuzzTests {
    private static let messages = MAVLinkMessageTable.common.messages

    /// A valid frame of a random common-dialect message with a random payload (often ending in
    /// zeros, so truncation is exercised).
    private func randomFrame(_ random: inout SplitMix64, encoder: MAVLinkEncoder) -> [UInt8] {
        let info = Self.messages[random.below(Self.messages.count)]
        var payload = (0..<info.maximumLength).map { _ in random.byte() }
        if random.below(2) == 0 {
            for index in random.below(payload.count + 1)..<payload.count { payload[index] = 0 }
        }
        encoder.systemID = random.byte()
        encoder.componentID = random.byte()
        let writer = ByteWriter(capacity: MAVLinkEncoder.maximumFrameLength)
        try! payload.withUnsafeBytes { try encoder.encode(messageID: info.id, crcExtra: info.crcExtra, payload: $0, into: writer) }
        return writer.array
    }

    private func randomMAVLink1Frame(_ random: inout SplitMix64) -> [UInt8] {
        let candidates = Self.messages.filter { $0.id < 256 }
        let info = candidates[random.below(candidates.count)]
        return MAVLinkSamples.mavlink1Frame(messageID: UInt8(info.id), crcExtra: info.crcExtra,
                                            payload: (0..<info.minimumLength).map { _ in random.byte() })
    }

    private func corrupt(_ frame: [UInt8], _ random: inout SplitMix64) -> [UInt8] {
        var broken = frame
        if random.below(2) == 0 {
            for _ in 0...random.below(3) { broken[random.below(broken.count)] ^= UInt8(1 + random.below(255)) }
        } else {
            broken = Array(broken.prefix(random.below(broken.count)))
        }
        return broken
    }

    /// Feeds `stream` in random chunks of 1...64 bytes, draining after each, then gives up on any
    /// header still waiting at the end of the stream.
    private func decodeInChunks(_ stream: [UInt8], _ decoder: MAVLinkDecoder, _ random: inout SplitMix64) -> [[UInt8]] {
        var decoded: [[UInt8]] = []
        var offset = 0
        while offset < stream.count {
            let end = min(stream.count, offset + 1 + random.below(64))
            stream[offset..<end].withUnsafeBytes { decoder.feed($0) }
            offset = end
            decoded += decoder.drain().map(\.bytes)
        }
        while decoder.resynchronize() { decoded += decoder.drain().map(\.bytes) }
        return decoded
    }

    @Test func randomBytesNeverCrashHangOrGrowTheBuffer() {
        var random = SplitMix64(state: 0x5EED_0011)
        let decoder = MAVLinkDecoder()
        var fed = 0, frameBytes = 0, largestBuffer = 0
        for _ in 0..<20_000 {
            let chunk = random.noise(count: random.below(64))
            fed += chunk.count
            decoder.feed(chunk)
            while let frame = decoder.next() {
                frameBytes += frame.bytes.count
                _ = MAVLinkCommonMessage(frame: frame)
            }
            largestBuffer = max(largestBuffer, decoder.bufferedByteCount)
            // Typed decoding of arbitrary payloads must be safe too.
            chunk.withUnsafeBytes { payload in
                for id in [0, 1, 30, 32, 69, 76, 77, 82, 83, 84, 85, 105, 331] as [UInt32] {
                    _ = MAVLinkCommonMessage(messageID: id, payload: payload)
                }
            }
        }
        #expect(largestBuffer <= 2 * MAVLinkEncoder.maximumFrameLength)
        #expect(decoder.counters.overflowBytes == 0)
        MAVLinkSamples.expectBytesAccountedFor(decoder, fed: fed, returnedFrameBytes: frameBytes)
        while decoder.resynchronize() { _ = decoder.drain() }
        #expect(decoder.bufferedByteCount == 0)
    }

    @Test func validFramesAmongNoiseMAVLink1UnknownAndCorruptedFramesAreRecoveredInOrder() {
        var random = SplitMix64(state: 0x5EED_0012)
        let encoder = MAVLinkEncoder(systemID: 1, componentID: 1)
        var expectedTotal = 0, recoveredTotal = 0, extraFrames = 0, intactMAVLink1 = 0, skippedMAVLink1: UInt64 = 0
        for _ in 0..<2_000 {
            let decoder = MAVLinkDecoder()
            var stream: [UInt8] = []
            var expected: [[UInt8]] = []
            for _ in 0..<10 {
                switch random.below(12) {
                case 0...5:
                    let frame = randomFrame(&random, encoder: encoder)
                    stream += frame
                    expected.append(frame)
                case 6, 7: stream += random.noise(count: random.below(32))
                case 8:
                    stream += randomMAVLink1Frame(&random)
                    intactMAVLink1 += 1
                case 9: stream += MAVLinkSamples.unknownMessageFrame(messageID: UInt32(20_000 + random.below(1000)))
                default: stream += corrupt(randomFrame(&random, encoder: encoder), &random)
                }
            }
            let decoded = decodeInChunks(stream, decoder, &random)
            var next = 0
            for frame in decoded {
                if next < expected.count && frame == expected[next] { next += 1 } else { extraFrames += 1 }
            }
            #expect(next == expected.count, "recovered \(next) of \(expected.count) valid frames")
            #expect(decoder.counters.overflowBytes == 0 && decoder.bufferedByteCount == 0)
            expectedTotal += expected.count
            recoveredTotal += next
            skippedMAVLink1 += decoder.linkCounters.mavlink1Frames
        }
        #expect(recoveredTotal == expectedTotal)
        #expect(expectedTotal > 9_000)
        // Corrupted bytes that pass a 16-bit CRC with the right CRC_EXTRA should be vanishingly rare.
        #expect(extraFrames <= 2)
        #expect(skippedMAVLink1 >= UInt64(intactMAVLink1))
    }

    @Test func signedLinksRecoverEveryGenuineFrameAndNothingElse() throws {
        var random = SplitMix64(state: 0x5EED_0013)
        let key = MAVLinkSamples.signingKey
        let encoder = MAVLinkEncoder(systemID: 1, componentID: 1,
                                     signing: try MAVLinkSigningContext(key: key, linkID: 3, timestamp: 1_000))
        let unsigned = MAVLinkEncoder(systemID: 1, componentID: 1)
        var replays = 0, unsignedSent = 0
        for _ in 0..<500 {
            let decoder = MAVLinkDecoder(signatureVerifier: MAVLinkSignatureVerifier(key: key))
            var stream: [UInt8] = []
            var expected: [[UInt8]] = []
            for _ in 0..<10 {
                switch random.below(10) {
                case 0...4:
                    let frame = randomFrame(&random, encoder: encoder)
                    stream += frame
                    expected.append(frame)
                case 5: stream += random.noise(count: random.below(32))
                case 6:
                    // An attacker replays a frame already accepted.
                    guard let old = expected.last else { continue }
                    stream += old
                    replays += 1
                case 7:
                    stream += randomFrame(&random, encoder: unsigned)
                    unsignedSent += 1
                default: stream += corrupt(randomFrame(&random, encoder: encoder), &random)
                }
            }
            #expect(decodeInChunks(stream, decoder, &random) == expected)
        }
        #expect(replays > 100 && unsignedSent > 100)
    }
}
