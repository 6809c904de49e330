import ReinsCore
import ReinsPolicy

/// Why an autonomous tick is left out of the training data (methods.md §3).
public enum ExclusionReason: Int, Sendable, CaseIterable, CustomStringConvertible {
    /// The policy's own approach to a failure it could not handle: training on it would teach the failure.
    case autonomousBeforeIntervention = 0
    /// The policy back in control after a person intervened: not a fully autonomous success.
    case autonomousAfterIntervention = 1
    /// A fully autonomous episode that failed, timed out or was aborted.
    case unsuccessfulAutonomousEpisode = 2

    public var description: String {
        switch self {
        case .autonomousBeforeIntervention: return "autonomous before an intervention"
        case .autonomousAfterIntervention: return "autonomous after the last intervention"
        case .unsuccessfulAutonomousEpisode: return "autonomous episode without success"
        }
    }
}

/// RaC's training-data rules applied tick by tick (Hu et al. 2025; methods.md §3):
/// - full demonstrations (segment `demo`, expert or human) are in;
/// - every human segment is in, recovery unmasked and with the same loss as correction;
/// - fully autonomous episodes are in only when they succeeded;
/// - the autonomous prefix before an intervention is out (and so is autonomous control after one:
///   the episode is no longer a fully autonomous success).
/// The rules look at the segment, not the control source; a source that contradicts its segment is
/// reported, not reinterpreted.
public struct RaCComposition: Sendable {
    /// For each episode of the dataset, the ticks used for training, in order.
    public var includedTicks: [[Int]]
    public var report: CompositionReport

    public init(_ dataset: Dataset) {
        var report = CompositionReport()
        var included: [[Int]] = []
        var contradictions = 0
        var firstContradiction: String?
        var unsuccessfulDemos: [EpisodeOutcome: Int] = [:]
        for episode in dataset.episodes {
            let segments = episode.segments
            let isAutonomous = segments.allSatisfy { $0 == .autonomous }
            let lastNonAutonomous = segments.lastIndex { $0 != .autonomous }
            if isAutonomous {
                if episode.outcome == .success { report.autonomousSuccessEpisodes += 1 } else { report.autonomousUnsuccessfulEpisodes += 1 }
            } else if segments.contains(where: { $0 == .recovery || $0 == .correction }) {
                report.interventionEpisodes += 1
            } else if segments.allSatisfy({ $0 == .demo }) {
                report.demonstrationEpisodes += 1
                if episode.outcome != .success { unsuccessfulDemos[episode.outcome, default: 0] += 1 }
            } else {
                report.mixedEpisodes += 1
            }
            var ticks: [Int] = []
            var previous: Segment?
            for (tick, segment) in segments.enumerated() {
                if segment != previous {
                    if segment == .recovery { report.recoverySegments += 1 }
                    if segment == .correction { report.correctionSegments += 1 }
                    previous = segment
                }
                let source = episode.sources[tick]
                let consistent: Bool
                switch segment {
                case .autonomous: consistent = source == .policy
                case .recovery, .correction: consistent = source == .human
                case .demo: consistent = source != .policy
                }
                if !consistent {
                    contradictions += 1
                    if firstContradiction == nil { firstContradiction = "\(episode.label) tick \(tick): segment \(segment), source \(source)" }
                }
                if segment != .autonomous {
                    ticks.append(tick)
                    report.includedTicks[segment, default: 0] += 1
                } else if isAutonomous {
                    if episode.outcome == .success {
                        ticks.append(tick)
                        report.includedTicks[.autonomous, default: 0] += 1
                    } else {
                        report.excludedTicks[.unsuccessfulAutonomousEpisode, default: 0] += 1
                    }
                } else if let lastNonAutonomous, tick < lastNonAutonomous {
                    report.excludedTicks[.autonomousBeforeIntervention, default: 0] += 1
                } else {
                    report.excludedTicks[.autonomousAfterIntervention, default: 0] += 1
                }
            }
            included.append(ticks)
        }

        let recovery = report.includedTicks[.recovery] ?? 0, correction = report.includedTicks[.correction] ?? 0
        if recovery > 0 {
            let ratio = Double(correction) / Double(recovery)
            if ratio < 1 || ratio > 2 {
                report.warnings.append("recovery:correction is 1:\(significant(ratio)) (\(recovery) recovery and \(correction) correction ticks), outside RaC's healthy 1:1 to 1:2")
            }
        } else if correction > 0 {
            report.warnings.append("\(correction) correction ticks but no recovery segment; RaC recovers to a familiar state before correcting (mark the boundary with the recovered key while recording)")
        }
        if !unsuccessfulDemos.isEmpty {
            let detail = EpisodeOutcome.allCases.compactMap { outcome in unsuccessfulDemos[outcome].map { "\($0) \(outcome)" } }.joined(separator: ", ")
            report.warnings.append("\(unsuccessfulDemos.values.reduce(0, +)) demonstration episodes did not end in success (\(detail)); they are used as full demonstrations, so remove them from the recordings if they should not be")
        }
        if contradictions > 0, let firstContradiction {
            report.warnings.append("\(contradictions) ticks have a control source that contradicts their segment (first: \(firstContradiction)); they are composed by segment")
        }
        includedTicks = included
        self.report = report
    }
}

