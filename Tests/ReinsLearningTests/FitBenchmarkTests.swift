import ReinsCore
import ReinsLearning
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The speed requirement: the default 2×256 MLP on 100 000 samples (18 observations, 6 actions)
/// in under a minute. Timing means a release build, so it runs only when asked:
///
///     REINS_FIT_BENCHMARK=1 swift test -c release --filter FitBenchmark
///
/// `REINS_FIT_BENCHMARK_BOUND=L` adds the Lipschitz constraint, `REINS_FIT_BENCHMARK_BINS=K` the head.
@Suite struct FitBenchmark {
    static var requested: Bool { getenv("REINS_FIT_BENCHMARK") != nil }

    @Test(.enabled(if: requested))
    func defaultFitOfOneHundredThousandSamplesTakesUnderAMinute() throws {
        let expert = SmoothExpert(observations: 18, actions: 6, seed: 2024)
        let dataset = expert.dataset(episodes: 200, ticks: 500, seed: 7)
        var configuration = FitConfiguration()
        if let text = getenv("REINS_FIT_BENCHMARK_BOUND").map({ String(cString: $0) }) { configuration.lipschitzBound = Double(text) }
        if let text = getenv("REINS_FIT_BENCHMARK_BINS").map({ String(cString: $0) }) { configuration.classificationBins = Int(text) }
        if let text = getenv("REINS_FIT_BENCHMARK_EPOCHS").map({ String(cString: $0) }) { configuration.epochs = Int(text) }
        if let text = getenv("REINS_FIT_BENCHMARK_LR").map({ String(cString: $0) }), let rate = Double(text) { configuration.learningRate = rate }
        if let text = getenv("REINS_FIT_BENCHMARK_THREADS").map({ String(cString: $0) }), let threads = Int(text) { configuration.threads = threads }
        let result = try PolicyFitter(configuration: configuration).fit(dataset: dataset) { print($0) }
        print(result)
        let spread = rmsError(of: { _ in (0..<6).map { 0.5 * Double($0) } }, against: expert)
        let error = rmsError(of: { result.network.referenceForward($0).action }, against: expert, samples: 2000)
        print("fit \(result.seconds) s; RMS error on fresh observations \(error) (constant predictor: \(spread))")
        #expect(result.seconds < 60)
        if configuration.lipschitzBound == nil { #expect(error < 0.02 * spread) }
    }
}
