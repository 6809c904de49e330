/// The Reins robot protocol (version 1): how the runtime talks to any robot or simulator that has
/// its own driver process, over one ZeroMQ DEALER (runtime) / ROUTER (robot) connection.
///
/// Binary rather than JSON because state and actions cross it every tick: a fixed 20-byte header and
/// raw little-endian float64s decode in well under a microsecond with no allocation, where a JSON
/// parse of the same 20 numbers costs tens of microseconds and allocates. Only the one-off HELLO
/// carries JSON (the robot's layout).
///
/// Header, little-endian:
///
/// | offset | size | field |
/// | --- | --- | --- |
/// | 0 | 2 | magic `RR` (0x52 0x52) |
/// | 2 | 1 | version, 1 |
/// | 3 | 1 | type: 1 STATE, 2 ACTION, 3 HELLO, 4 HELLO_REQUEST |
/// | 4 | 4 | sequence number (u32, per sender, wraps) |
/// | 8 | 8 | timestamp, ns (u64; the sender's clock, simulated time for simulators) |
/// | 16 | 2 | count of float64 values that follow (u16) |
/// | 18 | 2 | flags (u16) |
/// | 20 | 8·count | values (f64) — or, for HELLO, UTF-8 JSON |
///
/// Flags: STATE bit 0 `fault` (the robot stopped itself), bit 1 `stopped` (torque off / disarmed /
/// motor released); ACTION bit 0 `safeStop` (perform the robot's own safe stop now).
public enum RobotMessage {
    public static let magic: (UInt8, UInt8) = (0x52, 0x52)
    public static let version: UInt8 = 1
    public static let headerSize = 20
    /// Largest value count accepted (bounds every buffer).
    public static let maximumValues = 1024

    public enum Kind: UInt8, Sendable {
        case state = 1
        case action = 2
        case hello = 3
        case helloRequest = 4
    }

    public struct Flags: OptionSet, Sendable {
        public let rawValue: UInt16
        public init(rawValue: UInt16) { self.rawValue = rawValue }
        /// STATE: the robot hit a fault and stopped itself.
        public static let fault = Flags(rawValue: 1)
        /// STATE: torque off, disarmed or motor released.
        public static let stopped = Flags(rawValue: 2)
        /// ACTION: perform the robot's own safe stop now.
        public static let safeStop = Flags(rawValue: 1)
    }

    public struct Header: Sendable, Equatable {
        public var kind: Kind
        public var sequence: UInt32
        public var timestampNanoseconds: UInt64
        public var count: Int
        public var flags: Flags

        public init(kind: Kind, sequence: UInt32, timestampNanoseconds: UInt64, count: Int, flags: Flags = []) {
            self.kind = kind
            self.sequence = sequence
            self.timestampNanoseconds = timestampNanoseconds
            self.count = count
            self.flags = flags
        }

        public static func == (lhs: Header, rhs: Header) -> Bool {
            lhs.kind == rhs.kind && lhs.sequence == rhs.sequence && lhs.timestampNanoseconds == rhs.timestampNanoseconds
                && lhs.count == rhs.count && lhs.flags.rawValue == rhs.flags.rawValue
        }
    }

    public enum DecodeError: Error, Sendable, Equatable, CustomStringConvertible {
        case tooShort(length: Int)
        case badMagic(byte0: UInt8, byte1: UInt8)
        case unsupportedVersion(UInt8)
        case unknownKind(UInt8)
        case lengthMismatch(declaredValues: Int, payloadBytes: Int)
        case tooManyValues(Int)

        public var description: String {
            switch self {
            case .tooShort(let length): return "message of \(length) bytes is shorter than the 20-byte header"
            case .badMagic(let a, let b): return "bytes 0-1 are \(hex(a)) \(hex(b)), not the magic 52 52 (\"RR\")"
            case .unsupportedVersion(let v): return "byte 2: protocol version \(v) is not supported (this runtime speaks version 1)"
            case .unknownKind(let k): return "byte 3: unknown message type \(k)"
            case .lengthMismatch(let n, let bytes): return "bytes 16-17 declare \(n) values but \(bytes) payload bytes follow"
            case .tooManyValues(let n): return "bytes 16-17 declare \(n) values, more than the limit of \(RobotMessage.maximumValues)"
            }
        }

