/// A JSON value with the byte offset where it starts, so errors in a safetensors header can name the
/// file byte. Strict RFC 8259 with two limits a hostile file cannot get past: nesting depth and
/// integer size.
public indirect enum JSONValue: Sendable {
    case null
    case bool(Bool)
    /// The literal text, so integers such as data offsets are read exactly.
    case number(String)
    case string(String)
    case array([JSONNode])
    case object([(key: String, value: JSONNode)])
}

public struct JSONNode: Sendable {
    public var value: JSONValue
    /// Offset of the value's first byte in the parsed text.
    public var offset: Int

    /// What the value is, for "expected X, found Y" messages.
    public var kindDescription: String {
        switch value {
        case .null: return "null"
        case .bool(let flag): return flag ? "true" : "false"
        case .number(let text): return "the number \(text)"
        case .string(let text): return "the string \"\(text)\""
        case .array: return "a list"
        case .object: return "an object"
        }
    }

    /// The value as a non-negative integer that fits in Int, or nil.
    public var nonNegativeInteger: Int? {
        guard case .number(let text) = value, !text.isEmpty, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return Int(text)
    }

    public var double: Double? {
        guard case .number(let text) = value else { return nil }
        return Double(text)
    }
}

public struct JSONSyntaxError: Error, Sendable, CustomStringConvertible {
    /// Offset of the offending byte in the parsed text.
    public var offset: Int
    public var problem: String
    public var description: String { "\(problem) at byte \(offset)" }
}

public enum JSONParser {
    static let maximumDepth = 64

    /// Parses one JSON value that fills `bytes` apart from surrounding whitespace (safetensors pads
    /// its header with spaces).
    public static func parse(_ bytes: [UInt8]) throws(JSONSyntaxError) -> JSONNode {
        var reader = Reader(bytes: bytes)
        reader.skipWhitespace()
        let node = try reader.value(depth: 0)
        reader.skipWhitespace()
        guard reader.position == bytes.count else {
            throw JSONSyntaxError(offset: reader.position, problem: "unexpected \(reader.describeCurrent()) after the end of the JSON value")
        }
        return node
    }

    private struct Reader {
        let bytes: [UInt8]
        var position = 0

        mutating func skipWhitespace() {
            while position < bytes.count {
                switch bytes[position] {
                case 0x20, 0x09, 0x0A, 0x0D: position += 1
                default: return
                }
            }
        }

        func describeCurrent() -> String {
            guard position < bytes.count else { return "end of text" }
            let byte = bytes[position]
            if byte >= 0x21 && byte < 0x7F { return "`\(Character(Unicode.Scalar(byte)))`" }
            return "byte 0x" + String(byte, radix: 16)
        }

        func fail(_ problem: String) -> JSONSyntaxError {
            JSONSyntaxError(offset: position, problem: problem)
        }

        mutating func value(depth: Int) throws(JSONSyntaxError) -> JSONNode {
            guard depth < JSONParser.maximumDepth else { throw fail("nesting deeper than \(JSONParser.maximumDepth) levels") }
            let start = position
            guard position < bytes.count else { throw fail("expected a value, found the end of the text") }
            switch bytes[position] {
            case UInt8(ascii: "{"):
                position += 1
                var members: [(key: String, value: JSONNode)] = []
                skipWhitespace()
                if position < bytes.count, bytes[position] == UInt8(ascii: "}") {
                    position += 1
                    return JSONNode(value: .object(members), offset: start)
                }
                while true {
                    skipWhitespace()
                    guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else {
                        throw fail("expected a quoted key, found \(describeCurrent())")
                    }
                    let key = try string()
                    skipWhitespace()
                    guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else {
                        throw fail("expected `:` after the key \"\(key)\", found \(describeCurrent())")
                    }
                    position += 1
                    skipWhitespace()
                    members.append((key, try value(depth: depth + 1)))
                    skipWhitespace()
                    guard position < bytes.count else { throw fail("expected `,` or `}`, found the end of the text") }
                    if bytes[position] == UInt8(ascii: ",") { position += 1; continue }
                    if bytes[position] == UInt8(ascii: "}") { position += 1; break }
                    throw fail("expected `,` or `}`, found \(describeCurrent())")
                }
                return JSONNode(value: .object(members), offset: start)
            case UInt8(ascii: "["):
                position += 1
                var items: [JSONNode] = []
                skipWhitespace()
                if position < bytes.count, bytes[position] == UInt8(ascii: "]") {
                    position += 1
                    return JSONNode(value: .array(items), offset: start)
                }
                while true {
                    skipWhitespace()
                    items.append(try value(depth: depth + 1))
                    skipWhitespace()
                    guard position < bytes.count else { throw fail("expected `,` or `]`, found the end of the text") }
                    if bytes[position] == UInt8(ascii: ",") { position += 1; continue }
                    if bytes[position] == UInt8(ascii: "]") { position += 1; break }
                    throw fail("expected `,` or `]`, found \(describeCurrent())")
                }
                return JSONNode(value: .array(items), offset: start)
            case UInt8(ascii: "\""):
                return JSONNode(value: .string(try string()), offset: start)
            case UInt8(ascii: "t"):
                try literal("true")
                return JSONNode(value: .bool(true), offset: start)
            case UInt8(ascii: "f"):
                try literal("false")
                return JSONNode(value: .bool(false), offset: start)
            case UInt8(ascii: "n"):
                try literal("null")
                return JSONNode(value: .null, offset: start)
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                return JSONNode(value: .number(try number()), offset: start)
            default:
                throw fail("expected a value, found \(describeCurrent())")
            }
        }

