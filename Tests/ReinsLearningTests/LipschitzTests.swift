import ReinsCore
import ReinsLearning
import ReinsPolicy
import ReinsTestSupport
import Testing

/// Every fitted policy certifies within the requested bound, and the bound costs accuracy when it
/// is below what the expert needs (the trade-off of Al Makdah et al.).
@Suite struct LipschitzTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var bound: Double
        var normalizes: Bool
        var bins: Int?
        var testDescription: String { "L = \(bound), \(normalizes ? "normalised" : "raw units"), \(bins.map { "\($0)-bin head" } ?? "no head")" }
    }

    static let cases: [Case] = [0.5, 2, 8].flatMap { bound in
        [true, false].flatMap { normalizes in [nil, 5].map { Case(bound: bound, normalizes: normalizes, bins: $0) } }
    }

    @Test(arguments: cases)
    func certifiedBoundOfTheWrittenPolicyIsAtMostTheRequestedBound(_ testCase: Case) throws {
        // Observation scales from 0.2 to 5: folding the normalisation in matters.
        let expert = SmoothExpert(observations: 4, actions: 2, seed: 31)
        let dataset = expert.dataset(episodes: 6, ticks: 60, seed: 32)
        var configuration = smallConfiguration(hidden: [24, 24], epochs: 12)
        configuration.lipschitzBound = testCase.bound
        configuration.normalizes = testCase.normalizes
        configuration.classificationBins = testCase.bins
        let result = try PolicyFitter(configuration: configuration).fit(dataset: dataset)
        #expect(result.certificate.certifiedLipschitzBound <= testCase.bound)
        #expect(result.certificate.productBound <= testCase.bound)
        #expect(result.certificate.empiricalLowerBound <= result.certificate.certifiedLipschitzBound)
        #expect(result.notes.allSatisfy { !$0.contains("scaled by") }, "the final projection alone must meet the bound")
        #expect((result.network.observationNormalization != nil) == testCase.normalizes)

        // What the loader certifies from the file, not just what the fitter says.
        let folder = TemporaryDirectory()
        let path = folder.file("policy.safetensors")
        try result.write(to: path)
        let loaded = try PolicyNetwork.load(path: path)
        let certificate = LipschitzCertificate.compute(for: loaded, samples: 32)
        #expect(certificate.certifiedLipschitzBound <= testCase.bound)
        #expect(certificate.certifiedLipschitzBound == result.certificate.certifiedLipschitzBound)
        // The constraint binds when the expert needs more than L: the product uses the whole budget.
        if testCase.bound < 1 { #expect(certificate.productBound > 0.99 * testCase.bound) }
    }

    @Test func theWrittenPolicyMeetsTheBoundEvenWhenTrainingsNormEstimatesTrailed() throws {
        // Two minibatch steps: Adam's first steps move every weight by about the learning rate, the
        // per-step one-iteration power estimate cannot follow, and the product of the true norms
        // ends above L. The epoch line says so (a lower estimate, above L), the exact projection
        // at the end brings the written policy within L, and a note says by how much it scaled.
        // One observation entry barely spreads (as the car's look-ahead points do, std 1e-4): folded
        // into the first layer its column is scaled by 1/std, so each Adam step moves that layer's
        // norm far and turns its top singular direction.
        let expert = SmoothExpert(observations: 4, actions: 2, seed: 31)
        var random = SeededRandom(seed: 32)
        var episode = TrainingEpisode(label: "synthetic", outcome: .success, observationCount: 4, actionCount: 2)
        for _ in 0..<300 {
            let x = expert.observation(&random)
            episode.append(observation: [1e-4 * x[0], x[1], x[2], x[3]], action: expert.action(x), source: .expert, segment: .demo)
        }
        let dataset = Dataset(observationNames: expert.observationNames, actionNames: expert.actionNames, episodes: [episode])
        var configuration = smallConfiguration(hidden: [64, 64], epochs: 1)
        configuration.batchSize = 256
        configuration.lipschitzBound = 2
        let result = try PolicyFitter(configuration: configuration).fit(dataset: dataset)
        let epoch = try #require(result.epochs.first)
        #expect(epoch.productBound > 2.02, "the estimate after the first epoch: \(epoch.productBound)")
        #expect(epoch.description.contains("product of norms ≥ \(significant(epoch.productBound))"))
        #expect(result.certificate.productBound <= 2 && result.certificate.certifiedLipschitzBound <= 2)
        let note = try #require(result.notes.first { $0.hasPrefix("training ended with a product of spectral norms of ") }, "\(result.notes)")
        #expect(note.contains("> L = 2 ") && note.contains("the final exact projection scaled each of the 3 layers by 0."))
    }

    @Test func aBoundBelowTheExpertsLipschitzConstantCostsAccuracy() throws {
        let expert = SmoothExpert(observations: 4, actions: 2, seed: 41, nonlinearity: 0)
        // The expert is linear here: its Lipschitz constant is ‖M‖₂ exactly.
        let expertBound = Matrix(rows: 2, columns: 4, entries: expert.matrix).spectralNorm
        let dataset = expert.dataset(episodes: 8, ticks: 80, seed: 42)
        func error(bound: Double?) throws -> Double {
            var configuration = smallConfiguration(hidden: [32, 32], epochs: 40)
            configuration.lipschitzBound = bound
            let result = try PolicyFitter(configuration: configuration).fit(dataset: dataset)
            if let bound { #expect(result.certificate.certifiedLipschitzBound <= bound) }
            return rmsError(of: { result.network.referenceForward($0).action }, against: expert)
        }
        let tight = try error(bound: 0.3 * expertBound)
        let loose = try error(bound: 3 * expertBound)
        let free = try error(bound: nil)
        // Under the bound the policy cannot follow the expert's slope: the error grows by far more
        // than the training noise between runs.
        #expect(tight > 5 * loose, "L = 0.3 L*: \(tight), L = 3 L*: \(loose)")
        #expect(tight > 5 * free)
    }
}
