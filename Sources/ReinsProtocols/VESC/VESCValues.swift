/// Telemetry from a COMM_GET_VALUES (or COMM_GET_VALUES_SELECTIVE) reply.
///
/// Every field is optional because the reply is positional and firmware versions differ in how
/// far it goes: older firmware simply stops earlier, and a selective reply carries only the masked
/// fields. A nil field was not in the reply. Plain numbers only, so decoding never allocates.
public struct VESCValues: Equatable, Sendable {
    /// The three MOSFET temperatures, sent together.
    public struct MosfetTemperatures: Equatable, Sendable {
        public var first: Double
        public var second: Double
        public var third: Double
        public init(_ first: Double, _ second: Double, _ third: Double) {
            self.first = first
            self.second = second
            self.third = third
        }
    }

    public var fetTemperatureCelsius: Double?
    public var motorTemperatureCelsius: Double?
    public var motorCurrentAmperes: Double?
    public var inputCurrentAmperes: Double?
    public var directAxisCurrentAmperes: Double?
    public var quadratureAxisCurrentAmperes: Double?
    /// -1...1.
    public var dutyCycle: Double?
    /// Electrical RPM (mechanical RPM x motor pole pairs).
    public var electricalRPM: Double?
    public var inputVoltage: Double?
    public var ampereHoursDrawn: Double?
    public var ampereHoursCharged: Double?
    public var wattHoursDrawn: Double?
    public var wattHoursCharged: Double?
    /// Commutation steps since boot (6 per electrical revolution), signed by direction.
    public var tachometer: Int32?
    public var tachometerAbsolute: Int32?
    public var fault: VESCFaultCode?
    public var pidPositionDegrees: Double?
    public var controllerID: UInt8?
    public var mosfetTemperaturesCelsius: MosfetTemperatures?
    public var directAxisVoltage: Double?
    public var quadratureAxisVoltage: Double?
    public var status: VESCStatusFlags?

    public init() {}

    /// The fields present, as a mask.
    public var presentFields: VESCValueMask {
        var mask = VESCValueMask()
        for bit in 0..<Self.fieldCount where isPresent(bit: bit) {
            mask.insert(VESCValueMask(rawValue: 1 << UInt32(bit)))
        }
        return mask
    }

    // MARK: - Decoding

    /// Decodes a COMM_GET_VALUES reply (fields until the payload runs out; extra trailing bytes
    /// from newer firmware are ignored) or a COMM_GET_VALUES_SELECTIVE reply (mask, then exactly
    /// the masked fields; unknown higher mask bits end the decoding).
    public init(replyPayload payload: UnsafeRawBufferPointer) throws(VESCError) {
        // Indexing, not `payload.first`, which allocates in unoptimised builds.
        guard payload.count > 0 else { throw .emptyPayload }
        let first = payload[0]
        var reader = ByteReader(payload)
        reader.skip(1)
        let mask: VESCValueMask
        let stopsWhenPayloadEnds: Bool
        switch VESCCommandID(rawValue: first) {
        case .getValues:
            mask = .all
            stopsWhenPayloadEnds = true
        case .getValuesSelective:
            mask = VESCValueMask(rawValue: try Self.read(&reader, UInt32.self, field: "mask"))
            stopsWhenPayloadEnds = false
        default:
            throw .unsupportedCommand(VESCCommandID(rawValue: first))
        }
        self.init()
        for bit in 0..<Self.fieldCount where mask.rawValue & (1 << UInt32(bit)) != 0 {
            if stopsWhenPayloadEnds && reader.remaining == 0 { break }
            try decodeField(bit: bit, from: &reader)
        }
    }

    public init(replyPayload bytes: [UInt8]) throws(VESCError) {
        self = try bytes.withUnsafeBytes { raw in Result { () throws(VESCError) in try VESCValues(replyPayload: raw) } }.get()
    }

