/// Feetech STS/SCS (STS3215 in the SO-100/SO-101 arms) as a servo protocol: 8-bit addresses and
/// lengths, an 8-bit LEN byte that counts the instruction and the checksum, servo IDs 0...253, no
/// stuffing, and no instructions beyond the ones it shares with Dynamixel that this codec builds.
public enum FeetechWire: ServoWireProtocol {
    public typealias Address = UInt8
    public typealias InstructionCode = FeetechInstructionCode
    public typealias SpecificInstruction = FeetechSpecificInstruction
    public typealias FrameWriter = FeetechFrameWriter
    public typealias Decoder = FeetechDecoder

    public static let name = "Feetech STS/SCS"
    public static let deviceNoun = "servo"
    public static let maximumDeviceID: UInt8 = 0xFD
    public static let lengthFieldName = "LEN byte"
    public static let lengthFieldBits = 8
    /// INST + CHK.
    public static let lengthFieldOverhead = 2

    /// `FF FF ID LEN INST` + parameters + CHK.
    public static func worstCaseFrameLength(parameterCount: Int) -> Int {
        FeetechFrameWriter.prefixLength + 2 + parameterCount
    }

    public static func makeDecoder() -> FeetechDecoder { FeetechDecoder() }

    /// Replies and instructions look alike on a Feetech bus: every packet is read as a reply.
    public static func forEachReply(in packet: FeetechPacket, dataLength: Int, _ body: (ServoReply) -> Bool) {
        _ = body(ServoReply(id: packet.id, error: packet.instructionOrError, data: packet.parameters))
    }

    /// A Feetech reply's error byte reports the servo's condition (`FeetechStatusError`), never a
    /// refused instruction.
    public static func refusal(inReplyError errorByte: UInt8) -> ServoRefusal? { nil }
}

/// Feetech instructions beyond the shared ones: none that this codec builds. RECOVERY and RESET
/// exist, but their parameters are not documented consistently across Feetech's SDKs.
public enum FeetechSpecificInstruction: ServoSpecificInstruction {
    public var code: FeetechInstructionCode { switch self {} }
    public var id: UInt8 { switch self {} }
    public var parameterCount: Int { switch self {} }
    public func validate() throws(FeetechEncodingError) { switch self {} }
    public func appendParameters(to frame: inout FeetechFrameWriter) { switch self {} }

    public init(decoding parameters: ServoParameters<FeetechWire>) throws(FeetechDecodingError) {
        throw .unsupportedInstruction(parameters.code.rawValue)
    }
}

public typealias FeetechInstruction = ServoInstruction<FeetechWire>
public typealias FeetechRegister = ServoRegister<FeetechWire>
public typealias FeetechDeviceID = ServoDeviceID<FeetechWire>
public typealias FeetechEncodingError = ServoEncodingError<FeetechWire>
public typealias FeetechDecodingError = ServoDecodingError<FeetechWire>
