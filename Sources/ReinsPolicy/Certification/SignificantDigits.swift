/// `value` rounded to `digits` significant digits, without Foundation's formatter.
public func significant(_ value: Double, digits: Int = 3) -> String {
    guard value.isFinite, value != 0 else { return value == 0 ? "0" : String(value) }
    var exponent = 0
    var magnitude = abs(value)
    while magnitude >= 10 { magnitude /= 10; exponent += 1 }
    while magnitude < 1 { magnitude *= 10; exponent -= 1 }
    let decimals = max(0, digits - 1 - exponent)
    if exponent >= 15 || exponent < -6 {
        var scaled = (magnitude * pow10(digits - 1)).rounded() / pow10(digits - 1)
        var e = exponent
        if scaled >= 10 { scaled /= 10; e += 1 }
        return (value < 0 ? "-" : "") + trimmed(String(scaled)) + "e\(e)"
    }
    let scale = Int(pow10(decimals))
    let rounded = Int((abs(value) * Double(scale)).rounded())
    var text = String(rounded / scale)
    if decimals > 0 {
        let fraction = rounded % scale
        var fractionText = String(fraction)
        while fractionText.count < decimals { fractionText = "0" + fractionText }
        text += "." + fractionText
        text = trimmed(text)
    } else {
        // Rounding to whole numbers above the significant digits: 41234 -> 41200.
        let unit = pow10(exponent - digits + 1)
        text = String(Int((abs(value) / unit).rounded() * unit))
    }
    return (value < 0 ? "-" : "") + text
}

private func pow10(_ exponent: Int) -> Double {
    var result = 1.0
    for _ in 0..<abs(exponent) { result *= 10 }
    return exponent >= 0 ? result : 1 / result
}

private func trimmed(_ text: String) -> String {
    guard text.contains(".") else { return text }
    var text = text
    while text.hasSuffix("0") { text.removeLast() }
    if text.hasSuffix(".") { text.removeLast() }
    return text
}
