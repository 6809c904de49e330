import Foundation

/// Everything a closed-loop test measured and decided (`reins test`): written as `summary.json`,
/// and the only input of `junit.xml` and `report.html`, so the three always agree. Field names are
/// the JSON keys (snake_case through the encoder).
public struct TestSummary: Codable, Sendable, Equatable {
    /// One judged item: a preflight check, an invariant or a requirement.
    public struct Check: Codable, Sendable, Equatable {
        public var name: String
        public var passed: Bool
        /// What was measured and the bound it was held to (nil when the check is yes/no).
        public var measured: Double?
        public var bound: Double?
        public var unit: String
        /// One line: what was checked and, when it failed, what broke.
        public var message: String

        public init(name: String, passed: Bool, measured: Double? = nil, bound: Double? = nil, unit: String = "", message: String) {
            self.name = name
            self.passed = passed
            self.measured = measured
            self.bound = bound
            self.unit = unit
            self.message = message
        }
    }

    public struct Certificate: Codable, Sendable, Equatable {
        public var lipschitzBound: Double
        public var noiseBound: Double
        /// L·ε: the largest action change an observation error within ε can cause.
        public var worstActionChange: Double
        public var actionTolerance: Double
        public var certified: Bool

        public init(lipschitzBound: Double, noiseBound: Double, worstActionChange: Double, actionTolerance: Double, certified: Bool) {
            self.lipschitzBound = lipschitzBound
            self.noiseBound = noiseBound
            self.worstActionChange = worstActionChange
            self.actionTolerance = actionTolerance
            self.certified = certified
        }
    }

    /// Samples of a quantity over an episode's time (seconds from its start), for plots.
    public struct Series: Codable, Sendable, Equatable {
        public var name: String
        public var unit: String
        public var episode: Int
        public var t: [Double]
        public var values: [Double]

        public init(name: String, unit: String, episode: Int, t: [Double], values: [Double]) {
            self.name = name
            self.unit = unit
            self.episode = episode
            self.t = t
            self.values = values
        }
    }

    public struct Histogram: Codable, Sendable, Equatable {
        /// Bin edges (count + 1 of them) and the ticks in each bin.
        public var edges: [Double]
        public var counts: [Int]

        public init(edges: [Double], counts: [Int]) {
            self.edges = edges
            self.counts = counts
        }
    }

    /// A failing episode's path: named state entries sampled over its time.
    public struct Trajectory: Codable, Sendable, Equatable {
        public var names: [String]
        public var t: [Double]
        /// One row per sample, one column per name.
        public var rows: [[Double]]

        public init(names: [String], t: [Double], rows: [[Double]]) {
            self.names = names
            self.t = t
            self.rows = rows
        }
    }

    public struct Episode: Codable, Sendable, Equatable {
        /// The test's episode number (0-based) and the seed its goal came from (seed + number).
        public var index: Int
        public var seed: UInt64
        /// success, failure, timeout, safety_stop.
        public var outcome: String
        public var ticks: Int
        public var seconds: Double
        public var meanCost: Double?
        public var maximumSensitivity: Double?
        public var minimumConfidence: Double?
        public var clampedTicks: Int
        public var takeovers: Int
        public var humanSeconds: Double
        /// For a safety stop: the invariant that broke (or the fault), the measured value and its bound.
        public var violation: String?
        public var invariant: String?
        public var measured: Double?
        public var bound: Double?
        /// The recording that holds this episode, relative to the output folder (nil when not kept).
        public var recording: String?
        /// Failing episodes only.
        public var trajectory: Trajectory?

        public init(index: Int, seed: UInt64, outcome: String, ticks: Int, seconds: Double, meanCost: Double?, maximumSensitivity: Double?, minimumConfidence: Double?, clampedTicks: Int, takeovers: Int, humanSeconds: Double, violation: String?, invariant: String?, measured: Double?, bound: Double?, recording: String?, trajectory: Trajectory?) {
            self.index = index
            self.seed = seed
            self.outcome = outcome
            self.ticks = ticks
            self.seconds = seconds
            self.meanCost = meanCost
            self.maximumSensitivity = maximumSensitivity
            self.minimumConfidence = minimumConfidence
            self.clampedTicks = clampedTicks
            self.takeovers = takeovers
            self.humanSeconds = humanSeconds
            self.violation = violation
            self.invariant = invariant
            self.measured = measured
            self.bound = bound
            self.recording = recording
            self.trajectory = trajectory
        }
    }

