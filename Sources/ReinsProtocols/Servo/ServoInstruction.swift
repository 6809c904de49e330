/// A complete instruction packet of a servo protocol, as a value: the instructions Dynamixel 2.0 and
/// Feetech share, with the protocol's address width, and the ones only one of them has.
///
/// Drivers build these and encode them into a preallocated `ByteWriter`; simulators get them back from
/// a decoded packet's `instruction()`. Building one from arrays the driver keeps allocated does not
/// allocate. Multi-byte data is little-endian, as the devices store it. Group instructions always go to
/// the broadcast ID.
public enum ServoInstruction<Wire: ServoWireProtocol>: Sendable, Equatable {
    case ping(id: UInt8)
    case read(id: UInt8, address: Wire.Address, length: Wire.Address)
    case write(id: UInt8, address: Wire.Address, data: [UInt8])
    /// Like WRITE, but held until ACTION.
    case regWrite(id: UInt8, address: Wire.Address, data: [UInt8])
    case action(id: UInt8)
    /// Each listed device answers with its own reply, in list order.
    case syncRead(address: Wire.Address, length: Wire.Address, ids: [UInt8])
    /// `data` holds `length` bytes per device, in the order of `ids`. No device replies.
    case syncWrite(address: Wire.Address, length: Wire.Address, ids: [UInt8], data: [UInt8])
    /// An instruction only this protocol has.
    case specific(Wire.SpecificInstruction)

    /// The instruction byte this packet carries.
    public var code: Wire.InstructionCode {
        switch self {
        case .ping: .ping
        case .read: .read
        case .write: .write
        case .regWrite: .regWrite
        case .action: .action
        case .syncRead: .syncRead
        case .syncWrite: .syncWrite
        case .specific(let instruction): instruction.code
        }
    }

    /// The ID byte of the packet (the broadcast ID for group instructions).
    public var id: UInt8 {
        switch self {
        case .ping(let id), .read(let id, _, _), .write(let id, _, _), .regWrite(let id, _, _), .action(let id):
            id
        case .syncRead, .syncWrite:
            ServoDeviceID<Wire>.broadcast
        case .specific(let instruction):
            instruction.id
        }
    }

    /// Appends the encoded packet to `writer` without allocating. Everything is validated before
    /// the first byte is written, except running out of room (`.writerFull`: reset the writer).
    public func encode(into writer: ByteWriter) throws(ServoEncodingError<Wire>) {
        try validate()
        var frame = try Wire.FrameWriter(id: id, instruction: code.rawValue, into: writer)
        switch self {
        case .ping, .action:
            break
        case .read(_, let address, let length):
            frame.append(field: address)
            frame.append(field: length)
        case .write(_, let address, let data), .regWrite(_, let address, let data):
            frame.append(field: address)
            frame.append(data)
        case .syncRead(let address, let length, let ids):
            frame.appendGroupRead(address: address, length: length, ids: ids)
        case .syncWrite(let address, let length, let ids, let data):
            frame.append(field: address)
            frame.append(field: length)
            let stride = Int(length)
            // Index loops: `enumerated()` allocates per element in unoptimized builds.
            for position in ids.indices {
                frame.append(ids[position])
                for offset in (position * stride)..<((position + 1) * stride) { frame.append(data[offset]) }
            }
        case .specific(let instruction):
            instruction.appendParameters(to: &frame)
        }
        try frame.finish()
    }

    /// The encoded packet as a new array (for tests and non-real-time code).
    public func encoded() throws(ServoEncodingError<Wire>) -> [UInt8] {
        let writer = ByteWriter(capacity: Wire.worstCaseFrameLength(parameterCount: parameterCount))
        try encode(into: writer)
        return writer.array
    }

    /// Bytes of an address or length field.
    static var fieldSize: Int { Wire.Address.bitWidth / 8 }

    /// Parameter bytes before any stuffing.
    var parameterCount: Int {
        switch self {
        case .ping, .action: 0
        case .read: 2 * Self.fieldSize
        case .write(_, _, let data), .regWrite(_, _, let data): Self.fieldSize + data.count
        case .syncRead(_, _, let ids): 2 * Self.fieldSize + ids.count
        case .syncWrite(_, _, let ids, let data): 2 * Self.fieldSize + ids.count + data.count
        case .specific(let instruction): instruction.parameterCount
        }
    }

    private func validate() throws(ServoEncodingError<Wire>) {
        guard ServoDeviceID<Wire>.isAddressable(id) else { throw .invalidID(id) }
        switch self {
        case .ping, .read, .write, .regWrite, .action:
            break
        case .syncRead(_, _, let ids):
            try ServoDeviceID<Wire>.validateDeviceList(count: ids.count, code) { ids[$0] }
        case .syncWrite(_, let length, let ids, let data):
            try ServoDeviceID<Wire>.validateDeviceList(count: ids.count, code) { ids[$0] }
            guard data.count == ids.count * Int(length) else {
                throw .syncWriteDataMismatch(deviceCount: ids.count, dataLength: Int(length), dataCount: data.count)
            }
        case .specific(let instruction):
            try instruction.validate()
        }
        // The length before any stuffing; stuffing can only add to it, which the frame writer checks again.
        try Wire.checkLength(parameterCount: parameterCount)
    }

