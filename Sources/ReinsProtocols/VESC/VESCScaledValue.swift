/// VESC sends physical values as scaled integers (duty x 1e5 in an int32, temperatures x 10 in an
/// int16, ...; the firmware's `buffer_append_float16/32(value, scale)`).
///
/// Encoding rounds to the nearest step (the firmware truncates, which biases small commands toward
/// zero) and refuses values that would wrap, since a wrapped current or duty command is a safety
/// problem, not a rounding detail.
enum VESCScaledValue {
    static func encode<T: FixedWidthInteger & SignedInteger>(
        _ value: Double, scale: Double, as type: T.Type, field: String
    ) throws(VESCError) -> T {
        let scaled = (value * scale).rounded()
        guard scaled.isFinite, scaled >= Double(T.min), scaled <= Double(T.max) else {
            throw .valueNotRepresentable(field: field, value: value,
                                         minimum: Double(T.min) / scale, maximum: Double(T.max) / scale)
        }
        return T(scaled)
    }

    static func decode<T: FixedWidthInteger & SignedInteger>(_ raw: T, scale: Double) -> Double {
        Double(raw) / scale
    }
}
