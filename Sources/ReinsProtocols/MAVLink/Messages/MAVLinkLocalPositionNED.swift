/// LOCAL_POSITION_NED (32): the vehicle's estimated position (m) and velocity (m/s), local NED frame.
public struct MAVLinkLocalPositionNED: MAVLinkMessage {
    public static let messageID: UInt32 = 32
    public static let crcExtra: UInt8 = 185
    public static let basePayloadLength = 28
    public static let payloadLength = 28

    /// Time since the sender booted.
    public var timeBootMilliseconds: UInt32
    public var x: Float
    public var y: Float
    public var z: Float
    public var vx: Float
    public var vy: Float
    public var vz: Float

    public init(timeBootMilliseconds: UInt32, x: Float, y: Float, z: Float, vx: Float, vy: Float, vz: Float) {
        self.timeBootMilliseconds = timeBootMilliseconds
        self.x = x
        self.y = y
        self.z = z
        self.vx = vx
        self.vy = vy
        self.vz = vz
    }

    public init(payload: UnsafeRawBufferPointer) {
        var reader = ByteReader(payload)
        timeBootMilliseconds = reader.readLittleEndianZeroFilled()
        x = reader.readFloatZeroFilled()
        y = reader.readFloatZeroFilled()
        z = reader.readFloatZeroFilled()
        vx = reader.readFloatZeroFilled()
        vy = reader.readFloatZeroFilled()
        vz = reader.readFloatZeroFilled()
    }

    public func write(to writer: ByteWriter) {
        writer.appendLittleEndian(timeBootMilliseconds)
        writer.appendLittleEndian(x)
        writer.appendLittleEndian(y)
        writer.appendLittleEndian(z)
        writer.appendLittleEndian(vx)
        writer.appendLittleEndian(vy)
        writer.appendLittleEndian(vz)
    }
}
