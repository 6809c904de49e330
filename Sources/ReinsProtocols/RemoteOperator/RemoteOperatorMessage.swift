/// One command of a remote operator station (`reins operator`) to a robot's runtime, over a
/// CURVE-authenticated ZeroMQ PUSH → PULL connection: the device's values and the buttons pressed
/// since its previous message. Who sent it is not in the bytes: the robot takes it from the
/// authenticated key (ZAP User-Id), so a message cannot claim to be someone else.
///
/// Little-endian, 12 bytes of header then the values:
///
/// | offset | size | field |
/// | --- | --- | --- |
/// | 0 | 4 | magic `ROP1` (0x52 0x4F 0x50 0x31) |
/// | 4 | 4 | sequence number (u32, per operator station, +1 per message, wraps) |
/// | 8 | 1 | mode: 0 absolute (the action itself), 1 offset (accumulated since the station started) |
/// | 9 | 1 | count of values (u8, at most 8; the robot's action count) |
/// | 10 | 2 | buttons pressed since the previous message (u16, bits 0-7: takeover, recovered, handback, start, success, failure, discard, stop; bits 8-15 must be 0) |
/// | 12 | 8·count | values (f64, finite), in the robot's action order and units |
///
/// Decoding is a pure function of the bytes: any input gives a message or a `DecodeError`, never
/// a crash, and never allocates.
public struct RemoteOperatorMessage: Sendable, BitwiseCopyable {
    public static let magic: (UInt8, UInt8, UInt8, UInt8) = (0x52, 0x4F, 0x50, 0x31)
    public static let headerSize = 12
    public static let maximumValues = 8
    /// Button bits a version-1 sender may set.
    public static let definedButtonBits: UInt16 = 0x00FF

    public enum Mode: UInt8, Sendable, BitwiseCopyable {
        case absolute = 0
        case offset = 1
    }

    public var sequence: UInt32
    public var mode: Mode
    public var buttons: UInt16
    /// How many of `values` are meaningful.
    public var count: Int
    public var values: InlineArray<8, Double>

    public init(sequence: UInt32, mode: Mode, buttons: UInt16, values: [Double]) {
        precondition(values.count <= Self.maximumValues, "a remote operator message carries at most \(Self.maximumValues) values")
        self.sequence = sequence
        self.mode = mode
        self.buttons = buttons
        count = values.count
        self.values = InlineArray(repeating: 0)
        for (i, value) in values.enumerated() { self.values[i] = value }
    }

    private init(sequence: UInt32, mode: Mode, buttons: UInt16, count: Int) {
        self.sequence = sequence
        self.mode = mode
        self.buttons = buttons
        self.count = count
        values = InlineArray(repeating: 0)
    }

    public enum DecodeError: Error, Sendable, Equatable, CustomStringConvertible {
        case tooShort(length: Int)
        case badMagic
        case unknownMode(UInt8)
        case tooManyValues(Int)
        case lengthMismatch(declaredValues: Int, payloadBytes: Int)
        case undefinedButtons(UInt16)
        case nonFinite(index: Int)

        public var description: String {
            switch self {
            case .tooShort(let length): return "message of \(length) bytes is shorter than the 12-byte header"
            case .badMagic: return "bytes 0-3 are not the magic \"ROP1\""
            case .unknownMode(let mode): return "byte 8: unknown mode \(mode) (0 absolute, 1 offset)"
            case .tooManyValues(let n): return "byte 9 declares \(n) values, more than \(RemoteOperatorMessage.maximumValues)"
            case .lengthMismatch(let n, let bytes): return "byte 9 declares \(n) values but \(bytes) payload bytes follow"
            case .undefinedButtons(let bits): return "bytes 10-11: undefined button bits 0x\(String(bits, radix: 16))"
            case .nonFinite(let index): return "value \(index) (bytes \(12 + 8 * index)-\(19 + 8 * index)) is NaN or infinite"
            }
        }
    }

    /// Writes the message into `writer` (allocation-free).
    public static func encode(_ message: RemoteOperatorMessage, into writer: ByteWriter) {
        writer.reset()
        writer.append(magic.0)
        writer.append(magic.1)
        writer.append(magic.2)
        writer.append(magic.3)
        writer.appendLittleEndian(message.sequence)
        writer.append(message.mode.rawValue)
        writer.append(UInt8(min(message.count, maximumValues)))
        writer.appendLittleEndian(message.buttons)
        for i in 0..<min(message.count, maximumValues) { writer.appendLittleEndian(message.values[i].bitPattern) }
    }

    /// Reads one message; every field is checked, values must be finite.
    public static func decode(_ bytes: UnsafeRawBufferPointer) throws(DecodeError) -> RemoteOperatorMessage {
        guard bytes.count >= headerSize else { throw .tooShort(length: bytes.count) }
        guard bytes[0] == magic.0, bytes[1] == magic.1, bytes[2] == magic.2, bytes[3] == magic.3 else { throw .badMagic }
        let sequence = bytes.loadUnaligned(fromByteOffset: 4, as: UInt32.self).littleEndian
        guard let mode = Mode(rawValue: bytes[8]) else { throw .unknownMode(bytes[8]) }
        let count = Int(bytes[9])
        guard count <= maximumValues else { throw .tooManyValues(count) }
        guard bytes.count - headerSize == 8 * count else {
            throw .lengthMismatch(declaredValues: count, payloadBytes: bytes.count - headerSize)
        }
        let buttons = bytes.loadUnaligned(fromByteOffset: 10, as: UInt16.self).littleEndian
        guard buttons & ~definedButtonBits == 0 else { throw .undefinedButtons(buttons & ~definedButtonBits) }
        var message = RemoteOperatorMessage(sequence: sequence, mode: mode, buttons: buttons, count: count)
        for i in 0..<count {
            let value = Double(bitPattern: bytes.loadUnaligned(fromByteOffset: headerSize + 8 * i, as: UInt64.self).littleEndian)
            guard value.isFinite else { throw .nonFinite(index: i) }
            message.values[i] = value
        }
        return message
    }

    /// Whether `sequence` is newer than `previous` in wrapping (serial-number) order: a station
    /// that has sent more than 2^31 messages since is treated as restarting, not as ancient.
    public static func isNewer(_ sequence: UInt32, than previous: UInt32) -> Bool {
        Int32(bitPattern: sequence &- previous) > 0
    }
}
