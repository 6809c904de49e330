/// Why a servo packet could not be encoded. Nothing is sent when an encoder throws.
public enum ServoEncodingError<Wire: ServoWireProtocol>: Error, Sendable, Equatable, CustomStringConvertible {
    /// The ID byte is not a device ID or the broadcast ID.
    case invalidID(UInt8)
    /// An entry of a group instruction's device list names an ID no device can have.
    case invalidDeviceID(UInt8, position: Int)
    /// A device listed twice in a group instruction (its replies could not be told apart).
    case duplicateDeviceID(UInt8, position: Int)
    /// A group instruction with no devices.
    case emptyDeviceList(Wire.InstructionCode)
    /// SYNC_WRITE data must hold `dataLength` bytes for each device, in device order.
    case syncWriteDataMismatch(deviceCount: Int, dataLength: Int, dataCount: Int)
    /// A data block longer than the length field of its instruction can describe (Dynamixel BULK_WRITE).
    case dataTooLong(count: Int, maximum: Int)
    /// The length field (instruction + parameters + checksum) would not fit its width.
    case packetTooLong(length: Int)
    /// The `ByteWriter` ran out of room; it holds a partial frame and must be reset.
    case writerFull(capacity: Int)
    /// A value that does not fit the register it is meant for.
    case valueOutOfRange(register: String, value: Int, range: ClosedRange<Int>)

    public var description: String {
        let device = Wire.deviceNoun
        switch self {
        case .invalidID(let id):
            return "ID byte \(id) is not addressable: use a \(device) ID 0...\(Wire.maximumDeviceID) or 254 (broadcast)"
        case .invalidDeviceID(let id, let position):
            return "\(device) ID \(id) at position \(position) of the \(device) list is not a \(device) ID: use 0...\(Wire.maximumDeviceID)"
        case .duplicateDeviceID(let id, let position):
            return "\(device) ID \(id) at position \(position) of the \(device) list is already listed: list each \(device) once"
        case .emptyDeviceList(let instruction):
            return "\(instruction) needs at least one \(device)"
        case .syncWriteDataMismatch(let devices, let length, let count):
            return "SYNC_WRITE data has \(count) bytes but \(devices) \(device)s x \(length) bytes need \(devices * length)"
        case .dataTooLong(let count, let maximum):
            return "data block of \(count) bytes is longer than the \(maximum) its length field can describe"
        case .packetTooLong(let length):
            return "\(Wire.lengthFieldName) would be \(length) but is \(Wire.lengthFieldBits) bits (at most \(Wire.maximumLengthField)): split the instruction"
        case .writerFull(let capacity):
            return "the frame does not fit the \(capacity)-byte ByteWriter: reset it, or give it more capacity"
        case .valueOutOfRange(let register, let value, let range):
            return "\(value) does not fit \(register) (range \(range.lowerBound)...\(range.upperBound))"
        }
    }
}

/// Why a received servo packet could not be turned into the value asked for. The streaming decoders
/// never throw (they count and skip); these come from interpreting a packet they returned. The cases
/// marked Dynamixel concern features only Protocol 2.0 has.
public enum ServoDecodingError<Wire: ServoWireProtocol>: Error, Sendable, Equatable, CustomStringConvertible {
    /// The instruction byte is not one this codec interprets.
    case unsupportedInstruction(UInt8)
    /// An instruction's parameter bytes do not have the layout its instruction needs.
    case malformedParameters(Wire.InstructionCode, parameterCount: Int, expected: String)
    /// SYNC_READ, SYNC_WRITE (and Dynamixel's BULK_READ ...) must be sent to the broadcast ID.
    case groupInstructionNotBroadcast(Wire.InstructionCode, id: UInt8)
    /// A register lies (partly) outside the block of data that was read.
    case registerOutsideData(register: String, address: Wire.Address, size: Int, dataAddress: Wire.Address, dataCount: Int)
    /// Dynamixel: expected a status packet (instruction byte 0x55) but got another instruction byte.
    case notAStatusPacket(instruction: UInt8)
    /// Dynamixel: expected an instruction packet but got a status packet.
    case notAnInstructionPacket(id: UInt8)
    /// Dynamixel: CLEAR with parameters other than the multi-turn clear `01 44 58 4C 22`.
    case unsupportedClearParameters([UInt8])
    /// Dynamixel: FACTORY_RESET with a scope byte other than 0x01, 0x02 or 0xFF.
    case unsupportedFactoryResetScope(UInt8)
    /// Dynamixel: a FAST_SYNC_READ/FAST_BULK_READ reply must come from the broadcast ID.
    case fastReplyNotBroadcast(id: UInt8)
    /// Dynamixel: the reply's length does not split into whole per-device segments.
    case fastReplyLength(frameLength: Int, detail: String)
    /// Dynamixel: a device segment's running CRC (from the first header byte to the end of its data) is wrong.
    case fastReplySegmentCRC(position: Int, id: UInt8, received: UInt16, computed: UInt16)
    /// Dynamixel: a device segment comes from an ID that was not asked for.
    case fastReplyUnexpectedDevice(position: Int, id: UInt8)

    public var description: String {
        switch self {
        case .unsupportedInstruction(let code):
            "instruction byte 0x\(hex(code)) is not a \(Wire.name) instruction this codec interprets"
        case .malformedParameters(let instruction, let count, let expected):
            "\(instruction) has \(count) parameter bytes; expected \(expected)"
        case .groupInstructionNotBroadcast(let instruction, let id):
            "\(instruction) is addressed to ID \(id); group instructions go to 254 (broadcast)"
        case .registerOutsideData(let register, let address, let size, let dataAddress, let count):
            "\(register) (address \(address), \(size) bytes) is not inside the \(count) bytes read from address \(dataAddress)"
        case .notAStatusPacket(let instruction):
            "instruction byte is 0x\(hex(instruction)), not 0x55: this is an instruction packet, not a status packet"
        case .notAnInstructionPacket(let id):
            "packet from \(Wire.deviceNoun) \(id) is a status packet (instruction byte 0x55), not an instruction"
        case .unsupportedClearParameters(let bytes):
            "CLEAR parameters \(bytes.map(hex).joined(separator: " ")) are not the multi-turn clear 01 44 58 4C 22"
        case .unsupportedFactoryResetScope(let scope):
            "FACTORY_RESET scope byte 0x\(hex(scope)) is not 0x01, 0x02 or 0xFF"
        case .fastReplyNotBroadcast(let id):
            "a fast read reply comes from ID 254, this one from \(id)"
        case .fastReplyLength(let length, let detail):
            "fast read reply of \(length) bytes does not split into \(Wire.deviceNoun) segments: \(detail)"
        case .fastReplySegmentCRC(let position, let id, let received, let computed):
            "segment \(position) (\(Wire.deviceNoun) \(id)) has CRC 0x\(hex16(received)), computed 0x\(hex16(computed))"
        case .fastReplyUnexpectedDevice(let position, let id):
            "segment \(position) comes from \(Wire.deviceNoun) \(id), which was not asked for"
        }
    }
}

private func hex(_ byte: UInt8) -> String {
    let digits = Array("0123456789ABCDEF")
    return String([digits[Int(byte >> 4)], digits[Int(byte & 0xF)]])
}

private func hex16(_ value: UInt16) -> String { hex(UInt8(value >> 8)) + hex(UInt8(value & 0xFF)) }