/// What went into the training data and what did not, for `reins fit`'s report and the provenance.
public struct CompositionReport: Sendable, CustomStringConvertible {
    /// Ticks used, by segment (autonomous: from fully autonomous successes only).
    public var includedTicks: [Segment: Int] = [:]
    public var excludedTicks: [ExclusionReason: Int] = [:]
    public var demonstrationEpisodes = 0
    public var interventionEpisodes = 0
    public var autonomousSuccessEpisodes = 0
    public var autonomousUnsuccessfulEpisodes = 0
    /// Episodes mixing demo and autonomous control without a human segment.
    public var mixedEpisodes = 0
    /// Contiguous runs of recovery and of correction ticks.
    public var recoverySegments = 0
    public var correctionSegments = 0
    public var warnings: [String] = []
    /// Filled in by the train/validation split.
    public var trainingEpisodes = 0
    public var validationEpisodes = 0
    public var trainingSamples = 0
    public var validationSamples = 0

    public init() {}

    public var totalIncluded: Int { includedTicks.values.reduce(0, +) }
    public var totalExcluded: Int { excludedTicks.values.reduce(0, +) }

    /// Correction ticks per recovery tick (RaC's healthy range is 1 to 2), nil without recovery.
    public var correctionPerRecovery: Double? {
        guard let recovery = includedTicks[.recovery], recovery > 0 else { return nil }
        return Double(includedTicks[.correction] ?? 0) / Double(recovery)
    }

    public var description: String {
        var lines: [String] = []
        let used = [Segment.demo, .recovery, .correction, .autonomous].map { "\($0) \(includedTicks[$0] ?? 0)" }
        lines.append("training data: \(totalIncluded) ticks (\(used.joined(separator: ", ")))")
        if totalExcluded > 0 {
            let left = ExclusionReason.allCases.compactMap { reason in excludedTicks[reason].map { "\(reason) \($0)" } }
            lines.append("left out: \(totalExcluded) ticks (\(left.joined(separator: ", ")))")
        }
        var episodes = ["\(demonstrationEpisodes) demonstrations", "\(interventionEpisodes) with interventions",
                        "\(autonomousSuccessEpisodes) autonomous successes", "\(autonomousUnsuccessfulEpisodes) autonomous without success"]
        if mixedEpisodes > 0 { episodes.append("\(mixedEpisodes) mixed demo/autonomous") }
        lines.append("episodes: " + episodes.joined(separator: ", "))
        if let ratio = correctionPerRecovery {
            lines.append("recovery:correction 1:\(significant(ratio)) (\(recoverySegments) recovery and \(correctionSegments) correction segments)")
        }
        if trainingSamples + validationSamples > 0 {
            lines.append("split by episode: training \(trainingEpisodes) episodes / \(trainingSamples) samples, validation \(validationEpisodes) episodes / \(validationSamples) samples")
        }
        lines += warnings.map { "warning: " + $0 }
        return lines.joined(separator: "\n")
    }
}
