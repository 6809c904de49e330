/// A status packet (a device's reply) as an owned value: who answered, its error byte, and the data.
///
/// The driver usually reads replies as `DynamixelPacket` views (no copy); this is for the simulator,
/// which encodes replies, and for tests.
public struct DynamixelStatus: Sendable, Equatable {
    public var id: UInt8
    public var error: DynamixelDeviceError
    /// The bytes after the error byte: the model number and firmware for PING, the register bytes for READ.
    public var data: [UInt8]

    public init(id: UInt8, error: DynamixelDeviceError = .none, data: [UInt8] = []) {
        self.id = id
        self.error = error
        self.data = data
    }

    /// The reply to PING: model number (little-endian) and firmware version.
    public static func pingReply(id: UInt8, modelNumber: UInt16, firmwareVersion: UInt8,
                                 error: DynamixelDeviceError = .none) -> DynamixelStatus {
        DynamixelStatus(id: id, error: error,
                        data: [UInt8(truncatingIfNeeded: modelNumber), UInt8(modelNumber >> 8), firmwareVersion])
    }

    /// Appends the encoded (stuffed) status packet to `writer` without allocating.
    public func encode(into writer: ByteWriter) throws(DynamixelEncodingError) {
        guard DynamixelDeviceID.isDevice(id) else { throw .invalidID(id) }
        guard 2 + data.count + 2 <= Int(UInt16.max) else { throw .packetTooLong(length: 4 + data.count) }
        var frame = try DynamixelFrameWriter(id: id, instruction: DynamixelInstructionCode.status.rawValue, into: writer)
        frame.append(error.rawValue)
        frame.append(data)
        try frame.finish()
    }

    /// The encoded packet as a new array (for tests and non-real-time code).
    public func encoded() throws(DynamixelEncodingError) -> [UInt8] {
        let writer = ByteWriter(capacity: DynamixelWire.worstCaseFrameLength(parameterCount: 1 + data.count))
        try encode(into: writer)
        return writer.array
    }
}
