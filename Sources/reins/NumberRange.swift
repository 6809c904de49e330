import ArgumentParser

/// The allowed values of a numeric command-line option.
///
/// Every numeric option of every command is declared with one of the ranges below, through
/// `help(_:)` and `parse`, so a value is checked once, while the command line is parsed: NaN,
/// infinity, a negative rate or a duration of 1e300 seconds never reach a command. The range is
/// printed in `--help` as `(LOW < value ≤ HIGH)`, which is also how the hostile-values test finds
/// the options to attack. Negative numbers reach the check (options are parsed `.unconditional`),
/// so `--rate -5` says what is allowed instead of "missing value".
struct NumberRange: Sendable {
    let lower: Double
    let lowerIncluded: Bool
    let upper: Double
    /// Integers only (counts, ids, seeds).
    let whole: Bool
    /// The unit written after the range, e.g. "Hz"; empty for plain numbers.
    let unit: String

    /// `lower < value ≤ upper`.
    static func above(_ lower: Double, atMost upper: Double, unit: String = "") -> NumberRange {
        NumberRange(lower: lower, lowerIncluded: false, upper: upper, whole: false, unit: unit)
    }

    /// `lower ≤ value ≤ upper`.
    static func from(_ lower: Double, atMost upper: Double, unit: String = "") -> NumberRange {
        NumberRange(lower: lower, lowerIncluded: true, upper: upper, whole: false, unit: unit)
    }

    /// Whole numbers, `lower ≤ value ≤ upper`.
    static func count(_ range: ClosedRange<Int>) -> NumberRange {
        NumberRange(lower: Double(range.lowerBound), lowerIncluded: true, upper: Double(range.upperBound), whole: true, unit: "")
    }

    /// The range as `--help` shows it, e.g. `0 < value ≤ 10000 Hz`.
    var text: String {
        "\(Self.number(lower)) \(lowerIncluded ? "≤" : "<") value ≤ \(Self.number(upper))" + (unit.isEmpty ? "" : " \(unit)")
    }

    /// Help for an option with this range: the caller's sentence, then the range in parentheses.
    func help(_ sentence: String) -> ArgumentHelp {
        ArgumentHelp("\(sentence) (\(text))")
    }

    func contains(_ value: Double) -> Bool {
        (lowerIncluded ? value >= lower : value > lower) && value <= upper
    }

    /// Parses a real number in the range; the message names the range when it is not.
    func parse(_ argument: String) throws -> Double {
        guard let value = Double(argument), value.isFinite else {
            throw NumberOptionError("expected a finite number, \(text)")
        }
        guard contains(value) else { throw NumberOptionError("out of range: \(text)") }
        return value
    }

    /// Parses a whole number in the range.
    func parse<Integer: FixedWidthInteger>(_ argument: String) throws -> Integer {
        guard let value = Integer(argument) else {
            throw NumberOptionError("expected a whole number, \(text)")
        }
        guard contains(Double(value)) else { throw NumberOptionError("out of range: \(text)") }
        return value
    }

    /// Parses a comma-separated list of whole numbers, each in the range.
    func parseList(_ argument: String) throws -> [Int] {
        let parts = argument.split(separator: ",", omittingEmptySubsequences: false)
        guard !parts.isEmpty else { throw NumberOptionError("expected comma-separated whole numbers, each \(text)") }
        return try parts.map { part in
            guard let value = Int(part), contains(Double(value)) else {
                throw NumberOptionError("`\(part)` is not a whole number with \(text); write comma-separated numbers such as 1,2,3")
            }
            return value
        }
    }

    /// Parses a comma-separated list of real numbers, each in the range.
    func parseRealList(_ argument: String) throws -> [Double] {
        let parts = argument.split(separator: ",", omittingEmptySubsequences: false)
        return try parts.map { part in
            guard let value = Double(part), value.isFinite, contains(value) else {
                throw NumberOptionError("`\(part)` is not a number with \(text); write comma-separated numbers such as 2,5,10")
            }
            return value
        }
    }

    private static func number(_ value: Double) -> String {
        if value == Double(UInt64.max) { return String(UInt64.max) }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }
}

/// Why a numeric option's value was refused; ArgumentParser prints it after the option's name.
struct NumberOptionError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The ranges, in one place. Upper limits are what makes sense for a robot run on one machine:
/// the loop cannot run faster than 10 kHz, a run lasts at most a week, a benchmark a day.
extension NumberRange {
    /// Control and loop rates.
    static let rateHz = NumberRange.above(0, atMost: 10_000, unit: "Hz")
    /// How long a run on a robot or simulator lasts.
    static let runSeconds = NumberRange.above(0, atMost: 7 * 86_400, unit: "s")
    /// How long a benchmark runs.
    static let benchSeconds = NumberRange.above(0, atMost: 86_400, unit: "s")
    /// How long a calibration records.
    static let calibrationSeconds = NumberRange.above(0, atMost: 3_600, unit: "s")
    /// Simulated seconds per real second.
    static let simulationSpeed = NumberRange.above(0, atMost: 100)
    /// Spinning or synthetic work inside a tick.
    static let tickMicroseconds = NumberRange.from(0, atMost: 100_000, unit: "µs")
    static let episodes = NumberRange.count(1...1_000_000)
    /// Worker processes of `reins test --jobs`.
    static let jobs = NumberRange.count(1...256)
    /// A recorded episode's number.
    static let episodeIndex = NumberRange.count(0...Int(UInt32.max))
    static let seed = NumberRange(lower: 0, lowerIncluded: true, upper: Double(UInt64.max), whole: true, unit: "")
    static let fifoPriority = NumberRange.count(1...99)
    static let cpu = NumberRange.count(0...1_023)
    static let probes = NumberRange.count(1...64)
    static let iterations = NumberRange.count(100...10_000_000)
    static let samples = NumberRange.count(1...1_000_000)
    /// DART noise, a standard deviation in action units.
    static let noiseSigma = NumberRange.from(0, atMost: 1)
    /// An observation perturbation's L2 size (attack, sensor-noise bound), observation units.
    static let observationEpsilon = NumberRange.above(0, atMost: 100)
    static let lipschitzBound = NumberRange.above(0, atMost: 1_000_000)
    /// `tradeoff --lipschitz`: bounds to try, 0 for none.
    static let lipschitzBounds = NumberRange.from(0, atMost: 1_000_000)
    static let sensitivityLimit = NumberRange.above(0, atMost: 1e12)
    static let classificationBins = NumberRange.count(2...1_000)
    static let epochs = NumberRange.count(1...100_000)
    static let learningRate = NumberRange.above(0, atMost: 1)
    static let hiddenWidth = NumberRange.count(1...4_096)
    static let telemetryRateHz = NumberRange.above(0, atMost: 1_000, unit: "Hz")
    /// Dynamixel and Feetech ids on a bus (254 is broadcast).
    static let servoID = NumberRange.count(0...253)
}