        private func hex(_ byte: UInt8) -> String {
            let digits = String(byte, radix: 16, uppercase: true)
            return digits.count == 1 ? "0" + digits : digits
        }
    }

    /// Writes a header and float64 values into `writer` (allocation-free).
    public static func encode(_ header: Header, values: UnsafeBufferPointer<Double>, into writer: ByteWriter) {
        writer.reset()
        writeHeader(header, count: values.count, into: writer)
        for value in values { writer.appendLittleEndian(value.bitPattern) }
    }

    /// Writes a HELLO carrying `json` (the robot's layout).
    public static func encodeHello(sequence: UInt32, timestampNanoseconds: UInt64, json: String, into writer: ByteWriter) {
        writer.reset()
        writeHeader(Header(kind: .hello, sequence: sequence, timestampNanoseconds: timestampNanoseconds, count: 0), count: 0, into: writer)
        for byte in json.utf8 { writer.append(byte) }
    }

    private static func writeHeader(_ header: Header, count: Int, into writer: ByteWriter) {
        writer.append(magic.0)
        writer.append(magic.1)
        writer.append(version)
        writer.append(header.kind.rawValue)
        writer.appendLittleEndian(header.sequence)
        writer.appendLittleEndian(header.timestampNanoseconds)
        writer.appendLittleEndian(UInt16(truncatingIfNeeded: count))
        writer.appendLittleEndian(header.flags.rawValue)
    }

    /// Reads the header and checks the payload length. For STATE and ACTION the payload must be
    /// exactly `count` float64s; HELLO's payload is JSON text.
    public static func decodeHeader(_ bytes: UnsafeRawBufferPointer) throws(DecodeError) -> Header {
        guard bytes.count >= headerSize else { throw .tooShort(length: bytes.count) }
        guard bytes[0] == magic.0, bytes[1] == magic.1 else { throw .badMagic(byte0: bytes[0], byte1: bytes[1]) }
        guard bytes[2] == version else { throw .unsupportedVersion(bytes[2]) }
        guard let kind = Kind(rawValue: bytes[3]) else { throw .unknownKind(bytes[3]) }
        let sequence = bytes.loadUnaligned(fromByteOffset: 4, as: UInt32.self).littleEndian
        let timestamp = bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self).littleEndian
        let count = Int(bytes.loadUnaligned(fromByteOffset: 16, as: UInt16.self).littleEndian)
        let flags = Flags(rawValue: bytes.loadUnaligned(fromByteOffset: 18, as: UInt16.self).littleEndian)
        if kind == .state || kind == .action {
            guard count <= maximumValues else { throw .tooManyValues(count) }
            guard bytes.count - headerSize == count * 8 else {
                throw .lengthMismatch(declaredValues: count, payloadBytes: bytes.count - headerSize)
            }
        }
        return Header(kind: kind, sequence: sequence, timestampNanoseconds: timestamp, count: count, flags: flags)
    }

    /// Copies the values of a decoded STATE or ACTION into `values` (allocation-free); returns how
    /// many were copied (at most `values.count`).
    @discardableResult
    public static func decodeValues(_ bytes: UnsafeRawBufferPointer, header: Header, into values: UnsafeMutableBufferPointer<Double>) -> Int {
        let n = min(header.count, values.count)
        for i in 0..<n {
            values[i] = Double(bitPattern: bytes.loadUnaligned(fromByteOffset: headerSize + 8 * i, as: UInt64.self).littleEndian)
        }
        return n
    }

    /// The JSON text of a HELLO.
    public static func helloText(_ bytes: UnsafeRawBufferPointer) -> String {
        String(decoding: UnsafeRawBufferPointer(rebasing: bytes[min(headerSize, bytes.count)...]), as: UTF8.self)
    }
}
