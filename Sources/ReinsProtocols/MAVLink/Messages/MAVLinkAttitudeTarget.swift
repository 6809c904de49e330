/// ATTITUDE_TARGET (83): the attitude setpoint the autopilot is using (the echo of SET_ATTITUDE_TARGET).
public struct MAVLinkAttitudeTarget: MAVLinkMessage {
    public static let messageID: UInt32 = 83
    public static let crcExtra: UInt8 = 22
    public static let basePayloadLength = 37
    public static let payloadLength = 37

    /// Time since the sender booted.
    public var timeBootMilliseconds: UInt32
    /// Fields being ignored.
    public var typeMask: AttitudeTargetTypeMask
    /// Attitude setpoint (w, x, y, z), body FRD to local NED.
    public var attitude: MAVLinkQuaternion
    public var bodyRollRate: Float
    public var bodyPitchRate: Float
    public var bodyYawRate: Float
    /// Collective thrust, 0...1.
    public var thrust: Float

    public init(
        timeBootMilliseconds: UInt32,
        typeMask: AttitudeTargetTypeMask,
        attitude: MAVLinkQuaternion,
        bodyRollRate: Float,
        bodyPitchRate: Float,
        bodyYawRate: Float,
        thrust: Float
    ) {
        self.timeBootMilliseconds = timeBootMilliseconds
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
        typeMask = AttitudeTargetTypeMask(rawValue: reader.readLittleEndianZeroFilled())
    }

    public func write(to writer: ByteWriter) {
        writer.appendLittleEndian(timeBootMilliseconds)
        attitude.write(to: writer)
        writer.appendLittleEndian(bodyRollRate)
        writer.appendLittleEndian(bodyPitchRate)
        writer.appendLittleEndian(bodyYawRate)
        writer.appendLittleEndian(thrust)
        writer.appendLittleEndian(typeMask.rawValue)
    }
}
