/// HIGHRES_IMU (105): raw IMU, magnetometer and barometer readings in SI units (body frame), except
/// where a unit is in the field name.
public struct MAVLinkHighresIMU: MAVLinkMessage {
    public static let messageID: UInt32 = 105
    public static let crcExtra: UInt8 = 93
    public static let basePayloadLength = 62
    public static let payloadLength = 63

    /// UNIX time or time since boot (the sender decides).
    public var timeMicroseconds: UInt64
    public var accelerationX: Float
    public var accelerationY: Float
    public var accelerationZ: Float
    public var angularRateX: Float
    public var angularRateY: Float
    public var angularRateZ: Float
    public var magneticFieldXGauss: Float
    public var magneticFieldYGauss: Float
    public var magneticFieldZGauss: Float
    public var absolutePressureHectopascals: Float
    public var differentialPressureHectopascals: Float
    /// Metres.
    public var pressureAltitude: Float
    public var temperatureCelsius: Float
    /// Which fields are new since the last message.
    public var fieldsUpdated: UpdatedFields
    /// Extension: which IMU, for vehicles with several.
    public var sensorID: UInt8

    public init(
        timeMicroseconds: UInt64,
        accelerationX: Float,
        accelerationY: Float,
        accelerationZ: Float,
        angularRateX: Float,
        angularRateY: Float,
        angularRateZ: Float,
        magneticFieldXGauss: Float,
        magneticFieldYGauss: Float,
        magneticFieldZGauss: Float,
        absolutePressureHectopascals: Float,
        differentialPressureHectopascals: Float,
        pressureAltitude: Float,
        temperatureCelsius: Float,
        fieldsUpdated: UpdatedFields,
        sensorID: UInt8 = 0
    ) {
        self.timeMicroseconds = timeMicroseconds
        self.accelerationX = accelerationX
        self.accelerationY = accelerationY
        self.accelerationZ = accelerationZ
        self.angularRateX = angularRateX
        self.angularRateY = angularRateY
        self.angularRateZ = angularRateZ
        self.magneticFieldXGauss = magneticFieldXGauss
        self.magneticFieldYGauss = magneticFieldYGauss
        self.magneticFieldZGauss = magneticFieldZGauss
        self.absolutePressureHectopascals = absolutePressureHectopascals
        self.differentialPressureHectopascals = differentialPressureHectopascals
        self.pressureAltitude = pressureAltitude
        self.temperatureCelsius = temperatureCelsius
        self.fieldsUpdated = fieldsUpdated
        self.sensorID = sensorID
    }

    public init(payload: UnsafeRawBufferPointer) {
        var reader = ByteReader(payload)
        timeMicroseconds = reader.readLittleEndianZeroFilled()
        accelerationX = reader.readFloatZeroFilled()
        accelerationY = reader.readFloatZeroFilled()
        accelerationZ = reader.readFloatZeroFilled()
        angularRateX = reader.readFloatZeroFilled()
        angularRateY = reader.readFloatZeroFilled()
        angularRateZ = reader.readFloatZeroFilled()
        magneticFieldXGauss = reader.readFloatZeroFilled()
        magneticFieldYGauss = reader.readFloatZeroFilled()
        magneticFieldZGauss = reader.readFloatZeroFilled()
        absolutePressureHectopascals = reader.readFloatZeroFilled()
        differentialPressureHectopascals = reader.readFloatZeroFilled()
        pressureAltitude = reader.readFloatZeroFilled()
        temperatureCelsius = reader.readFloatZeroFilled()
        fieldsUpdated = UpdatedFields(rawValue: reader.readLittleEndianZeroFilled())
        sensorID = reader.readLittleEndianZeroFilled()
    }

    public func write(to writer: ByteWriter) {
        writer.appendLittleEndian(timeMicroseconds)
        writer.appendLittleEndian(accelerationX)
        writer.appendLittleEndian(accelerationY)
        writer.appendLittleEndian(accelerationZ)
        writer.appendLittleEndian(angularRateX)
        writer.appendLittleEndian(angularRateY)
        writer.appendLittleEndian(angularRateZ)
        writer.appendLittleEndian(magneticFieldXGauss)
        writer.appendLittleEndian(magneticFieldYGauss)
        writer.appendLittleEndian(magneticFieldZGauss)
        writer.appendLittleEndian(absolutePressureHectopascals)
        writer.appendLittleEndian(differentialPressureHectopascals)
        writer.appendLittleEndian(pressureAltitude)
        writer.appendLittleEndian(temperatureCelsius)
        writer.appendLittleEndian(fieldsUpdated.rawValue)
        writer.appendLittleEndian(sensorID)
    }
}

extension MAVLinkHighresIMU {
    /// HIGHRES_IMU_UPDATED_FLAGS: which readings are new.
    public struct UpdatedFields: OptionSet, Hashable, Sendable {
        public var rawValue: UInt16
        public init(rawValue: UInt16) { self.rawValue = rawValue }

        public static let accelerationX = UpdatedFields(rawValue: 1 << 0)
        public static let accelerationY = UpdatedFields(rawValue: 1 << 1)
        public static let accelerationZ = UpdatedFields(rawValue: 1 << 2)
        public static let angularRateX = UpdatedFields(rawValue: 1 << 3)
        public static let angularRateY = UpdatedFields(rawValue: 1 << 4)
        public static let angularRateZ = UpdatedFields(rawValue: 1 << 5)
        public static let magneticFieldX = UpdatedFields(rawValue: 1 << 6)
        public static let magneticFieldY = UpdatedFields(rawValue: 1 << 7)
        public static let magneticFieldZ = UpdatedFields(rawValue: 1 << 8)
        public static let absolutePressure = UpdatedFields(rawValue: 1 << 9)
        public static let differentialPressure = UpdatedFields(rawValue: 1 << 10)
        public static let pressureAltitude = UpdatedFields(rawValue: 1 << 11)
        public static let temperature = UpdatedFields(rawValue: 1 << 12)

        public static let all = UpdatedFields(rawValue: (1 << 13) - 1)
    }
}
