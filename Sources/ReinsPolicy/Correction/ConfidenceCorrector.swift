#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ReinsConfig
import ReinsCore

/// Which CARIL rule decided an action dimension.
public enum CorrectionRule: Int, Sendable, CustomStringConvertible {
    /// The policy has no classification head; the regression output passes through.
    case noClassifier = 0
    /// c ≥ τ_hi and |k_r − k*| ≤ tolerance: the heads agree, a = r.
    case agreement = 1
    /// c ≥ τ_hi and |k_r − k*| > tolerance: the confident classifier overrides, a = centre of bin k*.
    case classifierOverride = 2
    /// c < τ_lo and H > H_max: the classifier is too unsure to override, a = r, flagged.
    case lowConfidence = 3
    /// Anything else: a = r (the paper's random dither is deliberately not applied).
    case regression = 4

    public var description: String {
        switch self {
        case .noClassifier: return "none"
        case .agreement: return "agree"
        case .classifierOverride: return "override"
        case .lowConfidence: return "low_confidence"
        case .regression: return "regression"
        }
    }
}

/// Everything the corrector decided this tick, per action dimension, for the recorder.
/// Create one at load (`init(for:)`) and pass it `inout` every tick; it is overwritten in place.
public struct CorrectionReport: Sendable, Equatable {
    /// c = max softmax probability (NaN without a head).
    public var confidence: [Double]
    /// H = −Σ p ln p, in nats (at most ln K).
    public var entropy: [Double]
    /// k* = argmax p.
    public var classBin: [Int]
    /// k_r = the bin of the regression output (clamped into the bin range).
    public var regressionBin: [Int]
    public var rule: [CorrectionRule]
    /// r: the regression output, action units.
    public var regression: [Double]
    /// a: after the CARIL rules, action units.
    public var ruled: [Double]
    /// After the rules and the response (hold, slow): what the policy asks for, the pipeline's
    /// `corrected` action, which the safety filter takes next.
    public var corrected: [Double]
    public var response: ResponseTaken
    /// Rule 3 fired on at least one dimension.
    public var lowConfidence: Bool
    /// The takeover response fired: the intervention feature should hand control to the operator.
    public var takeoverRequested: Bool

    public init(actionCount: Int) {
        confidence = [Double](repeating: .nan, count: actionCount)
        entropy = [Double](repeating: .nan, count: actionCount)
        classBin = [Int](repeating: 0, count: actionCount)
        regressionBin = [Int](repeating: 0, count: actionCount)
        rule = [CorrectionRule](repeating: .noClassifier, count: actionCount)
        regression = [Double](repeating: 0, count: actionCount)
        ruled = [Double](repeating: 0, count: actionCount)
        corrected = [Double](repeating: 0, count: actionCount)
        response = .none
        lowConfidence = false
        takeoverRequested = false
    }

    public init(for network: PolicyNetwork) {
        self.init(actionCount: network.actionCount)
    }
}

/// Confidence-aware correction (CARIL, Delavari et al. 2025) plus the configured response to low
/// confidence and to the robustness monitor's alarms.
public struct ConfidenceCorrector: Sendable {
    public let settings: MonitorSettings
    public let head: ClassificationHead?
    public let actionCount: Int
    private let actionMean: [Double]
    private let actionStd: [Double]

    public init(network: PolicyNetwork, settings: MonitorSettings) {
        self.settings = settings
        head = network.classificationHead
        actionCount = network.actionCount
        actionMean = network.actionNormalization?.mean ?? [Double](repeating: 0, count: network.actionCount)
        actionStd = network.actionNormalization?.std ?? [Double](repeating: 1, count: network.actionCount)
    }

    /// Applies the rules to `output` and the response to `monitor`'s alarms and low confidence,
    /// relative to `lastApplied` (what the robot really applied last tick). A non-finite action is
    /// passed on untouched: the safety filter, the one place that guards the robot, replaces it
    /// with its fallback and counts it. Never allocates.
    public func correct(_ output: PolicyOutput, monitor: MonitorReport, lastApplied: [Double], into report: inout CorrectionReport) {
        precondition(output.action.count == actionCount && lastApplied.count == actionCount && report.corrected.count == actionCount
                     && report.confidence.count == actionCount, "action sizes differ from the policy's \(actionCount)")
        report.lowConfidence = false
        for j in 0..<actionCount {
            let r = output.action[j]
            report.regression[j] = r
            guard let head else {
                report.rule[j] = .noClassifier
                report.ruled[j] = r
                continue
            }
            precondition(output.logits.count == actionCount * head.bins, "expected \(actionCount * head.bins) logits")
            let k = head.bins
            let base = j * k
            // Numerically stable softmax statistics without storing p: with z = Σ e^(l−max),
            // p_i = e^(l_i−max)/z and H = ln z − Σ p_i (l_i − max).
            var largest = -Double.infinity
            var best = 0
            for bin in 0..<k where output.logits[base + bin] > largest {
                largest = output.logits[base + bin]
                best = bin
            }
            var z = 0.0, weighted = 0.0
            for bin in 0..<k {
                let shifted = output.logits[base + bin] - largest
                let e = exp(shifted)
                z += e
                weighted += e * shifted
            }
            let confidence = 1 / z
            let entropy = log(z) - weighted / z
            let normalised = (r - actionMean[j]) / actionStd[j]
            let regressionBin = head.bin(of: normalised)
            report.confidence[j] = confidence
            report.entropy[j] = entropy
            report.classBin[j] = best
            report.regressionBin[j] = regressionBin

            if confidence >= settings.confidenceHigh {
                if abs(regressionBin - best) <= settings.binTolerance {
                    report.rule[j] = .agreement
                    report.ruled[j] = r
                } else {
                    report.rule[j] = .classifierOverride
                    report.ruled[j] = actionMean[j] + actionStd[j] * head.centre(ofBin: best)
                }
            } else if confidence < settings.confidenceLow && entropy > settings.entropyMax {
                report.rule[j] = .lowConfidence
                report.ruled[j] = r
                report.lowConfidence = true
            } else {
                report.rule[j] = .regression
                report.ruled[j] = r
            }
        }

        report.takeoverRequested = false
        var finite = true
        for j in 0..<actionCount where !report.ruled[j].isFinite { finite = false }
        if !finite {
            report.response = .none
            for j in 0..<actionCount { report.corrected[j] = report.ruled[j] }
            return
        }
        guard report.lowConfidence || monitor.isAlarm else {
            report.response = .none
            for j in 0..<actionCount { report.corrected[j] = report.ruled[j] }
            return
        }
        switch settings.response {
        case .hold:
            report.response = .hold
            for j in 0..<actionCount { report.corrected[j] = lastApplied[j] }
        case .slow:
            report.response = .slow
            for j in 0..<actionCount {
                report.corrected[j] = lastApplied[j] + settings.slowFactor * (report.ruled[j] - lastApplied[j])
            }
        case .takeover:
            report.response = .takeover
            report.takeoverRequested = true
            for j in 0..<actionCount { report.corrected[j] = report.ruled[j] }
        }
    }
}
