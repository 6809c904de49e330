/// The control table shared by the ROBOTIS X series (XL430, XM430, XC330, XL330 ...).
///
/// Registers below Torque Enable (64) are EEPROM and accept writes only while torque is off.
/// Positions are 4096 ticks per revolution (0.088 deg per tick, 2048 is the centre).
public enum DynamixelXSeries: ServoControlTable {
    public typealias Wire = DynamixelWire

    // EEPROM
    public static let modelNumber = DynamixelRegister("Model Number", address: 0, size: 2)
    public static let modelInformation = DynamixelRegister("Model Information", address: 2, size: 4)
    public static let firmwareVersion = DynamixelRegister("Firmware Version", address: 6, size: 1)
    public static let id = DynamixelRegister("ID", address: 7, size: 1)
    /// See `DynamixelXSeriesBaudRate`.
    public static let baudRate = DynamixelRegister("Baud Rate", address: 8, size: 1)
    public static let returnDelayTime = DynamixelRegister("Return Delay Time", address: 9, size: 1, unit: .microseconds(2))
    public static let driveMode = DynamixelRegister("Drive Mode", address: 10, size: 1)
    /// See `DynamixelOperatingMode`.
    public static let operatingMode = DynamixelRegister("Operating Mode", address: 11, size: 1)
    public static let secondaryID = DynamixelRegister("Secondary ID", address: 12, size: 1)
    public static let protocolType = DynamixelRegister("Protocol Type", address: 13, size: 1)
    public static let homingOffset = DynamixelRegister("Homing Offset", address: 20, size: 4, encoding: .twosComplement)
    public static let movingThreshold = DynamixelRegister("Moving Threshold", address: 24, size: 4)
    public static let temperatureLimit = DynamixelRegister("Temperature Limit", address: 31, size: 1, unit: .degreesCelsius)
    public static let maxVoltageLimit = DynamixelRegister("Max Voltage Limit", address: 32, size: 2, unit: .volts(0.1))
    public static let minVoltageLimit = DynamixelRegister("Min Voltage Limit", address: 34, size: 2, unit: .volts(0.1))
    public static let pwmLimit = DynamixelRegister("PWM Limit", address: 36, size: 2)
    public static let currentLimit = DynamixelRegister("Current Limit", address: 38, size: 2)
    public static let velocityLimit = DynamixelRegister("Velocity Limit", address: 44, size: 4)
    /// 4095 by default.
    public static let maxPositionLimit = DynamixelRegister("Max Position Limit", address: 48, size: 4)
    /// 0 by default.
    public static let minPositionLimit = DynamixelRegister("Min Position Limit", address: 52, size: 4)
    /// Which hardware errors switch torque off (same bits as Hardware Error Status).
    public static let shutdown = DynamixelRegister("Shutdown", address: 63, size: 1)

