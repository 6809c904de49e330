import ReinsCore
@testable import ReinsLearning
import ReinsPolicy
import ReinsTestSupport
import Testing

/// Fitting smooth experts: accuracy, the written file, and determinism.
@Suite struct FitTests {
    @Test func fitReproducesASmoothExpertAndTheWrittenFileLoadsWithTheSameForwardPass() throws {
        let expert = SmoothExpert(observations: 5, actions: 2, seed: 3)
        let dataset = expert.dataset(episodes: 20, ticks: 100, seed: 4)
        var reports: [EpochReport] = []
        let result = try PolicyFitter(configuration: smallConfiguration(hidden: [64, 64], epochs: 150)).fit(dataset: dataset) { reports.append($0) }

        // Progress came once per epoch and the loss went down.
        #expect(reports.map(\.epoch) == Array(1...150))
        #expect(reports.last!.trainingLoss < reports.first!.trainingLoss / 10)
        #expect(reports.allSatisfy { $0.validationLoss != nil && $0.seconds > 0 && $0.productBound > 0 })

        // The expert's actions span about ±3 units; the clone must be far closer than that.
        let spread = rmsError(of: { _ in [0.0, 0.5] }, against: expert)
        let error = rmsError(of: { result.network.referenceForward($0).action }, against: expert)
        #expect(error < 0.05 * spread, "RMS error \(error) against an action spread of \(spread)")
        let validation = try #require(result.final.validation)
        #expect(validation.actionError < 0.05 * spread)
        #expect(result.composition.trainingEpisodes == 18 && result.composition.validationEpisodes == 2)
        #expect(result.composition.trainingSamples == 1800 && result.composition.validationSamples == 200)

        // Written, loaded, and the same numbers as the fitter's own Float32 forward pass.
        let folder = TemporaryDirectory()
        let path = folder.file("arm.safetensors")
        try result.write(to: path)
        let loaded = try PolicyNetwork.load(path: path)
        #expect(loaded.observationNames == expert.observationNames)
        #expect(loaded.actionNames == expert.actionNames)
        #expect(loaded.configSource == folder.file("arm.yaml"))
        #expect(loaded.layers.map(\.name) == ["net.0.weight", "net.2.weight", "net.4.weight"])
        #expect(loaded.observationNormalization == result.network.observationNormalization)
        #expect(loaded.actionNormalization == result.network.actionNormalization)
        let trainer = MLPTrainer(network: loaded)
        var random = SeededRandom(seed: 8)
        let observations = (0..<50).map { _ in expert.observation(&random) }
        let normalization = try #require(loaded.observationNormalization), scale = try #require(loaded.actionNormalization)
        let normalised = observations.flatMap { x in x.indices.map { Float((x[$0] - normalization.mean[$0]) / normalization.std[$0]) } }
        let own = trainer.predict(normalised, rows: observations.count).outputs
        for (row, x) in observations.enumerated() {
            let reference = loaded.referenceForward(x).action
            for column in 0..<2 {
                let fitter = scale.mean[column] + scale.std[column] * Double(own[row * 2 + column])
                #expect(abs(fitter - reference[column]) < 1e-4 * max(1, abs(reference[column])), "row \(row) action \(column)")
            }
        }
    }

    @Test func sameSeedGivesTheSameWeightsWhateverTheThreadCount() throws {
        let expert = SmoothExpert(observations: 4, actions: 2, seed: 11)
        let dataset = expert.dataset(episodes: 6, ticks: 50, seed: 12)
        var configuration = smallConfiguration(hidden: [16, 16], epochs: 5, seed: 42)
        configuration.lipschitzBound = 3
        configuration.classificationBins = 5
        configuration.threads = 2
        let first = try PolicyFitter(configuration: configuration).fit(dataset: dataset)
        configuration.threads = 1
        let second = try PolicyFitter(configuration: configuration).fit(dataset: dataset)
        #expect(first.network.layers.map(\.weights) == second.network.layers.map(\.weights))
        #expect(first.network.layers.map(\.bias) == second.network.layers.map(\.bias))
        #expect(first.network.classificationHead?.layer.weights == second.network.classificationHead?.layer.weights)
        #expect(first.final.training.loss == second.final.training.loss)
        configuration.seed = 43
        let other = try PolicyFitter(configuration: configuration).fit(dataset: dataset)
        #expect(other.network.layers[0].weights != first.network.layers[0].weights)
    }

