import ReinsConfig
import ReinsCore

/// An observation entry that moved further in one tick than the robot's limits and the sensor
/// noise can explain.
public struct InnovationFault: Sendable, Equatable {
    /// Index into the observation vector.
    public var entry: Int
    /// |x_i − last accepted x_i| in observation units (NaN or ∞ for a non-finite reading).
    public var jump: Double
    /// The largest change the limits allow since the last accepted observation: n·b_i + 2ε.
    public var allowed: Double

    public init(entry: Int, jump: Double, allowed: Double) {
        self.entry = entry
        self.jump = jump
        self.allowed = allowed
    }
}

/// What the monitor found this tick. Plain scalars, so copying it to the recorder costs nothing.
public struct MonitorReport: Sendable, Equatable {
    /// max_k ‖π(x + δ_k) − π(x)‖ / ε: action change per unit of observation change around x.
    public var sensitivity: Double
    /// The probe that gave the largest change.
    public var worstProbe: Int
    /// sensitivity > the configured limit (or the sensitivity is NaN).
    public var sensitivityExceeded: Bool
    /// Set when an observation entry jumped further than its per-tick bound allows.
    public var innovation: InnovationFault?

    public init(sensitivity: Double = 0, worstProbe: Int = 0, sensitivityExceeded: Bool = false, innovation: InnovationFault? = nil) {
        self.sensitivity = sensitivity
        self.worstProbe = worstProbe
        self.sensitivityExceeded = sensitivityExceeded
        self.innovation = innovation
    }

    /// Whether the corrector should apply the configured response.
    public var isAlarm: Bool { sensitivityExceeded || innovation != nil }
}

/// The per-tick Lipschitz robustness monitor.
///
/// Local sensitivity: K probes δ_k of L2 size ε (physical observation units) around the observation,
/// evaluated together with the observation itself in one batched forward pass. The probe directions
/// are fixed at load from a seed, in ± pairs of random unit directions, so the estimate is
/// reproducible and symmetric; being fixed, their first-layer terms W_1 δ_k are computed at load too. Innovation: each entry may move at most b_i per tick (from the
/// robot's velocity limits; ∞ when unbounded) plus 2ε (noise on both readings); after a rejected
/// reading the allowance grows by b_i per tick since the last accepted one. One monitor serves one
/// thread at a time.
public final class RobustnessMonitor: @unchecked Sendable {
    public let probes: Int
    public let noiseBound: Double
    public let sensitivityLimit: Double
    private let observationCount: Int
    private let actionCount: Int
    /// W_1 (δ_k / σ_obs) for each probe: the probes' fixed contribution to the first layer.
    private let firstLayerOffsets: UnsafeMutablePointer<Float>
    private let innovationBounds: UnsafeMutablePointer<Double>
    private let lastAccepted: UnsafeMutablePointer<Double>
    private var hasLastAccepted = false
    /// Ticks since the last accepted observation (the allowed jump grows with it).
    private var ticksSinceAccepted = 0

    /// The probes δ_k in physical observation units, row-major K × n (each of L2 norm ε).
    public let probeOffsets: [Double]

    /// - Parameters:
    ///   - settings: ε (`sensorNoiseBound`), K (`probes`) and `sensitivityLimit`.
    ///   - innovationBounds: b_i, the largest change of entry i in one tick; nil or ∞ entries are unbounded.
    /// - Parameter engine: an engine for `network` to compute the probes' first-layer offsets with
    ///   (the runner passes its own; by default one is built for the purpose).
    public init(network: PolicyNetwork, settings: MonitorSettings, innovationBounds: [Double]? = nil, seed: UInt64 = 0x9a0be5,
                engine: PolicyEngine? = nil) {
        precondition(settings.probes >= 1, "the monitor needs at least one probe")
        precondition(settings.sensorNoiseBound > 0, "ε must be positive")
        let n = network.observationCount
        precondition(innovationBounds == nil || innovationBounds!.count == n, "innovation bounds need \(n) entries")
        probes = settings.probes
        noiseBound = settings.sensorNoiseBound
        sensitivityLimit = settings.sensitivityLimit
        observationCount = n
        actionCount = network.actionCount

        var random = SeededRandom(seed: seed)
        var offsets = [Double](repeating: 0, count: probes * n)
        var probe = 0
        while probe < probes {
            var direction = (0..<n).map { _ in random.gaussian() }
            var norm = direction.reduce(0) { $0 + $1 * $1 }.squareRoot()
            if norm == 0 {
                direction[0] = 1
                norm = 1
            }
            for index in 0..<n { offsets[probe * n + index] = settings.sensorNoiseBound * direction[index] / norm }
            if probe + 1 < probes {
                for index in 0..<n { offsets[(probe + 1) * n + index] = -offsets[probe * n + index] }
            }
            probe += 2
        }
        probeOffsets = offsets
        var normalisedProbes = [Float](repeating: 0, count: probes * n)
        for k in 0..<probes {
            for index in 0..<n {
                let std = network.observationNormalization?.std[index] ?? 1
                normalisedProbes[k * n + index] = Float(offsets[k * n + index] / std)
            }
        }
        let count = probes
        firstLayerOffsets = normalisedProbes.withUnsafeBufferPointer {
            (engine ?? PolicyEngine(network: network)).firstLayerOffsets(probes: $0.baseAddress!, count: count)
        }
        self.innovationBounds = .allocate(capacity: n)
        for index in 0..<n { self.innovationBounds[index] = innovationBounds?[index] ?? .infinity }
        lastAccepted = .allocate(capacity: n)
        lastAccepted.initialize(repeating: 0, count: n)
    }

