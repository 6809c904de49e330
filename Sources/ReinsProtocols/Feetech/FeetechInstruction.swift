/// A complete Feetech STS/SCS instruction packet, as a value.
///
/// The robot driver builds these and encodes them into a preallocated `ByteWriter`; the simulator
/// gets them back from `FeetechPacket.instruction()`. Addresses and lengths are the 8-bit wire
/// fields. SYNC_READ makes each listed servo reply separately, in list order; SYNC_WRITE gets no reply.
public enum FeetechInstruction: Sendable, Equatable {
    case ping(id: UInt8)
    case read(id: UInt8, address: UInt8, length: UInt8)
    case write(id: UInt8, address: UInt8, data: [UInt8])
    /// Like WRITE, but held until ACTION.
    case regWrite(id: UInt8, address: UInt8, data: [UInt8])
    case action(id: UInt8)
    case syncRead(address: UInt8, length: UInt8, ids: [UInt8])
    /// `data` holds `length` bytes per servo, in the order of `ids`.
    case syncWrite(address: UInt8, length: UInt8, ids: [UInt8], data: [UInt8])

    public var code: FeetechInstructionCode {
        switch self {
        case .ping: .ping
        case .read: .read
        case .write: .write
        case .regWrite: .regWrite
        case .action: .action
        case .syncRead: .syncRead
        case .syncWrite: .syncWrite
        }
    }

    /// The ID byte of the packet (the broadcast ID for group instructions).
    public var id: UInt8 {
        switch self {
        case .ping(let id), .read(let id, _, _), .write(let id, _, _), .regWrite(let id, _, _), .action(let id):
            id
        case .syncRead, .syncWrite:
            FeetechDeviceID.broadcast
        }
    }

    /// Appends the encoded packet to `writer` without allocating. Everything is validated before
    /// the first byte is written, except running out of room (`.writerFull`: reset the writer).
    public func encode(into writer: ByteWriter) throws(FeetechEncodingError) {
        try validate()
        let frame = try FeetechFrameWriter(id: id, instructionOrError: code.rawValue, into: writer)
        switch self {
        case .ping, .action:
            break
        case .read(_, let address, let length):
            frame.append(address)
            frame.append(length)
        case .write(_, let address, let data), .regWrite(_, let address, let data):
            frame.append(address)
            frame.append(data)
        case .syncRead(let address, let length, let ids):
            frame.append(address)
            frame.append(length)
            frame.append(ids)
        case .syncWrite(let address, let length, let ids, let data):
            frame.append(address)
            frame.append(length)
            let stride = Int(length)
            // Index loops: `enumerated()` allocates per element in unoptimized builds.
            for position in ids.indices {
                frame.append(ids[position])
                for offset in (position * stride)..<((position + 1) * stride) { frame.append(data[offset]) }
            }
        }
        try frame.finish()
    }

    /// The encoded packet as a new array (for tests and non-real-time code).
    public func encoded() throws(FeetechEncodingError) -> [UInt8] {
        let writer = ByteWriter(capacity: FeetechFrameWriter.prefixLength + 2 + parameterCount)
        try encode(into: writer)
        return writer.array
    }

    private var parameterCount: Int {
        switch self {
        case .ping, .action: 0
        case .read: 2
        case .write(_, _, let data), .regWrite(_, _, let data): 1 + data.count
        case .syncRead(_, _, let ids): 2 + ids.count
        case .syncWrite(_, _, let ids, let data): 2 + ids.count + data.count
        }
    }

    private func validate() throws(FeetechEncodingError) {
        guard FeetechDeviceID.isAddressable(id) else { throw .invalidID(id) }
        switch self {
        case .syncRead(_, _, let ids):
            try FeetechDeviceID.validateDeviceList(ids, code)
        case .syncWrite(_, let length, let ids, let data):
            try FeetechDeviceID.validateDeviceList(ids, code)
            guard data.count == ids.count * Int(length) else {
                throw .syncWriteDataMismatch(deviceCount: ids.count, dataLength: Int(length), dataCount: data.count)
            }
        case .ping, .read, .write, .regWrite, .action:
            break
        }
        let length = parameterCount + 2
        guard length <= Int(UInt8.max) else { throw .packetTooLong(length: length) }
    }
}
