/// A reply sent by a VESC (a simulated VESC encodes these; the driver decodes them).
public enum VESCReply: Equatable, Sendable, VESCPayload {
    case firmwareVersion(VESCFirmwareVersion)
    /// COMM_GET_VALUES: the leading present fields of the values, in order.
    case values(VESCValues)
    /// COMM_GET_VALUES_SELECTIVE: the mask, then exactly the masked fields.
    case selectedValues(VESCValueMask, VESCValues)

    public var commandID: VESCCommandID {
        switch self {
        case .firmwareVersion: .firmwareVersion
        case .values: .getValues
        case .selectedValues: .getValuesSelective
        }
    }

    /// Decodes a reply payload; for telemetry on the control thread prefer
    /// `VESCValues(replyPayload:)`, which has no string-holding case to copy around.
    public init(payload: UnsafeRawBufferPointer) throws(VESCError) {
        // Indexing, not `payload.first`, which allocates in unoptimised builds.
        guard payload.count > 0 else { throw .emptyPayload }
        let first = payload[0]
        switch VESCCommandID(rawValue: first) {
        case .firmwareVersion:
            self = .firmwareVersion(try VESCFirmwareVersion(replyPayload: payload))
        case .getValues:
            self = .values(try VESCValues(replyPayload: payload))
        case .getValuesSelective:
            var reader = ByteReader(payload)
            reader.skip(1)
            let mask = VESCValueMask(rawValue: reader.readBigEndian(UInt32.self) ?? 0)
            self = .selectedValues(mask, try VESCValues(replyPayload: payload))
        default:
            throw .unsupportedCommand(VESCCommandID(rawValue: first))
        }
    }

    public init(payload bytes: [UInt8]) throws(VESCError) {
        self = try bytes.withUnsafeBytes { raw in Result { () throws(VESCError) in try VESCReply(payload: raw) } }.get()
    }

    public func payloadLength() throws(VESCError) -> Int {
        switch self {
        case let .firmwareVersion(version):
            return try version.validatedLength()
        case let .values(values):
            return 1 + (try values.fieldsLength(mask: try values.getValuesMask()))
        case let .selectedValues(mask, values):
            return 1 + 4 + (try values.fieldsLength(mask: mask))
        }
    }

    public func write(into writer: ByteWriter) {
        switch self {
        case let .firmwareVersion(version):
            version.write(into: writer)
        case let .values(values):
            writer.append(commandID.rawValue)
            values.writeFields(mask: (try? values.getValuesMask()) ?? [], into: writer)
        case let .selectedValues(mask, values):
            writer.append(commandID.rawValue)
            writer.appendBigEndian(mask.rawValue)
            values.writeFields(mask: mask, into: writer)
        }
    }
}
