import ReinsProtocols
import Testing

private let key = MAVLinkSamples.signingKey

private func signedEncoder(systemID: UInt8 = 255, linkID: UInt8 = 1, timestamp: UInt64 = 1_000_000) -> MAVLinkEncoder {
    MAVLinkEncoder(systemID: systemID, componentID: 190,
                   signing: try! MAVLinkSigningContext(key: key, linkID: linkID, timestamp: timestamp))
}

private func verifyingDecoder(allowing unsigned: Set<UInt32> = [], currentTimestamp: UInt64 = 0) -> MAVLinkDecoder {
    MAVLinkDecoder(signatureVerifier: MAVLinkSignatureVerifier(key: key, allowedUnsignedMessageIDs: unsigned,
                                                               currentTimestamp: currentTimestamp))
}

@Suite struct MAVLinkSigningTests {
    @Test func signedFramesCarryTheFlagLinkIDTimestampAndASixByteSignature() throws {
        let frame = try signedEncoder(linkID: 7, timestamp: 0x0000_0102_0304_0506).frame(MAVLinkHeartbeat.groundStation)
        #expect(frame.count == 21 + 13)
        #expect(frame[2] == 0x01)
        #expect(Array(frame[21..<28]) == [7, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01])
        let decoder = verifyingDecoder()
        decoder.feed(frame)
        let decoded = try #require(decoder.next())
        #expect(decoded.signatureStatus == .verified)
        #expect(decoded.signature == MAVLinkSignature(linkID: 7, timestamp: 0x0102_0304_0506))
        #expect(decoded.message(as: MAVLinkHeartbeat.self) == .groundStation)
    }

    @Test func timestampsIncreaseByOnePerFrameAndOnlyMoveForward() throws {
        let encoder = signedEncoder(timestamp: 500)
        let writer = ByteWriter(capacity: 1024)
        for _ in 0..<3 { try encoder.encode(MAVLinkHeartbeat.groundStation, into: writer) }
        encoder.signing?.advance(to: 400)
        try encoder.encode(MAVLinkHeartbeat.groundStation, into: writer)
        encoder.signing?.advance(to: 10_000)
        try encoder.encode(MAVLinkHeartbeat.groundStation, into: writer)
        let decoder = verifyingDecoder()
        decoder.feed(writer.array)
        let frames = decoder.drain()
        #expect(frames.map { $0.signature?.timestamp } == [500, 501, 502, 503, 10_000])
        #expect(frames.allSatisfy { $0.signatureStatus == .verified })
    }

    @Test func aReplayedOrOlderFrameIsRejectedPerStream() throws {
        let encoder = signedEncoder()
        let first = try encoder.frame(MAVLinkHeartbeat.groundStation)
        let second = try encoder.frame(MAVLinkHeartbeat.groundStation)
        let otherLink = try signedEncoder(linkID: 2).frame(MAVLinkHeartbeat.groundStation)
        let decoder = verifyingDecoder()
        decoder.feed(second + first + second + otherLink)
        let frames = decoder.drain()
        #expect(frames.map(\.bytes) == [second, otherLink])
        #expect(decoder.linkCounters.replayedTimestamps == 2)
        #expect(decoder.signatureVerifier?.lastTimestamp(linkID: 1, systemID: 255, componentID: 190) == 1_000_001)
    }

    @Test func aNewStreamMoreThanAMinuteBehindIsRejected() throws {
        let now: UInt64 = 50_000_000
        let stale = try signedEncoder(timestamp: now - MAVLinkSigningTime.newStreamWindow - 1).frame(MAVLinkHeartbeat.groundStation)
        let recent = try signedEncoder(systemID: 1, timestamp: now - MAVLinkSigningTime.newStreamWindow).frame(MAVLinkHeartbeat.groundStation)
        let decoder = verifyingDecoder(currentTimestamp: now)
        decoder.feed(stale + recent)
        #expect(decoder.drain().map(\.bytes) == [recent])
        #expect(decoder.linkCounters.replayedTimestamps == 1)
    }

    @Test func aWrongKeyOrATamperedFrameFailsAndDoesNotAdvanceTheStream() throws {
        let wrongKey = try MAVLinkSigningKey([UInt8](repeating: 9, count: 32))
        let forged = try MAVLinkEncoder(systemID: 255, componentID: 190,
                                        signing: try MAVLinkSigningContext(key: wrongKey, linkID: 1, timestamp: 9_000_000))
            .frame(MAVLinkHeartbeat.groundStation)
        var tampered = try signedEncoder().frame(MAVLinkCommandLong.arm(true, targetSystem: 1))
        tampered[tampered.count - 1] ^= 0x80
        let genuine = try signedEncoder(timestamp: 1_000_005).frame(MAVLinkHeartbeat.groundStation)
        let decoder = verifyingDecoder()
        decoder.feed(forged + tampered + genuine)
        #expect(decoder.drain().map(\.bytes) == [genuine])
        #expect(decoder.linkCounters.badSignatures == 2)
        // The forged frame's far-future timestamp was not recorded, or `genuine` would be a replay.
        #expect(decoder.linkCounters.replayedTimestamps == 0)
    }

