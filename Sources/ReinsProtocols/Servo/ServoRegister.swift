/// A field of a servo control table: where it is, how wide, how a signed value is stored, and what one
/// count is worth. Multi-byte fields are little-endian (on Feetech, the STS/SMS series; the older SCS
/// series is big-endian and not supported).
public struct ServoRegister<Wire: ServoWireProtocol>: Sendable, Hashable, CustomStringConvertible {
    public let name: String
    public let address: Wire.Address
    /// 1, 2 or 4 bytes.
    public let size: Int
    public let encoding: ServoValueEncoding
    public let unit: ServoUnit

    public init(_ name: String, address: Wire.Address, size: Int, encoding: ServoValueEncoding = .unsigned, unit: ServoUnit = .count) {
        precondition(size == 1 || size == 2 || size == 4, "\(name): a register is 1, 2 or 4 bytes, not \(size)")
        if case .signMagnitude(let bit) = encoding {
            precondition((1..<(8 * size)).contains(bit), "\(name): sign bit \(bit) outside the field")
        }
        self.name = name
        self.address = address
        self.size = size
        self.encoding = encoding
        self.unit = unit
    }

    public var description: String { "\(name) (address \(address), \(size) bytes)" }

    /// Whether the register holds negative values (two's complement or sign-magnitude).
    public var isSigned: Bool { encoding != .unsigned }

    /// The sign bit of a sign-magnitude register; nil for the others.
    public var signBit: Int? {
        if case .signMagnitude(let bit) = encoding { return bit }
        return nil
    }

    /// The values the register can hold.
    public var range: ClosedRange<Int> {
        let bits = 8 * size
        switch encoding {
        case .unsigned: return 0...((1 << bits) - 1)
        case .twosComplement: return -(1 << (bits - 1))...((1 << (bits - 1)) - 1)
        case .signMagnitude(let bit): return SignMagnitude.range(signBit: bit)
        }
    }

    /// The register's value inside `data`, bytes read starting at `dataAddress` (the address of a
    /// READ or SYNC_READ ...), in counts. Never allocates.
    public func value(in data: UnsafeRawBufferPointer, dataAddress: Wire.Address) throws(ServoDecodingError<Wire>) -> Int {
        try value(dataCount: data.count, dataAddress: dataAddress) { data[$0] }
    }

    public func value(in data: [UInt8], dataAddress: Wire.Address) throws(ServoDecodingError<Wire>) -> Int {
        try value(dataCount: data.count, dataAddress: dataAddress) { data[$0] }
    }

    /// A value in counts in the register's SI unit (rad/s, A, V, °C, s).
    @inline(__always)
    public func measurement(_ counts: Int) -> Double {
        Double(counts) * unit.siPerCount
    }

    private func value(dataCount: Int, dataAddress: Wire.Address, byte: (Int) -> UInt8) throws(ServoDecodingError<Wire>) -> Int {
        let offset = Int(address) - Int(dataAddress)
        guard offset >= 0, offset + size <= dataCount else {
            throw .registerOutsideData(register: name, address: address, size: size,
                                       dataAddress: dataAddress, dataCount: dataCount)
        }
        var raw: UInt32 = 0
        for index in 0..<size { raw |= UInt32(byte(offset + index)) << (8 * index) }
        switch encoding {
        case .unsigned:
            return Int(raw)
        case .twosComplement:
            let shift = 32 - 8 * size
            return Int(Int32(bitPattern: raw << shift) >> shift)
        case .signMagnitude(let bit):
            return SignMagnitude.decode(raw, signBit: bit)
        }
    }

    /// Writes `value` (in counts) into `data` at `offset` (a SYNC_WRITE block the driver keeps),
    /// after checking that it fits. Never allocates.
    public func store(_ value: Int, into data: inout [UInt8], at offset: Int) throws(ServoEncodingError<Wire>) {
        guard range.contains(value) else { throw .valueOutOfRange(register: name, value: value, range: range) }
        precondition(offset >= 0 && offset + size <= data.count, "\(name): \(size) bytes at \(offset) do not fit \(data.count)")
        let raw: UInt32
        if case .signMagnitude(let bit) = encoding {
            // In range, so encoding cannot fail.
            raw = (try? SignMagnitude.encode(value, signBit: bit)) ?? 0
        } else {
            raw = UInt32(truncatingIfNeeded: value)
        }
        for index in 0..<size { data[offset + index] = UInt8(truncatingIfNeeded: raw >> (8 * index)) }
    }

    /// The bytes of `value` (for WRITE; allocates).
    public func bytes(_ value: Int) throws(ServoEncodingError<Wire>) -> [UInt8] {
        var data = [UInt8](repeating: 0, count: size)
        try store(value, into: &data, at: 0)
        return data
    }
}

/// How a register stores negative values.
public enum ServoValueEncoding: Sendable, Hashable {
    case unsigned
    /// Dynamixel's signed registers.
    case twosComplement
    /// Feetech's signed registers: the magnitude below `signBit`, the sign bit set for negative
    /// values (see `SignMagnitude`).
    case signMagnitude(signBit: Int)
}

/// What one count of a register is worth in SI units, so that the driver never multiplies by a
/// vendor's unit itself.
public struct ServoUnit: Sendable, Hashable, CustomStringConvertible {
    /// The SI value of one count (rad/s, A, V, °C, s).
    public let siPerCount: Double
    /// The SI unit; empty for plain counts (ticks, flags, modes).
    public let symbol: String

    public init(siPerCount: Double, symbol: String) {
        self.siPerCount = siPerCount
        self.symbol = symbol
    }

    /// Counts without a physical unit: encoder ticks, flags, modes, ids.
    public static let count = ServoUnit(siPerCount: 1, symbol: "")
    public static let degreesCelsius = ServoUnit(siPerCount: 1, symbol: "°C")

    /// A speed counted in steps of `rpm` revolutions per minute, in rad/s.
    public static func revolutionsPerMinute(_ rpm: Double) -> ServoUnit {
        ServoUnit(siPerCount: rpm * 2 * Double.pi / 60, symbol: "rad/s")
    }

    /// A speed counted in encoder ticks per second, in rad/s.
    public static func ticksPerSecond(ticksPerRevolution: Int) -> ServoUnit {
        ServoUnit(siPerCount: 2 * Double.pi / Double(ticksPerRevolution), symbol: "rad/s")
    }

    public static func milliamperes(_ milliamperes: Double) -> ServoUnit {
        ServoUnit(siPerCount: milliamperes / 1000, symbol: "A")
    }

    public static func volts(_ volts: Double) -> ServoUnit {
        ServoUnit(siPerCount: volts, symbol: "V")
    }

    public static func microseconds(_ microseconds: Double) -> ServoUnit {
        ServoUnit(siPerCount: microseconds * 1e-6, symbol: "s")
    }

    public var description: String { symbol.isEmpty ? "counts" : "\(siPerCount) \(symbol) per count" }
}
