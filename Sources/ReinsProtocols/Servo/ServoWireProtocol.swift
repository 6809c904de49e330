/// A servo bus protocol Reins speaks: Dynamixel Protocol 2.0 (`DynamixelWire`) or Feetech STS/SCS
/// (`FeetechWire`).
///
/// The two are relatives (Feetech's protocol descends from Dynamixel's Protocol 1.0): the same
/// instructions PING, READ, WRITE, REG_WRITE, ACTION, SYNC_READ and SYNC_WRITE with the same bytes and
/// meaning, broadcast ID 254, one device list rule for group instructions, the same kinds of errors and
/// control tables of little-endian registers. Everything shared is written once against this protocol
/// (`ServoInstruction`, `ServoRegister`, `ServoDeviceID`, the errors); a conforming type says what differs.
public protocol ServoWireProtocol: Sendable {
    /// The width of the address and length fields of READ, WRITE and the group instructions.
    associatedtype Address: FixedWidthInteger & UnsignedInteger & Sendable
    associatedtype InstructionCode: ServoInstructionCode
    /// The instructions only this protocol has, carried by `ServoInstruction.specific`.
    associatedtype SpecificInstruction: ServoSpecificInstruction where SpecificInstruction.Wire == Self
    /// Writes one frame (header, ID, length, instruction, parameters, checksum) into a `ByteWriter`.
    associatedtype FrameWriter: ServoFrameWriter where FrameWriter.Wire == Self
    /// Finds this protocol's packets in the bytes a link delivers.
    associatedtype Decoder: StreamingDecoder

    /// The protocol's name in messages: "Dynamixel Protocol 2.0".
    static var name: String { get }
    /// The protocol's name for what sits on the bus, in messages: "device" or "servo".
    static var deviceNoun: String { get }
    /// The highest ID a device can have.
    static var maximumDeviceID: UInt8 { get }
    /// The length field: its name in messages ("LEN field"), its width, and what it counts besides
    /// the parameters (instruction byte and checksum).
    static var lengthFieldName: String { get }
    static var lengthFieldBits: Int { get }
    static var lengthFieldOverhead: Int { get }
    /// The most bytes a frame with this many parameters can take on the wire (after any stuffing).
    static func worstCaseFrameLength(parameterCount: Int) -> Int

    /// A decoder for this protocol's packets, with its default limits.
    static func makeDecoder() -> Decoder
    /// Calls `body` with each device's reply in a received frame, in the order they answered, until
    /// it returns false. A Dynamixel FAST_SYNC_READ reply carries one per device, each `dataLength`
    /// bytes; an ordinary reply carries one; an instruction packet none. Never allocates.
    static func forEachReply(in frame: Decoder.Frame, dataLength: Int, _ body: (ServoReply) -> Bool)
    /// The instruction error a reply's error byte reports; nil when the instruction succeeded (or the
    /// protocol's error byte only reports the device's condition, as Feetech's does).
    static func refusal(inReplyError errorByte: UInt8) -> ServoRefusal?
}

/// One device's reply: who answered, its error byte, and its data (a view into the decoder's
/// storage, valid until the next call into the decoder).
public struct ServoReply {
    public let id: UInt8
    public let error: UInt8
    public let data: UnsafeRawBufferPointer

    public init(id: UInt8, error: UInt8, data: UnsafeRawBufferPointer) {
        self.id = id
        self.error = error
        self.data = data
    }
}

/// Why a device refused an instruction, read from its reply's error byte.
public struct ServoRefusal: Sendable, Equatable, CustomStringConvertible {
    public let description: String
    /// The register is read-only, or EEPROM was written with torque on.
    public let isAccessError: Bool

    public init(description: String, isAccessError: Bool) {
        self.description = description
        self.isAccessError = isAccessError
    }
}

extension ServoWireProtocol {
    /// The largest value the length field holds.
    static var maximumLengthField: Int { (1 << lengthFieldBits) - 1 }

    /// Checks that the length field for `parameterCount` parameters fits its width.
    static func checkLength(parameterCount: Int) throws(ServoEncodingError<Self>) {
        let length = parameterCount + lengthFieldOverhead
        guard length <= maximumLengthField else { throw .packetTooLong(length: length) }
    }
}

