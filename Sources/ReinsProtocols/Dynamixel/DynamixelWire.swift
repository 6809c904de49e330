/// Dynamixel Protocol 2.0 (ROBOTIS X series) as a servo protocol: 16-bit addresses and lengths, a
/// 16-bit LEN field that counts the instruction and the CRC, device IDs 0...252 (253 and 255 would make
/// `FF FF FD` header look-alikes), byte stuffing, and instructions of its own (REBOOT, FAST_SYNC_READ,
/// BULK_READ ...).
public enum DynamixelWire: ServoWireProtocol {
    public typealias Address = UInt16
    public typealias InstructionCode = DynamixelInstructionCode
    public typealias SpecificInstruction = DynamixelSpecificInstruction
    public typealias FrameWriter = DynamixelFrameWriter
    public typealias Decoder = DynamixelDecoder

    public static let name = "Dynamixel Protocol 2.0"
    public static let deviceNoun = "device"
    public static let maximumDeviceID: UInt8 = 252
    public static let lengthFieldName = "LEN field"
    public static let lengthFieldBits = 16
    /// INST + CRC (2).
    public static let lengthFieldOverhead = 3

    /// Stuffing inserts at most one byte per three.
    public static func worstCaseFrameLength(parameterCount: Int) -> Int {
        let body = 1 + parameterCount
        return DynamixelFrameWriter.prefixLength + body + body / 3 + 1 + 2
    }

    public static func makeDecoder() -> DynamixelDecoder { DynamixelDecoder() }

    public static func forEachReply(in packet: DynamixelPacket, dataLength: Int, _ body: (ServoReply) -> Bool) {
        guard packet.isStatus else { return }
        if packet.id == DynamixelDeviceID.broadcast {
            guard let segments = try? packet.fastSyncReadSegments(dataLength: UInt16(truncatingIfNeeded: dataLength)) else { return }
            for segment in segments where !body(ServoReply(id: segment.id, error: segment.error.rawValue, data: segment.data)) { return }
        } else if let error = packet.deviceError {
            _ = body(ServoReply(id: packet.id, error: error.rawValue, data: packet.statusData))
        }
    }

    public static func refusal(inReplyError errorByte: UInt8) -> ServoRefusal? {
        DynamixelDeviceError(rawValue: errorByte).code.map { ServoRefusal(description: $0.description, isAccessError: $0 == .access) }
    }
}

public typealias DynamixelInstruction = ServoInstruction<DynamixelWire>
public typealias DynamixelRegister = ServoRegister<DynamixelWire>
public typealias DynamixelDeviceID = ServoDeviceID<DynamixelWire>
public typealias DynamixelEncodingError = ServoEncodingError<DynamixelWire>
public typealias DynamixelDecodingError = ServoDecodingError<DynamixelWire>