    private mutating func decodeField(bit: Int, from reader: inout ByteReader) throws(VESCError) {
        let name = Self.fieldName(bit: bit)
        switch bit {
        case 0: fetTemperatureCelsius = try Self.read16(&reader, 1e1, name)
        case 1: motorTemperatureCelsius = try Self.read16(&reader, 1e1, name)
        case 2: motorCurrentAmperes = try Self.read32(&reader, 1e2, name)
        case 3: inputCurrentAmperes = try Self.read32(&reader, 1e2, name)
        case 4: directAxisCurrentAmperes = try Self.read32(&reader, 1e2, name)
        case 5: quadratureAxisCurrentAmperes = try Self.read32(&reader, 1e2, name)
        case 6: dutyCycle = try Self.read16(&reader, 1e3, name)
        case 7: electricalRPM = try Self.read32(&reader, 1e0, name)
        case 8: inputVoltage = try Self.read16(&reader, 1e1, name)
        case 9: ampereHoursDrawn = try Self.read32(&reader, 1e4, name)
        case 10: ampereHoursCharged = try Self.read32(&reader, 1e4, name)
        case 11: wattHoursDrawn = try Self.read32(&reader, 1e4, name)
        case 12: wattHoursCharged = try Self.read32(&reader, 1e4, name)
        case 13: tachometer = try Self.read(&reader, Int32.self, field: name)
        case 14: tachometerAbsolute = try Self.read(&reader, Int32.self, field: name)
        case 15: fault = VESCFaultCode(rawValue: try Self.read(&reader, UInt8.self, field: name))
        case 16: pidPositionDegrees = try Self.read32(&reader, 1e6, name)
        case 17: controllerID = try Self.read(&reader, UInt8.self, field: name)
        case 18:
            // All three or none: the firmware writes them as one group.
            guard reader.remaining >= 6 else {
                throw .truncatedField(field: name, offset: reader.offset, needed: 6, available: reader.remaining)
            }
            mosfetTemperaturesCelsius = MosfetTemperatures(
                try Self.read16(&reader, 1e1, name), try Self.read16(&reader, 1e1, name), try Self.read16(&reader, 1e1, name))
        case 19: directAxisVoltage = try Self.read32(&reader, 1e3, name)
        case 20: quadratureAxisVoltage = try Self.read32(&reader, 1e3, name)
        case 21: status = VESCStatusFlags(rawValue: try Self.read(&reader, UInt8.self, field: name))
        default: break
        }
    }

    /// The firmware's float16: an int16 divided by `scale`.
    private static func read16(_ reader: inout ByteReader, _ scale: Double, _ field: String) throws(VESCError) -> Double {
        VESCScaledValue.decode(try read(&reader, Int16.self, field: field), scale: scale)
    }

    /// The firmware's float32 (`buffer_get_float32`): an int32 divided by `scale`.
    private static func read32(_ reader: inout ByteReader, _ scale: Double, _ field: String) throws(VESCError) -> Double {
        VESCScaledValue.decode(try read(&reader, Int32.self, field: field), scale: scale)
    }

    private static func read<T: FixedWidthInteger>(_ reader: inout ByteReader, _ type: T.Type,
                                                   field: String) throws(VESCError) -> T {
        let offset = reader.offset
        guard let value = reader.readBigEndian(T.self) else {
            throw .truncatedField(field: field, offset: offset, needed: MemoryLayout<T>.size,
                                  available: reader.remaining)
        }
        return value
    }

    // MARK: - Encoding

    static let fieldCount = 22

    /// The firmware's name for field `bit` (as in commands.c), for error messages.
    static func fieldName(bit: Int) -> String {
        switch bit {
        case 0: "temp_fet"
        case 1: "temp_motor"
        case 2: "avg_motor_current"
        case 3: "avg_input_current"
        case 4: "avg_id"
        case 5: "avg_iq"
        case 6: "duty_now"
        case 7: "rpm"
        case 8: "v_in"
        case 9: "amp_hours"
        case 10: "amp_hours_charged"
        case 11: "watt_hours"
        case 12: "watt_hours_charged"
        case 13: "tachometer"
        case 14: "tachometer_abs"
        case 15: "fault"
        case 16: "pid_pos"
        case 17: "controller_id"
        case 18: "temp_mos1..3"
        case 19: "avg_vd"
        case 20: "avg_vq"
        case 21: "status"
        default: "field \(bit)"
        }
    }

    private enum WireField {
        case int16(Int16)
        case int32(Int32)
        case uint8(UInt8)
        case int16Triple(Int16, Int16, Int16)

        var byteCount: Int {
            switch self {
            case .int16: 2
            case .int32: 4
            case .uint8: 1
            case .int16Triple: 6
            }
        }
    }

    private func isPresent(bit: Int) -> Bool {
        switch bit {
        case 0: fetTemperatureCelsius != nil
        case 1: motorTemperatureCelsius != nil
        case 2: motorCurrentAmperes != nil
        case 3: inputCurrentAmperes != nil
        case 4: directAxisCurrentAmperes != nil
        case 5: quadratureAxisCurrentAmperes != nil
        case 6: dutyCycle != nil
        case 7: electricalRPM != nil
        case 8: inputVoltage != nil
        case 9: ampereHoursDrawn != nil
        case 10: ampereHoursCharged != nil
        case 11: wattHoursDrawn != nil
        case 12: wattHoursCharged != nil
        case 13: tachometer != nil
        case 14: tachometerAbsolute != nil
        case 15: fault != nil
        case 16: pidPositionDegrees != nil
        case 17: controllerID != nil
        case 18: mosfetTemperaturesCelsius != nil
        case 19: directAxisVoltage != nil
        case 20: quadratureAxisVoltage != nil
        case 21: status != nil
        default: false
        }
    }

