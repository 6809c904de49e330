/// A field of a Feetech STS/SMS control table: where it is, how wide, and, for signed fields, which
/// bit holds the sign (they are sign-magnitude, see `SignMagnitude`). Multi-byte fields of the
/// STS/SMS series are little-endian (the older SCS series stores them big-endian).
public struct FeetechRegister: Sendable, Hashable, CustomStringConvertible {
    public let name: String
    public let address: UInt8
    /// 1 or 2 bytes.
    public let size: Int
    /// The sign bit of a sign-magnitude field; nil for unsigned fields.
    public let signBit: Int?

    public init(_ name: String, address: UInt8, size: Int, signBit: Int? = nil) {
        precondition(size == 1 || size == 2, "\(name): a register is 1 or 2 bytes, not \(size)")
        precondition(signBit.map { (1..<(8 * size)).contains($0) } ?? true, "\(name): sign bit outside the field")
        self.name = name
        self.address = address
        self.size = size
        self.signBit = signBit
    }

    public var description: String { "\(name) (address \(address), \(size) bytes)" }

    /// The values the register can hold.
    public var range: ClosedRange<Int> {
        signBit.map { SignMagnitude.range(signBit: $0) } ?? 0...((1 << (8 * size)) - 1)
    }

    /// The register's value inside `data`, bytes read starting at `dataAddress` (the address of a
    /// READ or SYNC_READ). Never allocates.
    public func value(in data: UnsafeRawBufferPointer, dataAddress: UInt8) throws(FeetechDecodingError) -> Int {
        try value(dataCount: data.count, dataAddress: dataAddress) { data[$0] }
    }

    public func value(in data: [UInt8], dataAddress: UInt8) throws(FeetechDecodingError) -> Int {
        try value(dataCount: data.count, dataAddress: dataAddress) { data[$0] }
    }

    private func value(dataCount: Int, dataAddress: UInt8, byte: (Int) -> UInt8) throws(FeetechDecodingError) -> Int {
        let offset = Int(address) - Int(dataAddress)
        guard offset >= 0, offset + size <= dataCount else {
            throw .registerOutsideData(register: name, address: address, size: size,
                                       dataAddress: dataAddress, dataCount: dataCount)
        }
        var raw: UInt32 = 0
        for index in 0..<size { raw |= UInt32(byte(offset + index)) << (8 * index) }
        return signBit.map { SignMagnitude.decode(raw, signBit: $0) } ?? Int(raw)
    }

    /// Writes `value` into `data` at `offset` (a SYNC_WRITE block the driver keeps), after checking
    /// that it fits. Never allocates.
    public func store(_ value: Int, into data: inout [UInt8], at offset: Int) throws(FeetechEncodingError) {
        guard range.contains(value) else { throw .valueOutOfRange(register: name, value: value, range: range) }
        precondition(offset >= 0 && offset + size <= data.count, "\(name): \(size) bytes at \(offset) do not fit \(data.count)")
        let raw: UInt32
        if let signBit {
            // In range, so encoding cannot fail.
            raw = (try? SignMagnitude.encode(value, signBit: signBit)) ?? 0
        } else {
            raw = UInt32(value)
        }
        for index in 0..<size { data[offset + index] = UInt8(truncatingIfNeeded: raw >> (8 * index)) }
    }

    /// The bytes of `value` (for WRITE; allocates).
    public func bytes(_ value: Int) throws(FeetechEncodingError) -> [UInt8] {
        var data = [UInt8](repeating: 0, count: size)
        try store(value, into: &data, at: 0)
        return data
    }
}
