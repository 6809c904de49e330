import ReinsCore

/// Who drove a recording and how often a person stepped in: per episode the takeovers, the human
/// seconds and the recovery and correction ticks; over the file the intervention rate. What
/// `reins record inspect` prints and the learning-loop experiment tabulates.
public struct InterventionSummary: Sendable {
    public struct Episode: Sendable {
        public var episode: UInt32
        public var takeovers = 0
        /// Takeovers that answered the monitor's request.
        public var requestedTakeovers = 0
        public var handbacks = 0
        public var operatorLost = 0
        public var humanTicks = 0
        public var recoveryTicks = 0
        public var correctionTicks = 0
        public var ticks = 0
    }

    public var episodes: [Episode]
    /// Seconds per tick (the robot's control period); NaN without robot metadata.
    public var period: Double

    public init(_ recording: Recording) {
        period = 1 / (recording.robot?.controlRateHz ?? .nan)
        var byEpisode: [UInt32: Int] = [:]
        episodes = recording.episodes.enumerated().map { index, recorded in
            byEpisode[recorded.episode] = index
            var episode = Episode(episode: recorded.episode)
            episode.ticks = recorded.ticks.count
            for tick in recorded.ticks {
                if tick.source == .human { episode.humanTicks += 1 }
                if tick.segment == .recovery { episode.recoveryTicks += 1 }
                if tick.segment == .correction { episode.correctionTicks += 1 }
            }
            return episode
        }
        for event in recording.events {
            guard let number = event.episode, let index = byEpisode[number] else { continue }
            switch event.kind {
            case .takeover:
                episodes[index].takeovers += 1
                if event.cause == .monitorRequest { episodes[index].requestedTakeovers += 1 }
            case .handback: episodes[index].handbacks += 1
            case .operatorLost: episodes[index].operatorLost += 1
            default: break
            }
        }
    }

    public var takeovers: Int { episodes.reduce(0) { $0 + $1.takeovers } }
    public var humanTicks: Int { episodes.reduce(0) { $0 + $1.humanTicks } }
    public var recoveryTicks: Int { episodes.reduce(0) { $0 + $1.recoveryTicks } }
    public var correctionTicks: Int { episodes.reduce(0) { $0 + $1.correctionTicks } }
    public var ticks: Int { episodes.reduce(0) { $0 + $1.ticks } }
    /// Episodes in which a person took over at least once.
    public var episodesWithIntervention: Int { episodes.filter { $0.takeovers > 0 }.count }
    /// Takeovers per episode.
    public var interventionRate: Double { episodes.isEmpty ? 0 : Double(takeovers) / Double(episodes.count) }
    public var humanSeconds: Double { Double(humanTicks) * period }
    /// Whether anyone but the policy or an expert drove.
    public var hasHumanControl: Bool { humanTicks > 0 || takeovers > 0 }
}
