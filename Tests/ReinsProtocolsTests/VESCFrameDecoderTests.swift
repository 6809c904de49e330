import ReinsProtocols
import Testing

private func frame(_ command: VESCCommand) -> [UInt8] { try! VESCFraming.frame(command) }

/// Every byte fed is in a returned frame, discarded, lost to overflow, or still buffered.
func expectVESCBytesAccountedFor(_ decoder: VESCFrameDecoder, fed: Int, returnedFrameBytes: Int,
                                 sourceLocation: SourceLocation = #_sourceLocation) {
    let counters = decoder.counters
    let accounted = returnedFrameBytes + Int(counters.discardedBytes) + Int(counters.overflowBytes) + decoder.bufferedByteCount
    #expect(accounted == fed, "fed \(fed) bytes, accounted for \(accounted): \(counters)", sourceLocation: sourceLocation)
}

@Suite struct VESCFrameDecoderTests {
    @Test func aFrameArrivingOneByteAtATimeIsReturnedOnceComplete() throws {
        let bytes = frame(.setElectricalRPM(-1500))
        let decoder = VESCFrameDecoder()
        for byte in bytes.dropLast() {
            decoder.feed([byte])
            #expect(decoder.next() == nil)
        }
        decoder.feed([bytes.last!])
        #expect(try VESCCommand(payload: try #require(decoder.next()).payload) == .setElectricalRPM(-1500))
        #expect(decoder.counters.frames == 1 && decoder.bufferedByteCount == 0)
    }

    @Test func noiseBeforeAndBetweenFramesIsSkippedAndCounted() throws {
        let noise: [UInt8] = [0x00, 0xFF, 0x02, 0x00, 0x55, 0x03, 0x00, 0x10]
        let stream = noise + frame(.alive) + noise + frame(.setCurrent(amperes: 5)) + [0x7F]
        let decoder = VESCFrameDecoder()
        decoder.feed(stream)
        let commands = try decoder.drainPayloads().map { try VESCCommand(payload: $0) }
        #expect(commands == [.alive, .setCurrent(amperes: 5)])
        #expect(decoder.counters.discardedBytes == UInt64(2 * noise.count + 1))
        // `02 00` (empty payload) and `03 00 10` (long frame for a short payload) are impossible headers.
        #expect(decoder.counters.malformedFrames == 4)
        expectVESCBytesAccountedFor(decoder, fed: stream.count, returnedFrameBytes: 6 + 10)
    }

    @Test func aBadCRCIsSkippedWithoutLosingTheFrameAfterIt() throws {
        var corrupted = frame(.setDutyCycle(0.25))
        corrupted[4] ^= 0x40
        let decoder = VESCFrameDecoder()
        decoder.feed(corrupted + frame(.setDutyCycle(0.5)))
        #expect(try decoder.drainPayloads().map { try VESCCommand(payload: $0) } == [.setDutyCycle(0.5)])
        #expect(decoder.counters.checksumErrors == 1)
        #expect(decoder.counters.discardedBytes == UInt64(corrupted.count))
    }

    @Test func aFrameHiddenInsideAFalseHeaderIsStillFound() throws {
        // `02 20` claims a 32-byte payload that swallows the real frame; when the claim fails, the
        // decoder resumes one byte after the false start and finds the real frame.
        let stream: [UInt8] = [0x02, 0x20] + frame(.alive) + [UInt8](repeating: 0xAA, count: 40)
        let decoder = VESCFrameDecoder()
        decoder.feed(stream)
        #expect(decoder.drainPayloads() == [[30]])
        expectVESCBytesAccountedFor(decoder, fed: stream.count, returnedFrameBytes: 6)
    }

    @Test func impossibleLengthsAndMissingEndBytesAreMalformed() throws {
        let decoder = VESCFrameDecoder(maximumPayloadLength: 512)
        var missingEnd = frame(.alive)
        missingEnd[5] = 0x04
        decoder.feed([0x03, 0x02, 0x01] + missingEnd + [0x03, 0x00, 0xFF] + frame(.reboot))
        #expect(decoder.drainPayloads() == [[29]])
        // `03 02 01` claims 513 bytes (over the maximum); then `02 01 02 01 1E F3` and the frame
        // with the wrong end byte fail on their end byte; `03 00 FF` is a long frame of 255 bytes.
        #expect(decoder.counters.malformedFrames == 4)
    }

    @Test func aClaimedLengthOverTheMaximumDoesNotHoldUpTheFramesBehindIt() {
        let decoder = VESCFrameDecoder(maximumPayloadLength: 64)
        decoder.feed([0x02, 0xC8] + frame(.alive))
        #expect(decoder.drainPayloads() == [[30]])
    }

    @Test func bytesBeyondTheReceiveCapacityAreDroppedAndCountedThenDecodingContinues() throws {
        let decoder = VESCFrameDecoder(maximumPayloadLength: 16)
        let capacity = 2 * VESCFraming.frameLength(payloadLength: 16)
        decoder.feed([UInt8](repeating: 0x02, count: capacity + 10))
        #expect(decoder.counters.overflowBytes == 10)
        #expect(decoder.bufferedByteCount <= capacity)
        decoder.feed(frame(.alive))
        #expect(decoder.drainPayloads() == [[30]])
        expectVESCBytesAccountedFor(decoder, fed: capacity + 16, returnedFrameBytes: 6)
    }

    @Test func theFrameViewIsACopyThatLaterFeedsDoNotDisturb() throws {
        let decoder = VESCFrameDecoder()
        decoder.feed(frame(.setElectricalRPM(1000)))
        let view = try #require(decoder.next())
        decoder.feed([UInt8](repeating: 0x55, count: 100))
        #expect(Array(view.payload) == [8, 0, 0, 0x03, 0xE8])
    }

    @Test func abandoningAStalledHeaderReleasesTheFramesBehindIt() {
        // `03 01 00` claims a 256-byte payload: possible, so the decoder waits for it.
        let decoder = VESCFrameDecoder()
        decoder.feed([0x03, 0x01, 0x00] + frame(.alive) + frame(.reboot))
        #expect(decoder.drainPayloads().isEmpty)
        #expect(decoder.resynchronize())
        #expect(decoder.drainPayloads() == [[30], [29]])
        #expect(!decoder.resynchronize())
        #expect(decoder.counters.malformedFrames == 1)
    }

    @Test func aFrameMissingOnlyItsEndByteBorrowsTheStartByteOfALongFrameAfterIt() throws {
        // The end byte and the long-frame start byte are both 0x03, so this stream is genuinely
        // ambiguous; like the firmware, the decoder takes the first reading. The long frame is lost,
        // the frame after it is not.
        let truncated = Array(frame(.alive).dropLast())
        let long = try VESCFraming.frame(payload: [UInt8](repeating: 0x11, count: 300))
        let decoder = VESCFrameDecoder()
        decoder.feed(truncated + long + frame(.reboot))
        #expect(decoder.drainPayloads() == [[30], [29]])
    }

    @Test func resetForgetsAPartialFrame() {
        let decoder = VESCFrameDecoder()
        decoder.feed(Array(frame(.alive).prefix(3)))
        decoder.reset()
        decoder.feed(frame(.reboot))
        #expect(decoder.drainPayloads() == [[29]])
    }
}