    /// Field `bit` scaled for the wire, or nil when the field is nil.
    private func wireField(bit: Int) throws(VESCError) -> WireField? {
        let name = Self.fieldName(bit: bit)
        func f16(_ value: Double?, _ scale: Double) throws(VESCError) -> WireField? {
            guard let value else { return nil }
            return .int16(try VESCScaledValue.encode(value, scale: scale, as: Int16.self, field: name))
        }
        func f32(_ value: Double?, _ scale: Double) throws(VESCError) -> WireField? {
            guard let value else { return nil }
            return .int32(try VESCScaledValue.encode(value, scale: scale, as: Int32.self, field: name))
        }
        switch bit {
        case 0: return try f16(fetTemperatureCelsius, 1e1)
        case 1: return try f16(motorTemperatureCelsius, 1e1)
        case 2: return try f32(motorCurrentAmperes, 1e2)
        case 3: return try f32(inputCurrentAmperes, 1e2)
        case 4: return try f32(directAxisCurrentAmperes, 1e2)
        case 5: return try f32(quadratureAxisCurrentAmperes, 1e2)
        case 6: return try f16(dutyCycle, 1e3)
        case 7: return try f32(electricalRPM, 1e0)
        case 8: return try f16(inputVoltage, 1e1)
        case 9: return try f32(ampereHoursDrawn, 1e4)
        case 10: return try f32(ampereHoursCharged, 1e4)
        case 11: return try f32(wattHoursDrawn, 1e4)
        case 12: return try f32(wattHoursCharged, 1e4)
        case 13: return tachometer.map { .int32($0) }
        case 14: return tachometerAbsolute.map { .int32($0) }
        case 15: return fault.map { .uint8($0.rawValue) }
        case 16: return try f32(pidPositionDegrees, 1e6)
        case 17: return controllerID.map { .uint8($0) }
        case 18:
            guard let temperatures = mosfetTemperaturesCelsius else { return nil }
            func scaled(_ value: Double) throws(VESCError) -> Int16 {
                try VESCScaledValue.encode(value, scale: 1e1, as: Int16.self, field: name)
            }
            return .int16Triple(try scaled(temperatures.first), try scaled(temperatures.second),
                                try scaled(temperatures.third))
        case 19: return try f32(directAxisVoltage, 1e3)
        case 20: return try f32(quadratureAxisVoltage, 1e3)
        case 21: return status.map { .uint8($0.rawValue) }
        default: return nil
        }
    }

    /// The mask a full GET_VALUES reply of these values covers: the leading present fields.
    /// Throws when a field is present after a missing one, which the positional reply cannot carry.
    func getValuesMask() throws(VESCError) -> VESCValueMask {
        var mask = VESCValueMask()
        var firstMissing: Int?
        for bit in 0..<Self.fieldCount {
            if isPresent(bit: bit) {
                if let firstMissing {
                    throw .fieldAfterMissingField(field: Self.fieldName(bit: bit), missing: Self.fieldName(bit: firstMissing))
                }
                mask.insert(VESCValueMask(rawValue: 1 << UInt32(bit)))
            } else if firstMissing == nil {
                firstMissing = bit
            }
        }
        return mask
    }

    /// Bytes the masked fields take on the wire; checks each is present and fits.
    func fieldsLength(mask: VESCValueMask) throws(VESCError) -> Int {
        var length = 0
        for bit in 0..<Self.fieldCount where mask.rawValue & (1 << UInt32(bit)) != 0 {
            guard let field = try wireField(bit: bit) else { throw .missingField(field: Self.fieldName(bit: bit)) }
            length += field.byteCount
        }
        return length
    }

    /// Appends the masked fields in wire order; call only after `fieldsLength(mask:)` succeeded.
    func writeFields(mask: VESCValueMask, into writer: ByteWriter) {
        for bit in 0..<Self.fieldCount where mask.rawValue & (1 << UInt32(bit)) != 0 {
            guard let field = try? wireField(bit: bit) else { continue }
            switch field {
            case let .int16(value): writer.appendBigEndian(value)
            case let .int32(value): writer.appendBigEndian(value)
            case let .uint8(value): writer.append(value)
            case let .int16Triple(a, b, c):
                writer.appendBigEndian(a)
                writer.appendBigEndian(b)
                writer.appendBigEndian(c)
            }
        }
    }
}