    public struct Condition: Codable, Sendable, Equatable {
        public var name: String
        public var faults: String?
        public var attack: Double?
        public var scriptedOperator: Bool
        public var episodes: [Episode]
        public var successes: Int
        public var successRate: Double
        /// The 95 % Wilson score interval of the success rate.
        public var wilsonLow: Double
        public var wilsonHigh: Double
        public var meanCost: Double?
        public var costMeaning: String
        public var safetyStops: Int
        public var maximumSensitivity: Double?
        public var sensitivityLimit: Double
        public var minimumConfidence: Double?
        public var sensitivityHistogram: Histogram
        public var confidenceHistogram: Histogram
        /// Under an attack: the largest action change the adversary achieved, and L·ε.
        public var largestAttackChange: Double?
        public var attackBound: Double?
        public var periodErrorP99Seconds: Double
        public var overruns: Int
        public var ticks: Int
        public var clampedTicks: Int
        public var takeovers: Int
        public var humanSeconds: Double
        public var invariants: [Check]
        public var requirements: [Check]
        /// Each per-tick invariant's margin (bound minus measured; negative once broken) over each episode's time.
        public var margins: [Series]
        public var recordings: [String]
        public var wallSeconds: Double
        public var passed: Bool
        /// How many episodes this condition was to run (all, or a shard's slice), and why it could
        /// not run them all (a robot that would not connect); nil when nothing stopped it.
        public var expectedEpisodes = 0
        public var runProblem: String?

        public init(name: String, faults: String?, attack: Double?, scriptedOperator: Bool, episodes: [Episode], successes: Int, successRate: Double, wilsonLow: Double, wilsonHigh: Double, meanCost: Double?, costMeaning: String, safetyStops: Int, maximumSensitivity: Double?, sensitivityLimit: Double, minimumConfidence: Double?, sensitivityHistogram: Histogram, confidenceHistogram: Histogram, largestAttackChange: Double?, attackBound: Double?, periodErrorP99Seconds: Double, overruns: Int, ticks: Int, clampedTicks: Int, takeovers: Int, humanSeconds: Double, invariants: [Check], requirements: [Check], margins: [Series], recordings: [String], wallSeconds: Double, passed: Bool) {
            self.name = name
            self.faults = faults
            self.attack = attack
            self.scriptedOperator = scriptedOperator
            self.episodes = episodes
            self.successes = successes
            self.successRate = successRate
            self.wilsonLow = wilsonLow
            self.wilsonHigh = wilsonHigh
            self.meanCost = meanCost
            self.costMeaning = costMeaning
            self.safetyStops = safetyStops
            self.maximumSensitivity = maximumSensitivity
            self.sensitivityLimit = sensitivityLimit
            self.minimumConfidence = minimumConfidence
            self.sensitivityHistogram = sensitivityHistogram
            self.confidenceHistogram = confidenceHistogram
            self.largestAttackChange = largestAttackChange
            self.attackBound = attackBound
            self.periodErrorP99Seconds = periodErrorP99Seconds
            self.overruns = overruns
            self.ticks = ticks
            self.clampedTicks = clampedTicks
            self.takeovers = takeovers
            self.humanSeconds = humanSeconds
            self.invariants = invariants
            self.requirements = requirements
            self.margins = margins
            self.recordings = recordings
            self.wallSeconds = wallSeconds
            self.passed = passed
        }
    }

    public var file: String
    public var name: String
    public var robot: String
    public var robotName: String
    public var robotKind: String
    public var link: String
    public var policy: String
    public var episodesPerCondition: Int
    public var seed: UInt64
    public var speed: Double
    public var controlRateHz: Double
    /// pass, fail (a requirement or invariant failed) or refused (preflight).
    public var verdict: String
    public var exitCode: Int
    public var preflight: [Check]
    public var certificate: Certificate?
    public var conditions: [Condition]
    public var startedAt: String
    public var wallSeconds: Double
    public var reinsVersion: String
    /// `I/N` when this is one shard's part (`reins test --shard`); `reins test merge` gives the verdict.
    public var shard: String?

    public static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return encoder
    }

    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return decoder
    }

    public func json() throws -> Data { try TestSummary.encoder().encode(self) }

    /// The 95 % Wilson score interval of `successes` out of `trials`.
    public static func wilson(successes: Int, trials: Int, z: Double = 1.959964) -> (low: Double, high: Double) {
        guard trials > 0 else { return (0, 1) }
        let n = Double(trials), p = Double(successes) / n
        let denominator = 1 + z * z / n
        let centre = (p + z * z / (2 * n)) / denominator
        let half = z * (p * (1 - p) / n + z * z / (4 * n * n)).squareRoot() / denominator
        return (max(0, centre - half), min(1, centre + half))
    }

    public init(file: String, name: String, robot: String, robotName: String, robotKind: String, link: String, policy: String, episodesPerCondition: Int, seed: UInt64, speed: Double, controlRateHz: Double, verdict: String, exitCode: Int, preflight: [Check], certificate: Certificate?, conditions: [Condition], startedAt: String, wallSeconds: Double, reinsVersion: String) {
        self.file = file
        self.name = name
        self.robot = robot
        self.robotName = robotName
        self.robotKind = robotKind
        self.link = link
        self.policy = policy
        self.episodesPerCondition = episodesPerCondition
        self.seed = seed
        self.speed = speed
        self.controlRateHz = controlRateHz
        self.verdict = verdict
        self.exitCode = exitCode
        self.preflight = preflight
        self.certificate = certificate
        self.conditions = conditions
        self.startedAt = startedAt
        self.wallSeconds = wallSeconds
        self.reinsVersion = reinsVersion
    }
}

