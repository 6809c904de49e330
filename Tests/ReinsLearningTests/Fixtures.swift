import ReinsCore
import ReinsLearning

#if canImport(Glibc)
import Glibc
#endif

/// A smooth expert to clone: a ↦ offset + M·x + 0.3·sin(x₀ / s₀) per action, on observations whose
/// entries have very different scales (so the normalisation has to matter).
struct SmoothExpert {
    var observationCount: Int
    var actionCount: Int
    var scales: [Double]
    var offsets: [Double]
    var matrix: [Double]
    var nonlinearity: Double

    init(observations: Int, actions: Int, seed: UInt64, nonlinearity: Double = 0.3) {
        var random = SeededRandom(seed: seed)
        observationCount = observations
        actionCount = actions
        let scales = (0..<observations).map { _ in random.uniform(0.2...5) }
        self.scales = scales
        offsets = (0..<observations).map { _ in random.uniform(-2...2) }
        // Weights per normalised unit, so every entry matters about equally.
        matrix = (0..<(observations * actions)).map { index in random.uniform(-1...1) / scales[index % observations] }
        self.nonlinearity = nonlinearity
    }

    func observation(_ random: inout SeededRandom) -> [Double] {
        (0..<observationCount).map { offsets[$0] + scales[$0] * random.gaussian() }
    }

    func action(_ x: [Double]) -> [Double] {
        (0..<actionCount).map { row in
            var sum = 0.5 * Double(row)
            for column in 0..<observationCount { sum += matrix[row * observationCount + column] * (x[column] - offsets[column]) }
            return sum + nonlinearity * sin((x[0] - offsets[0]) / scales[0] + Double(row))
        }
    }

    var observationNames: [String] { (0..<observationCount).map { "joint\($0).pos" } }
    var actionNames: [String] { (0..<actionCount).map { "joint\($0).goal" } }

    /// `episodes` demonstration episodes of `ticks` independent samples each.
    func dataset(episodes: Int, ticks: Int, seed: UInt64) -> Dataset {
        var random = SeededRandom(seed: seed)
        var dataset = Dataset(observationNames: observationNames, actionNames: actionNames, sourceFiles: ["synthetic-\(seed).mcap"])
        for index in 0..<episodes {
            var episode = TrainingEpisode(label: "synthetic episode \(index)", outcome: .success,
                                          observationCount: observationCount, actionCount: actionCount)
            for _ in 0..<ticks {
                let x = observation(&random)
                episode.append(observation: x, action: action(x), source: .expert, segment: .demo)
            }
            dataset.episodes.append(episode)
        }
        return dataset
    }
}

/// A small configuration that fits in a debug build within a second or two.
func smallConfiguration(hidden: [Int] = [32, 32], epochs: Int = 40, seed: UInt64 = 1) -> FitConfiguration {
    var configuration = FitConfiguration()
    configuration.hiddenSizes = hidden
    configuration.epochs = epochs
    configuration.batchSize = 64
    configuration.learningRate = 3e-3
    configuration.seed = seed
    return configuration
}

/// RMS of the L2 error of `predict` against the expert over fresh observations, in action units.
func rmsError(of predict: ([Double]) -> [Double], against expert: SmoothExpert, samples: Int = 200, seed: UInt64 = 77) -> Double {
    var random = SeededRandom(seed: seed)
    var total = 0.0
    for _ in 0..<samples {
        let x = expert.observation(&random)
        let predicted = predict(x), expected = expert.action(x)
        total += zip(predicted, expected).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
    }
    return (total / Double(samples)).squareRoot()
}