    /// The instruction an instruction packet carries, checking that its parameters have the layout
    /// the instruction needs (the simulator's side of the bus); allocates the arrays it returns.
    public init(code: Wire.InstructionCode, id: UInt8, parameters: UnsafeRawBufferPointer) throws(ServoDecodingError<Wire>) {
        let p = ServoParameters<Wire>(code: code, id: id, bytes: parameters)
        let field = Self.fieldSize
        switch code {
        case .ping:
            try p.expect(p.count == 0, "none")
            self = .ping(id: id)
        case .action:
            try p.expect(p.count == 0, "none")
            self = .action(id: id)
        case .read:
            try p.expect(p.count == 2 * field, "\(2 * field) (address, length)")
            self = .read(id: id, address: p.field(at: 0), length: p.field(at: field))
        case .write, .regWrite:
            try p.expect(p.count >= field, "\(field) (address) + data")
            let data = p.copy(field..<p.count)
            self = code == .write ? .write(id: id, address: p.field(at: 0), data: data) : .regWrite(id: id, address: p.field(at: 0), data: data)
        case .syncRead:
            let (address, length, ids) = try p.groupRead()
            self = .syncRead(address: address, length: length, ids: ids)
        case .syncWrite:
            try p.expectBroadcast()
            let length = p.count >= 2 * field ? Int(p.field(at: field)) : 0
            let stride = 1 + length
            try p.expect(p.count >= 2 * field + stride && (p.count - 2 * field) % stride == 0,
                         "\(2 * field) (address, length) + (1 + length) per \(Wire.deviceNoun)")
            var ids: [UInt8] = []
            var data: [UInt8] = []
            var offset = 2 * field
            while offset < p.count {
                ids.append(p.bytes[offset])
                data.append(contentsOf: UnsafeRawBufferPointer(rebasing: p.bytes[(offset + 1)..<(offset + stride)]))
                offset += stride
            }
            self = .syncWrite(address: p.field(at: 0), length: Wire.Address(truncatingIfNeeded: length), ids: ids, data: data)
        default:
            self = .specific(try Wire.SpecificInstruction(decoding: p))
        }
    }
}

/// Instructions only one servo protocol has (Dynamixel's REBOOT, FAST_SYNC_READ ...), carried by
/// `ServoInstruction.specific`.
public protocol ServoSpecificInstruction: Sendable, Equatable {
    associatedtype Wire: ServoWireProtocol
    var code: Wire.InstructionCode { get }
    /// The ID byte of the packet (the broadcast ID for group instructions).
    var id: UInt8 { get }
    /// Parameter bytes before any stuffing.
    var parameterCount: Int { get }
    /// Checks everything but the ID and the length, before a byte is written.
    func validate() throws(ServoEncodingError<Wire>)
    func appendParameters(to frame: inout Wire.FrameWriter)
    /// The instruction for a code the shared instructions do not cover.
    init(decoding parameters: ServoParameters<Wire>) throws(ServoDecodingError<Wire>)
}

/// The parameter bytes of a received instruction packet, with the checks every instruction's
/// decoding makes.
public struct ServoParameters<Wire: ServoWireProtocol> {
    public let code: Wire.InstructionCode
    public let id: UInt8
    public let bytes: UnsafeRawBufferPointer

    public var count: Int { bytes.count }

    public func expect(_ condition: Bool, _ expected: String) throws(ServoDecodingError<Wire>) {
        guard condition else { throw .malformedParameters(code, parameterCount: count, expected: expected) }
    }

    public func expectBroadcast() throws(ServoDecodingError<Wire>) {
        guard id == ServoDeviceID<Wire>.broadcast else { throw .groupInstructionNotBroadcast(code, id: id) }
    }

    /// A little-endian address or length field at `offset`.
    public func field(at offset: Int) -> Wire.Address {
        var value: Wire.Address = 0
        for index in 0..<(Wire.Address.bitWidth / 8) { value |= Wire.Address(bytes[offset + index]) << (8 * index) }
        return value
    }

    public func copy(_ range: Range<Int>) -> [UInt8] { Array(UnsafeRawBufferPointer(rebasing: bytes[range])) }

    /// Address, length and IDs of a group read (SYNC_READ, Dynamixel's FAST_SYNC_READ).
    public func groupRead() throws(ServoDecodingError<Wire>) -> (address: Wire.Address, length: Wire.Address, ids: [UInt8]) {
        let field = Wire.Address.bitWidth / 8
        try expectBroadcast()
        try expect(count >= 2 * field + 1, "\(2 * field) (address, length) + one ID per \(Wire.deviceNoun)")
        return (self.field(at: 0), self.field(at: field), copy((2 * field)..<count))
    }
}

extension ServoFrameWriter {
    /// Address, length and IDs of a group read.
    mutating func appendGroupRead(address: Wire.Address, length: Wire.Address, ids: [UInt8]) {
        append(field: address)
        append(field: length)
        append(ids)
    }
}