    deinit {
        firstLayerOffsets.deallocate()
        innovationBounds.deallocate()
        lastAccepted.deallocate()
    }

    /// Forgets the previous observation (after a restart or a hold), so the next tick is not
    /// compared with a stale reading.
    public func reset() {
        hasLastAccepted = false
        ticksSinceAccepted = 0
    }

    /// Runs the policy on the observation and its K probes in one batched pass, fills `output` with
    /// the policy's answer for the observation itself, and reports sensitivity and innovation.
    /// Never allocates. `engine` must be built from the same network and take at least K + 1 rows.
    public func check(_ observation: [Double], engine: PolicyEngine, output: inout PolicyOutput) -> MonitorReport {
        precondition(engine.maximumRows > probes, "the engine needs \(probes + 1) rows for \(probes) probes")
        precondition(observation.count == observationCount && engine.observationCount == observationCount, "observation size mismatch")
        var report = MonitorReport()
        observation.withUnsafeBufferPointer { x in
            report.innovation = checkInnovation(x.baseAddress!)
            engine.setRow(0, observation: x.baseAddress!)
        }
        engine.run(probes: probes, firstLayerOffsets: firstLayerOffsets)
        engine.readRow(0, into: &output)

        let base = engine.rawOutput(row: 0)
        var largest = 0.0
        for k in 0..<probes {
            let probed = engine.rawOutput(row: k + 1)
            var squared = 0.0
            for index in 0..<actionCount {
                let change = engine.actionStd(index) * Double(probed[index] - base[index])
                squared += change * change
            }
            // A NaN change must win the comparison, or a NaN policy would look perfectly calm.
            if !(squared <= largest) {
                largest = squared
                report.worstProbe = k
            }
        }
        report.sensitivity = largest.squareRoot() / noiseBound
        report.sensitivityExceeded = !(report.sensitivity <= sensitivityLimit)
        return report
    }

    private func checkInnovation(_ x: UnsafePointer<Double>) -> InnovationFault? {
        var fault: InnovationFault?
        var worstExcess = 0.0
        for index in 0..<observationCount where !x[index].isFinite {
            let allowed = Double(ticksSinceAccepted + 1) * innovationBounds[index] + 2 * noiseBound
            if hasLastAccepted { ticksSinceAccepted += 1 }
            return InnovationFault(entry: index, jump: x[index].isNaN ? .nan : .infinity, allowed: allowed)
        }
        if hasLastAccepted {
            let ticks = Double(ticksSinceAccepted + 1)
            for index in 0..<observationCount {
                let jump = abs(x[index] - lastAccepted[index])
                let allowed = ticks * innovationBounds[index] + 2 * noiseBound
                if jump > allowed, jump - allowed > worstExcess {
                    worstExcess = jump - allowed
                    fault = InnovationFault(entry: index, jump: jump, allowed: allowed)
                }
            }
        }
        if fault == nil {
            for index in 0..<observationCount { lastAccepted[index] = x[index] }
            hasLastAccepted = true
            ticksSinceAccepted = 0
        } else {
            ticksSinceAccepted += 1
        }
        return fault
    }
}
