import ReinsCore

/// One recorded episode as behaviour cloning sees it: per tick the observation the policy saw, the
/// action that was applied, who produced it and the RaC segment, plus how the episode ended.
///
/// Ticks are stored tick-major in flat arrays (100 000 ticks of 18 + 6 values are two arrays, not
/// 200 000 small ones), so a reader appends tick by tick and the fitter copies rows out directly.
public struct TrainingEpisode: Sendable {
    /// Where the episode came from, for messages and provenance (`arm-0612.mcap episode 3`).
    public var label: String
    public var outcome: EpisodeOutcome
    public let observationCount: Int
    public let actionCount: Int
    public private(set) var observations: [Double] = []
    public private(set) var actions: [Double] = []
    public private(set) var sources: [ControlSource] = []
    public private(set) var segments: [Segment] = []

    public init(label: String, outcome: EpisodeOutcome, observationCount: Int, actionCount: Int) {
        precondition(observationCount > 0 && actionCount > 0, "an episode needs observations and actions")
        self.label = label
        self.outcome = outcome
        self.observationCount = observationCount
        self.actionCount = actionCount
    }

    public var tickCount: Int { segments.count }

    /// Appends one tick; the sizes must match the episode's (a reader bug otherwise).
    public mutating func append(observation: some Collection<Double>, action: some Collection<Double>,
                                source: ControlSource, segment: Segment) {
        precondition(observation.count == observationCount, "\(label): observation has \(observation.count) entries, expected \(observationCount)")
        precondition(action.count == actionCount, "\(label): action has \(action.count) entries, expected \(actionCount)")
        observations.append(contentsOf: observation)
        actions.append(contentsOf: action)
        sources.append(source)
        segments.append(segment)
    }

    public func observation(at tick: Int) -> ArraySlice<Double> {
        observations[(tick * observationCount)..<((tick + 1) * observationCount)]
    }

    public func action(at tick: Int) -> ArraySlice<Double> {
        actions[(tick * actionCount)..<((tick + 1) * actionCount)]
    }
}

/// What `reins fit` learns from: episodes read from one or more recordings, with the names of the
/// observation and action entries (they go into the policy config and are checked against a robot).
public struct Dataset: Sendable {
    public var observationNames: [String]
    public var actionNames: [String]
    public var episodes: [TrainingEpisode]
    /// The recordings the episodes were read from, kept as provenance in the written policy.
    public var sourceFiles: [String]
    /// Episodes the operator discarded, left out.
    public var discardedEpisodes = 0

    public init(observationNames: [String], actionNames: [String], episodes: [TrainingEpisode] = [], sourceFiles: [String] = []) {
        self.observationNames = observationNames
        self.actionNames = actionNames
        self.episodes = episodes
        self.sourceFiles = sourceFiles
    }

    /// Sizes that disagree with the names and non-finite values, each naming the episode, tick and entry.
    func problems() -> [String] {
        var problems: [String] = []
        if observationNames.isEmpty { problems.append("the dataset names no observation entries") }
        if actionNames.isEmpty { problems.append("the dataset names no action entries") }
        for episode in episodes {
            if episode.observationCount != observationNames.count {
                problems.append("\(episode.label): \(episode.observationCount) observation entries per tick but the dataset names \(observationNames.count) (\(observationNames.joined(separator: ", ")))")
            }
            if episode.actionCount != actionNames.count {
                problems.append("\(episode.label): \(episode.actionCount) action entries per tick but the dataset names \(actionNames.count) (\(actionNames.joined(separator: ", ")))")
            }
            guard problems.isEmpty else { continue }
            for (values, names, side) in [(episode.observations, observationNames, "observation"), (episode.actions, actionNames, "action")] {
                guard let bad = values.firstIndex(where: { !$0.isFinite }) else { continue }
                let count = values.lazy.filter { !$0.isFinite }.count
                problems.append("\(episode.label) tick \(bad / names.count): \(side) `\(names[bad % names.count])` is \(values[bad]) (\(count) non-finite \(side) value\(count == 1 ? "" : "s") in the episode); drop the episode or fix the recording")
            }
        }
        return problems
    }
}
