#if canImport(Glibc)
import Glibc
#endif

/// Everything `reins fit` can be told about a fit; the defaults fit a 2×256 ReLU MLP.
public struct FitConfiguration: Sendable {
    /// Widths of the hidden layers (ReLU between layers); [] is a linear policy.
    public var hiddenSizes: [Int] = [256, 256]
    /// The Lipschitz bound the written policy must certify, in action units per observation unit
    /// (normalisation included); nil fits without the constraint.
    public var lipschitzBound: Double?
    /// CARIL classification head: K bins per action dimension; nil fits without a head.
    public var classificationBins: Int?
    /// The range of the network's action output the bins split; nil chooses it from the training
    /// targets: [−r, r] for z-scored actions (r = max |z| rounded up to a multiple of 0.25, within
    /// 1…3), [min, max] of the actions without normalisation.
    public var classificationRange: ClosedRange<Double>?
    /// Z-score observations and actions with the training statistics (stored in the policy config).
    /// false: the network sees raw observations and outputs raw actions.
    public var normalizes = true
    /// Passes over the training samples; nil chooses `automaticEpochs(trainingSamples:)`.
    public var epochs: Int?
    public var batchSize = 256
    /// Adam's step size (PyTorch's defaults for the rest). With the cosine decay, 3e-3 reached half
    /// the validation error of 1e-3 in the same 29 epochs on the 2×256 benchmark.
    public var learningRate = 3e-3
    public var adamBeta1 = 0.9
    public var adamBeta2 = 0.999
    public var adamEpsilon = 1e-8
    /// Cosine decay of the learning rate from `learningRate` to 0 over the fit.
    public var cosineDecay = true
    /// Seeds the split, the initial weights, the minibatch order and the power iterations.
    public var seed: UInt64 = 0
    /// Share of the episodes held out for validation.
    public var validationFraction = 0.1
    /// Threads computing the two halves of each minibatch (1 or 2). The result does not depend on
    /// it: the halves are computed and summed the same way either way.
    public var threads = FitConfiguration.availableCores >= 2 ? 2 : 1

    public init() {}

    /// Optimiser steps the automatic epoch count aims for: 29 epochs of 100 000 samples (90 000
    /// after validation) at batch 256, which fit a smooth 18 → 6 expert to 0.5% of its action
    /// spread in about 20 s of a release build on two cores.
    public static let automaticSteps = 10_000
    public static let automaticEpochRange = 20...500

    /// Enough epochs for about `automaticSteps` optimiser steps, within `automaticEpochRange`:
    /// a small recording gets more passes, a large one no fewer than 20.
    public func automaticEpochs(trainingSamples: Int) -> Int {
        let stepsPerEpoch = max(1, (trainingSamples + batchSize - 1) / max(1, batchSize))
        let epochs = (FitConfiguration.automaticSteps + stepsPerEpoch - 1) / stepsPerEpoch
        return min(FitConfiguration.automaticEpochRange.upperBound, max(FitConfiguration.automaticEpochRange.lowerBound, epochs))
    }

    static var availableCores: Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }

    /// What is wrong with the settings, each saying what to use instead.
    public var problems: [String] {
        var problems: [String] = []
        if let bad = hiddenSizes.first(where: { $0 < 1 || $0 > 65_536 }) {
            problems.append("hidden layer width \(bad) must be from 1 to 65536 (the default is 256, 256)")
        }
        if let bound = lipschitzBound, !(bound > 0 && bound.isFinite) {
            problems.append("Lipschitz bound \(bound) must be a positive number (action units per observation unit)")
        }
        if let bins = classificationBins, bins < 2 || bins > 10_000 {
            problems.append("classification head bins \(bins) must be from 2 to 10000 (the CARIL paper uses 11)")
        }
        if let range = classificationRange, !(range.lowerBound.isFinite && range.upperBound.isFinite && range.lowerBound < range.upperBound) {
            problems.append("classification range \(range) must be finite with low < high, e.g. -3...3 for z-scored actions")
        }
        if let epochs, epochs < 1 { problems.append("epochs \(epochs) must be at least 1") }
        if batchSize < 1 || batchSize > 65_536 { problems.append("batch size \(batchSize) must be from 1 to 65536 (the default is 256)") }
        if !(learningRate > 0 && learningRate.isFinite) { problems.append("learning rate \(learningRate) must be positive (the default is 0.003)") }
        if !(adamBeta1 >= 0 && adamBeta1 < 1) || !(adamBeta2 >= 0 && adamBeta2 < 1) {
            problems.append("Adam betas (\(adamBeta1), \(adamBeta2)) must lie in [0, 1) (the defaults are 0.9, 0.999)")
        }
        if !(adamEpsilon > 0 && adamEpsilon.isFinite) { problems.append("Adam epsilon \(adamEpsilon) must be positive (the default is 1e-8)") }
        if !(validationFraction >= 0 && validationFraction < 1) {
            problems.append("validation fraction \(validationFraction) must lie in [0, 1) (the default is 0.1)")
        }
        if threads != 1 && threads != 2 { problems.append("threads \(threads) must be 1 or 2") }
        return problems
    }
}

/// Why a fit could not run: each message names the setting, episode or entry and what to change.
public struct FitError: Error, Sendable, CustomStringConvertible {
    public var messages: [String]

    public init(_ message: String) { messages = [message] }
    public init(_ messages: [String]) { self.messages = messages }

    public var description: String { messages.joined(separator: "\n") }
}