    @Test func aFrameCutInsideItsSignatureDoesNotTakeTheNextFrameWithIt() throws {
        // The CRC passes (it ends before the signature), the signature check fails, and the
        // next frame starts inside what looked like the signature block.
        let encoder = signedEncoder()
        let cut = Array(try encoder.frame(MAVLinkCommandLong.arm(true, targetSystem: 1)).dropLast(5))
        let next = try encoder.frame(MAVLinkHeartbeat.groundStation)
        let decoder = verifyingDecoder()
        decoder.feed(cut + next)
        #expect(decoder.drain().map(\.bytes) == [next])
        #expect(decoder.linkCounters.badSignatures == 1)
    }

    @Test func unsignedFramesAreRejectedUnlessTheirMessageIsAllowed() throws {
        let unsigned = MAVLinkEncoder(systemID: 3, componentID: 68)
        let heartbeat = try unsigned.frame(MAVLinkHeartbeat.groundStation)
        // RADIO_STATUS (109), as SiK radios inject it unsigned.
        let writer = ByteWriter(capacity: 64)
        try [UInt8]([1, 0, 2, 0, 200, 190, 80, 20, 10]).withUnsafeBytes {
            try unsigned.encode(messageID: 109, crcExtra: 185, payload: $0, into: writer)
        }
        let decoder = verifyingDecoder(allowing: [109])
        decoder.feed(heartbeat + writer.array)
        let frames = decoder.drain()
        #expect(frames.map(\.messageID) == [109])
        #expect(frames.first?.signatureStatus == .unsignedAllowed)
        #expect(decoder.linkCounters.unsignedRejected == 1)
    }

    @Test func withoutAVerifierSignedFramesAreReturnedUnverified() throws {
        let decoder = MAVLinkDecoder()
        decoder.feed(try signedEncoder(linkID: 4, timestamp: 77).frame(MAVLinkHeartbeat.groundStation))
        let frame = try #require(decoder.next())
        #expect(frame.signatureStatus == .notVerified)
        #expect(frame.signature == MAVLinkSignature(linkID: 4, timestamp: 77))
    }

    @Test func theStreamTableIsBoundedAndForgetsTheOldestStream() throws {
        let verifier = MAVLinkSignatureVerifier(key: key, streamCapacity: 2)
        let decoder = MAVLinkDecoder(signatureVerifier: verifier)
        for (systemID, timestamp) in [(1, 100), (2, 300), (3, 200)] as [(UInt8, UInt64)] {
            decoder.feed(try signedEncoder(systemID: systemID, timestamp: timestamp).frame(MAVLinkHeartbeat.groundStation))
        }
        #expect(decoder.drain().count == 3)
        #expect(verifier.lastTimestamp(linkID: 1, systemID: 1, componentID: 190) == nil)
        #expect(verifier.lastTimestamp(linkID: 1, systemID: 2, componentID: 190) == 300)
        #expect(verifier.lastTimestamp(linkID: 1, systemID: 3, componentID: 190) == 200)
        #expect(verifier.currentTimestamp == 300)
    }

    @Test func keysTimestampsAndTheirErrors() throws {
        #expect(throws: MAVLinkError.signingKeyLength(31)) { try MAVLinkSigningKey([UInt8](repeating: 0, count: 31)) }
        // SHA-256("abc") = ba7816bf 8f01cfea ...
        #expect(Array(MAVLinkSigningKey(passphrase: "abc").bytes.prefix(4)) == [0xBA, 0x78, 0x16, 0xBF])
        #expect("\(key)" == "MAVLinkSigningKey(32 bytes)", "a key must not print its bytes")
        #expect(MAVLinkSigningTime.timestamp(unixMicroseconds: 1_420_070_400_000_000 + 25) == 2)
        #expect(MAVLinkSigningTime.timestamp(unixMicroseconds: 0) == 0)
        #expect(throws: MAVLinkError.signingTimestampOutOfRange(1 << 48)) {
            try MAVLinkSigningContext(key: key, linkID: 0, timestamp: 1 << 48)
        }
        let encoder = signedEncoder(timestamp: MAVLinkSigningTime.maximum)
        _ = try encoder.frame(MAVLinkHeartbeat.groundStation)
        #expect(throws: MAVLinkError.signingTimestampOutOfRange(1 << 48)) { try encoder.frame(MAVLinkHeartbeat.groundStation) }
    }
}
