/// SYS_STATUS (1): sensor health, main-loop load, battery and link error counts.
/// Sensor bitmasks are MAV_SYS_STATUS_SENSOR bits.
public struct MAVLinkSystemStatus: MAVLinkMessage {
    public static let messageID: UInt32 = 1
    public static let crcExtra: UInt8 = 124
    public static let basePayloadLength = 31
    public static let payloadLength = 43

    public var sensorsPresent: UInt32
    public var sensorsEnabled: UInt32
    /// A set bit means healthy.
    public var sensorsHealthy: UInt32
    /// Main loop time used, 0...1000 (units of 0.1 %).
    public var loadPermille: UInt16
    /// UInt16.max when unknown.
    public var batteryVoltageMillivolts: UInt16
    /// -1 when unknown.
    public var batteryCurrentCentiamperes: Int16
    /// -1 when unknown.
    public var batteryRemainingPercent: Int8
    /// Dropped packets on all links, in 0.01 %.
    public var communicationDropRateCentipercent: UInt16
    public var communicationErrors: UInt16
    /// Autopilot-specific error counters.
    public var errorCount1: UInt16
    public var errorCount2: UInt16
    public var errorCount3: UInt16
    public var errorCount4: UInt16
    /// Extension: MAV_SYS_STATUS_SENSOR_EXTENDED bits.
    public var sensorsPresentExtended: UInt32
    /// Extension.
    public var sensorsEnabledExtended: UInt32
    /// Extension.
    public var sensorsHealthyExtended: UInt32

    public init(
        sensorsPresent: UInt32,
        sensorsEnabled: UInt32,
        sensorsHealthy: UInt32,
        loadPermille: UInt16,
        batteryVoltageMillivolts: UInt16,
        batteryCurrentCentiamperes: Int16,
        batteryRemainingPercent: Int8,
        communicationDropRateCentipercent: UInt16,
        communicationErrors: UInt16,
        errorCount1: UInt16,
        errorCount2: UInt16,
        errorCount3: UInt16,
        errorCount4: UInt16,
        sensorsPresentExtended: UInt32 = 0,
        sensorsEnabledExtended: UInt32 = 0,
        sensorsHealthyExtended: UInt32 = 0
    ) {
        self.sensorsPresent = sensorsPresent
        self.sensorsEnabled = sensorsEnabled
        self.sensorsHealthy = sensorsHealthy
        self.loadPermille = loadPermille
        self.batteryVoltageMillivolts = batteryVoltageMillivolts
        self.batteryCurrentCentiamperes = batteryCurrentCentiamperes
        self.batteryRemainingPercent = batteryRemainingPercent
        self.communicationDropRateCentipercent = communicationDropRateCentipercent
        self.communicationErrors = communicationErrors
        self.errorCount1 = errorCount1
        self.errorCount2 = errorCount2
        self.errorCount3 = errorCount3
        self.errorCount4 = errorCount4
        self.sensorsPresentExtended = sensorsPresentExtended
        self.sensorsEnabledExtended = sensorsEnabledExtended
        self.sensorsHealthyExtended = sensorsHealthyExtended
    }

    public init(payload: UnsafeRawBufferPointer) {
        var reader = ByteReader(payload)
        sensorsPresent = reader.readLittleEndianZeroFilled()
        sensorsEnabled = reader.readLittleEndianZeroFilled()
        sensorsHealthy = reader.readLittleEndianZeroFilled()
        loadPermille = reader.readLittleEndianZeroFilled()
        batteryVoltageMillivolts = reader.readLittleEndianZeroFilled()
        batteryCurrentCentiamperes = reader.readLittleEndianZeroFilled()
        communicationDropRateCentipercent = reader.readLittleEndianZeroFilled()
        communicationErrors = reader.readLittleEndianZeroFilled()
        errorCount1 = reader.readLittleEndianZeroFilled()
        errorCount2 = reader.readLittleEndianZeroFilled()
        errorCount3 = reader.readLittleEndianZeroFilled()
        errorCount4 = reader.readLittleEndianZeroFilled()
        batteryRemainingPercent = reader.readLittleEndianZeroFilled()
        sensorsPresentExtended = reader.readLittleEndianZeroFilled()
        sensorsEnabledExtended = reader.readLittleEndianZeroFilled()
        sensorsHealthyExtended = reader.readLittleEndianZeroFilled()
    }

    public func write(to writer: ByteWriter) {
        writer.appendLittleEndian(sensorsPresent)
        writer.appendLittleEndian(sensorsEnabled)
        writer.appendLittleEndian(sensorsHealthy)
        writer.appendLittleEndian(loadPermille)
        writer.appendLittleEndian(batteryVoltageMillivolts)
        writer.appendLittleEndian(batteryCurrentCentiamperes)
        writer.appendLittleEndian(communicationDropRateCentipercent)
        writer.appendLittleEndian(communicationErrors)
        writer.appendLittleEndian(errorCount1)
        writer.appendLittleEndian(errorCount2)
        writer.appendLittleEndian(errorCount3)
        writer.appendLittleEndian(errorCount4)
        writer.appendLittleEndian(batteryRemainingPercent)
        writer.appendLittleEndian(sensorsPresentExtended)
        writer.appendLittleEndian(sensorsEnabledExtended)
        writer.appendLittleEndian(sensorsHealthyExtended)
    }
}
