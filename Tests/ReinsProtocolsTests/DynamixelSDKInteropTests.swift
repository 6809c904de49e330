import ReinsProtocols
import ReinsTestSupport
import Testing

/// Reins against ROBOTIS' own Python SDK (dynamixel-sdk 4.1.0, installed in CI from
/// Tests/requirements.txt): the SDK's PacketHandler writes into and reads from a fake port
/// (Tests/Peers/dynamixel_sdk_peer.py). It must send exactly the bytes Reins encodes, and read the
/// status packets Reins encodes, except where the SDK itself is known to be wrong.
@Suite struct DynamixelSDKInteropTests {
    /// One SDK call: the instruction Reins encodes for it and the replies the fake port returns.
    struct Case {
        var name: String
        var instruction: DynamixelInstruction
        var replies: [UInt8] = []
    }

    static let doubleStuffedData: [UInt8] = [0xFF, 0xFF, 0xFD, 0x07, 0xFF, 0xFD, 0xFD]

    static func cases() throws -> [Case] {
        let position = DynamixelXSeries.presentPosition
        return [
            Case(name: "ping", instruction: .ping(id: 1),
                 replies: try DynamixelStatus.pingReply(id: 1, modelNumber: 1030, firmwareVersion: 38).encoded()),
            Case(name: "broadcast_ping", instruction: .ping(id: DynamixelDeviceID.broadcast),
                 replies: try DynamixelStatus.pingReply(id: 1, modelNumber: 1030, firmwareVersion: 38).encoded()
                     + DynamixelStatus.pingReply(id: 2, modelNumber: 1060, firmwareVersion: 45).encoded()),
            Case(name: "read", instruction: .read(id: 1, address: 132, length: 4),
                 replies: try DynamixelStatus(id: 1, data: position.bytes(166)).encoded()),
            Case(name: "read_stuffed_reply", instruction: .read(id: 1, address: 116, length: 4),
                 replies: try DynamixelStatus(id: 1, data: [0xFF, 0xFF, 0xFD, 0x00]).encoded()),
            Case(name: "read_double_stuffed_reply", instruction: .read(id: 1, address: 200, length: 7),
                 replies: try DynamixelStatus(id: 1, data: doubleStuffedData).encoded()),
            Case(name: "write", instruction: .write(id: 1, address: 116, data: try DynamixelXSeries.goalPosition.bytes(512)),
                 replies: try DynamixelStatus(id: 1).encoded()),
            Case(name: "write_stuffing", instruction: .write(id: 1, address: 116, data: [0xFF, 0xFF, 0xFD, 0x00]),
                 replies: try DynamixelStatus(id: 1).encoded()),
            Case(name: "reg_write", instruction: .regWrite(id: 1, address: 116, data: [0x00, 0x02, 0x00, 0x00]),
                 replies: try DynamixelStatus(id: 1).encoded()),
            Case(name: "action", instruction: .action(id: 1)),
            Case(name: "reboot", instruction: .reboot(id: 1), replies: try DynamixelStatus(id: 1).encoded()),
            Case(name: "factory_reset", instruction: .factoryReset(id: 1, scope: .everythingExceptID),
                 replies: try DynamixelStatus(id: 1).encoded()),
            Case(name: "clear_multi_turn", instruction: .clearMultiTurn(id: 1), replies: try DynamixelStatus(id: 1).encoded()),
            Case(name: "sync_read", instruction: .syncRead(address: 132, length: 4, ids: [1, 2]),
                 replies: try DynamixelStatus(id: 1, data: position.bytes(1000)).encoded()
                     + DynamixelStatus(id: 2, data: position.bytes(3000)).encoded()),
            Case(name: "fast_sync_read", instruction: .fastSyncRead(address: 132, length: 4, ids: [3, 7, 4]),
                 replies: try DynamixelFastReply.encoded([
                     DynamixelStatus(id: 3, data: position.bytes(166)),
                     DynamixelStatus(id: 7, data: position.bytes(2079)),
                     DynamixelStatus(id: 4, data: position.bytes(1023)),
                 ])),
            Case(name: "sync_write",
                 instruction: .syncWrite(address: 116, length: 4, ids: [1, 2], data: [150, 0, 0, 0, 170, 0, 0, 0])),
            Case(name: "bulk_read",
                 instruction: .bulkRead([DynamixelBulkReadEntry(id: 1, address: 144, length: 2),
                                         DynamixelBulkReadEntry(id: 2, address: 146, length: 1)]),
                 replies: try DynamixelStatus(id: 1, data: DynamixelXSeries.presentInputVoltage.bytes(121)).encoded()
                     + DynamixelStatus(id: 2, data: DynamixelXSeries.presentTemperature.bytes(41)).encoded()),
            Case(name: "bulk_write",
                 instruction: .bulkWrite([DynamixelBulkWriteEntry(id: 1, address: 32, data: [0xA0, 0x00]),
                                          DynamixelBulkWriteEntry(id: 2, address: 31, data: [0x50])])),
        ]
    }

