import ReinsProtocols
import Testing

@Suite struct RobotMessageTests {
    @Test func stateRoundTripsWithItsHeader() throws {
        let writer = ByteWriter(capacity: 256)
        let header = RobotMessage.Header(kind: .state, sequence: 7, timestampNanoseconds: 123_456_789, count: 3, flags: .stopped)
        [1.5, -2.25, 1e-9].withUnsafeBufferPointer { RobotMessage.encode(header, values: $0, into: writer) }
        let bytes = writer.array
        #expect(bytes.count == 20 + 24)
        #expect(Array(bytes[0..<4]) == [0x52, 0x52, 1, 1])
        let decoded = try bytes.withUnsafeBytes { try RobotMessage.decodeHeader($0) }
        #expect(decoded == header)
        var values = [Double](repeating: 0, count: 3)
        _ = bytes.withUnsafeBytes { raw in values.withUnsafeMutableBufferPointer { RobotMessage.decodeValues(raw, header: decoded, into: $0) } }
        #expect(values == [1.5, -2.25, 1e-9])
    }

    @Test func helloCarriesTheLayoutAsJSON() throws {
        let writer = ByteWriter(capacity: 4096)
        let layout = RobotLayout(robot: "arm", kind: "arm", state: ["a.pos"], action: ["a.goal"], rateHz: 100)
        RobotMessage.encodeHello(sequence: 1, timestampNanoseconds: 0, json: layout.json(), into: writer)
        let text = writer.array.withUnsafeBytes { RobotMessage.helloText($0) }
        #expect(try RobotLayout.parse(text) == layout)
        #expect(throws: RobotLayout.ParseError.self) { try RobotLayout.parse("{\"protocol\":\"other\"}") }
    }

    @Test func malformedMessagesNameTheWrongBytes() {
        func problem(_ bytes: [UInt8]) -> String {
            let result = bytes.withUnsafeBytes { raw in
                Result { () throws(RobotMessage.DecodeError) in try RobotMessage.decodeHeader(raw) }
            }
            switch result {
            case .success: return "accepted"
            case .failure(let error): return error.description
            }
        }
        #expect(problem([0x52, 0x52, 1]) == "message of 3 bytes is shorter than the 20-byte header")
        var message: [UInt8] = [0x52, 0x52, 1, 1] + [UInt8](repeating: 0, count: 12) + [2, 0, 0, 0] + [UInt8](repeating: 0, count: 8)
        #expect(problem(message) == "bytes 16-17 declare 2 values but 8 payload bytes follow")
        message[0] = 0x41
        #expect(problem(message) == "bytes 0-1 are 41 52, not the magic 52 52 (\"RR\")")
        message[0] = 0x52; message[2] = 9
        #expect(problem(message) == "byte 2: protocol version 9 is not supported (this runtime speaks version 1)")
        message[2] = 1; message[3] = 77
        #expect(problem(message) == "byte 3: unknown message type 77")
    }
}
