/// Faults a simulator injects, parsed from `--faults` such as
/// `drop=0.01,corrupt=0.001,delay=5ms,disconnect=10s,noise=0.01,bias=0.02,stuck=2`.
///
/// | key | meaning |
/// | --- | --- |
/// | `drop=P` | drop each reply or telemetry message with probability P |
/// | `corrupt=P` | flip one bit of each outgoing byte with probability P |
/// | `delay=D` | hold every outgoing message back by D (`5ms`, `0.2s`) |
/// | `jitter=D` | add a further uniformly random delay up to D |
/// | `disconnect=T` | close the link T seconds (simulated time) after start |
/// | `noise=S` | add Gaussian noise of standard deviation S (rad or m) to measured state |
/// | `bias=B` | add a constant offset B to measured state |
/// | `stuck=N` | arm: joint N (0-based) is seized; car: the motor stops driving; drone: ignored |
public struct FaultSpec: Sendable, Equatable {
    public var dropProbability = 0.0
    public var corruptProbability = 0.0
    public var delaySeconds = 0.0
    public var jitterSeconds = 0.0
    public var disconnectAfterSeconds: Double?
    public var sensorNoise = 0.0
    public var sensorBias = 0.0
    public var stuckComponent: Int?

    public init() {}

    public static let none = FaultSpec()

    public var isEmpty: Bool { self == .none }

    public struct ParseError: Error, Sendable, CustomStringConvertible {
        public var item: String
        public var problem: String
        public var description: String { "--faults `\(item)`: \(problem)" }
    }

    static let keys = ["drop", "corrupt", "delay", "jitter", "disconnect", "noise", "bias", "stuck"]

    public static func parse(_ text: String) throws(ParseError) -> FaultSpec {
        var spec = FaultSpec()
        for item in text.split(separator: ",").map({ String($0).filter { $0 != " " } }) where !item.isEmpty {
            let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw ParseError(item: item, problem: "expected key=value, e.g. drop=0.01") }
            let (key, value) = (parts[0], parts[1])
            switch key {
            case "drop": spec.dropProbability = try probability(item, value)
            case "corrupt": spec.corruptProbability = try probability(item, value)
            case "delay": spec.delaySeconds = try duration(item, value)
            case "jitter": spec.jitterSeconds = try duration(item, value)
            case "disconnect": spec.disconnectAfterSeconds = try duration(item, value)
            case "noise": spec.sensorNoise = try number(item, value, nonNegative: true, limit: maximumSensorError)
            case "bias": spec.sensorBias = try number(item, value, nonNegative: false, limit: maximumSensorError)
            case "stuck":
                guard let index = Int(value), (0...63).contains(index) else { throw ParseError(item: item, problem: "expected a component index from 0 to 63, such as 2") }
                spec.stuckComponent = index
            default:
                let valid = keys.joined(separator: ", ")
                throw ParseError(item: item, problem: "unknown fault `\(key)`; valid: \(valid)")
            }
        }
        return spec
    }

    /// The largest sensor noise or bias, rad or m: beyond it no robot's state means anything.
    static let maximumSensorError = 10.0
    /// The longest delay, jitter or time before a disconnect: a day.
    static let maximumDelaySeconds = 86_400.0

    private static func number(_ item: String, _ value: String, nonNegative: Bool, limit: Double) throws(ParseError) -> Double {
        guard let number = Double(value), number.isFinite, !nonNegative || number >= 0 else {
            throw ParseError(item: item, problem: nonNegative ? "expected a non-negative number" : "expected a number")
        }
        guard abs(number) <= limit else {
            throw ParseError(item: item, problem: "at most \(nonNegative ? "" : "±")\(limit)")
        }
        return number
    }

    private static func probability(_ item: String, _ value: String) throws(ParseError) -> Double {
        let p = try number(item, value, nonNegative: true, limit: .infinity)
        guard p <= 1 else { throw ParseError(item: item, problem: "a probability is between 0 and 1") }
        return p
    }

    /// `5ms`, `250us`, `0.2s` or a bare number of seconds.
    private static func duration(_ item: String, _ value: String) throws(ParseError) -> Double {
        let units: [(String, Double)] = [("ms", 1e-3), ("us", 1e-6), ("s", 1)]
        for (suffix, scale) in units where value.hasSuffix(suffix) {
            return try number(item, String(value.dropLast(suffix.count)), nonNegative: true, limit: maximumDelaySeconds / scale) * scale
        }
        return try number(item, value, nonNegative: true, limit: maximumDelaySeconds)
    }
}
