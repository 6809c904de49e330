import ReinsProtocols
import Testing

private let heartbeat = try! MAVLinkEncoder(systemID: 1, componentID: 1).frame(MAVLinkHeartbeat.groundStation)
private let arm = try! MAVLinkEncoder(systemID: 255, componentID: 190).frame(MAVLinkCommandLong.arm(true, targetSystem: 1))

@Suite struct MAVLinkDecoderTests {
    @Test func aFrameArrivingOneByteAtATimeIsReturnedOnceComplete() throws {
        let decoder = MAVLinkDecoder()
        for byte in arm.dropLast() {
            decoder.feed([byte])
            #expect(decoder.next() == nil)
        }
        decoder.feed([arm.last!])
        let frame = try #require(decoder.next())
        #expect(frame.message(as: MAVLinkCommandLong.self) == .arm(true, targetSystem: 1))
        #expect(Array(frame.bytes) == arm && frame.payload.count == 32)
        #expect(decoder.counters.frames == 1 && decoder.bufferedByteCount == 0)
    }

    @Test func noiseBetweenFramesIsSkippedAndEveryByteAccountedFor() {
        // `FD 01 02 ..` has an unknown incompatibility flag; `FE 05 FD FD FD 20` is a MAVLink 1
        // header for message 32 whose CRC fails once its 13 bytes are in.
        let noise: [UInt8] = [0x00, 0xFD, 0x01, 0x02, 0xFE, 0x05, 0xFD, 0xFD]
        let stream = noise + heartbeat + noise + arm + [0x00, 0x13, 0xFD, 0xFD]
        let decoder = MAVLinkDecoder()
        decoder.feed(stream)
        #expect(decoder.drain().map(\.bytes) == [heartbeat, arm])
        // The trailing `FD FD` may still be a header in the making.
        #expect(decoder.bufferedByteCount == 2)
        MAVLinkSamples.expectBytesAccountedFor(decoder, fed: stream.count, returnedFrameBytes: heartbeat.count + arm.count)
    }

    @Test func aBadCRCIsSkippedWithoutLosingTheFrameAfterIt() {
        var corrupted = arm
        corrupted[20] ^= 0x01
        let decoder = MAVLinkDecoder()
        decoder.feed(corrupted + heartbeat)
        #expect(decoder.drain().map(\.bytes) == [heartbeat])
        #expect(decoder.counters.checksumErrors == 1)
        #expect(decoder.counters.discardedBytes == UInt64(corrupted.count))
    }

    @Test func aFrameHiddenInsideAFalseHeaderIsStillFound() {
        // A header for a known message (id 0) claiming 200 bytes swallows the real frame; once its
        // CRC fails the decoder resumes one byte after the false start.
        let stream: [UInt8] = [0xFD, 200, 0, 0, 0, 1, 1, 0, 0, 0] + arm + [UInt8](repeating: 0x11, count: 200)
        let decoder = MAVLinkDecoder()
        decoder.feed(stream)
        #expect(decoder.drain().map(\.bytes) == [arm])
    }

    @Test func mavlink1FramesAreSkippedWholeAndCountedWithoutSwallowingMAVLink2() throws {
        let v1 = MAVLinkSamples.mavlink1Frame(messageID: 0, crcExtra: 50, payload: [0, 0, 0, 0, 6, 8, 0, 4, 3])
        let decoder = MAVLinkDecoder()
        decoder.feed(v1 + arm + v1 + v1)
        #expect(decoder.drain().map(\.bytes) == [arm])
        #expect(decoder.linkCounters.mavlink1Frames == 3)
        #expect(decoder.counters.checksumErrors == 0)

        // A broken MAVLink 1 header whose claimed length covers a MAVLink 2 frame: the v2 frame survives.
        let broken: [UInt8] = [0xFE, 60, 0, 1, 1, 0]
        decoder.feed(broken + heartbeat + [UInt8](repeating: 0, count: 60))
        #expect(decoder.drain().map(\.bytes) == [heartbeat])
        #expect(decoder.linkCounters.mavlink1Frames == 3)
    }

    @Test func framesOfUnknownMessageIDsAreCountedAndSkippedLikeNoise() {
        let unknown = MAVLinkSamples.unknownMessageFrame()
        let decoder = MAVLinkDecoder()
        decoder.feed(unknown + heartbeat)
        #expect(decoder.drain().map(\.bytes) == [heartbeat])
        #expect(decoder.linkCounters.unknownMessageIDs == 1)

        // With the dialect's message added to the table, the same frame is returned.
        let table = MAVLinkMessageTable.common.adding([
            MAVLinkMessageInfo(id: 60_000, crcExtra: 99, minimumLength: 3, maximumLength: 3, name: "VENDOR_THING"),
        ])
        let vendor = MAVLinkDecoder(messages: table)
        vendor.feed(unknown)
        let frames = vendor.drain()
        #expect(frames.map(\.messageID) == [60_000] && frames.first?.payload == [1, 2, 3])
        #expect(table.info(forID: 60_000)?.name == "VENDOR_THING" && table.info(forID: 0)?.name == "HEARTBEAT")
    }

    @Test func framesWithUnknownIncompatibilityFlagsAreMalformed() {
        var flagged = heartbeat
        flagged[2] = 0x02
        let decoder = MAVLinkDecoder()
        decoder.feed(flagged + arm)
        #expect(decoder.drain().map(\.bytes) == [arm])
        #expect(decoder.counters.malformedFrames == 1)
    }

    @Test func abandoningAStalledHeaderReleasesTheFramesBehindIt() {
        let decoder = MAVLinkDecoder()
        decoder.feed([0xFD, 255, 0, 0, 0, 1, 1, 0, 0, 0] + heartbeat)
        #expect(decoder.drain().isEmpty)
        #expect(decoder.resynchronize())
        #expect(decoder.drain().map(\.bytes) == [heartbeat])
        #expect(!decoder.resynchronize())
    }

    @Test func bytesBeyondTheReceiveCapacityAreDroppedAndCountedThenDecodingContinues() {
        let decoder = MAVLinkDecoder(receiveCapacity: 0)
        let capacity = 2 * MAVLinkEncoder.maximumFrameLength
        decoder.feed([UInt8](repeating: 0x00, count: capacity + 7))
        #expect(decoder.counters.overflowBytes == 7)
        decoder.feed(heartbeat)
        #expect(decoder.drain().map(\.bytes) == [heartbeat])
        MAVLinkSamples.expectBytesAccountedFor(decoder, fed: capacity + 7 + heartbeat.count, returnedFrameBytes: heartbeat.count)
    }

    @Test func theFrameViewIsACopyThatLaterFeedsDoNotDisturb() throws {
        let decoder = MAVLinkDecoder()
        decoder.feed(arm)
        let frame = try #require(decoder.next())
        decoder.feed([UInt8](repeating: 0xFD, count: 300))
        #expect(Array(frame.bytes) == arm)
        #expect(MAVLinkCommonMessage(frame: frame) == .commandLong(.arm(true, targetSystem: 1)))
    }
}
