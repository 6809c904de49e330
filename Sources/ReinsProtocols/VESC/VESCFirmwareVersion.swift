/// The COMM_FW_VERSION reply.
///
/// Current firmware sends major, minor, hardware name (NUL-terminated), 12-byte UUID, pairing
/// flag, test version, hardware type, custom configuration count, phase-filter flag, QML flags for
/// hardware and app, NRF flags and firmware name (NUL-terminated); older firmware stops earlier,
/// so every field after the version number is optional. Unlike the telemetry types this holds
/// strings and arrays: it is read once when connecting, not on the control thread.
public struct VESCFirmwareVersion: Equatable, Sendable {
    public var major: UInt8
    public var minor: UInt8
    public var hardwareName: String?
    /// The STM32 unique id (12 bytes); the second motor of a dual controller reports the last byte + 1.
    public var uuid: [UInt8]?
    public var isPaired: Bool?
    /// 0 for a release, otherwise the beta/test build number.
    public var testVersion: UInt8?
    /// 0 VESC, 1 VESC BMS, 2 custom module (`HW_TYPE` in datatypes.h).
    public var hardwareType: UInt8?
    public var customConfigurationCount: UInt8?
    public var hasPhaseFilters: Bool?
    public var qmlHardwareFlags: UInt8?
    public var qmlAppFlags: UInt8?
    public var nrfFlags: UInt8?
    public var firmwareName: String?

    public init(major: UInt8, minor: UInt8, hardwareName: String? = nil, uuid: [UInt8]? = nil,
                isPaired: Bool? = nil, testVersion: UInt8? = nil, hardwareType: UInt8? = nil,
                customConfigurationCount: UInt8? = nil, hasPhaseFilters: Bool? = nil,
                qmlHardwareFlags: UInt8? = nil, qmlAppFlags: UInt8? = nil, nrfFlags: UInt8? = nil,
                firmwareName: String? = nil) {
        self.major = major
        self.minor = minor
        self.hardwareName = hardwareName
        self.uuid = uuid
        self.isPaired = isPaired
        self.testVersion = testVersion
        self.hardwareType = hardwareType
        self.customConfigurationCount = customConfigurationCount
        self.hasPhaseFilters = hasPhaseFilters
        self.qmlHardwareFlags = qmlHardwareFlags
        self.qmlAppFlags = qmlAppFlags
        self.nrfFlags = nrfFlags
        self.firmwareName = firmwareName
    }

    /// Decodes a COMM_FW_VERSION reply payload (command id first), reading fields until it ends.
    public init(replyPayload payload: UnsafeRawBufferPointer) throws(VESCError) {
        guard payload.count > 0 else { throw .emptyPayload }
        let first = payload[0]
        guard VESCCommandID(rawValue: first) == .firmwareVersion else {
            throw .unsupportedCommand(VESCCommandID(rawValue: first))
        }
        guard payload.count >= 3 else {
            throw .truncatedField(field: payload.count == 1 ? "major" : "minor", offset: payload.count,
                                  needed: 1, available: 0)
        }
        self.init(major: payload[1], minor: payload[2])
        var offset = 3

        func text(_ field: String) throws(VESCError) -> String? {
            guard offset < payload.count else { return nil }
            let start = offset
            // Very old firmware ends the name with the payload instead of a NUL.
            let end = payload[start...].firstIndex(of: 0) ?? payload.count
            offset = min(payload.count, end + 1)
            guard let decoded = String(validating: UnsafeRawBufferPointer(rebasing: payload[start..<end]), as: UTF8.self) else {
                throw .invalidText(field: field, offset: start)
            }
            return decoded
        }
        func byte() -> UInt8? {
            guard offset < payload.count else { return nil }
            defer { offset += 1 }
            return payload[offset]
        }

        hardwareName = try text("HW_NAME")
        guard offset < payload.count else { return }
        guard payload.count - offset >= 12 else {
            throw .truncatedField(field: "UUID", offset: offset, needed: 12, available: payload.count - offset)
        }
        uuid = Array(payload[offset..<offset + 12])
        offset += 12
        isPaired = byte().map { $0 != 0 }
        testVersion = byte()
        hardwareType = byte()
        customConfigurationCount = byte()
        hasPhaseFilters = byte().map { $0 != 0 }
        qmlHardwareFlags = byte()
        qmlAppFlags = byte()
        nrfFlags = byte()
        firmwareName = try text("FW_NAME")
    }

    public init(replyPayload bytes: [UInt8]) throws(VESCError) {
        self = try bytes.withUnsafeBytes { raw in Result { () throws(VESCError) in try VESCFirmwareVersion(replyPayload: raw) } }.get()
    }

    /// The reply fields in wire order, up to the first nil one (the reply is positional).
    private var wireFields: [[UInt8]] {
        var fields: [[UInt8]] = [[VESCCommandID.firmwareVersion.rawValue], [major], [minor]]
        func text(_ value: String?) -> [UInt8]? { value.map { Array($0.utf8) + [0] } }
        let optional: [[UInt8]?] = [
            text(hardwareName), uuid, isPaired.map { [$0 ? 1 : 0] }, testVersion.map { [$0] },
            hardwareType.map { [$0] }, customConfigurationCount.map { [$0] },
            hasPhaseFilters.map { [$0 ? 1 : 0] }, qmlHardwareFlags.map { [$0] }, qmlAppFlags.map { [$0] },
            nrfFlags.map { [$0] }, text(firmwareName),
        ]
        for field in optional {
            guard let field else { break }
            fields.append(field)
        }
        return fields
    }

    func validatedLength() throws(VESCError) -> Int {
        if let uuid, uuid.count != 12 {
            throw .valueNotRepresentable(field: "UUID byte count", value: Double(uuid.count), minimum: 12, maximum: 12)
        }
        for (field, value) in [("HW_NAME", hardwareName), ("FW_NAME", firmwareName)] where value?.utf8.contains(0) == true {
            // A NUL inside the name would end it early on the receiving side.
            throw .invalidText(field: field, offset: 0)
        }
        return wireFields.reduce(0) { $0 + $1.count }
    }

    func write(into writer: ByteWriter) {
        for field in wireFields { writer.append(contentsOf: field) }
    }
}
