import Foundation
import ReinsConfig
import ReinsPolicy
import Testing

/// CARIL's rules one by one with hand-built logits (K = 11 on [-1, 1]: bin width 2/11, bin k
/// centred at -1 + (k + 0.5)·2/11), and the responses.
@Suite struct CorrectorTests {
    /// Two actions with action normalisation mean [0, 10], std [1, 2], and an 11-bin head.
    static func network() throws -> PolicyNetwork {
        let base = try smallNetwork([3, 4, 2], headBins: 11)
        return try PolicyNetwork(layers: base.layers, actionNormalization: Normalization(mean: [0, 10], std: [1, 2]),
                                 classificationHead: base.classificationHead)
    }

    /// Logits that give probability `confidence` to `bin` and spread the rest evenly.
    static func logits(peakAt bin: Int, confidence: Double, bins: Int = 11) -> [Double] {
        let rest = (1 - confidence) / Double(bins - 1)
        return (0..<bins).map { log($0 == bin ? confidence : rest) }
    }

    func run(_ output: PolicyOutput, settings: MonitorSettings = MonitorSettings(sensorNoiseBound: 0.01, actionTolerance: 1),
             monitor: MonitorReport = MonitorReport(), lastApplied: [Double] = [0, 10]) throws -> CorrectionReport {
        let network = try Self.network()
        var report = CorrectionReport(for: network)
        ConfidenceCorrector(network: network, settings: settings).correct(output, monitor: monitor, lastApplied: lastApplied, into: &report)
        return report
    }

    static func centre(_ bin: Int) -> Double { -1 + (Double(bin) + 0.5) * 2 / 11 }

    @Test func rule1ConfidentAndAgreeingKeepsTheRegression() throws {
        // r = 0.05 (normalised) is in bin 5; the classifier says bin 6 with c = 0.95: within one bin.
        var output = PolicyOutput(actionCount: 2, logitCount: 22)
        output.action = [0.05, 10 + 2 * 0.05]
        output.logits = Self.logits(peakAt: 6, confidence: 0.95) + Self.logits(peakAt: 5, confidence: 0.95)
        let report = try run(output)
        #expect(report.rule == [.agreement, .agreement])
        #expect(report.regressionBin == [5, 5])
        #expect(report.classBin == [6, 5])
        #expect(abs(report.confidence[0] - 0.95) < 1e-12)
        let rest = 0.05 / 10
        #expect(abs(report.entropy[0] - (-0.95 * log(0.95) - 10 * rest * log(rest))) < 1e-12)
        #expect(report.ruled == output.action && report.corrected == output.action)
        #expect(report.response == .none && !report.lowConfidence)
    }

    @Test func rule2ConfidentClassifierOverridesADisagreeingRegression() throws {
        // r in bin 1, classifier confident in bin 9: a = centre of bin 9, de-normalised per action.
        var output = PolicyOutput(actionCount: 2, logitCount: 22)
        output.action = [-0.75, 10 + 2 * -0.75]
        output.logits = Self.logits(peakAt: 9, confidence: 0.97) + Self.logits(peakAt: 9, confidence: 0.9)
        let report = try run(output)
        #expect(report.rule == [.classifierOverride, .classifierOverride])
        #expect(report.regressionBin == [1, 1])
        #expect(abs(report.ruled[0] - Self.centre(9)) < 1e-12)
        #expect(abs(report.ruled[1] - (10 + 2 * Self.centre(9))) < 1e-12)
        #expect(report.regression == output.action)
        #expect(report.response == .none)
    }

    @Test func binToleranceIsConfigurable() throws {
        var output = PolicyOutput(actionCount: 2, logitCount: 22)
        output.action = [0.05, 10.1]  // both in bin 5
        output.logits = Self.logits(peakAt: 7, confidence: 0.95) + Self.logits(peakAt: 6, confidence: 0.95)
        #expect(try run(output).rule == [.classifierOverride, .agreement])
        let wide = MonitorSettings(sensorNoiseBound: 0.01, actionTolerance: 1, binTolerance: 2)
        #expect(try run(output, settings: wide).rule == [.agreement, .agreement])
    }

    @Test func rule3UnsureClassifierKeepsTheRegressionAndFlagsLowConfidence() throws {
        // Uniform logits: c = 1/11 < 0.5 and H = ln 11 ≈ 2.40 > 1.5.
        var output = PolicyOutput(actionCount: 2, logitCount: 22)
        output.action = [0.3, 10.6]
        output.logits = [Double](repeating: 0.25, count: 11) + Self.logits(peakAt: 4, confidence: 0.95)
        let report = try run(output, settings: MonitorSettings(sensorNoiseBound: 0.01, actionTolerance: 1, response: .takeover))
        #expect(report.rule == [.lowConfidence, .agreement] || report.rule == [.lowConfidence, .classifierOverride])
        #expect(abs(report.confidence[0] - 1.0 / 11) < 1e-12)
        #expect(abs(report.entropy[0] - log(11)) < 1e-12)
        #expect(report.ruled[0] == 0.3)
        #expect(report.lowConfidence)
        #expect(report.response == .takeover && report.takeoverRequested)
    }

