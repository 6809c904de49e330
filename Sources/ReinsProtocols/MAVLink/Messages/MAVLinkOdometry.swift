/// ODOMETRY (331): pose, velocity and their covariances, as sent by an external estimator (vision,
/// motion capture) to the autopilot or by the autopilot as its estimate.
public struct MAVLinkOdometry: MAVLinkMessage {
    public static let messageID: UInt32 = 331
    public static let crcExtra: UInt8 = 91
    public static let basePayloadLength = 230
    public static let payloadLength = 233

    /// UNIX time or time since boot (the sender decides).
    public var timeMicroseconds: UInt64
    /// Frame of the pose (`.localFRD` or `.localNED`).
    public var frame: MAVFrame
    /// Frame of the velocity (`.bodyFRD` usually).
    public var childFrame: MAVFrame
    public var x: Float
    public var y: Float
    public var z: Float
    /// Orientation (w, x, y, z).
    public var attitude: MAVLinkQuaternion
    public var vx: Float
    public var vy: Float
    public var vz: Float
    public var rollRate: Float
    public var pitchRate: Float
    public var yawRate: Float
    /// Upper triangle of the 6x6 pose covariance (x, y, z, roll, pitch, yaw).
    public var poseCovariance: MAVLinkCovariance
    /// Upper triangle of the 6x6 velocity covariance.
    public var velocityCovariance: MAVLinkCovariance
    /// Extension: incremented when the estimate jumps (a reset).
    public var resetCounter: UInt8
    /// Extension.
    public var estimatorType: MAVEstimatorType
    /// Extension: 0 unknown, 1...100, -1 failed.
    public var qualityPercent: Int8

    public init(
        timeMicroseconds: UInt64,
        frame: MAVFrame,
        childFrame: MAVFrame,
        x: Float,
        y: Float,
        z: Float,
        attitude: MAVLinkQuaternion,
        vx: Float,
        vy: Float,
        vz: Float,
        rollRate: Float,
        pitchRate: Float,
        yawRate: Float,
        poseCovariance: MAVLinkCovariance,
        velocityCovariance: MAVLinkCovariance,
        resetCounter: UInt8 = 0,
        estimatorType: MAVEstimatorType = .unknown,
        qualityPercent: Int8 = 0
    ) {
        self.timeMicroseconds = timeMicroseconds
        self.frame = frame
        self.childFrame = childFrame
        self.x = x
        self.y = y
        self.z = z
        self.attitude = attitude
        self.vx = vx
        self.vy = vy
        self.vz = vz
        self.rollRate = rollRate
        self.pitchRate = pitchRate
        self.yawRate = yawRate
        self.poseCovariance = poseCovariance
        self.velocityCovariance = velocityCovariance
        self.resetCounter = resetCounter
        self.estimatorType = estimatorType
        self.qualityPercent = qualityPercent
    }

    public init(payload: UnsafeRawBufferPointer) {
        var reader = ByteReader(payload)
        timeMicroseconds = reader.readLittleEndianZeroFilled()
        x = reader.readFloatZeroFilled()
        y = reader.readFloatZeroFilled()
        z = reader.readFloatZeroFilled()
        attitude = MAVLinkQuaternion(reading: &reader)
        vx = reader.readFloatZeroFilled()
        vy = reader.readFloatZeroFilled()
        vz = reader.readFloatZeroFilled()
        rollRate = reader.readFloatZeroFilled()
        pitchRate = reader.readFloatZeroFilled()
        yawRate = reader.readFloatZeroFilled()
        poseCovariance = MAVLinkCovariance(reading: &reader)
        velocityCovariance = MAVLinkCovariance(reading: &reader)
        frame = MAVFrame(rawValue: reader.readLittleEndianZeroFilled())
        childFrame = MAVFrame(rawValue: reader.readLittleEndianZeroFilled())
        resetCounter = reader.readLittleEndianZeroFilled()
        estimatorType = MAVEstimatorType(rawValue: reader.readLittleEndianZeroFilled())
        qualityPercent = reader.readLittleEndianZeroFilled()
    }

    public func write(to writer: ByteWriter) {
        writer.appendLittleEndian(timeMicroseconds)
        writer.appendLittleEndian(x)
        writer.appendLittleEndian(y)
        writer.appendLittleEndian(z)
        attitude.write(to: writer)
        writer.appendLittleEndian(vx)
        writer.appendLittleEndian(vy)
        writer.appendLittleEndian(vz)
        writer.appendLittleEndian(rollRate)
        writer.appendLittleEndian(pitchRate)
        writer.appendLittleEndian(yawRate)
        poseCovariance.write(to: writer)
        velocityCovariance.write(to: writer)
        writer.appendLittleEndian(frame.rawValue)
        writer.appendLittleEndian(childFrame.rawValue)
        writer.appendLittleEndian(resetCounter)
        writer.appendLittleEndian(estimatorType.rawValue)
        writer.appendLittleEndian(qualityPercent)
    }
}