/// The instruction byte of a servo protocol: its own enum, with the bytes both protocols share.
public protocol ServoInstructionCode: RawRepresentable<UInt8>, Sendable, Hashable, CustomStringConvertible {
    static var ping: Self { get }
    static var read: Self { get }
    static var write: Self { get }
    static var regWrite: Self { get }
    static var action: Self { get }
    static var syncRead: Self { get }
    static var syncWrite: Self { get }
}

extension ServoInstructionCode {
    /// The name of one of the instructions both protocols share ("PING" ... "SYNC_WRITE"), for the
    /// protocols' `description`; another byte reads as its hex value.
    public var sharedName: String {
        switch self {
        case .ping: "PING"
        case .read: "READ"
        case .write: "WRITE"
        case .regWrite: "REG_WRITE"
        case .action: "ACTION"
        case .syncRead: "SYNC_READ"
        case .syncWrite: "SYNC_WRITE"
        default: "0x" + String(rawValue, radix: 16, uppercase: true)
        }
    }
}

/// Device IDs on a servo bus.
public enum ServoDeviceID<Wire: ServoWireProtocol> {
    /// Every device executes a packet sent here; only PING and the group reads make them answer.
    public static var broadcast: UInt8 { 0xFE }
    /// The highest ID a device can have.
    public static var maximum: UInt8 { Wire.maximumDeviceID }

    /// Whether a device can have this ID (and so send a reply from it).
    @inline(__always)
    public static func isDevice(_ id: UInt8) -> Bool { id <= maximum }

    /// Whether an instruction packet can be addressed to this ID.
    @inline(__always)
    public static func isAddressable(_ id: UInt8) -> Bool { id <= maximum || id == broadcast }

    /// Checks the IDs of a group instruction, read through `id(position)` so that no array of IDs
    /// has to be built on the control thread.
    static func validateDeviceList(count: Int, _ code: Wire.InstructionCode,
                                   id: (Int) -> UInt8) throws(ServoEncodingError<Wire>) {
        guard count > 0 else { throw .emptyDeviceList(code) }
        // A 256-bit set on the stack: finding duplicates must not allocate on the control thread.
        var seen: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        for position in 0..<count {
            let id = id(position)
            guard isDevice(id) else { throw .invalidDeviceID(id, position: position) }
            let bit = UInt64(1) << UInt64(id & 63)
            let alreadySeen: Bool
            switch id >> 6 {
            case 0: alreadySeen = seen.0 & bit != 0; seen.0 |= bit
            case 1: alreadySeen = seen.1 & bit != 0; seen.1 |= bit
            case 2: alreadySeen = seen.2 & bit != 0; seen.2 |= bit
            default: alreadySeen = seen.3 & bit != 0; seen.3 |= bit
            }
            if alreadySeen { throw .duplicateDeviceID(id, position: position) }
        }
    }
}

/// Writes one frame of a servo protocol into a `ByteWriter` without allocating: the header, ID and
/// instruction (or error) byte at `init`, the parameters, then `finish` fills in the length and
/// appends the checksum.
public protocol ServoFrameWriter {
    associatedtype Wire: ServoWireProtocol
    init(id: UInt8, instruction: UInt8, into writer: ByteWriter) throws(ServoEncodingError<Wire>)
    mutating func append(_ byte: UInt8)
    mutating func finish() throws(ServoEncodingError<Wire>)
}

extension ServoFrameWriter {
    /// An index loop: iterating an Array with `for in` allocates per element in unoptimized builds,
    /// and the allocation tests of the control loop run unoptimized.
    mutating func append(_ bytes: [UInt8]) {
        for index in bytes.indices { append(bytes[index]) }
    }

    /// An address or length field, little-endian, as wide as the protocol's.
    mutating func append(field value: Wire.Address) {
        for index in 0..<(Wire.Address.bitWidth / 8) { append(UInt8(truncatingIfNeeded: value >> (8 * index))) }
    }
}
