/// HEARTBEAT (0): who a system is and what state it is in. Every system sends it at about 1 Hz;
/// autopilots treat a GCS or offboard controller as lost after about 4-5 missed beats.
public struct MAVLinkHeartbeat: MAVLinkMessage {
    public static let messageID: UInt32 = 0
    public static let crcExtra: UInt8 = 50
    public static let basePayloadLength = 9
    public static let payloadLength = 9

    /// The kind of system sending it.
    public var type: MAVType
    /// `.invalid` for anything that is not a flight controller.
    public var autopilot: MAVAutopilot
    /// Armed, custom mode in use, ...
    public var baseMode: MAVModeFlag
    /// The autopilot's own mode number (PX4: see `px4Mode`).
    public var customMode: UInt32
    public var systemStatus: MAVState
    /// Always 3 for MAVLink 1.0 and later (the field predates MAVLink 2).
    public var mavlinkVersion: UInt8

    public init(
        type: MAVType,
        autopilot: MAVAutopilot,
        baseMode: MAVModeFlag,
        customMode: UInt32,
        systemStatus: MAVState,
        mavlinkVersion: UInt8
    ) {
        self.type = type
        self.autopilot = autopilot
        self.baseMode = baseMode
        self.customMode = customMode
        self.systemStatus = systemStatus
        self.mavlinkVersion = mavlinkVersion
    }

    public init(payload: UnsafeRawBufferPointer) {
        var reader = ByteReader(payload)
        customMode = reader.readLittleEndianZeroFilled()
        type = MAVType(rawValue: reader.readLittleEndianZeroFilled())
        autopilot = MAVAutopilot(rawValue: reader.readLittleEndianZeroFilled())
        baseMode = MAVModeFlag(rawValue: reader.readLittleEndianZeroFilled())
        systemStatus = MAVState(rawValue: reader.readLittleEndianZeroFilled())
        mavlinkVersion = reader.readLittleEndianZeroFilled()
    }

    public func write(to writer: ByteWriter) {
        writer.appendLittleEndian(customMode)
        writer.appendLittleEndian(type.rawValue)
        writer.appendLittleEndian(autopilot.rawValue)
        writer.appendLittleEndian(baseMode.rawValue)
        writer.appendLittleEndian(systemStatus.rawValue)
        writer.appendLittleEndian(mavlinkVersion)
    }
}

extension MAVLinkHeartbeat {
    /// `customMode` read as a PX4 flight mode (meaningful when `autopilot` is `.px4`).
    public var px4Mode: PX4CustomMode { PX4CustomMode(rawValue: customMode) }

    public var isArmed: Bool { baseMode.contains(.safetyArmed) }

    /// The heartbeat an offboard controller or GCS sends (type GCS, autopilot invalid, active).
    public static let groundStation = MAVLinkHeartbeat(
        type: .gcs, autopilot: .invalid, baseMode: [], customMode: 0, systemStatus: .active, mavlinkVersion: 3)
}
