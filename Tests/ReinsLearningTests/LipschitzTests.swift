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
