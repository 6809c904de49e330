/// Why a VESC payload could not be encoded or decoded. Field names are the firmware's, so a
/// message can be checked against commands.c.
public enum VESCError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The output writer has fewer free bytes than the frame needs.
    case writerFull(needed: Int, available: Int)
    /// Payloads are 1...65535 bytes (the 16-bit length of a `03` frame); byte 0 is the command id.
    case payloadLengthOutOfRange(length: Int)
    /// A value that does not fit its wire field after scaling (or is NaN or infinite).
    case valueNotRepresentable(field: String, value: Double, minimum: Double, maximum: Double)
    /// A reply field (by firmware name) that must be present to encode what was asked.
    case missingField(field: String)
    /// A GET_VALUES reply can only omit a tail of fields (what older firmware does).
    case fieldAfterMissingField(field: String, missing: String)
    case emptyPayload
    /// A payload whose command id has no decoder in this direction.
    case unsupportedCommand(VESCCommandID)
    /// The payload length does not match what the command carries (byte 0 included).
    case wrongPayloadLength(command: VESCCommandID, expected: Int, actual: Int)
    /// The payload ends inside a field: `offset` is where the field starts in the payload.
    case truncatedField(field: String, offset: Int, needed: Int, available: Int)
    /// A string field with bytes that are not UTF-8.
    case invalidText(field: String, offset: Int)

    public var description: String {
        switch self {
        case let .writerFull(needed, available):
            "VESC frame needs \(needed) bytes but the writer has \(available) free; use a larger ByteWriter or reset it"
        case let .payloadLengthOutOfRange(length):
            "VESC payload of \(length) bytes: payloads are 1...65535 bytes (byte 0 is the command id)"
        case let .valueNotRepresentable(field, value, minimum, maximum):
            "VESC field \(field) = \(value) does not fit its wire encoding; use a value in \(minimum)...\(maximum)"
        case let .missingField(field):
            "VESC reply field \(field) is nil but the reply needs it; set it or leave its mask bit clear"
        case let .fieldAfterMissingField(field, missing):
            "VESC GET_VALUES reply has \(field) but not the earlier \(missing); the reply is positional, so only trailing fields can be nil"
        case .emptyPayload:
            "VESC payload is empty; byte 0 must be the command id"
        case let .unsupportedCommand(id):
            "VESC \(id) is not decoded in this direction"
        case let .wrongPayloadLength(command, expected, actual):
            "VESC \(command) payload has \(actual) bytes, expected \(expected) (command id included)"
        case let .truncatedField(field, offset, needed, available):
            "VESC payload ends inside \(field) at byte \(offset): needs \(needed) bytes, \(available) left"
        case let .invalidText(field, offset):
            "VESC \(field) at byte \(offset) is not valid UTF-8"
        }
    }
}
