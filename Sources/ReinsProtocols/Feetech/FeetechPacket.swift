/// A packet the streaming decoder found: a view into storage the decoder owns.
///
/// Feetech instructions and replies have the same shape, `FF FF ID LEN X params CHK`, where X is the
/// instruction in an instruction packet and the servo's error byte in a reply; which one it is
/// depends on which side of the bus is reading. The buffers are valid only until the next call into
/// the decoder that returned it; copy what must outlive that (`status()`, `instruction()`).
public struct FeetechPacket {
    /// The ID byte: the sender of a reply, the addressee of an instruction.
    public let id: UInt8
    /// The instruction byte of an instruction packet, or the error byte of a reply.
    public let instructionOrError: UInt8
    /// The bytes between that byte and the checksum: the data of a reply.
    public let parameters: UnsafeRawBufferPointer
    /// The whole frame as received, header to checksum.
    public let frame: UnsafeRawBufferPointer

    public init(id: UInt8, instructionOrError: UInt8, parameters: UnsafeRawBufferPointer, frame: UnsafeRawBufferPointer) {
        self.id = id
        self.instructionOrError = instructionOrError
        self.parameters = parameters
        self.frame = frame
    }

    /// Read as a reply: the servo's error flags.
    public var error: FeetechStatusError { FeetechStatusError(rawValue: instructionOrError) }

    /// Read as an instruction: the instruction, if the byte is one Feetech defines.
    public var instructionCode: FeetechInstructionCode? { FeetechInstructionCode(rawValue: instructionOrError) }

    /// A copy of this packet read as a reply.
    public func status() -> FeetechStatus {
        FeetechStatus(id: id, error: error, data: Array(parameters))
    }

    /// This packet read as an instruction (the simulator's side of the bus), as an owned value.
    public func instruction() throws(FeetechDecodingError) -> FeetechInstruction {
        guard let code = instructionCode else { throw .unsupportedInstruction(instructionOrError) }
        return try FeetechInstruction(code: code, id: id, parameters: parameters)
    }
}
