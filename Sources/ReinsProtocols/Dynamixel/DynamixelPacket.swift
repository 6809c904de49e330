/// A packet the streaming decoder found: a view into storage the decoder owns.
///
/// The buffers are valid only until the next call into the decoder that returned it (`feed`,
/// `next`, `resynchronize`, `reset`); copy what must outlive that (`status()`, `instruction()`).
/// Reading the fields never allocates, so the driver can do it on the control thread.
public struct DynamixelPacket {
    /// The ID byte: the sender of a status packet, the addressee of an instruction.
    public let id: UInt8
    /// The instruction byte; `0x55` for a status packet.
    public let instructionByte: UInt8
    /// The bytes between the instruction byte and the CRC, with the byte stuffing removed.
    /// For a status packet the first is the device's error byte (see `deviceError` and `statusData`).
    public let parameters: UnsafeRawBufferPointer
    /// The whole frame as received (stuffed), header to CRC.
    public let frame: UnsafeRawBufferPointer

    public init(id: UInt8, instructionByte: UInt8, parameters: UnsafeRawBufferPointer, frame: UnsafeRawBufferPointer) {
        self.id = id
        self.instructionByte = instructionByte
        self.parameters = parameters
        self.frame = frame
    }

    /// The instruction, if the byte is one Protocol 2.0 defines (the decoder only returns those).
    public var instructionCode: DynamixelInstructionCode? { DynamixelInstructionCode(rawValue: instructionByte) }

    /// Whether this is a device's reply (instruction byte 0x55).
    public var isStatus: Bool { instructionByte == DynamixelInstructionCode.status.rawValue }

    /// The error byte of a status packet; nil for an instruction packet.
    public var deviceError: DynamixelDeviceError? {
        // Indexing, not `parameters.first`, which allocates in unoptimised builds.
        guard isStatus, parameters.count > 0 else { return nil }
        return DynamixelDeviceError(rawValue: parameters[0])
    }

    /// The data of a status packet (the parameters after the error byte); empty for an instruction packet.
    public var statusData: UnsafeRawBufferPointer {
        guard isStatus, !parameters.isEmpty else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(rebasing: parameters[1...])
    }

    /// A copy of this status packet as an owned value.
    public func status() throws(DynamixelDecodingError) -> DynamixelStatus {
        guard let error = deviceError else { throw .notAStatusPacket(instruction: instructionByte) }
        return DynamixelStatus(id: id, error: error, data: Array(statusData))
    }
}
