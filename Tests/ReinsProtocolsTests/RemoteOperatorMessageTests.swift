import ReinsCore
import ReinsProtocols
import Testing

@Suite struct RemoteOperatorMessageTests {
    private func encoded(_ message: RemoteOperatorMessage) -> [UInt8] {
        let writer = ByteWriter(capacity: 12 + 64)
        RemoteOperatorMessage.encode(message, into: writer)
        #expect(!writer.overflowed)
        return writer.array
    }

    private func decode(_ bytes: [UInt8]) -> Result<RemoteOperatorMessage, RemoteOperatorMessage.DecodeError> {
        bytes.withUnsafeBytes { raw in Result { () throws(RemoteOperatorMessage.DecodeError) in try RemoteOperatorMessage.decode(raw) } }
    }

    /// The README's layout, byte for byte: magic, u32 sequence, mode, count, u16 buttons, f64 values.
    @Test func encodesTheDocumentedLittleEndianLayout() {
        let message = RemoteOperatorMessage(sequence: 0x0403_0201, mode: .offset, buttons: 0x0081, values: [1.0, -0.5])
        #expect(encoded(message) == [
            0x52, 0x4F, 0x50, 0x31, // "ROP1"
            0x01, 0x02, 0x03, 0x04, // sequence
            0x01, // mode: offset
            0x02, // count
            0x81, 0x00, // buttons: takeover (bit 0) + stop (bit 7)
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xF0, 0x3F, // 1.0
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xE0, 0xBF, // -0.5
        ])
    }

    @Test func decodesWhatItEncodes() throws {
        let message = RemoteOperatorMessage(sequence: .max, mode: .absolute, buttons: 0x00FF, values: [0.3, -0.26, 0, 1e-300, 5, 6, 7, -8])
        let decoded = try decode(encoded(message)).get()
        #expect(decoded.sequence == .max && decoded.mode == .absolute && decoded.buttons == 0x00FF && decoded.count == 8)
        for i in 0..<8 { #expect(decoded.values[i] == message.values[i]) }
        let empty = try decode(encoded(RemoteOperatorMessage(sequence: 7, mode: .absolute, buttons: 0, values: []))).get()
        #expect(empty.count == 0 && empty.sequence == 7)
    }

    @Test func malformedMessagesAreRefusedWithTheFieldNamed() {
        let good = encoded(RemoteOperatorMessage(sequence: 1, mode: .absolute, buttons: 0, values: [0.5, 0.1]))
        func changed(_ edit: (inout [UInt8]) -> Void) -> [UInt8] {
            var bytes = good
            edit(&bytes)
            return bytes
        }
        let nan = changed { bytes in withUnsafeBytes(of: Double.nan.bitPattern.littleEndian) { bytes.replaceSubrange(20..<28, with: $0) } }
        let infinity = changed { bytes in withUnsafeBytes(of: Double.infinity.bitPattern.littleEndian) { bytes.replaceSubrange(12..<20, with: $0) } }
        let cases: [([UInt8], RemoteOperatorMessage.DecodeError)] = [
            ([], .tooShort(length: 0)),
            (Array(good[0..<11]), .tooShort(length: 11)),
            (changed { $0[3] = 0x32 }, .badMagic),
            (changed { $0[8] = 2 }, .unknownMode(2)),
            (changed { $0[9] = 9 }, .tooManyValues(9)),
            (changed { $0[9] = 3 }, .lengthMismatch(declaredValues: 3, payloadBytes: 16)),
            (good + [0], .lengthMismatch(declaredValues: 2, payloadBytes: 17)),
            (changed { $0[11] = 0x01 }, .undefinedButtons(0x0100)),
            (nan, .nonFinite(index: 1)),
            (infinity, .nonFinite(index: 0)),
        ]
        for (bytes, expected) in cases {
            switch decode(bytes) {
            case .success: Issue.record("\(bytes) decoded; expected \(expected)")
            case .failure(let error): #expect(error == expected, "\(error.description)")
            }
        }
        #expect(RemoteOperatorMessage.DecodeError.nonFinite(index: 1).description == "value 1 (bytes 20-27) is NaN or infinite")
    }

    /// Random bytes, and valid messages with random bytes changed, never crash the decoder; what it
    /// accepts is a well-formed message that encodes back to the same bytes.
    @Test func anyBytesDecodeToAMessageOrAnErrorNeverACrash() {
        var random = SeededRandom(seed: 42)
        var accepted = 0
        for round in 0..<20_000 {
            var bytes: [UInt8]
            if round % 2 == 0 {
                bytes = (0..<Int.random(in: 0..<80, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
                if round % 4 == 0 && bytes.count >= 4 { bytes.replaceSubrange(0..<4, with: [0x52, 0x4F, 0x50, 0x31]) }
            } else {
                let count = Int.random(in: 0...8, using: &random)
                let values = (0..<count).map { _ in Double.random(in: -10...10, using: &random) }
                bytes = encoded(RemoteOperatorMessage(sequence: UInt32.random(in: 0...UInt32.max, using: &random), mode: .absolute,
                                                      buttons: UInt16.random(in: 0...0xFF, using: &random), values: values))
                for _ in 0..<Int.random(in: 1...3, using: &random) {
                    bytes[Int.random(in: 0..<bytes.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
                }
            }
            guard case .success(let message) = decode(bytes) else { continue }
            accepted += 1
            #expect(message.count <= 8 && message.buttons & 0xFF00 == 0)
            for i in 0..<message.count { #expect(message.values[i].isFinite) }
            #expect(encoded(message) == bytes)
        }
        #expect(accepted > 1000, "the mutations should leave many messages valid; accepted \(accepted)")
    }

    @Test func newerSequenceNumbersWrap() {
        #expect(RemoteOperatorMessage.isNewer(2, than: 1))
        #expect(!RemoteOperatorMessage.isNewer(1, than: 1))
        #expect(!RemoteOperatorMessage.isNewer(1, than: 2))
        #expect(RemoteOperatorMessage.isNewer(0, than: .max))
        #expect(!RemoteOperatorMessage.isNewer(.max, than: 0))
    }
}
