import Foundation
import ReinsProtocols
import ReinsTestSupport
import Testing

/// Reins against pymavlink (Tests/Peers/pymavlink_peer.py), an independent MAVLink 2
/// implementation. CI installs it from Tests/requirements.txt; a missing python3 or pymavlink is
/// a failure, not a skip.
@Suite struct MAVLinkInteropTests {
    private static let peer = packageRoot + "/Tests/Peers/pymavlink_peer.py"
    private static let keyHex = MAVLinkSamples.signingKey.bytes.map { String(format: "%02x", $0) }.joined()
    private static let firstTimestamp: UInt64 = 650_000_000_000

    private func runPeer(_ arguments: [String], input: String = "") throws -> [String] {
        let result = runProcess("python3", [Self.peer] + arguments, standardInput: input)
        try #require(result.status != 127, "python3 was not found on PATH; the interop tests need python3 with pymavlink 2.4.50 (pip install -r Tests/requirements.txt)")
        try #require(result.status == 0, "pymavlink peer `\(arguments.joined(separator: " "))` exited \(result.status): \(result.standardError)")
        return result.standardOutput.split(separator: "\n").map(String.init)
    }

    private func json(_ line: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "not a JSON object: \(line)")
    }

    /// A JSON value read as the kind of field it is compared with (JSON has no float/integer
    /// distinction Foundation exposes on Linux); "NaN" and "Infinity" arrive as strings.
    private func fieldValue(_ value: Any?, like expected: MAVLinkSamples.FieldValue) -> MAVLinkSamples.FieldValue? {
        func float(_ item: Any) -> Float? {
            if let number = item as? NSNumber { return Float(number.doubleValue) }
            if let text = item as? String { return Float(text) }
            return nil
        }
        guard let value else { return nil }
        switch expected {
        case .integer: return (value as? NSNumber).map { .integer($0.int64Value) }
        case .float: return float(value).map { .float($0) }
        case .floats:
            guard let list = value as? [Any] else { return nil }
            let floats = list.compactMap(float)
            return floats.count == list.count ? .floats(floats) : nil
        }
    }

    private func jsonValue(_ value: MAVLinkSamples.FieldValue) -> Any {
        func float(_ x: Float) -> Any {
            if x.isNaN { return "NaN" }
            if x.isInfinite { return x > 0 ? "Infinity" : "-Infinity" }
            return Double(x)
        }
        switch value {
        case let .integer(x): return x
        case let .float(x): return float(x)
        case let .floats(xs): return xs.map(float)
        }
    }

    @Test func theCommonDialectTableMatchesPymavlink() throws {
        let lines = try runPeer(["message-table"])
        let ours = MAVLinkMessageTable.common.messages
        try #require(lines.count == ours.count, "pymavlink has \(lines.count) common messages, Reins \(ours.count)")
        for (line, info) in zip(lines, ours) {
            let entry = try json(line)
            #expect((entry["id"] as? Int).map(UInt32.init) == info.id)
            #expect(entry["crc_extra"] as? Int == Int(info.crcExtra), "CRC_EXTRA of \(info.name)")
            #expect(entry["minimum_length"] as? Int == info.minimumLength, "base length of \(info.name)")
            #expect(entry["maximum_length"] as? Int == info.maximumLength, "full length of \(info.name)")
            #expect(entry["name"] as? String == info.name)
        }
    }

    @Test func pymavlinkDecodesEveryReinsMessageSignedAndUnsigned() throws {
        let unsigned = MAVLinkEncoder(systemID: 42, componentID: 200)
        let signed = MAVLinkEncoder(systemID: 255, componentID: 190,
                                    signing: try MAVLinkSigningContext(key: MAVLinkSamples.signingKey, linkID: 7,
                                                                       timestamp: Self.firstTimestamp))
        var frames: [[UInt8]] = []
        for message in MAVLinkSamples.messages {
            for encoder in [unsigned, signed] {
                let writer = ByteWriter(capacity: MAVLinkEncoder.maximumFrameLength)
                try message.encode(with: encoder, into: writer)
                frames.append(writer.array)
            }
        }
        // A signed frame with one signature bit flipped must be refused, or "verified" means nothing.
        var tampered = frames[1]
        tampered[tampered.count - 1] ^= 0x01
        let input = (frames + [tampered]).map { $0.map { String(format: "%02x", $0) }.joined() }.joined(separator: "\n")
        let lines = try runPeer(["decode", "--key", Self.keyHex], input: input)
        try #require(lines.count == frames.count + 1)

        for (index, message) in MAVLinkSamples.messages.enumerated() {
            let expected = MAVLinkSamples.fields(of: message)
            for (variant, isSigned) in [(0, false), (1, true)] {
                let reply = try json(lines[2 * index + variant])
                try #require(reply["ok"] as? Bool == true, "pymavlink refused \(expected.name): \(reply["error"] ?? "")")
                #expect(reply["name"] as? String == expected.name)
                let fields = try #require(reply["fields"] as? [String: Any])
                #expect(Set(fields.keys) == Set(expected.fields.keys), "field names of \(expected.name)")
                for (name, value) in expected.fields {
                    #expect(fieldValue(fields[name], like: value) == value, "\(expected.name).\(name)")
                }
                #expect(reply["signed"] as? Bool == isSigned)
                #expect(reply["sequence"] as? Int == index)
                if isSigned {
                    #expect(reply["signature_verified"] as? Bool == true, "\(expected.name) signature")
                    #expect(reply["link_id"] as? Int == 7)
                    #expect((reply["timestamp"] as? NSNumber)?.uint64Value == Self.firstTimestamp + UInt64(index))
                    #expect(reply["system"] as? Int == 255 && reply["component"] as? Int == 190)
                } else {
                    #expect(reply["system"] as? Int == 42 && reply["component"] as? Int == 200)
                }
            }
        }
        let refused = try json(lines[frames.count])
        #expect(refused["ok"] as? Bool == false, "pymavlink accepted a frame with a tampered signature")
    }

    @Test func reinsDecodesPymavlinkFramesAndEncodesTheSameBytes() throws {
        let requests = try MAVLinkSamples.messages.map { message -> String in
            let (name, fields) = MAVLinkSamples.fields(of: message)
            let object: [String: Any] = ["name": name, "fields": fields.mapValues(jsonValue)]
            return String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
        }.joined(separator: "\n")

        for isSigned in [false, true] {
            var arguments = ["encode", "--system", "42", "--component", "200"]
            if isSigned { arguments += ["--key", Self.keyHex, "--link-id", "3", "--timestamp", "\(Self.firstTimestamp)"] }
            let hexFrames = try runPeer(arguments, input: requests)
            try #require(hexFrames.count == MAVLinkSamples.messages.count)
            let frames = hexFrames.map { hex in
                stride(from: 0, to: hex.count, by: 2).map { offset -> UInt8 in
                    let start = hex.index(hex.startIndex, offsetBy: offset)
                    return UInt8(hex[start..<hex.index(start, offsetBy: 2)], radix: 16)!
                }
            }

            let verifier = MAVLinkSignatureVerifier(key: MAVLinkSamples.signingKey)
            let decoder = MAVLinkDecoder(signatureVerifier: isSigned ? verifier : nil)
            decoder.feed(frames.flatMap { $0 })
            let decoded = decoder.drain()
            try #require(decoded.count == frames.count, "decoded \(decoded.count) of \(frames.count): \(decoder.counters) \(decoder.linkCounters)")

            let encoder = MAVLinkEncoder(systemID: 42, componentID: 200, signing: isSigned
                ? try MAVLinkSigningContext(key: MAVLinkSamples.signingKey, linkID: 3, timestamp: Self.firstTimestamp) : nil)
            for (index, (frame, message)) in zip(decoded, MAVLinkSamples.messages).enumerated() {
                let name = MAVLinkSamples.fields(of: message).name
                let typed = try #require(MAVLinkCommonMessage(frame: frame), "\(name) did not decode")
                #expect(MAVLinkSamples.fields(of: typed).fields == MAVLinkSamples.fields(of: message).fields, "\(name) values")
                #expect(frame.header.systemID == 42 && frame.header.componentID == 200 && frame.header.sequence == UInt8(index))
                if isSigned {
                    #expect(frame.signatureStatus == .verified, "\(name) signature")
                    #expect(frame.signature == MAVLinkSignature(linkID: 3, timestamp: Self.firstTimestamp + UInt64(index)))
                } else {
                    #expect(frame.signatureStatus == .unsigned)
                }
                // Same message, same header, same signing state: the bytes must be identical.
                let writer = ByteWriter(capacity: MAVLinkEncoder.maximumFrameLength)
                try message.encode(with: encoder, into: writer)
                #expect(writer.array == frame.bytes, "\(name) bytes differ from pymavlink's")
            }
        }
    }
}