    @Test func rule4MiddlingConfidenceKeepsTheRegressionWithoutDither() throws {
        // c = 0.7: neither confident nor unsure. Also c = 0.3 with low entropy is rule 4, not 3.
        var output = PolicyOutput(actionCount: 2, logitCount: 22)
        output.action = [-0.5, 9]
        var twoBins = [Double](repeating: -50, count: 11)
        twoBins[2] = log(0.3); twoBins[3] = log(0.3); twoBins[4] = log(0.4)
        output.logits = Self.logits(peakAt: 0, confidence: 0.7) + twoBins
        let report = try run(output)
        #expect(report.rule == [.regression, .regression])
        #expect(report.entropy[1] < 1.5 && report.confidence[1] < 0.5)
        #expect(report.ruled == output.action && report.corrected == output.action)
        #expect(!report.lowConfidence && report.response == .none)
        // Deterministic: the same input gives the same output.
        #expect(try run(output) == report)
    }

    @Test func outOfRangeRegressionMapsToTheEdgeBin() throws {
        // r = 5 (normalised) is far above the range: k_r = 10, which agrees with a confident bin 10.
        var output = PolicyOutput(actionCount: 2, logitCount: 22)
        output.action = [5, 10 + 2 * -7]
        output.logits = Self.logits(peakAt: 10, confidence: 0.99) + Self.logits(peakAt: 0, confidence: 0.99)
        let report = try run(output)
        #expect(report.regressionBin == [10, 0])
        #expect(report.rule == [.agreement, .agreement])
        #expect(report.ruled == output.action)
    }

    @Test func responsesHoldSlowAndTakeover() throws {
        var output = PolicyOutput(actionCount: 2, logitCount: 22)
        output.action = [0.5, 11]  // both in bin 8 (normalised 0.5), where the classifier agrees
        output.logits = Self.logits(peakAt: 8, confidence: 0.95) + Self.logits(peakAt: 8, confidence: 0.95)
        let alarm = MonitorReport(sensitivity: 50, sensitivityExceeded: true)
        let last = [0.1, 10.2]

        let hold = try run(output, settings: MonitorSettings(sensorNoiseBound: 0.01, actionTolerance: 1, response: .hold), monitor: alarm, lastApplied: last)
        #expect(hold.response == .hold && hold.corrected == last && !hold.takeoverRequested)

        let slow = try run(output, settings: MonitorSettings(sensorNoiseBound: 0.01, actionTolerance: 1, response: .slow, slowFactor: 0.25),
                           monitor: alarm, lastApplied: last)
        #expect(slow.response == .slow)
        expectClose(slow.corrected, [0.1 + 0.25 * (0.5 - 0.1), 10.2 + 0.25 * (11 - 10.2)], tolerance: 1e-12)

        let takeover = try run(output, settings: MonitorSettings(sensorNoiseBound: 0.01, actionTolerance: 1, response: .takeover), monitor: alarm, lastApplied: last)
        #expect(takeover.response == .takeover && takeover.takeoverRequested && takeover.corrected == takeover.ruled)

        let innovation = MonitorReport(innovation: InnovationFault(entry: 2, jump: 1, allowed: 0.1))
        #expect(try run(output, settings: MonitorSettings(sensorNoiseBound: 0.01, actionTolerance: 1, response: .hold), monitor: innovation, lastApplied: last).corrected == last)

        // No alarm, confident: the response stays off whatever is configured.
        let calm = try run(output, settings: MonitorSettings(sensorNoiseBound: 0.01, actionTolerance: 1, response: .hold), lastApplied: last)
        #expect(calm.response == .none && calm.corrected == calm.ruled)
    }

    @Test func policiesWithoutAHeadSkipTheRulesButStillGetTheSensitivityResponse() throws {
        let network = try smallNetwork([3, 4, 2])
        var report = CorrectionReport(for: network)
        let corrector = ConfidenceCorrector(network: network, settings: MonitorSettings(sensorNoiseBound: 0.01, actionTolerance: 1, response: .hold))
        var output = PolicyOutput(for: network)
        output.action = [1, 2]
        corrector.correct(output, monitor: MonitorReport(), lastApplied: [0, 0], into: &report)
        #expect(report.rule == [.noClassifier, .noClassifier] && report.corrected == [1, 2] && report.response == .none)
        corrector.correct(output, monitor: MonitorReport(sensitivity: 9, sensitivityExceeded: true), lastApplied: [0, 0], into: &report)
        #expect(report.response == .hold && report.corrected == [0, 0])
    }

    @Test func nonFiniteActionIsLeftForTheSafetyFilter() throws {
        var output = PolicyOutput(actionCount: 2, logitCount: 22)
        output.action = [.nan, 10]
        output.logits = Self.logits(peakAt: 5, confidence: 0.6) + Self.logits(peakAt: 5, confidence: 0.6)
        let report = try run(output, settings: MonitorSettings(sensorNoiseBound: 0.01, actionTolerance: 1, response: .takeover), lastApplied: [0.2, 10.4])
        // No response of the corrector's own (not even takeover): the safety filter's fallback handles it.
        #expect(report.response == .none && report.corrected[0].isNaN && report.corrected[1] == 10)
    }
}