    // RAM
    public static let torqueEnable = DynamixelRegister("Torque Enable", address: 64, size: 1)
    public static let led = DynamixelRegister("LED", address: 65, size: 1)
    /// 0: reply to PING only, 1: also to READ, 2: to everything.
    public static let statusReturnLevel = DynamixelRegister("Status Return Level", address: 68, size: 1)
    public static let registeredInstruction = DynamixelRegister("Registered Instruction", address: 69, size: 1)
    /// See `DynamixelHardwareErrorStatus`; cleared by REBOOT.
    public static let hardwareErrorStatus = DynamixelRegister("Hardware Error Status", address: 70, size: 1)
    public static let velocityIGain = DynamixelRegister("Velocity I Gain", address: 76, size: 2)
    public static let velocityPGain = DynamixelRegister("Velocity P Gain", address: 78, size: 2)
    public static let positionDGain = DynamixelRegister("Position D Gain", address: 80, size: 2)
    public static let positionIGain = DynamixelRegister("Position I Gain", address: 82, size: 2)
    public static let positionPGain = DynamixelRegister("Position P Gain", address: 84, size: 2)
    public static let feedforward2ndGain = DynamixelRegister("Feedforward 2nd Gain", address: 88, size: 2)
    public static let feedforward1stGain = DynamixelRegister("Feedforward 1st Gain", address: 90, size: 2)
    /// In units of 20 ms; 0 disables. The device stops when no instruction arrives in time.
    public static let busWatchdog = DynamixelRegister("Bus Watchdog", address: 98, size: 1, encoding: .twosComplement)
    public static let goalPWM = DynamixelRegister("Goal PWM", address: 100, size: 2, encoding: .twosComplement)
    public static let goalCurrent = DynamixelRegister("Goal Current", address: 102, size: 2, encoding: .twosComplement)
    public static let goalVelocity = DynamixelRegister("Goal Velocity", address: 104, size: 4, encoding: .twosComplement, unit: .revolutionsPerMinute(0.229))
    public static let profileAcceleration = DynamixelRegister("Profile Acceleration", address: 108, size: 4)
    public static let profileVelocity = DynamixelRegister("Profile Velocity", address: 112, size: 4)
    public static let goalPosition = DynamixelRegister("Goal Position", address: 116, size: 4, encoding: .twosComplement)
    /// Milliseconds, wrapping at 32767.
    public static let realtimeTick = DynamixelRegister("Realtime Tick", address: 120, size: 2)
    public static let moving = DynamixelRegister("Moving", address: 122, size: 1)
    public static let movingStatus = DynamixelRegister("Moving Status", address: 123, size: 1)
    public static let presentPWM = DynamixelRegister("Present PWM", address: 124, size: 2, encoding: .twosComplement)
    /// Read as mA (the XL330 and XC330 count 1 mA, the XM430 2.69 mA); Present Load (0.1 %) on the
    /// XL430, which has no current sensor.
    public static let presentCurrent = DynamixelRegister("Present Current", address: 126, size: 2, encoding: .twosComplement, unit: .milliamperes(1))
    public static let presentVelocity = DynamixelRegister("Present Velocity", address: 128, size: 4, encoding: .twosComplement, unit: .revolutionsPerMinute(0.229))
    public static let presentPosition = DynamixelRegister("Present Position", address: 132, size: 4, encoding: .twosComplement)
    public static let velocityTrajectory = DynamixelRegister("Velocity Trajectory", address: 136, size: 4, encoding: .twosComplement)
    public static let positionTrajectory = DynamixelRegister("Position Trajectory", address: 140, size: 4, encoding: .twosComplement)
    public static let presentInputVoltage = DynamixelRegister("Present Input Voltage", address: 144, size: 2, unit: .volts(0.1))
    public static let presentTemperature = DynamixelRegister("Present Temperature", address: 146, size: 1, unit: .degreesCelsius)

    /// Present Current (126) to Present Temperature (146) are one contiguous block, so one
    /// SYNC_READ of this many bytes gets the whole state of every servo.
    public static let presentStateBlockAddress = presentCurrent.address
    public static let presentStateBlockLength = presentTemperature.address + UInt16(presentTemperature.size) - presentCurrent.address

    /// Present Input Voltage, under the name every servo table uses.
    public static var presentVoltage: DynamixelRegister { presentInputVoltage }

    /// Encoder ticks per revolution for Present/Goal Position.
    public static let positionTicksPerRevolution = 4096
}

/// Model numbers (X-series register 0) the codecs know by name.
public enum DynamixelModel: UInt16, Sendable, CaseIterable {
    case xl430W250 = 1060
    case xm430W350 = 1020
    case xm430W210 = 1030
    case xc430W150 = 1070
    case xm540W270 = 1120
    case xl330M077 = 1190
    case xl330M288 = 1200
}

/// Values of Operating Mode (address 11).
public enum DynamixelOperatingMode: UInt8, Sendable, CaseIterable {
    case current = 0
    case velocity = 1
    /// The factory default.
    case position = 3
    case extendedPosition = 4
    case currentBasedPosition = 5
    case pwm = 16
}

/// Values of Baud Rate (address 8).
public enum DynamixelXSeriesBaudRate: UInt8, Sendable, CaseIterable {
    case baud9600 = 0
    /// The factory default.
    case baud57600 = 1
    case baud115200 = 2
    case baud1M = 3
    case baud2M = 4
    case baud3M = 5
    case baud4M = 6

    public var bitsPerSecond: Int {
        switch self {
        case .baud9600: 9_600
        case .baud57600: 57_600
        case .baud115200: 115_200
        case .baud1M: 1_000_000
        case .baud2M: 2_000_000
        case .baud3M: 3_000_000
        case .baud4M: 4_000_000
        }
    }
}