    /// What the SDK did in each case: `tx`, `result`, `error` and the case's values.
    struct PeerRun: Sendable {
        var sdkVersion: String
        var cases: [String: [String: String]]

        func field(_ name: String, _ key: String) throws -> String {
            try #require(cases[name]?[key], "the peer printed no \(key) for \(name)")
        }
    }

    struct PeerFailure: Error, CustomStringConvertible {
        var description: String
    }

    /// The peer runs once for all tests: starting Python is the slow part.
    static let peerRun = Result { () throws -> PeerRun in
        let script = packageRoot + "/Tests/Peers/dynamixel_sdk_peer.py"
        let input = try Self.cases().map { $0.name + " " + hex($0.replies) }.joined(separator: "\n") + "\n"
        let run = runProcess("python3", [script], standardInput: input)
        guard run.status == 0 else {
            throw PeerFailure(description: """
                \(script) failed with status \(run.status) (127: python3 not found). It needs python3 with \
                dynamixel-sdk 4.1.0: python3 -m pip install -r Tests/requirements.txt
                \(run.standardError)
                """)
        }
        var lines = run.standardOutput.split(separator: "\n")
        guard let versionLine = lines.first else { throw PeerFailure(description: "\(script) printed nothing") }
        lines.removeFirst()
        var results: [String: [String: String]] = [:]
        for line in lines {
            let words = line.split(separator: " ")
            var fields: [String: String] = [:]
            for word in words.dropFirst() {
                let parts = word.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                fields[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
            }
            results[String(words[0])] = fields
        }
        return PeerRun(sdkVersion: String(versionLine.dropFirst("sdk version=".count)), cases: results)
    }

    static func runPeer() throws -> PeerRun { try peerRun.get() }

    static func hex(_ bytes: [UInt8]) -> String { ServoHex.string(bytes).split(separator: " ").joined() }

    static func bytes(_ hex: String) -> [UInt8] {
        let digits = Array(hex)
        return stride(from: 0, to: digits.count - 1, by: 2).map { UInt8(String(digits[$0...$0 + 1]), radix: 16)! }
    }

    @Test func theSDKIsTheVersionWhoseBehaviourTheseTestsDocument() throws {
        #expect(try Self.runPeer().sdkVersion == "4.1.0")
    }

    @Test func theSDKSendsTheBytesReinsEncodes() throws {
        let run = try Self.runPeer()
        for testCase in try Self.cases() where testCase.name != "write_stuffing" {
            let sent = Self.bytes(try run.field(testCase.name, "tx"))
            #expect(sent == (try testCase.instruction.encoded()), "\(testCase.name)")
            // And Reins reads the SDK's bytes back as the same instruction.
            let decoder = DynamixelDecoder()
            decoder.feed(sent)
            #expect(try decoder.next()?.instruction() == testCase.instruction, "\(testCase.name)")
        }
    }

    /// dynamixel-sdk 4.1.0 calls `addStuffing(txpacket)` and drops the list it returns, so it sends
    /// the packet unstuffed: without the FD after `FF FF FD`, with LEN one smaller and the CRC of the
    /// unstuffed bytes.
    @Test func theSDKOmitsTheStuffingByteReinsInserts() throws {
        let run = try Self.runPeer()
        let reins = try DynamixelInstruction.write(id: 1, address: 116, data: [0xFF, 0xFF, 0xFD, 0x00]).encoded()
        let sdk = Self.bytes(try run.field("write_stuffing", "tx"))
        #expect(ServoHex.string(reins) == "FF FF FD 00 01 0A 00 03 74 00 FF FF FD FD 00 21 E7")
        #expect(sdk.count == reins.count - 1)
        // The same bytes once the inserted FD (offset 13) is removed, apart from LEN and CRC.
        var unstuffed = reins
        unstuffed.remove(at: 13)
        #expect(Array(sdk[0..<5]) == Array(unstuffed[0..<5]))
        #expect(Array(sdk[7..<(sdk.count - 2)]) == Array(unstuffed[7..<(unstuffed.count - 2)]))
        #expect(Int(sdk[5]) | Int(sdk[6]) << 8 == (Int(reins[5]) | Int(reins[6]) << 8) - 1)
        let crc = DynamixelCRC.checksum(Array(sdk.dropLast(2)))
        #expect(Array(sdk.suffix(2)) == [UInt8(crc & 0xFF), UInt8(crc >> 8)])
        #expect(ServoHex.string(sdk) == "FF FF FD 00 01 09 00 03 74 00 FF FF FD 00 C9 07")
        #expect(try run.field("write_stuffing", "result") == "0")
    }

    @Test func theSDKReadsTheStatusPacketsReinsEncodes() throws {
        let run = try Self.runPeer()
        for testCase in try Self.cases() {
            #expect(try run.field(testCase.name, "result") == "0", "\(testCase.name): SDK result")
            #expect(try run.field(testCase.name, "error") == "0", "\(testCase.name): SDK status error")
        }
        #expect(try run.field("ping", "model") == "1030")
        #expect(try run.field("broadcast_ping", "devices") == "1:1030:38,2:1060:45")
        #expect(try run.field("read", "data") == "A6000000")
        #expect(try run.field("read_stuffed_reply", "data") == "FFFFFD00")
        #expect(try run.field("sync_read", "values") == "1:1000,2:3000")
        #expect(try run.field("fast_sync_read", "values") == "3:166,7:2079,4:1023")
        #expect(try run.field("bulk_read", "values") == "1:121,2:41")
    }

    /// dynamixel-sdk 4.1.0's `removeStuffing` compacts the packet in place while still comparing with
    /// the two bytes before the current one, which after the first removal have moved. A reply
    /// stuffed once and holding a later `FF FD FD` loses that second FD: the SDK returns its data one
    /// byte short, padded with the CRC's low byte, and still reports success. Reins reads it right.
    @Test func theSDKMisreadsAReplyWhoseDataHoldsAStuffedHeaderAndALaterFFFDFD() throws {
        let run = try Self.runPeer()
        let reply = try DynamixelStatus(id: 1, data: Self.doubleStuffedData).encoded()
        #expect(ServoHex.string(reply).contains("FF FF FD FD 07 FF FD FD"))
        let sdkData = Self.bytes(try run.field("read_double_stuffed_reply", "data"))
        #expect(sdkData != Self.doubleStuffedData)
        #expect(sdkData == Array(Self.doubleStuffedData.prefix(6)) + [reply[reply.count - 2]])
        #expect(try run.field("read_double_stuffed_reply", "result") == "0")

        let decoder = DynamixelDecoder()
        decoder.feed(reply)
        #expect(Array(try #require(decoder.next()).statusData) == Self.doubleStuffedData)
    }
}
