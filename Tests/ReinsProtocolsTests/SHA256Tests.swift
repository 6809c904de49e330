import Foundation
import ReinsProtocols
import ReinsTestSupport
import Testing

@Suite struct SHA256Tests {
    func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    @Test func standardVectors() {
        #expect(hex(SHA256.hash([])) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(hex(SHA256.hash(Array("abc".utf8))) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(hex(SHA256.hash(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(hex(SHA256.hash([UInt8](repeating: 0x61, count: 1_000_000)))
                == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func everyLengthAroundTheBlockBoundariesMatchesPythonHashlib() throws {
        let lengths = Array(0...200)
        let script = "import hashlib\nfor n in range(201): print(hashlib.sha256(bytes((i * 7 + 3) % 256 for i in range(n))).hexdigest())"
        let result = runProcess("python3", ["-c", script])
        #expect(result.status == 0)
        let expected = result.standardOutput.split(separator: "\n").map(String.init)
        #expect(expected.count == lengths.count)
        for n in lengths where n < expected.count {
            let message = (0..<n).map { UInt8(($0 * 7 + 3) % 256) }
            #expect(hex(SHA256.hash(message)) == expected[n], "length \(n)")
        }
        // The two-part form hashes the concatenation, split anywhere.
        let message = (0..<150).map { UInt8($0 % 251) }
        var digest = [UInt8](repeating: 0, count: 32)
        message[..<37].withUnsafeBytes { a in message[37...].withUnsafeBytes { b in digest.withUnsafeMutableBytes { SHA256.hash(a, b, into: $0) } } }
        #expect(digest == SHA256.hash(message))
    }
}
