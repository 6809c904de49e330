import ReinsCore

/// A MAVLink signing key stored as 64 hexadecimal characters in a text file (whitespace ignored).
public enum MAVLinkKeyFile {
    public struct Error: Swift.Error, Sendable, CustomStringConvertible {
        public var path: String
        public var problem: String
        public var description: String { "\(path): \(problem)" }
    }

    public static func read(_ path: String) throws(Error) -> MAVLinkSigningKey {
        let text: String
        do { text = try FileBytes.readText(path) } catch { throw Error(path: path, problem: "cannot read: \(error.reason)") }
        let digits = Array(text.filter { !$0.isWhitespace })
        guard digits.count == 64 else {
            throw Error(path: path, problem: "expected 64 hexadecimal characters (32 bytes), found \(digits.count) characters")
        }
        var bytes: [UInt8] = []
        for index in stride(from: 0, to: 64, by: 2) {
            guard let byte = UInt8(String(digits[index...index + 1]), radix: 16) else {
                throw Error(path: path, problem: "character \(index + 1) is not hexadecimal")
            }
            bytes.append(byte)
        }
        do { return try MAVLinkSigningKey(bytes) } catch { throw Error(path: path, problem: "\(error)") }
    }
}
