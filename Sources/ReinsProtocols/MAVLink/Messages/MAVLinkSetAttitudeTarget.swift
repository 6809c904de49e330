/// SET_ATTITUDE_TARGET (82): attitude, body rate (rad/s) and thrust (0...1) setpoint, for offboard
/// control (PX4) or GUIDED (ArduPilot). Newer common.xml adds a `thrust_body` extension that
/// pymavlink 2.4.50 lacks; a longer payload from such a sender still decodes (the extra bytes are
/// ignored).
public struct MAVLinkSetAttitudeTarget: MAVLinkMessage {
    public static let messageID: UInt32 = 82
    public static let crcExtra: UInt8 = 49
    public static let basePayloadLength = 39
    public static let payloadLength = 39

    /// Time since the sender booted.
    public var timeBootMilliseconds: UInt32
    public var targetSystem: UInt8
    public var targetComponent: UInt8
    /// Fields to ignore.
    public var typeMask: AttitudeTargetTypeMask
    /// Attitude setpoint (w, x, y, z), body FRD to local NED.
    public var attitude: MAVLinkQuaternion
    public var bodyRollRate: Float
    public var bodyPitchRate: Float
    public var bodyYawRate: Float
    /// Collective thrust, 0...1 (-1...1 for vehicles that can reverse).
    public var thrust: Float

    public init(
        timeBootMilliseconds: UInt32,
        targetSystem: UInt8,
        targetComponent: UInt8,
        typeMask: AttitudeTargetTypeMask,
        attitude: MAVLinkQuaternion,
        bodyRollRate: Float,
        bodyPitchRate: Float,
        bodyYawRate: Float,
        thrust: Float
    ) {
        self.timeBootMilliseconds = timeBootMilliseconds
        self.targetSystem = targetSystem
        self.targetComponent = targetComponent
        self.typeMask = typeMask
        self.attitude = attitude
        self.bodyRollRate = bodyRollRate
        self.bodyPitchRate = bodyPitchRate
        self.bodyYawRate = bodyYawRate
        self.thrust = thrust
    }

    public init(payload: UnsafeRawBufferPointer) {
        var reader = ByteReader(payload)
        timeBootMilliseconds = reader.readLittleEndianZeroFilled()
        attitude = MAVLinkQuaternion(reading: &reader)
        bodyRollRate = reader.readFloatZeroFilled()
        bodyPitchRate = reader.readFloatZeroFilled()
        bodyYawRate = reader.readFloatZeroFilled()
        thrust = reader.readFloatZeroFilled()
        targetSystem = reader.readLittleEndianZeroFilled()
        targetComponent = reader.readLittleEndianZeroFilled()
        typeMask = AttitudeTargetTypeMask(rawValue: reader.readLittleEndianZeroFilled())
    }

    public func write(to writer: ByteWriter) {
        writer.appendLittleEndian(timeBootMilliseconds)
        attitude.write(to: writer)
        writer.appendLittleEndian(bodyRollRate)
        writer.appendLittleEndian(bodyPitchRate)
        writer.appendLittleEndian(bodyYawRate)
        writer.appendLittleEndian(thrust)
        writer.appendLittleEndian(targetSystem)
        writer.appendLittleEndian(targetComponent)
        writer.appendLittleEndian(typeMask.rawValue)
    }
}
