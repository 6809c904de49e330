/// COMMAND_LONG (76): a command with seven float parameters; answered by COMMAND_ACK. Resend with
/// `confirmation` incremented if no ACK arrives.
public struct MAVLinkCommandLong: MAVLinkMessage {
    public static let messageID: UInt32 = 76
    public static let crcExtra: UInt8 = 152
    public static let basePayloadLength = 33
    public static let payloadLength = 33

    public var targetSystem: UInt8
    public var targetComponent: UInt8
    public var command: MAVCommand
    /// 0 for the first transmission, +1 for each resend.
    public var confirmation: UInt8
    public var param1: Float
    public var param2: Float
    public var param3: Float
    public var param4: Float
    public var param5: Float
    public var param6: Float
    public var param7: Float

    public init(
        targetSystem: UInt8,
        targetComponent: UInt8,
        command: MAVCommand,
        confirmation: UInt8,
        param1: Float,
        param2: Float,
        param3: Float,
        param4: Float,
        param5: Float,
        param6: Float,
        param7: Float
    ) {
        self.targetSystem = targetSystem
        self.targetComponent = targetComponent
        self.command = command
        self.confirmation = confirmation
        self.param1 = param1
        self.param2 = param2
        self.param3 = param3
        self.param4 = param4
        self.param5 = param5
        self.param6 = param6
        self.param7 = param7
    }

    public init(payload: UnsafeRawBufferPointer) {
        var reader = ByteReader(payload)
        param1 = reader.readFloatZeroFilled()
        param2 = reader.readFloatZeroFilled()
        param3 = reader.readFloatZeroFilled()
        param4 = reader.readFloatZeroFilled()
        param5 = reader.readFloatZeroFilled()
        param6 = reader.readFloatZeroFilled()
        param7 = reader.readFloatZeroFilled()
        command = MAVCommand(rawValue: reader.readLittleEndianZeroFilled())
        targetSystem = reader.readLittleEndianZeroFilled()
        targetComponent = reader.readLittleEndianZeroFilled()
        confirmation = reader.readLittleEndianZeroFilled()
    }

    public func write(to writer: ByteWriter) {
        writer.appendLittleEndian(param1)
        writer.appendLittleEndian(param2)
        writer.appendLittleEndian(param3)
        writer.appendLittleEndian(param4)
        writer.appendLittleEndian(param5)
        writer.appendLittleEndian(param6)
        writer.appendLittleEndian(param7)
        writer.appendLittleEndian(command.rawValue)
        writer.appendLittleEndian(targetSystem)
        writer.appendLittleEndian(targetComponent)
        writer.appendLittleEndian(confirmation)
    }
}

extension MAVLinkCommandLong {
    /// PX4 and ArduPilot skip their arming/disarming safety checks when param2 is this value.
    public static let forceArmDisarmMagic: Float = 21196

    /// COMPONENT_ARM_DISARM; `force` bypasses the autopilot's checks (use only in emergencies).
    public static func arm(_ arm: Bool, targetSystem: UInt8, targetComponent: UInt8 = 1, force: Bool = false) -> MAVLinkCommandLong {
        MAVLinkCommandLong(targetSystem: targetSystem, targetComponent: targetComponent, command: .componentArmDisarm,
                           confirmation: 0, param1: arm ? 1 : 0, param2: force ? forceArmDisarmMagic : 0,
                           param3: 0, param4: 0, param5: 0, param6: 0, param7: 0)
    }

    /// DO_SET_MODE to a PX4 mode: param1 = custom mode enabled, param2 main mode, param3 sub mode.
    public static func setPX4Mode(_ mode: PX4CustomMode, targetSystem: UInt8, targetComponent: UInt8 = 1) -> MAVLinkCommandLong {
        MAVLinkCommandLong(targetSystem: targetSystem, targetComponent: targetComponent, command: .doSetMode,
                           confirmation: 0, param1: Float(MAVModeFlag.customModeEnabled.rawValue),
                           param2: Float(mode.mainMode.rawValue), param3: Float(mode.subMode),
                           param4: 0, param5: 0, param6: 0, param7: 0)
    }

    /// NAV_TAKEOFF to `altitude` metres; position and yaw NaN mean "here, current heading".
    public static func takeoff(altitude: Float, targetSystem: UInt8, targetComponent: UInt8 = 1) -> MAVLinkCommandLong {
        MAVLinkCommandLong(targetSystem: targetSystem, targetComponent: targetComponent, command: .navigationTakeoff,
                           confirmation: 0, param1: 0, param2: 0, param3: 0, param4: .nan,
                           param5: .nan, param6: .nan, param7: altitude)
    }

    /// NAV_LAND where the vehicle is (position and yaw NaN).
    public static func land(targetSystem: UInt8, targetComponent: UInt8 = 1) -> MAVLinkCommandLong {
        MAVLinkCommandLong(targetSystem: targetSystem, targetComponent: targetComponent, command: .navigationLand,
                           confirmation: 0, param1: 0, param2: 0, param3: 0, param4: .nan,
                           param5: .nan, param6: .nan, param7: .nan)
    }

    /// SET_MESSAGE_INTERVAL: stream `messageID` every `intervalMicroseconds` (-1 stops it, 0 restores the default).
    public static func setMessageInterval(messageID: UInt32, intervalMicroseconds: Float, targetSystem: UInt8,
                                          targetComponent: UInt8 = 1) -> MAVLinkCommandLong {
        MAVLinkCommandLong(targetSystem: targetSystem, targetComponent: targetComponent, command: .setMessageInterval,
                           confirmation: 0, param1: Float(messageID), param2: intervalMicroseconds,
                           param3: 0, param4: 0, param5: 0, param6: 0, param7: 0)
    }
}
