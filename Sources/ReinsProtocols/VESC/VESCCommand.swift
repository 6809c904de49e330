/// A command sent to a VESC (the driver encodes these; a simulated VESC decodes them).
///
/// Values are physical (duty fraction, amperes, degrees); the wire scaling is the firmware's
/// (commands.c, `commands_process_packet`). Any SET_* command or `alive` resets the firmware's
/// command timeout (APPCONF_TIMEOUT_MSEC, 1000 ms by default), after which it releases the motor.
public enum VESCCommand: Equatable, Sendable, VESCPayload {
    /// COMM_FW_VERSION: asks for a `VESCFirmwareVersion` reply.
    case requestFirmwareVersion
    /// COMM_GET_VALUES: asks for a full `VESCValues` reply.
    case requestValues
    /// COMM_SET_DUTY: duty cycle -1...1 (int32, x 1e5).
    case setDutyCycle(Double)
    /// COMM_SET_CURRENT: motor current in amperes (int32, x 1000).
    case setCurrent(amperes: Double)
    /// COMM_SET_CURRENT_BRAKE: braking current in amperes (int32, x 1000).
    case setBrakeCurrent(amperes: Double)
    /// COMM_SET_RPM: electrical RPM (= mechanical RPM x motor pole pairs), int32 unscaled.
    case setElectricalRPM(Int32)
    /// COMM_SET_POS: position-PID target in degrees (int32, x 1e6).
    case setPosition(degrees: Double)
    /// COMM_SET_SERVO_POS: servo output 0...1 (int16, x 1000).
    case setServoPosition(Double)
    /// COMM_REBOOT: the firmware locks up and lets its watchdog reset it; there is no reply.
    case reboot
    /// COMM_ALIVE: resets the command timeout without changing the setpoint.
    case alive
    /// COMM_GET_VALUES_SELECTIVE: asks for only the masked `VESCValues` fields.
    case requestSelectedValues(VESCValueMask)

    public var commandID: VESCCommandID {
        switch self {
        case .requestFirmwareVersion: .firmwareVersion
        case .requestValues: .getValues
        case .setDutyCycle: .setDuty
        case .setCurrent: .setCurrent
        case .setBrakeCurrent: .setCurrentBrake
        case .setElectricalRPM: .setRPM
        case .setPosition: .setPosition
        case .setServoPosition: .setServoPosition
        case .reboot: .reboot
        case .alive: .alive
        case .requestSelectedValues: .getValuesSelective
        }
    }

    /// The argument as it goes on the wire.
    private enum WireArgument {
        case none
        case int32(Int32)
        case int16(Int16)
        case uint32(UInt32)

        var byteCount: Int {
            switch self {
            case .none: 0
            case .int32, .uint32: 4
            case .int16: 2
            }
        }
    }

    private func wireArgument() throws(VESCError) -> WireArgument {
        switch self {
        case .requestFirmwareVersion, .requestValues, .reboot, .alive:
            return .none
        case let .setDutyCycle(duty):
            return .int32(try VESCScaledValue.encode(duty, scale: 1e5, as: Int32.self, field: "duty"))
        case let .setCurrent(amperes):
            return .int32(try VESCScaledValue.encode(amperes, scale: 1e3, as: Int32.self, field: "current"))
        case let .setBrakeCurrent(amperes):
            return .int32(try VESCScaledValue.encode(amperes, scale: 1e3, as: Int32.self, field: "brake current"))
        case let .setElectricalRPM(erpm):
            return .int32(erpm)
        case let .setPosition(degrees):
            return .int32(try VESCScaledValue.encode(degrees, scale: 1e6, as: Int32.self, field: "position"))
        case let .setServoPosition(position):
            return .int16(try VESCScaledValue.encode(position, scale: 1e3, as: Int16.self, field: "servo position"))
        case let .requestSelectedValues(mask):
            return .uint32(mask.rawValue)
        }
    }

    public func payloadLength() throws(VESCError) -> Int {
        1 + (try wireArgument()).byteCount
    }

    public func write(into writer: ByteWriter) {
        writer.append(commandID.rawValue)
        // payloadLength() has already checked the argument, so this cannot fail here.
        guard let argument = try? wireArgument() else { return }
        switch argument {
        case .none: break
        case let .int32(value): writer.appendBigEndian(value)
        case let .int16(value): writer.appendBigEndian(value)
        case let .uint32(value): writer.appendBigEndian(value)
        }
    }

    /// Decodes a command payload (what a VESC receives). Replies use `VESCReply`.
    public init(payload: UnsafeRawBufferPointer) throws(VESCError) {
        // Indexing, not `payload.first`, which allocates in unoptimised builds.
        guard payload.count > 0 else { throw .emptyPayload }
        let first = payload[0]
        let id = VESCCommandID(rawValue: first)
        switch id {
        case .firmwareVersion: try Self.expectNoArgument(payload, id); self = .requestFirmwareVersion
        case .getValues: try Self.expectNoArgument(payload, id); self = .requestValues
        case .reboot: try Self.expectNoArgument(payload, id); self = .reboot
        case .alive: try Self.expectNoArgument(payload, id); self = .alive
        case .setDuty:
            self = .setDutyCycle(VESCScaledValue.decode(try Self.argument(Int32.self, payload, id), scale: 1e5))
        case .setCurrent:
            self = .setCurrent(amperes: VESCScaledValue.decode(try Self.argument(Int32.self, payload, id), scale: 1e3))
        case .setCurrentBrake:
            self = .setBrakeCurrent(amperes: VESCScaledValue.decode(try Self.argument(Int32.self, payload, id), scale: 1e3))
        case .setRPM:
            self = .setElectricalRPM(try Self.argument(Int32.self, payload, id))
        case .setPosition:
            self = .setPosition(degrees: VESCScaledValue.decode(try Self.argument(Int32.self, payload, id), scale: 1e6))
        case .setServoPosition:
            self = .setServoPosition(VESCScaledValue.decode(try Self.argument(Int16.self, payload, id), scale: 1e3))
        case .getValuesSelective:
            self = .requestSelectedValues(VESCValueMask(rawValue: try Self.argument(UInt32.self, payload, id)))
        default:
            throw .unsupportedCommand(id)
        }
    }

    // Static helpers rather than nested functions: a nested function capturing locals allocates a
    // box in unoptimised builds, and commands are decoded on the control thread of a simulator.
    private static func expectNoArgument(_ payload: UnsafeRawBufferPointer, _ id: VESCCommandID) throws(VESCError) {
        guard payload.count == 1 else { throw .wrongPayloadLength(command: id, expected: 1, actual: payload.count) }
    }

    private static func argument<T: FixedWidthInteger>(_ type: T.Type, _ payload: UnsafeRawBufferPointer,
                                                       _ id: VESCCommandID) throws(VESCError) -> T {
        let expected = 1 + MemoryLayout<T>.size
        var reader = ByteReader(payload)
        reader.skip(1)
        guard payload.count == expected, let value = reader.readBigEndian(T.self) else {
            throw .wrongPayloadLength(command: id, expected: expected, actual: payload.count)
        }
        return value
    }

    /// Decodes a command payload from an array, for tests and non-real-time code.
    public init(payload bytes: [UInt8]) throws(VESCError) {
        self = try bytes.withUnsafeBytes { raw in Result { () throws(VESCError) in try VESCCommand(payload: raw) } }.get()
    }
}
