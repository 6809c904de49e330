/// Why a Dynamixel packet could not be encoded. Nothing is sent when an encoder throws.
public enum DynamixelEncodingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The ID byte (field 5 of the packet) is not a device ID or the broadcast ID.
    case invalidID(UInt8)
    /// An entry of a group instruction's device list names an ID no device can have.
    case invalidDeviceID(UInt8, position: Int)
    /// A device listed twice in a group instruction (its replies could not be told apart).
    case duplicateDeviceID(UInt8, position: Int)
    /// A group instruction with no devices.
    case emptyDeviceList(DynamixelInstructionCode)
    /// SYNC_WRITE data must hold `dataLength` bytes for each device, in device order.
    case syncWriteDataMismatch(deviceCount: Int, dataLength: Int, dataCount: Int)
    /// A data block longer than the 16-bit length field of its instruction can describe.
    case dataTooLong(count: Int, maximum: Int)
    /// The LEN field (INST + parameters + CRC, after stuffing) would exceed 65535.
    case packetTooLong(length: Int)
    /// The `ByteWriter` ran out of room; it holds a partial frame and must be reset.
    case writerFull(capacity: Int)
    /// A value that does not fit the register it is meant for.
    case valueOutOfRange(register: String, value: Int, range: ClosedRange<Int>)

    public var description: String {
        switch self {
        case .invalidID(let id):
            "ID byte \(id) is not addressable: use a device ID 0...252 or 254 (broadcast)"
        case .invalidDeviceID(let id, let position):
            "device ID \(id) at position \(position) of the device list is not a device ID: use 0...252"
        case .duplicateDeviceID(let id, let position):
            "device ID \(id) at position \(position) of the device list is already listed: list each device once"
        case .emptyDeviceList(let instruction):
            "\(instruction) needs at least one device"
        case .syncWriteDataMismatch(let devices, let length, let count):
            "SYNC_WRITE data has \(count) bytes but \(devices) devices x \(length) bytes need \(devices * length)"
        case .dataTooLong(let count, let maximum):
            "data block of \(count) bytes is longer than the \(maximum) its length field can describe"
        case .packetTooLong(let length):
            "LEN field would be \(length) but is 16 bits (at most 65535): split the instruction"
        case .writerFull(let capacity):
            "the frame does not fit the \(capacity)-byte ByteWriter: reset it, or give it more capacity"
        case .valueOutOfRange(let register, let value, let range):
            "\(value) does not fit \(register) (range \(range.lowerBound)...\(range.upperBound))"
        }
    }
}

/// Why a received Dynamixel packet could not be turned into the value asked for. The streaming
/// decoder never throws (it counts and skips); these come from interpreting a packet it returned.
public enum DynamixelDecodingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Expected a status packet (instruction byte 0x55) but got another instruction byte.
    case notAStatusPacket(instruction: UInt8)
    /// Expected an instruction packet but got a status packet.
    case notAnInstructionPacket(id: UInt8)
    /// The instruction byte (field 8) is one this codec does not interpret.
    case unsupportedInstruction(UInt8)
    /// An instruction's parameter bytes do not have the layout its instruction needs.
    case malformedParameters(DynamixelInstructionCode, parameterCount: Int, expected: String)
    /// SYNC_READ, SYNC_WRITE, BULK_READ ... must be sent to the broadcast ID.
    case groupInstructionNotBroadcast(DynamixelInstructionCode, id: UInt8)
    /// CLEAR with parameters other than the multi-turn clear `01 44 58 4C 22`.
    case unsupportedClearParameters([UInt8])
    /// FACTORY_RESET with a scope byte other than 0x01, 0x02 or 0xFF.
    case unsupportedFactoryResetScope(UInt8)
    /// A register lies (partly) outside the block of data that was read.
    case registerOutsideData(register: String, address: UInt16, size: Int, dataAddress: UInt16, dataCount: Int)
    /// A FAST_SYNC_READ/FAST_BULK_READ reply must come from the broadcast ID.
    case fastReplyNotBroadcast(id: UInt8)
    /// The reply's length does not split into whole per-device segments.
    case fastReplyLength(frameLength: Int, detail: String)
    /// A device segment's running CRC (from the first header byte to the end of its data) is wrong.
    case fastReplySegmentCRC(position: Int, id: UInt8, received: UInt16, computed: UInt16)
    /// A device segment comes from an ID that was not asked for.
    case fastReplyUnexpectedDevice(position: Int, id: UInt8)

    public var description: String {
        switch self {
        case .notAStatusPacket(let instruction):
            "instruction byte is 0x\(hex(instruction)), not 0x55: this is an instruction packet, not a status packet"
        case .notAnInstructionPacket(let id):
            "packet from device \(id) is a status packet (instruction byte 0x55), not an instruction"
        case .unsupportedInstruction(let code):
            "instruction byte 0x\(hex(code)) is not a Protocol 2.0 instruction this codec interprets"
        case .malformedParameters(let instruction, let count, let expected):
            "\(instruction) has \(count) parameter bytes; expected \(expected)"
        case .groupInstructionNotBroadcast(let instruction, let id):
            "\(instruction) is addressed to ID \(id); group instructions go to 254 (broadcast)"
        case .unsupportedClearParameters(let bytes):
            "CLEAR parameters \(bytes.map(hex).joined(separator: " ")) are not the multi-turn clear 01 44 58 4C 22"
        case .unsupportedFactoryResetScope(let scope):
            "FACTORY_RESET scope byte 0x\(hex(scope)) is not 0x01, 0x02 or 0xFF"
        case .registerOutsideData(let register, let address, let size, let dataAddress, let count):
            "\(register) (address \(address), \(size) bytes) is not inside the \(count) bytes read from address \(dataAddress)"
        case .fastReplyNotBroadcast(let id):
            "a fast read reply comes from ID 254, this one from \(id)"
        case .fastReplyLength(let length, let detail):
            "fast read reply of \(length) bytes does not split into device segments: \(detail)"
        case .fastReplySegmentCRC(let position, let id, let received, let computed):
            "segment \(position) (device \(id)) has CRC 0x\(hex16(received)), computed 0x\(hex16(computed))"
        case .fastReplyUnexpectedDevice(let position, let id):
            "segment \(position) comes from device \(id), which was not asked for"
        }
    }
}

private func hex(_ byte: UInt8) -> String {
    let digits = Array("0123456789ABCDEF")
    return String([digits[Int(byte >> 4)], digits[Int(byte & 0xF)]])
}

private func hex16(_ value: UInt16) -> String { hex(UInt8(value >> 8)) + hex(UInt8(value & 0xFF)) }
