/// JSON string literals written by hand, where Foundation is not wanted: the one escaper the
/// project uses (quotes, backslashes and control characters escaped; everything else as UTF-8).
public enum JSONString {
    /// Appends `text` as a JSON string literal, quotes included.
    public static func append(_ text: String, to bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "\""))
        appendEscaped(text, to: &bytes)
        bytes.append(UInt8(ascii: "\""))
    }

    static func appendEscaped(_ text: String, to bytes: inout [UInt8]) {
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: #"\""#.utf8)
            case UInt8(ascii: "\\"): bytes.append(contentsOf: #"\\"#.utf8)
            case 0x0A: bytes.append(contentsOf: #"\n"#.utf8)
            case 0x0D: bytes.append(contentsOf: #"\r"#.utf8)
            case 0x09: bytes.append(contentsOf: #"\t"#.utf8)
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                bytes.append(contentsOf: #"\u00"#.utf8)
                bytes.append(hex[Int(byte >> 4)])
                bytes.append(hex[Int(byte & 0xF)])
            default: bytes.append(byte)
            }
        }
    }
}

extension String {
    /// The string as the body of a JSON string literal (no quotes).
    public var jsonEscaped: String {
        var bytes: [UInt8] = []
        JSONString.appendEscaped(self, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The string as a JSON string literal, quotes included.
    public var jsonQuoted: String {
        var bytes: [UInt8] = []
        JSONString.append(self, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }
}
