import ReinsCore
@testable import ReinsLearning
import Testing

/// RaC's data-composition rules (methods.md §3), one episode kind at a time.
@Suite struct CompositionTests {
    /// An episode whose tick t has observation [episode, t] and action [t], built from runs of
    /// (segment, source, ticks).
    static func episode(_ label: String, _ outcome: EpisodeOutcome, _ runs: [(Segment, ControlSource, Int)]) -> TrainingEpisode {
        var episode = TrainingEpisode(label: label, outcome: outcome, observationCount: 2, actionCount: 1)
        for (segment, source, ticks) in runs {
            for _ in 0..<ticks {
                let t = Double(episode.tickCount)
                episode.append(observation: [Double(label.count), t], action: [t], source: source, segment: segment)
            }
        }
        return episode
    }

    static func dataset(_ episodes: [TrainingEpisode]) -> Dataset {
        Dataset(observationNames: ["episode", "t"], actionNames: ["u"], episodes: episodes)
    }

    @Test func fullDemonstrationsAreIn() {
        let composition = RaCComposition(Self.dataset([
            Self.episode("expert demo", .success, [(.demo, .expert, 10)]),
            Self.episode("teleoperated demo", .success, [(.demo, .human, 5)]),
        ]))
        #expect(composition.includedTicks == [Array(0..<10), Array(0..<5)])
        #expect(composition.report.includedTicks == [.demo: 15])
        #expect(composition.report.demonstrationEpisodes == 2)
        #expect(composition.report.totalExcluded == 0)
        #expect(composition.report.warnings.isEmpty)
    }

    @Test func humanSegmentsAreInAndTheAutonomousPrefixBeforeTheInterventionIsOut() {
        let composition = RaCComposition(Self.dataset([
            Self.episode("takeover", .success, [(.autonomous, .policy, 8), (.recovery, .human, 4), (.correction, .human, 6)]),
            // Control goes back to the policy after the correction: not a fully autonomous success.
            Self.episode("handback", .failure, [(.autonomous, .policy, 3), (.recovery, .human, 2), (.correction, .human, 3), (.autonomous, .policy, 4)]),
        ]))
        #expect(composition.includedTicks == [Array(8..<18), Array(3..<8)])
        #expect(composition.report.includedTicks == [.recovery: 6, .correction: 9])
        #expect(composition.report.excludedTicks == [.autonomousBeforeIntervention: 11, .autonomousAfterIntervention: 4])
        #expect(composition.report.interventionEpisodes == 2)
        #expect(composition.report.recoverySegments == 2 && composition.report.correctionSegments == 2)
        // 6 recovery to 9 correction ticks is 1:1.5, inside the healthy range.
        #expect(composition.report.correctionPerRecovery == 1.5)
        #expect(composition.report.warnings.isEmpty)
    }

    @Test func fullyAutonomousEpisodesAreInOnlyWhenTheySucceeded() {
        let composition = RaCComposition(Self.dataset([
            Self.episode("success", .success, [(.autonomous, .policy, 7)]),
            Self.episode("failure", .failure, [(.autonomous, .policy, 6)]),
            Self.episode("timeout", .timeout, [(.autonomous, .policy, 2)]),
            Self.episode("aborted", .aborted, [(.autonomous, .policy, 1)]),
        ]))
        #expect(composition.includedTicks == [Array(0..<7), [], [], []])
        #expect(composition.report.includedTicks == [.autonomous: 7])
        #expect(composition.report.excludedTicks == [.unsuccessfulAutonomousEpisode: 9])
        #expect(composition.report.autonomousSuccessEpisodes == 1 && composition.report.autonomousUnsuccessfulEpisodes == 3)
        #expect(composition.report.correctionPerRecovery == nil)
    }

