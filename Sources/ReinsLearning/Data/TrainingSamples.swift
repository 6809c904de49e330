import ReinsCore

/// The train/validation split, by episode: a policy is judged on episodes it never saw, not on
/// ticks a few milliseconds from the ones it trained on.
struct EpisodeSplit {
    var training: [Int]
    var validation: [Int]

    /// `episodes` are dataset indices; round(fraction × count) of them (at least one, and never all)
    /// go to validation, chosen by a seeded shuffle. Fewer than two episodes leave validation empty.
    init(episodes: [Int], validationFraction: Double, random: inout SeededRandom) {
        var shuffled = episodes
        if shuffled.count > 1 {
            for index in stride(from: shuffled.count - 1, to: 0, by: -1) {
                shuffled.swapAt(index, Int(random.next() % UInt64(index + 1)))
            }
        }
        var validationCount = 0
        if validationFraction > 0, shuffled.count >= 2 {
            validationCount = min(shuffled.count - 1, max(1, Int((validationFraction * Double(shuffled.count)).rounded())))
        }
        validation = Array(shuffled.prefix(validationCount)).sorted()
        training = Array(shuffled.dropFirst(validationCount)).sorted()
    }
}

/// Observation and action rows of the chosen ticks, tick-major, in physical units.
struct SampleTable {
    var count = 0
    var observations: [Double] = []
    var actions: [Double] = []

    init(_ dataset: Dataset, composition: RaCComposition, episodes: [Int]) {
        let observationCount = dataset.observationNames.count, actionCount = dataset.actionNames.count
        let total = episodes.reduce(0) { $0 + composition.includedTicks[$1].count }
        observations.reserveCapacity(total * observationCount)
        actions.reserveCapacity(total * actionCount)
        for index in episodes {
            let episode = dataset.episodes[index]
            for tick in composition.includedTicks[index] {
                observations.append(contentsOf: episode.observation(at: tick))
                actions.append(contentsOf: episode.action(at: tick))
            }
        }
        count = total
    }
}

/// Per-entry mean and standard deviation of the training samples, what the policy config stores as
/// `mean` / `std` (x_n = (x − mean) / std).
///
/// An entry whose spread is at most `relativeFloor` · max(1, |mean|) is constant: its std is stored
/// as 1 and its mean as the value itself, its normalised value is exactly 0 in training, and the
/// fitter zeroes its first-layer column (observations) or last-layer row (actions). A floor of 1e-6
/// instead of 1 would multiply that column by 10⁶ in the certified bound and leave the Lipschitz
/// projection nothing to spend on the entries that vary.
struct FeatureScaling {
    static let relativeFloor = 1e-6

    var mean: [Double]
    var std: [Double]
    var constantEntries: [Int]

    init(values: [Double], columns: Int) {
        let rows = values.count / columns
        precondition(rows > 0, "no samples to scale")
        var mean = [Double](repeating: 0, count: columns)
        for row in 0..<rows {
            for column in 0..<columns { mean[column] += values[row * columns + column] }
        }
        for column in 0..<columns { mean[column] /= Double(rows) }
        var variance = [Double](repeating: 0, count: columns)
        for row in 0..<rows {
            for column in 0..<columns {
                let deviation = values[row * columns + column] - mean[column]
                variance[column] += deviation * deviation
            }
        }
        var std = variance.map { ($0 / Double(rows)).squareRoot() }
        var constant: [Int] = []
        for column in 0..<columns where std[column] <= FeatureScaling.relativeFloor * max(1, abs(mean[column])) {
            constant.append(column)
            std[column] = 1
            mean[column] = values[column]
        }
        self.mean = mean
        self.std = std
        constantEntries = constant
    }

    /// Mean 0 and std 1: raw values, for fits without normalisation.
    static func identity(columns: Int) -> FeatureScaling {
        FeatureScaling(mean: [Double](repeating: 0, count: columns), std: [Double](repeating: 1, count: columns), constantEntries: [])
    }

    private init(mean: [Double], std: [Double], constantEntries: [Int]) {
        self.mean = mean
        self.std = std
        self.constantEntries = constantEntries
    }

    /// (value − mean) / std in Float32, exactly 0 for constant entries.
    func normalized(_ values: [Double]) -> [Float] {
        let columns = mean.count
        var out = [Float](repeating: 0, count: values.count)
        let isConstant = (0..<columns).map { constantEntries.contains($0) }
        for index in values.indices {
            let column = index % columns
            if isConstant[column] { continue }
            out[index] = Float((values[index] - mean[column]) / std[column])
        }
        return out
    }
}