/// Shards of one test file (`reins test --shard I/N`), combined into the summary one run of every
/// episode gives (`reins test merge`); judging is the caller's (`ClosedLoopTestRunner.judge`).
extension TestSummary {
    public struct MergeError: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// Combines `parts` (shards of the same file, seed and episode count) condition by condition:
    /// episodes in index order, histograms added, margins joined, the loop's worst period error and
    /// attack change, summed overruns, ticks and wall time. Every episode must come from exactly one
    /// shard. Recording paths are taken as they are (the caller moves the files).
    public static func merge(_ parts: [TestSummary]) throws(MergeError) -> TestSummary {
        guard var merged = parts.first else { throw MergeError(description: "no summaries to merge") }
        for part in parts.dropFirst() {
            for (what, a, b) in [("file", merged.file, part.file), ("robot", merged.robot, part.robot), ("policy", merged.policy, part.policy),
                                 ("seed", String(merged.seed), String(part.seed)),
                                 ("episodes per condition", String(merged.episodesPerCondition), String(part.episodesPerCondition)),
                                 ("conditions", merged.conditions.map(\.name).joined(separator: ","), part.conditions.map(\.name).joined(separator: ","))]
            where a != b {
                throw MergeError(description: "\(merged.name): the shards disagree on the \(what) (\(a) and \(b)); merge shards of one test run")
            }
        }
        merged.shard = nil
        merged.wallSeconds = parts.reduce(0) { $0 + $1.wallSeconds }
        for c in merged.conditions.indices {
            let pieces = parts.map { $0.conditions[c] }
            var condition = pieces[0]
            condition.episodes = pieces.flatMap(\.episodes).sorted { $0.index < $1.index }
            var seen = Set<Int>()
            for episode in condition.episodes where !seen.insert(episode.index).inserted {
                throw MergeError(description: "\(merged.name)/\(condition.name): episode \(episode.index) is in two shards")
            }
            let missing = (0..<merged.episodesPerCondition).filter { !seen.contains($0) }
            // A shard that is not here (its slice was to run, nobody brought it); episodes a present
            // shard could not run are the judge's "run" failure, not a merge error.
            if let first = missing.first, pieces.reduce(0, { $0 + $1.expectedEpisodes }) < merged.episodesPerCondition {
                throw MergeError(description: "\(merged.name)/\(condition.name): \(missing.count) episodes ran in no shard (first: \(first))")
            }
            condition.sensitivityHistogram = Histogram.sum(pieces.map(\.sensitivityHistogram))
            condition.confidenceHistogram = Histogram.sum(pieces.map(\.confidenceHistogram))
            // Shards are contiguous slices: joined in episode order, each shard's series keep theirs.
            condition.margins = pieces.sorted { ($0.episodes.first?.index ?? .max) < ($1.episodes.first?.index ?? .max) }.flatMap(\.margins)
            condition.largestAttackChange = pieces.compactMap(\.largestAttackChange).max()
            condition.periodErrorP99Seconds = pieces.map(\.periodErrorP99Seconds).max() ?? 0
            condition.overruns = pieces.reduce(0) { $0 + $1.overruns }
            condition.ticks = pieces.reduce(0) { $0 + $1.ticks }
            condition.wallSeconds = pieces.reduce(0) { $0 + $1.wallSeconds }
            condition.recordings = pieces.flatMap(\.recordings)
            condition.expectedEpisodes = pieces.reduce(0) { $0 + $1.expectedEpisodes }
            condition.runProblem = pieces.compactMap(\.runProblem).first
            merged.conditions[c] = condition
        }
        return merged
    }
}

extension TestSummary.Histogram {
    /// Bin-wise sum of histograms with the same edges (empty ones are skipped).
    static func sum(_ parts: [TestSummary.Histogram]) -> TestSummary.Histogram {
        let filled = parts.filter { !$0.counts.isEmpty }
        guard var total = filled.first else { return TestSummary.Histogram(edges: [], counts: []) }
        for part in filled.dropFirst() where part.edges == total.edges {
            for i in total.counts.indices { total.counts[i] += part.counts[i] }
        }
        return total
    }
}
