/// ATTITUDE (30): roll, pitch, yaw (rad) and their rates (rad/s), aeronautical frame (NED body).
public struct MAVLinkAttitude: MAVLinkMessage {
    public static let messageID: UInt32 = 30
    public static let crcExtra: UInt8 = 39
    public static let basePayloadLength = 28
    public static let payloadLength = 28

    /// Time since the sender booted.
    public var timeBootMilliseconds: UInt32
    public var roll: Float
    public var pitch: Float
    public var yaw: Float
    public var rollRate: Float
    public var pitchRate: Float
    public var yawRate: Float

    public init(
        timeBootMilliseconds: UInt32,
        roll: Float,
        pitch: Float,
        yaw: Float,
        rollRate: Float,
        pitchRate: Float,
        yawRate: Float
    ) {
        self.timeBootMilliseconds = timeBootMilliseconds
        self.roll = roll
        self.pitch = pitch
        self.yaw = yaw
        self.rollRate = rollRate
        self.pitchRate = pitchRate
        self.yawRate = yawRate
    }

    public init(payload: UnsafeRawBufferPointer) {
        var reader = ByteReader(payload)
        timeBootMilliseconds = reader.readLittleEndianZeroFilled()
        roll = reader.readFloatZeroFilled()
        pitch = reader.readFloatZeroFilled()
        yaw = reader.readFloatZeroFilled()
        rollRate = reader.readFloatZeroFilled()
        pitchRate = reader.readFloatZeroFilled()
        yawRate = reader.readFloatZeroFilled()
    }

    public func write(to writer: ByteWriter) {
        writer.appendLittleEndian(timeBootMilliseconds)
        writer.appendLittleEndian(roll)
        writer.appendLittleEndian(pitch)
        writer.appendLittleEndian(yaw)
        writer.appendLittleEndian(rollRate)
        writer.appendLittleEndian(pitchRate)
        writer.appendLittleEndian(yawRate)
    }
}
