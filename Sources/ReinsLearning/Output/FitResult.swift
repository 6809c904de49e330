import ReinsCore
import ReinsPolicy

/// How well the fitted policy does on one sample set.
public struct SampleMetrics: Sendable {
    public var samples: Int
    /// The training loss (MSE on normalised actions, or 0.5 MSE + 0.5 CE with a head).
    public var loss: Double
    /// Root mean square over ticks of ‖predicted − recorded action‖₂, in action units.
    public var actionError: Double
    /// Root mean square error per action entry, in that entry's units.
    public var actionRMSE: [Double]
    /// Share of action dimensions whose most likely head bin is the target bin (with a head).
    public var headAccuracy: Double?
}

/// The numbers of the written policy (after the final projection).
public struct FinalMetrics: Sendable {
    public var training: SampleMetrics
    /// nil when no episode was held out.
    public var validation: SampleMetrics?
}

/// A fitted, certified policy and how it came about. `write(to:)` makes the policy file.
public struct FitResult: Sendable, CustomStringConvertible {
    /// The policy exactly as it will be written (Float32 weights, normalisation, names, head).
    public var network: PolicyNetwork
    /// The certificate `PolicyNetwork.load` will compute for the written file.
    public var certificate: LipschitzCertificate
    public var configuration: FitConfiguration
    public var epochs: [EpochReport]
    public var composition: CompositionReport
    public var sourceFiles: [String]
    public var constantObservations: [String]
    public var constantActions: [String]
    public var final: FinalMetrics
    /// Things the user should know: constant entries, no validation set, a rescale to meet L.
    public var notes: [String]
    public var seconds: Double

    /// Writes `path` (safetensors, F32) with the config under `__metadata__["reins"]` and the
    /// training provenance under `__metadata__["reins_fit"]`, and the config as NAME.yaml beside it.
    public func write(to path: String) throws(SystemError) {
        var comments = ["Written by reins fit" + (sourceFiles.isEmpty ? "" : " from " + sourceFiles.joined(separator: ", "))]
        comments.append("\(composition.trainingSamples) training and \(composition.validationSamples) validation samples, \(epochs.count) epochs, seed \(configuration.seed)")
        comments.append(boundLine)
        if let validation = final.validation { comments.append("validation action error \(significant(validation.actionError)) (RMS of the L2 error, action units)") }
        try network.write(to: path, metadata: ["reins_fit": provenanceJSON], yamlComments: comments)
    }

    private var boundLine: String {
        let certified = "certified Lipschitz bound \(significant(certificate.certifiedLipschitzBound, digits: 4)) (product \(significant(certificate.productBound, digits: 4)), empirical lower bound \(significant(certificate.empiricalLowerBound, digits: 4)))"
        guard let bound = configuration.lipschitzBound else { return certified + ", unconstrained fit" }
        return certified + " for a requested bound of \(significant(bound, digits: 6))"
    }

    /// The training provenance as one JSON object: data, sizes, settings, bound and final losses.
    public var provenanceJSON: String {
        func number(_ value: Double?) -> String {
            guard let value, value.isFinite else { return "null" }
            return "\(value)"
        }
        func strings(_ values: [String]) -> String { "[" + values.map(\.jsonQuoted).joined(separator: ",") + "]" }
        func numbers(_ values: [Double]) -> String { "[" + values.map { number($0) }.joined(separator: ",") + "]" }
        func metrics(_ metrics: SampleMetrics?) -> String {
            guard let metrics else { return "null" }
            var fields = ["\"samples\":\(metrics.samples)", "\"loss\":\(number(metrics.loss))",
                          "\"action_error\":\(number(metrics.actionError))", "\"action_rmse\":\(numbers(metrics.actionRMSE))"]
            if let accuracy = metrics.headAccuracy { fields.append("\"head_accuracy\":\(number(accuracy))") }
            return "{" + fields.joined(separator: ",") + "}"
        }
        let used = [Segment.demo, .recovery, .correction, .autonomous].map { "\"\($0)\":\(composition.includedTicks[$0] ?? 0)" }
        let excluded = ExclusionReason.allCases.map { "\"\($0)\":\(composition.excludedTicks[$0] ?? 0)" }
        var fields = [
            "\"data_files\":\(strings(sourceFiles))",
            "\"episodes\":{\"training\":\(composition.trainingEpisodes),\"validation\":\(composition.validationEpisodes)}",
            "\"samples\":{\"training\":\(composition.trainingSamples),\"validation\":\(composition.validationSamples)}",
            "\"ticks_used\":{\(used.joined(separator: ","))}",
            "\"ticks_left_out\":{\(excluded.joined(separator: ","))}",
            "\"hidden_sizes\":[\(configuration.hiddenSizes.map(String.init).joined(separator: ","))]",
            "\"lipschitz_bound\":\(number(configuration.lipschitzBound))",
            "\"layer_norms\":\(numbers(certificate.layerNorms))",
            "\"certified_lipschitz_bound\":\(number(certificate.certifiedLipschitzBound))",
            "\"product_bound\":\(number(certificate.productBound))",
            "\"empirical_lower_bound\":\(number(certificate.empiricalLowerBound))",
            "\"epochs\":\(epochs.count)",
            "\"batch_size\":\(configuration.batchSize)",
            "\"learning_rate\":\(number(configuration.learningRate))",
            "\"cosine_decay\":\(configuration.cosineDecay)",
            "\"seed\":\(configuration.seed)",
            "\"validation_fraction\":\(number(configuration.validationFraction))",
            "\"constant_observations\":\(strings(constantObservations))",
            "\"constant_actions\":\(strings(constantActions))",
            "\"final\":{\"training\":\(metrics(final.training)),\"validation\":\(metrics(final.validation))}",
            "\"seconds\":\(number(seconds))",
        ]
        if let head = network.classificationHead {
            fields.append("\"classification_head\":{\"bins\":\(head.bins),\"range\":[\(number(head.range.lowerBound)),\(number(head.range.upperBound))]}")
        }
        fields.append("\"notes\":\(strings(notes))")
        return "{" + fields.joined(separator: ",") + "}"
    }

    /// A few lines for `reins fit` to print at the end.
    public var description: String {
        var lines = [composition.description]
        let training = final.training
        lines.append("final: training loss \(significant(training.loss)), training action error \(significant(training.actionError))"
                     + (training.headAccuracy.map { ", head accuracy \(significant($0))" } ?? ""))
        if let validation = final.validation {
            lines.append("       validation loss \(significant(validation.loss)), validation action error \(significant(validation.actionError))"
                         + (validation.headAccuracy.map { ", head accuracy \(significant($0))" } ?? ""))
        }
        lines.append(boundLine)
        lines += notes.map { "note: " + $0 }
        lines.append("\(epochs.count) epochs in \(significant(seconds)) s")
        return lines.joined(separator: "\n")
    }
}
