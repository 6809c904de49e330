/// COMMAND_ACK (77): the answer to a COMMAND_LONG.
public struct MAVLinkCommandAck: MAVLinkMessage {
    public static let messageID: UInt32 = 77
    public static let crcExtra: UInt8 = 143
    public static let basePayloadLength = 3
    public static let payloadLength = 10

    public var command: MAVCommand
    public var result: MAVResult
    /// Extension: percent done with `.inProgress`, 255 if unknown; reason code with `.denied`/`.failed`.
    public var progress: UInt8
    /// Extension: command-specific detail.
    public var resultParameter2: Int32
    /// Extension: the system that sent the command.
    public var targetSystem: UInt8
    /// Extension.
    public var targetComponent: UInt8

    public init(
        command: MAVCommand,
        result: MAVResult,
        progress: UInt8 = 0,
        resultParameter2: Int32 = 0,
        targetSystem: UInt8 = 0,
        targetComponent: UInt8 = 0
    ) {
        self.command = command
        self.result = result
        self.progress = progress
        self.resultParameter2 = resultParameter2
        self.targetSystem = targetSystem
        self.targetComponent = targetComponent
    }

    public init(payload: UnsafeRawBufferPointer) {
        var reader = ByteReader(payload)
        command = MAVCommand(rawValue: reader.readLittleEndianZeroFilled())
        result = MAVResult(rawValue: reader.readLittleEndianZeroFilled())
        progress = reader.readLittleEndianZeroFilled()
        resultParameter2 = reader.readLittleEndianZeroFilled()
        targetSystem = reader.readLittleEndianZeroFilled()
        targetComponent = reader.readLittleEndianZeroFilled()
    }

    public func write(to writer: ByteWriter) {
        writer.appendLittleEndian(command.rawValue)
        writer.appendLittleEndian(result.rawValue)
        writer.appendLittleEndian(progress)
        writer.appendLittleEndian(resultParameter2)
        writer.appendLittleEndian(targetSystem)
        writer.appendLittleEndian(targetComponent)
    }
}
