import ReinsCore

/// A bounded adversarial perturbation of the measured state, for robustness experiments: each
/// tick it picks, among `candidates` directions on the sphere of radius ε (L2, observation
/// units) plus two rounds of refinement around the best, the perturbation that moves the policy's
/// action furthest from its unperturbed action — the quantity a Lipschitz bound L limits to L·ε.
/// A black-box search (the runtime has no gradients), evaluated in batched forward passes;
/// allocation-free per tick.
public final class ObservationAttack: @unchecked Sendable {
    public let epsilon: Double
    public let candidates: Int
    private let engine: PolicyEngine
    private let observationCount: Int
    private let actionCount: Int
    private let directions: UnsafeMutableBufferPointer<Double>
    private let batch: UnsafeMutableBufferPointer<Double>
    private let actions: UnsafeMutableBufferPointer<Double>
    private let best: UnsafeMutableBufferPointer<Double>
    private var random: SeededRandom
    /// Largest action change the attack achieved so far (action units).
    public private(set) var largestActionChange = 0.0

    public init(network: PolicyNetwork, epsilon: Double, candidates: Int = 16, seed: UInt64 = 0xA77AC) {
        self.epsilon = epsilon
        self.candidates = candidates
        observationCount = network.observationCount
        actionCount = network.actionCount
        engine = PolicyEngine(network: network, maximumRows: candidates + 1)
        directions = .allocate(capacity: candidates * observationCount)
        batch = .allocate(capacity: (candidates + 1) * observationCount)
        actions = .allocate(capacity: (candidates + 1) * actionCount)
        best = .allocate(capacity: observationCount)
        best.initialize(repeating: 0)
        random = SeededRandom(seed: seed)
    }

    deinit {
        directions.deallocate()
        batch.deallocate()
        actions.deallocate()
        best.deallocate()
    }

    /// Replaces `observation` with its worst perturbation found.
    public func perturb(_ observation: UnsafeMutableBufferPointer<Double>) {
        let n = observationCount
        // Round 0: fresh random directions; rounds 1-2: jitter around the best so far.
        var bestChange = -1.0
        for round in 0..<3 {
            for k in 0..<candidates {
                var norm = 0.0
                for i in 0..<n {
                    let base = round == 0 ? 0 : best[i] / epsilon
                    let step = base + random.gaussian() * (round == 0 ? 1 : 0.3)
                    directions[k * n + i] = step
                    norm += step * step
                }
                let scale = norm > 0 ? epsilon / norm.squareRoot() : 0
                for i in 0..<n { directions[k * n + i] *= scale }
            }
            for i in 0..<n { batch[i] = observation[i] }
            for k in 0..<candidates {
                for i in 0..<n { batch[(k + 1) * n + i] = observation[i] + directions[k * n + i] }
            }
            engine.forward(batch: UnsafeBufferPointer(batch), rows: candidates + 1, actions: actions)
            for k in 0..<candidates {
                var change = 0.0
                for j in 0..<actionCount {
                    let d = actions[(k + 1) * actionCount + j] - actions[j]
                    change += d * d
                }
                if change > bestChange {
                    bestChange = change
                    for i in 0..<n { best[i] = directions[k * n + i] }
                }
            }
        }
        largestActionChange = max(largestActionChange, bestChange.squareRoot())
        for i in 0..<n { observation[i] += best[i] }
    }
}
