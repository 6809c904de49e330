/// Why a Feetech packet could not be encoded. Nothing is sent when an encoder throws.
public enum FeetechEncodingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The ID byte (field 3 of the packet) is not a servo ID or the broadcast ID.
    case invalidID(UInt8)
    /// An entry of a group instruction's servo list names an ID no servo can have.
    case invalidDeviceID(UInt8, position: Int)
    /// A servo listed twice in a group instruction.
    case duplicateDeviceID(UInt8, position: Int)
    /// A group instruction with no servos.
    case emptyDeviceList(FeetechInstructionCode)
    /// SYNC_WRITE data must hold `dataLength` bytes for each servo, in servo order.
    case syncWriteDataMismatch(deviceCount: Int, dataLength: Int, dataCount: Int)
    /// The LEN byte (parameters + 2) would exceed 255.
    case packetTooLong(length: Int)
    /// The `ByteWriter` ran out of room; it holds a partial frame and must be reset.
    case writerFull(capacity: Int)
    /// A value that does not fit the register it is meant for.
    case valueOutOfRange(register: String, value: Int, range: ClosedRange<Int>)

    public var description: String {
        switch self {
        case .invalidID(let id):
            "ID byte \(id) is not addressable: use a servo ID 0...253 or 254 (broadcast)"
        case .invalidDeviceID(let id, let position):
            "servo ID \(id) at position \(position) of the servo list is not a servo ID: use 0...253"
        case .duplicateDeviceID(let id, let position):
            "servo ID \(id) at position \(position) of the servo list is already listed: list each servo once"
        case .emptyDeviceList(let instruction):
            "\(instruction) needs at least one servo"
        case .syncWriteDataMismatch(let devices, let length, let count):
            "SYNC_WRITE data has \(count) bytes but \(devices) servos x \(length) bytes need \(devices * length)"
        case .packetTooLong(let length):
            "LEN byte would be \(length) but is 8 bits (at most 255): split the instruction"
        case .writerFull(let capacity):
            "the frame does not fit the \(capacity)-byte ByteWriter: reset it, or give it more capacity"
        case .valueOutOfRange(let register, let value, let range):
            "\(value) does not fit \(register) (range \(range.lowerBound)...\(range.upperBound))"
        }
    }
}

/// Why a received Feetech packet could not be turned into the value asked for. The streaming
/// decoder never throws (it counts and skips); these come from interpreting a packet it returned.
public enum FeetechDecodingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The instruction byte (field 5) is not one this codec interprets.
    case unsupportedInstruction(UInt8)
    /// An instruction's parameter bytes do not have the layout its instruction needs.
    case malformedParameters(FeetechInstructionCode, parameterCount: Int, expected: String)
    /// SYNC_READ and SYNC_WRITE must be sent to the broadcast ID.
    case groupInstructionNotBroadcast(FeetechInstructionCode, id: UInt8)
    /// A register lies (partly) outside the block of data that was read.
    case registerOutsideData(register: String, address: UInt8, size: Int, dataAddress: UInt8, dataCount: Int)

    public var description: String {
        switch self {
        case .unsupportedInstruction(let code):
            "instruction byte \(code) is not a Feetech instruction this codec interprets"
        case .malformedParameters(let instruction, let count, let expected):
            "\(instruction) has \(count) parameter bytes; expected \(expected)"
        case .groupInstructionNotBroadcast(let instruction, let id):
            "\(instruction) is addressed to ID \(id); group instructions go to 254 (broadcast)"
        case .registerOutsideData(let register, let address, let size, let dataAddress, let count):
            "\(register) (address \(address), \(size) bytes) is not inside the \(count) bytes read from address \(dataAddress)"
        }
    }
}