    @Test func allRulesTogetherGiveTheCountsTheFitterTrainsOn() throws {
        let dataset = Self.dataset([
            Self.episode("demo", .success, [(.demo, .expert, 10)]),
            Self.episode("takeover", .success, [(.autonomous, .policy, 8), (.recovery, .human, 4), (.correction, .human, 6)]),
            Self.episode("success", .success, [(.autonomous, .policy, 7)]),
            Self.episode("failure", .failure, [(.autonomous, .policy, 6)]),
        ])
        let composition = RaCComposition(dataset)
        #expect(composition.report.totalIncluded == 27 && composition.report.totalExcluded == 14)
        #expect(composition.report.description.hasPrefix("training data: 27 ticks (demo 10, recovery 4, correction 6, autonomous 7)\nleft out: 14 ticks (autonomous before an intervention 8, autonomous episode without success 6)"))
        var configuration = smallConfiguration(hidden: [8], epochs: 1)
        configuration.validationFraction = 0
        let result = try PolicyFitter(configuration: configuration).fit(dataset: dataset)
        #expect(result.composition.trainingSamples == 27)
        #expect(result.composition.trainingEpisodes == 3)
        // Only the kept ticks shaped the normalisation: t over 0..<10, 8..<18 and 0..<7.
        let kept = Array(0..<10) + Array(8..<18) + Array(0..<7)
        let mean = Double(kept.reduce(0, +)) / Double(kept.count)
        #expect(abs(try #require(result.network.observationNormalization).mean[1] - mean) < 1e-12)
    }

    @Test func unhealthyRatiosAndContradictionsAreWarnedAbout() {
        let recoveryHeavy = RaCComposition(Self.dataset([
            Self.episode("long recovery", .success, [(.autonomous, .policy, 2), (.recovery, .human, 10), (.correction, .human, 2)]),
        ]))
        #expect(recoveryHeavy.report.warnings == ["recovery:correction is 1:0.2 (10 recovery and 2 correction ticks), outside RaC's healthy 1:1 to 1:2"])
        let correctionHeavy = RaCComposition(Self.dataset([
            Self.episode("long correction", .success, [(.recovery, .human, 2), (.correction, .human, 5)]),
        ]))
        #expect(correctionHeavy.report.warnings.first?.hasPrefix("recovery:correction is 1:2.5") == true)
        let noRecovery = RaCComposition(Self.dataset([Self.episode("c", .success, [(.autonomous, .policy, 1), (.correction, .human, 3)])]))
        #expect(noRecovery.report.warnings.first?.hasPrefix("3 correction ticks but no recovery segment") == true)
        let odd = RaCComposition(Self.dataset([
            Self.episode("odd", .success, [(.recovery, .policy, 2), (.correction, .human, 3)]),
            Self.episode("failed demo", .aborted, [(.demo, .expert, 3)]),
        ]))
        #expect(odd.report.warnings.contains("2 ticks have a control source that contradicts their segment (first: odd tick 0: segment recovery, source policy); they are composed by segment"))
        #expect(odd.report.warnings.contains("1 demonstration episodes did not end in success (1 aborted); they are used as full demonstrations, so remove them from the recordings if they should not be"))
    }

    @Test func theSplitIsByEpisodeSeededAndNeverEmptiesTraining() {
        var random = SeededRandom(seed: 3)
        let split = EpisodeSplit(episodes: Array(0..<20), validationFraction: 0.1, random: &random)
        #expect(split.validation.count == 2 && split.training.count == 18)
        #expect(Set(split.validation).isDisjoint(with: split.training))
        #expect(Set(split.validation + split.training) == Set(0..<20))
        var again = SeededRandom(seed: 3)
        #expect(EpisodeSplit(episodes: Array(0..<20), validationFraction: 0.1, random: &again).validation == split.validation)
        var other = SeededRandom(seed: 4)
        #expect(EpisodeSplit(episodes: Array(0..<20), validationFraction: 0.1, random: &other).validation != split.validation)
        var small = SeededRandom(seed: 5)
        #expect(EpisodeSplit(episodes: [4, 9], validationFraction: 0.1, random: &small).validation.count == 1)
        #expect(EpisodeSplit(episodes: [4], validationFraction: 0.5, random: &small).validation.isEmpty)
        #expect(EpisodeSplit(episodes: [1, 2, 3], validationFraction: 0.99, random: &small).training.count == 1)
    }
}
