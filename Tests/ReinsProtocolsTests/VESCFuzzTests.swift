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

    /// Noise that often looks like the start of a frame, which is what stresses resynchronisation.
    mutating func noiseByte() -> UInt8 {
        switch below(8) {
        case 0: 0x02
        case 1: 0x03
        case 2: UInt8(below(3))
        default: byte()
        }
    }

    mutating func scaled(_ range: ClosedRange<Int64>, _ scale: Double) -> Double {
        Double(Int64(next() % UInt64(range.upperBound - range.lowerBound + 1)) + range.lowerBound) / scale
    }
}

@Suite struct VESCFuzzTests {
    private func randomCommand(_ random: inout SplitMix64) -> VESCCommand {
        switch random.below(11) {
        case 0: .requestFirmwareVersion
        case 1: .requestValues
        case 2: .setDutyCycle(random.scaled(-100_000...100_000, 1e5))
        case 3: .setCurrent(amperes: random.scaled(-200_000...200_000, 1e3))
        case 4: .setBrakeCurrent(amperes: random.scaled(0...200_000, 1e3))
        case 5: .setElectricalRPM(Int32(truncatingIfNeeded: random.next()))
        case 6: .setPosition(degrees: random.scaled(0...360_000_000, 1e6))
        case 7: .setServoPosition(random.scaled(0...1000, 1e3))
        case 8: .reboot
        case 9: .alive
        default: .requestSelectedValues(VESCValueMask(rawValue: UInt32(truncatingIfNeeded: random.next())))
        }
    }

    private func randomValues(_ random: inout SplitMix64) -> VESCValues {
        var values = VESCValues()
        values.fetTemperatureCelsius = random.scaled(-400...1500, 10)
        values.motorTemperatureCelsius = random.scaled(-400...1500, 10)
        values.motorCurrentAmperes = random.scaled(-30_000...30_000, 100)
        values.inputCurrentAmperes = random.scaled(-30_000...30_000, 100)
        values.directAxisCurrentAmperes = random.scaled(-30_000...30_000, 100)
        values.quadratureAxisCurrentAmperes = random.scaled(-30_000...30_000, 100)
        values.dutyCycle = random.scaled(-1000...1000, 1000)
        values.electricalRPM = random.scaled(-100_000...100_000, 1)
        values.inputVoltage = random.scaled(0...600, 10)
        values.ampereHoursDrawn = random.scaled(0...1_000_000, 1e4)
        // Older firmware's shorter replies are valid frames too.
        if random.below(3) > 0 {
            values.ampereHoursCharged = random.scaled(0...1_000_000, 1e4)
            values.wattHoursDrawn = random.scaled(0...1_000_000, 1e4)
            values.wattHoursCharged = random.scaled(0...1_000_000, 1e4)
            values.tachometer = Int32(truncatingIfNeeded: random.next())
            values.tachometerAbsolute = Int32(truncatingIfNeeded: random.next())
            values.fault = VESCFaultCode(rawValue: random.byte())
        }
        return values
    }

    /// One valid frame: a command, a telemetry reply, or a raw payload (some long enough for a `03` frame).
    private func randomValidFrame(_ random: inout SplitMix64) -> (frame: [UInt8], payload: [UInt8]) {
        let frame: [UInt8]
        switch random.below(4) {
        case 0, 1: frame = try! VESCFraming.frame(randomCommand(&random))
        case 2: frame = try! VESCFraming.frame(VESCReply.values(randomValues(&random)))
        default:
            let length = random.below(5) == 0 ? 256 + random.below(80) : 1 + random.below(80)
            frame = try! VESCFraming.frame(payload: (0..<length).map { _ in random.noiseByte() })
        }
        let headerLength = frame[0] == 0x02 ? 2 : 3
        return (frame, Array(frame[headerLength..<frame.count - 3]))
    }

    @Test func randomBytesNeverCrashHangOrGrowTheBuffer() {
        var random = SplitMix64(state: 0x5EED_0001)
        let decoder = VESCFrameDecoder()
        let capacity = 2 * VESCFraming.frameLength(payloadLength: decoder.maximumPayloadLength)
        var fed = 0, frameBytes = 0, largestBuffer = 0
        for _ in 0..<20_000 {
            let chunk = (0..<random.below(64)).map { _ in random.noiseByte() }
            fed += chunk.count
            decoder.feed(chunk)
            while let frame = decoder.next() {
                frameBytes += VESCFraming.frameLength(payloadLength: frame.payload.count)
                // Whatever passes the CRC must still be safe to interpret.
                _ = try? VESCCommand(payload: frame.payload)
                _ = try? VESCReply(payload: frame.payload)
            }
            largestBuffer = max(largestBuffer, decoder.bufferedByteCount)
            _ = try? VESCCommand(payload: chunk)
            _ = try? VESCReply(payload: chunk)
        }
        #expect(largestBuffer <= capacity)
        #expect(decoder.counters.overflowBytes == 0)
        expectVESCBytesAccountedFor(decoder, fed: fed, returnedFrameBytes: frameBytes)
        while decoder.resynchronize() { _ = decoder.drainPayloads() }
        #expect(decoder.bufferedByteCount == 0)
    }

    @Test func validFramesAmongNoiseAndCorruptedFramesAreRecoveredInOrderFromRandomChunks() {
        var random = SplitMix64(state: 0x5EED_0002)
        var expectedTotal = 0, recoveredTotal = 0, extraFrames = 0
        for _ in 0..<2_000 {
            let decoder = VESCFrameDecoder()
            var stream: [UInt8] = []
            var expected: [[UInt8]] = []
            for _ in 0..<10 {
                let kind = random.below(10)
                if kind < 6 {
                    let valid = randomValidFrame(&random)
                    stream += valid.frame
                    expected.append(valid.payload)
                } else if kind < 8 {
                    stream += (0..<random.below(24)).map { _ in random.noiseByte() }
                } else {
                    var broken = randomValidFrame(&random).frame
                    if random.below(2) == 0 {
                        for _ in 0...random.below(3) { broken[random.below(broken.count)] ^= UInt8(1 + random.below(255)) }
                    } else {
                        // Cut anywhere except just before the end byte: a frame missing only its
                        // end byte, followed by a long frame, takes that frame's `03` start byte
                        // as its own end byte. That is an ambiguity of VESC framing itself (the
                        // firmware parser does the same) and is tested on its own.
                        broken = Array(broken.prefix(random.below(broken.count - 1)))
                    }
                    stream += broken
                }
            }

            var decoded: [[UInt8]] = []
            var offset = 0
            while offset < stream.count {
                let end = min(stream.count, offset + 1 + random.below(64))
                stream[offset..<end].withUnsafeBytes { decoder.feed($0) }
                offset = end
                decoded += decoder.drainPayloads()
            }
            // The stream has ended: give up on whatever header is still waiting for bytes.
            while decoder.resynchronize() { decoded += decoder.drainPayloads() }

            var next = 0
            for payload in decoded {
                if next < expected.count && payload == expected[next] { next += 1 } else { extraFrames += 1 }
            }
            #expect(next == expected.count, "recovered \(next) of \(expected.count) valid frames")
            #expect(decoder.counters.overflowBytes == 0 && decoder.bufferedByteCount == 0)
            expectedTotal += expected.count
            recoveredTotal += next
        }
        #expect(recoveredTotal == expectedTotal)
        #expect(expectedTotal > 10_000)
        // Corrupted frames that still pass CRC-16 and the end byte should be vanishingly rare.
        #expect(extraFrames <= 2)
    }
}
