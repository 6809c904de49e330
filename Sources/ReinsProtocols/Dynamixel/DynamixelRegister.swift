/// A field of a Dynamixel control table: where it is, how wide, and whether it holds a signed
/// (two's complement) value. Multi-byte fields are little-endian.
public struct DynamixelRegister: Sendable, Hashable, CustomStringConvertible {
    public let name: String
    public let address: UInt16
    /// 1, 2 or 4 bytes.
    public let size: Int
    public let isSigned: Bool

    public init(_ name: String, address: UInt16, size: Int, signed: Bool = false) {
        precondition(size == 1 || size == 2 || size == 4, "\(name): a register is 1, 2 or 4 bytes, not \(size)")
        self.name = name
        self.address = address
        self.size = size
        isSigned = signed
    }

    public var description: String { "\(name) (address \(address), \(size) bytes)" }

    /// The values the register can hold.
    public var range: ClosedRange<Int> {
        let bits = 8 * size
        return isSigned ? -(1 << (bits - 1))...((1 << (bits - 1)) - 1) : 0...((1 << bits) - 1)
    }

    /// The register's value inside `data`, bytes read starting at `dataAddress` (the address of a
    /// READ, SYNC_READ ...). Never allocates.
    public func value(in data: UnsafeRawBufferPointer, dataAddress: UInt16) throws(DynamixelDecodingError) -> Int {
        try value(dataCount: data.count, dataAddress: dataAddress) { data[$0] }
    }

    public func value(in data: [UInt8], dataAddress: UInt16) throws(DynamixelDecodingError) -> Int {
        try value(dataCount: data.count, dataAddress: dataAddress) { data[$0] }
    }

    private func value(dataCount: Int, dataAddress: UInt16, byte: (Int) -> UInt8) throws(DynamixelDecodingError) -> Int {
        let offset = Int(address) - Int(dataAddress)
        guard offset >= 0, offset + size <= dataCount else {
            throw .registerOutsideData(register: name, address: address, size: size,
                                       dataAddress: dataAddress, dataCount: dataCount)
        }
        var raw: UInt32 = 0
        for index in 0..<size { raw |= UInt32(byte(offset + index)) << (8 * index) }
        guard isSigned else { return Int(raw) }
        let shift = 32 - 8 * size
        return Int(Int32(bitPattern: raw << shift) >> shift)
    }

    /// Writes `value` little-endian into `data` at `offset` (a SYNC_WRITE block the driver keeps),
    /// after checking that it fits. Never allocates.
    public func store(_ value: Int, into data: inout [UInt8], at offset: Int) throws(DynamixelEncodingError) {
        guard range.contains(value) else { throw .valueOutOfRange(register: name, value: value, range: range) }
        precondition(offset >= 0 && offset + size <= data.count, "\(name): \(size) bytes at \(offset) do not fit \(data.count)")
        let raw = UInt32(truncatingIfNeeded: value)
        for index in 0..<size { data[offset + index] = UInt8(truncatingIfNeeded: raw >> (8 * index)) }
    }

    /// The little-endian bytes of `value` (for WRITE; allocates).
    public func bytes(_ value: Int) throws(DynamixelEncodingError) -> [UInt8] {
        var data = [UInt8](repeating: 0, count: size)
        try store(value, into: &data, at: 0)
        return data
    }
}