    @Test func constantEntriesAreIgnoredAndPredictedAsConstants() throws {
        // Observation 1 never moves and action 1 is always 2.5: no division by a tiny std, no
        // bound blown up by it, and the constant action comes out exactly.
        var random = SeededRandom(seed: 21)
        var dataset = Dataset(observationNames: ["a", "stuck", "b"], actionNames: ["u", "fixed"])
        for index in 0..<4 {
            var episode = TrainingEpisode(label: "episode \(index)", outcome: .success, observationCount: 3, actionCount: 2)
            for _ in 0..<60 {
                let a = random.uniform(-1...1), b = random.uniform(-1...1)
                episode.append(observation: [a, 0.1, b], action: [a - 0.5 * b, 2.5], source: .human, segment: .demo)
            }
            dataset.episodes.append(episode)
        }
        var configuration = smallConfiguration(hidden: [16], epochs: 30)
        configuration.lipschitzBound = 2
        let result = try PolicyFitter(configuration: configuration).fit(dataset: dataset)
        #expect(result.constantObservations == ["stuck"])
        #expect(result.constantActions == ["fixed"])
        let normalization = try #require(result.network.observationNormalization)
        #expect(normalization.std[1] == 1 && normalization.mean[1] == 0.1)
        let first = result.network.layers[0]
        #expect((0..<first.outputs).allSatisfy { first.weight($0, 1) == 0 })
        #expect(result.network.referenceForward([0.3, 7, -0.2]).action[1] == 2.5)
        #expect(result.certificate.certifiedLipschitzBound <= 2)
        #expect(result.notes.contains { $0.contains("observation stuck") })
    }

    @Test func aLinearPolicyWithoutHiddenLayersFitsALinearExpertAndCertifies() throws {
        let expert = SmoothExpert(observations: 3, actions: 2, seed: 13, nonlinearity: 0)
        var configuration = smallConfiguration(hidden: [], epochs: 600)
        configuration.lipschitzBound = 100
        configuration.classificationBins = 3
        let result = try PolicyFitter(configuration: configuration).fit(dataset: expert.dataset(episodes: 4, ticks: 50, seed: 14))
        #expect(result.network.layers.count == 1)
        // The head reads the normalised observation itself (the input of the only layer).
        #expect(result.network.classificationHead?.layer.inputs == 3)
        let spread = rmsError(of: { _ in [0.0, 0.5] }, against: expert)
        #expect(rmsError(of: { result.network.referenceForward($0).action }, against: expert) < 0.05 * spread)
        // One linear layer: the certificate is exact, ‖M‖₂ of the expert.
        let expertNorm = Matrix(rows: 2, columns: 3, entries: expert.matrix).spectralNorm
        #expect(abs(result.certificate.certifiedLipschitzBound - expertNorm) < 0.02 * expertNorm)
    }

    @Test func automaticEpochsAimForTenThousandStepsWithinTwentyToFiveHundredEpochs() {
        let configuration = FitConfiguration()
        #expect(configuration.automaticEpochs(trainingSamples: 90_000) == 29)
        #expect(configuration.automaticEpochs(trainingSamples: 20_000) == 127)
        #expect(configuration.automaticEpochs(trainingSamples: 1_000) == 500)
        #expect(configuration.automaticEpochs(trainingSamples: 1_000_000) == 20)
    }

    @Test func configurationAndDataProblemsSayWhatToChange() {
        var configuration = FitConfiguration()
        configuration.hiddenSizes = [0]
        configuration.lipschitzBound = -1
        configuration.classificationBins = 1
        configuration.validationFraction = 1
        configuration.threads = 3
        #expect(configuration.problems.count == 5)
        let dataset = Dataset(observationNames: ["a"], actionNames: ["u"])
        #expect(throws: FitError.self) { try PolicyFitter(configuration: configuration).fit(dataset: dataset) }
        do {
            _ = try PolicyFitter().fit(dataset: dataset)
            Issue.record("an empty dataset was fitted")
        } catch {
            #expect(error.description.hasPrefix("no training data"))
        }
        var broken = Dataset(observationNames: ["a", "b"], actionNames: ["u"])
        var episode = TrainingEpisode(label: "run.mcap episode 2", outcome: .success, observationCount: 2, actionCount: 1)
        episode.append(observation: [0, 1], action: [0], source: .expert, segment: .demo)
        episode.append(observation: [0, .nan], action: [0], source: .expert, segment: .demo)
        broken.episodes = [episode]
        do {
            _ = try PolicyFitter().fit(dataset: broken)
            Issue.record("a NaN observation was fitted")
        } catch {
            #expect(error.description == "run.mcap episode 2 tick 1: observation `b` is nan (1 non-finite observation value in the episode); drop the episode or fix the recording")
        }
    }
}
