/// POSITION_TARGET_LOCAL_NED (85): the local setpoint the autopilot is using (the echo of
/// SET_POSITION_TARGET_LOCAL_NED).
public struct MAVLinkPositionTargetLocalNED: MAVLinkMessage {
    public static let messageID: UInt32 = 85
    public static let crcExtra: UInt8 = 140
    public static let basePayloadLength = 51
    public static let payloadLength = 51

    /// Time since the sender booted.
    public var timeBootMilliseconds: UInt32
    public var coordinateFrame: MAVFrame
    /// Fields being ignored.
    public var typeMask: PositionTargetTypeMask
    public var x: Float
    public var y: Float
    public var z: Float
    public var vx: Float
    public var vy: Float
    public var vz: Float
    /// A force (N) instead when `typeMask` has `.forceSet`.
    public var accelerationX: Float
    public var accelerationY: Float
    public var accelerationZ: Float
    public var yaw: Float
    public var yawRate: Float

    public init(
        timeBootMilliseconds: UInt32,
        coordinateFrame: MAVFrame,
        typeMask: PositionTargetTypeMask,
        x: Float,
        y: Float,
        z: Float,
        vx: Float,
        vy: Float,
        vz: Float,
        accelerationX: Float,
        accelerationY: Float,
        accelerationZ: Float,
        yaw: Float,
        yawRate: Float
    ) {
        self.timeBootMilliseconds = timeBootMilliseconds
        self.coordinateFrame = coordinateFrame
        self.typeMask = typeMask
        self.x = x
        self.y = y
        self.z = z
        self.vx = vx
        self.vy = vy
        self.vz = vz
        self.accelerationX = accelerationX
        self.accelerationY = accelerationY
        self.accelerationZ = accelerationZ
        self.yaw = yaw
        self.yawRate = yawRate
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
        accelerationX = reader.readFloatZeroFilled()
        accelerationY = reader.readFloatZeroFilled()
        accelerationZ = reader.readFloatZeroFilled()
        yaw = reader.readFloatZeroFilled()
        yawRate = reader.readFloatZeroFilled()
        typeMask = PositionTargetTypeMask(rawValue: reader.readLittleEndianZeroFilled())
        coordinateFrame = MAVFrame(rawValue: reader.readLittleEndianZeroFilled())
    }

    public func write(to writer: ByteWriter) {
        writer.appendLittleEndian(timeBootMilliseconds)
        writer.appendLittleEndian(x)
        writer.appendLittleEndian(y)
        writer.appendLittleEndian(z)
        writer.appendLittleEndian(vx)
        writer.appendLittleEndian(vy)
        writer.appendLittleEndian(vz)
        writer.appendLittleEndian(accelerationX)
        writer.appendLittleEndian(accelerationY)
        writer.appendLittleEndian(accelerationZ)
        writer.appendLittleEndian(yaw)
        writer.appendLittleEndian(yawRate)
        writer.appendLittleEndian(typeMask.rawValue)
        writer.appendLittleEndian(coordinateFrame.rawValue)
    }
}
