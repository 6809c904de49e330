/// The control table of the Feetech STS/SMS series (STS3215 in the SO-100/SO-101 arms).
///
/// Registers below Torque Enable (40) are EEPROM; they keep a write across power cycles only while
/// Lock (55) is 0. Positions are 4096 ticks per revolution.
public enum FeetechSTS: ServoControlTable {
    public typealias Wire = FeetechWire

    // EEPROM
    public static let firmwareMajorVersion = FeetechRegister("Firmware Major Version", address: 0, size: 1)
    public static let firmwareMinorVersion = FeetechRegister("Firmware Minor Version", address: 1, size: 1)
    public static let modelNumber = FeetechRegister("Model Number", address: 3, size: 2)
    public static let id = FeetechRegister("ID", address: 5, size: 1)
    /// See `FeetechBaudRate`.
    public static let baudRate = FeetechRegister("Baud Rate", address: 6, size: 1)
    public static let returnDelayTime = FeetechRegister("Return Delay Time", address: 7, size: 1, unit: .microseconds(2))
    public static let responseStatusLevel = FeetechRegister("Response Status Level", address: 8, size: 1)
    public static let minPositionLimit = FeetechRegister("Min Position Limit", address: 9, size: 2)
    public static let maxPositionLimit = FeetechRegister("Max Position Limit", address: 11, size: 2)
    public static let maxTemperatureLimit = FeetechRegister("Max Temperature Limit", address: 13, size: 1, unit: .degreesCelsius)
    public static let maxVoltageLimit = FeetechRegister("Max Voltage Limit", address: 14, size: 1, unit: .volts(0.1))
    public static let minVoltageLimit = FeetechRegister("Min Voltage Limit", address: 15, size: 1, unit: .volts(0.1))
    public static let maxTorqueLimit = FeetechRegister("Max Torque Limit", address: 16, size: 2)
    public static let pCoefficient = FeetechRegister("P Coefficient", address: 21, size: 1)
    public static let dCoefficient = FeetechRegister("D Coefficient", address: 22, size: 1)
    public static let iCoefficient = FeetechRegister("I Coefficient", address: 23, size: 1)
    public static let protectionCurrent = FeetechRegister("Protection Current", address: 28, size: 2)
    public static let homingOffset = FeetechRegister("Homing Offset", address: 31, size: 2, encoding: .signMagnitude(signBit: 11))
    public static let operatingMode = FeetechRegister("Operating Mode", address: 33, size: 1)

    // SRAM
    public static let torqueEnable = FeetechRegister("Torque Enable", address: 40, size: 1)
    public static let acceleration = FeetechRegister("Acceleration", address: 41, size: 1)
    public static let goalPosition = FeetechRegister("Goal Position", address: 42, size: 2)
    public static let goalTime = FeetechRegister("Goal Time", address: 44, size: 2)
    public static let goalVelocity = FeetechRegister("Goal Velocity", address: 46, size: 2, encoding: .signMagnitude(signBit: 15),
                                                    unit: .ticksPerSecond(ticksPerRevolution: positionTicksPerRevolution))
    public static let torqueLimit = FeetechRegister("Torque Limit", address: 48, size: 2)
    public static let lock = FeetechRegister("Lock", address: 55, size: 1)
    public static let presentPosition = FeetechRegister("Present Position", address: 56, size: 2)
    public static let presentVelocity = FeetechRegister("Present Velocity", address: 58, size: 2, encoding: .signMagnitude(signBit: 15),
                                                       unit: .ticksPerSecond(ticksPerRevolution: positionTicksPerRevolution))
    public static let presentLoad = FeetechRegister("Present Load", address: 60, size: 2)
    public static let presentVoltage = FeetechRegister("Present Voltage", address: 62, size: 1, unit: .volts(0.1))
    public static let presentTemperature = FeetechRegister("Present Temperature", address: 63, size: 1, unit: .degreesCelsius)
    /// The same flags as a reply's error byte (`FeetechStatusError`).
    public static let status = FeetechRegister("Status", address: 65, size: 1)
    public static let moving = FeetechRegister("Moving", address: 66, size: 1)
    public static let presentCurrent = FeetechRegister("Present Current", address: 69, size: 2, unit: .milliamperes(6.5))

    /// Present Position (56) to Present Current (69) are one contiguous block, so one SYNC_READ of
    /// this many bytes gets the whole state of every servo.
    public static let presentStateBlockAddress = presentPosition.address
    public static let presentStateBlockLength = presentCurrent.address + UInt8(presentCurrent.size) - presentPosition.address

    /// The servo's own error flags, under the name every servo table uses.
    public static var hardwareErrorStatus: FeetechRegister { status }

    /// Encoder ticks per revolution for Present/Goal Position.
    public static let positionTicksPerRevolution = 4096
}

/// Model numbers (register 3) the codecs know by name.
public enum FeetechModel: UInt16, Sendable, CaseIterable {
    case sts3215 = 777
    case sts3250 = 2825
    case sm8512bl = 11272
    case scs0009 = 1284
}

/// Values of Baud Rate (address 6) on the STS/SMS series.
public enum FeetechBaudRate: UInt8, Sendable, CaseIterable {
    /// The STS factory default.
    case baud1M = 0
    case baud500k = 1
    case baud250k = 2
    case baud128k = 3
    case baud115200 = 4
    case baud57600 = 5
    case baud38400 = 6
    case baud19200 = 7

    public var bitsPerSecond: Int {
        switch self {
        case .baud1M: 1_000_000
        case .baud500k: 500_000
        case .baud250k: 250_000
        case .baud128k: 128_000
        case .baud115200: 115_200
        case .baud57600: 57_600
        case .baud38400: 38_400
        case .baud19200: 19_200
        }
    }
}