        mutating func literal(_ word: StaticString) throws(JSONSyntaxError) {
            let text = word.withUTF8Buffer { Array($0) }
            guard position + text.count <= bytes.count, Array(bytes[position..<position + text.count]) == text else {
                throw fail("expected a value, found \(describeCurrent())")
            }
            position += text.count
        }

        mutating func number() throws(JSONSyntaxError) -> String {
            let start = position
            func digits(_ reader: inout Reader) -> Int {
                var count = 0
                while reader.position < reader.bytes.count, reader.bytes[reader.position] >= 0x30, reader.bytes[reader.position] <= 0x39 {
                    reader.position += 1
                    count += 1
                }
                return count
            }
            if bytes[position] == UInt8(ascii: "-") { position += 1 }
            let integerStart = position
            let integerDigits = digits(&self)
            guard integerDigits > 0 else { throw fail("expected a digit") }
            if integerDigits > 1, bytes[integerStart] == UInt8(ascii: "0") {
                throw JSONSyntaxError(offset: integerStart, problem: "a number may not start with 0")
            }
            if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
                position += 1
                guard digits(&self) > 0 else { throw fail("expected a digit after the decimal point") }
            }
            if position < bytes.count, bytes[position] == UInt8(ascii: "e") || bytes[position] == UInt8(ascii: "E") {
                position += 1
                if position < bytes.count, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") { position += 1 }
                guard digits(&self) > 0 else { throw fail("expected a digit in the exponent") }
            }
            return String(decoding: bytes[start..<position], as: UTF8.self)
        }

        mutating func string() throws(JSONSyntaxError) -> String {
            position += 1  // opening quote
            var scalars = String.UnicodeScalarView()
            var runStart = position
            func flush(_ reader: Reader, _ scalars: inout String.UnicodeScalarView, _ from: Int) throws(JSONSyntaxError) {
                guard from < reader.position else { return }
                // Validate UTF-8 instead of silently replacing bad bytes: a corrupt name must not
                // match a real tensor name by accident.
                guard let text = String(validating: reader.bytes[from..<reader.position], as: UTF8.self) else {
                    throw JSONSyntaxError(offset: from, problem: "invalid UTF-8 in a string")
                }
                scalars.append(contentsOf: text.unicodeScalars)
            }
            while true {
                guard position < bytes.count else { throw fail("unterminated string") }
                let byte = bytes[position]
                if byte == UInt8(ascii: "\"") {
                    try flush(self, &scalars, runStart)
                    position += 1
                    return String(scalars)
                }
                if byte < 0x20 { throw fail("control character in a string (escape it)") }
                if byte != UInt8(ascii: "\\") {
                    position += 1
                    continue
                }
                try flush(self, &scalars, runStart)
                position += 1
                guard position < bytes.count else { throw fail("unterminated escape") }
                let escape = bytes[position]
                position += 1
                switch escape {
                case UInt8(ascii: "\""): scalars.append("\"")
                case UInt8(ascii: "\\"): scalars.append("\\")
                case UInt8(ascii: "/"): scalars.append("/")
                case UInt8(ascii: "b"): scalars.append("\u{08}")
                case UInt8(ascii: "f"): scalars.append("\u{0C}")
                case UInt8(ascii: "n"): scalars.append("\n")
                case UInt8(ascii: "r"): scalars.append("\r")
                case UInt8(ascii: "t"): scalars.append("\t")
                case UInt8(ascii: "u"):
                    var code = try hex4()
                    if (0xD800..<0xDC00).contains(code) {
                        guard position + 1 < bytes.count, bytes[position] == UInt8(ascii: "\\"), bytes[position + 1] == UInt8(ascii: "u") else {
                            throw fail("unpaired UTF-16 surrogate")
                        }
                        position += 2
                        let low = try hex4()
                        guard (0xDC00..<0xE000).contains(low) else { throw fail("unpaired UTF-16 surrogate") }
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let scalar = Unicode.Scalar(code) else { throw fail("unpaired UTF-16 surrogate") }
                    scalars.append(scalar)
                default:
                    position -= 1
                    throw fail("unknown escape \\\(Character(Unicode.Scalar(escape)))")
                }
                runStart = position
            }
        }

        mutating func hex4() throws(JSONSyntaxError) -> UInt32 {
            guard position + 4 <= bytes.count else { throw fail("expected four hex digits after \\u") }
            var code: UInt32 = 0
            for _ in 0..<4 {
                let byte = bytes[position]
                let digit: UInt32
                switch byte {
                case 0x30...0x39: digit = UInt32(byte - 0x30)
                case 0x41...0x46: digit = UInt32(byte - 0x41 + 10)
                case 0x61...0x66: digit = UInt32(byte - 0x61 + 10)
                default: throw fail("expected a hex digit after \\u")
                }
                code = code << 4 | digit
                position += 1
            }
            return code
        }
    }
}
