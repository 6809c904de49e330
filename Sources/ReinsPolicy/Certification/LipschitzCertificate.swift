import ReinsConfig
import ReinsCore

/// Lipschitz bounds of a policy's regression map in physical units (action units per observation
/// unit, L2 norms), computed at load in Float64. Observation normalisation diag(1/σ_obs) is folded
/// into the first layer and action de-normalisation diag(σ_act) into the last, so the bounds apply
/// to what the robot sees and does. The CARIL head is not part of the certified map.
public struct LipschitzCertificate: Sendable {
    /// ∏‖W_i‖₂ × (sup|s'|)^(m−1): sound for every activation.
    public var productBound: Double
    /// Combettes–Pesquet θ_m = 2^−(m−1) Σ over subsets of the m−1 cut points of ∏ over groups of
    /// ‖group product‖₂; nil when an activation slope leaves [0, 1] (GELU, SiLU, leaky slope > 1,
    /// ELU α > 1), where it is not sound.
    public var combettesPesquetBound: Double?
    /// The smallest sound bound: what the robustness certificate uses.
    public var certifiedLipschitzBound: Double
    /// max over sampled observations of ‖J(x)‖₂ (the exact Jacobian): the true constant is at least this.
    public var empiricalLowerBound: Double
    /// The observation at which the empirical lower bound was found.
    public var empiricalWorstObservation: [Double]
    public var empiricalSamples: Int
    /// ‖W_i‖₂ of each folded layer.
    public var layerNorms: [Double]

    /// Computes all bounds. The empirical bound samples `samples` observations from the
    /// normalisation statistics (mean + std · N(0, 1); N(0, 1) without statistics) with `seed`,
    /// plus every observation in `observations` when given.
    public static func compute(for network: PolicyNetwork, samples: Int = 256, seed: UInt64 = 0x11b5,
                               observations: [[Double]] = []) -> LipschitzCertificate {
        let matrices = foldedMatrices(network)
        let m = matrices.count
        let slopeScale = network.activation.lipschitzConstant
        let norms = matrices.map(\.spectralNorm)
        var product = norms.reduce(1, *)
        for _ in 0..<(m - 1) { product *= slopeScale }

        var combettesPesquet: Double?
        if network.activation.hasSlopesInUnitInterval {
            // groupNorm[i][j] = ‖W_j ⋯ W_i‖ for 0 <= i <= j < m (layers i through j).
            var groupNorm = [[Double]](repeating: [Double](repeating: 0, count: m), count: m)
            for i in 0..<m {
                var running = matrices[i]
                groupNorm[i][i] = norms[i]
                if i + 1 < m {
                    for j in (i + 1)..<m {
                        running = matrices[j].multiplied(by: running)
                        groupNorm[i][j] = running.spectralNorm
                    }
                }
            }
            // Sum over all 2^(m−1) cut subsets by dynamic programming over the last cut:
            // total[j] = Σ over partitions of layers 0..<j of the product of group norms.
            var total = [Double](repeating: 0, count: m + 1)
            total[0] = 1
            for j in 1...m {
                for i in 0..<j { total[j] += total[i] * groupNorm[i][j - 1] }
            }
            var theta = total[m]
            for _ in 0..<(m - 1) { theta /= 2 }
            combettesPesquet = theta
        }
        let certified = min(product, combettesPesquet ?? .infinity)

        var random = SeededRandom(seed: seed)
        var points = observations
        let n = network.observationCount
        for _ in 0..<samples {
            points.append((0..<n).map { index in
                let z = random.gaussian()
                guard let normalization = network.observationNormalization else { return z }
                return normalization.mean[index] + normalization.std[index] * z
            })
        }
        var worst = 0.0
        var worstPoint = points.first ?? []
        for point in points where point.count == n {
            let norm = jacobian(network, at: point).spectralNorm
            if norm > worst {
                worst = norm
                worstPoint = point
            }
        }
        return LipschitzCertificate(
            productBound: product, combettesPesquetBound: combettesPesquet, certifiedLipschitzBound: certified,
            empiricalLowerBound: worst, empiricalWorstObservation: worstPoint, empiricalSamples: points.count,
            layerNorms: norms)
    }

