/// A number with a fixed count of decimals, without Foundation's formatter. Numbers too large for
/// whole-number digits (|value| ≥ 1e15) and non-finite ones print as Swift writes them.
public func fixed(_ value: Double, _ decimals: Int) -> String {
    guard value.isFinite, abs(value) < 1e15 else { return String(value) }
    var scale = 1.0
    for _ in 0..<min(max(decimals, 0), 9) { scale *= 10 }
    let rounded = (abs(value) * scale).rounded()
    let whole = Int(rounded / scale)
    var text = (value < 0 && rounded != 0 ? "-" : "") + String(whole)
    if scale > 1 {
        let fraction = Int(rounded - Double(whole) * scale)
        var digits = String(fraction)
        while digits.count < min(decimals, 9) { digits = "0" + digits }
        text += "." + digits
    }
    return text
}
