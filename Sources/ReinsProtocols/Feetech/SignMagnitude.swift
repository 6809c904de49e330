/// Sign-magnitude integers, which Feetech STS/SMS servos use instead of two's complement for their
/// signed registers: the magnitude sits in the bits below `signBit` and the sign bit says negative.
/// Homing Offset uses bit 11, the velocities bit 15; so -50 at bit 15 is `0x8032`, not `0xFFCE`.
public enum SignMagnitude {
    /// The values a field with this sign bit can hold (there is no separate negative zero).
    public static func range(signBit: Int) -> ClosedRange<Int> {
        precondition((1...31).contains(signBit), "sign bit \(signBit) is not 1...31")
        let largest = (1 << signBit) - 1
        return -largest...largest
    }

    /// The raw field for `value`, or an error naming the range when its magnitude needs the sign bit.
    public static func encode(_ value: Int, signBit: Int) throws(SignMagnitudeError) -> UInt32 {
        let range = range(signBit: signBit)
        guard range.contains(value) else { throw SignMagnitudeError(value: value, signBit: signBit, range: range) }
        let magnitude = UInt32(value.magnitude)
        return value < 0 ? (1 << UInt32(signBit)) | magnitude : magnitude
    }

    /// The value of a raw field. Bits above the sign bit are ignored (the servo leaves them zero).
    public static func decode(_ raw: UInt32, signBit: Int) -> Int {
        precondition((1...31).contains(signBit), "sign bit \(signBit) is not 1...31")
        let magnitude = Int(raw & ((1 << UInt32(signBit)) - 1))
        return (raw >> UInt32(signBit)) & 1 == 1 ? -magnitude : magnitude
    }
}

/// A value too large for a sign-magnitude field.
public struct SignMagnitudeError: Error, Sendable, Equatable, CustomStringConvertible {
    public let value: Int
    public let signBit: Int
    public let range: ClosedRange<Int>

    public init(value: Int, signBit: Int, range: ClosedRange<Int>) {
        self.value = value
        self.signBit = signBit
        self.range = range
    }

    public var description: String {
        "\(value) does not fit a sign-magnitude field with its sign at bit \(signBit) (range \(range.lowerBound)...\(range.upperBound))"
    }
}