    /// W_1 diag(1/σ_obs), W_2, …, diag(σ_act) W_m.
    public static func foldedMatrices(_ network: PolicyNetwork) -> [Matrix] {
        var matrices = network.layers.map(Matrix.init)
        if let normalization = network.observationNormalization {
            matrices[0] = matrices[0].scalingColumns(normalization.std.map { 1 / $0 })
        }
        if let normalization = network.actionNormalization {
            matrices[matrices.count - 1] = matrices[matrices.count - 1].scalingRows(normalization.std)
        }
        return matrices
    }

    /// The exact Jacobian of the regression map (physical units) at `observation`:
    /// diag(σ_act) W_m D_{m−1} W_{m−1} ⋯ D_1 W_1 diag(1/σ_obs) with D_i = diag(s'(pre-activation)).
    public static func jacobian(_ network: PolicyNetwork, at observation: [Double]) -> Matrix {
        var x = observation
        if let normalization = network.observationNormalization {
            for index in x.indices { x[index] = (x[index] - normalization.mean[index]) / normalization.std[index] }
        }
        var slopes: [[Double]] = []
        for layer in network.layers.dropLast() {
            let pre = PolicyNetwork.apply(layer, x)
            slopes.append(pre.map(network.activation.derivative))
            x = pre.map(network.activation.value)
        }
        // Multiply from the output side: the running product has only `actions` rows.
        let last = network.layers.count - 1
        var jacobian = Matrix(network.layers[last])
        if let normalization = network.actionNormalization { jacobian = jacobian.scalingRows(normalization.std) }
        for index in stride(from: last - 1, through: 0, by: -1) {
            jacobian = jacobian.scalingColumns(slopes[index]).multiplied(by: Matrix(network.layers[index]))
        }
        if let normalization = network.observationNormalization {
            jacobian = jacobian.scalingColumns(normalization.std.map { 1 / $0 })
        }
        return jacobian
    }

    /// The certificate against a robot's sensor noise bound ε and action tolerance.
    public func robustness(against monitor: MonitorSettings) -> RobustnessCertificate {
        RobustnessCertificate(lipschitzBound: certifiedLipschitzBound, noiseBound: monitor.sensorNoiseBound,
                              actionTolerance: monitor.actionTolerance)
    }
}

/// Noise of L2 size ε moves the action by at most L·ε; the policy is certified for the robot iff
/// that stays within the action tolerance.
public struct RobustnessCertificate: Sendable, Equatable {
    public var lipschitzBound: Double
    public var noiseBound: Double
    public var actionTolerance: Double

    public init(lipschitzBound: Double, noiseBound: Double, actionTolerance: Double) {
        self.lipschitzBound = lipschitzBound
        self.noiseBound = noiseBound
        self.actionTolerance = actionTolerance
    }

    /// L·ε: the largest action change sensor noise within the bound can cause.
    public var worstActionChange: Double { lipschitzBound * noiseBound }
    public var isCertified: Bool { worstActionChange <= actionTolerance }
    /// The largest Lipschitz constant the robot accepts: tolerance / ε.
    public var requiredLipschitzBound: Double { actionTolerance / noiseBound }

    /// One line for `reins policy inspect` and the deploy refusal.
    public var summary: String {
        let product = "certified bound \(significant(lipschitzBound)) × ε \(significant(noiseBound)) = \(significant(worstActionChange))"
        if isCertified {
            let margin = worstActionChange > 0 ? " (\(significant(actionTolerance / worstActionChange, digits: 2))× margin)" : ""
            return "\(product) is within the action tolerance \(significant(actionTolerance))\(margin)"
        }
        let factor = significant(worstActionChange / actionTolerance, digits: 2)
        let target = requiredLipschitzBound
        let suggestion = target >= 1 ? String(Int(target.rounded(.down))) : significant(target)
        return "\(product) exceeds the action tolerance \(significant(actionTolerance)) by \(factor)×; retrain with `reins fit --lipschitz \(suggestion)` or pass --accept-uncertified"
    }
}
