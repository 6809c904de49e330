import CKernels
import ReinsCore
import ReinsPolicy

#if canImport(Glibc)
import Glibc
#endif

/// Behaviour cloning of a Lipschitz-constrained MLP policy with an optional CARIL head: RaC data
/// composition, normalisation, Adam on minibatches in Float32 C kernels, the per-step Lipschitz
/// projection, and a certified result ready to write as a policy file.
public struct PolicyFitter: Sendable {
    public var configuration: FitConfiguration

    public init(configuration: FitConfiguration = FitConfiguration()) {
        self.configuration = configuration
    }

    /// Fits a policy to `dataset`, calling `progress` on the calling thread after each epoch.
    public func fit(dataset: Dataset, progress: (EpochReport) -> Void = { _ in }) throws(FitError) -> FitResult {
        let started = MonotonicClock.nowNanoseconds()
        let configuration = self.configuration
        let problems = configuration.problems + dataset.problems()
        guard problems.isEmpty else { throw FitError(problems) }
        let observationCount = dataset.observationNames.count, actionCount = dataset.actionNames.count

        // Data: RaC composition, split by episode, normalisation from the training split.
        let composition = RaCComposition(dataset)
        var report = composition.report
        let usable = composition.includedTicks.indices.filter { !composition.includedTicks[$0].isEmpty }
        guard !usable.isEmpty else {
            throw FitError("no training data: none of the \(dataset.episodes.count) episodes has ticks the RaC rules keep (demonstrations, human segments, autonomous successes)\n\(report)")
        }
        var root = SeededRandom(seed: configuration.seed)
        var splitRandom = root.split(), initRandom = root.split(), orderRandom = root.split(), powerRandom = root.split()
        let split = EpisodeSplit(episodes: usable, validationFraction: configuration.validationFraction, random: &splitRandom)
        let training = SampleTable(dataset, composition: composition, episodes: split.training)
        let validation = SampleTable(dataset, composition: composition, episodes: split.validation)
        report.trainingEpisodes = split.training.count
        report.validationEpisodes = split.validation.count
        report.trainingSamples = training.count
        report.validationSamples = validation.count
        var notes: [String] = []
        if configuration.validationFraction > 0 && split.validation.isEmpty {
            notes.append("only one episode has training data, so nothing is held out for validation; record more episodes to measure generalisation")
        }

        let observationStatistics = FeatureScaling(values: training.observations, columns: observationCount)
        let actionStatistics = FeatureScaling(values: training.actions, columns: actionCount)
        guard observationStatistics.constantEntries.count < observationCount else {
            throw FitError("every observation entry is constant in the \(training.count) training samples; a policy cannot learn from them (check that the recordings hold the robot's state)")
        }
        guard actionStatistics.constantEntries.count < actionCount else {
            throw FitError("every action entry is constant in the \(training.count) training samples; there is nothing to fit (check that the recordings hold the applied actions)")
        }
        let observationScaling = configuration.normalizes ? observationStatistics : .identity(columns: observationCount)
        let actionScaling = configuration.normalizes ? actionStatistics : .identity(columns: actionCount)
        let constantObservations = observationScaling.constantEntries.map { dataset.observationNames[$0] }
        let constantActions = actionScaling.constantEntries.map { dataset.actionNames[$0] }
        if !constantObservations.isEmpty {
            notes.append("constant in the training data, ignored by the policy (std stored as 1, first-layer weights 0): observation \(constantObservations.joined(separator: ", "))")
        }
        if !constantActions.isEmpty {
            notes.append("constant in the training data, predicted as that constant: action \(constantActions.joined(separator: ", "))")
        }

        let samples = NormalisedSamples(training, observationScaling: observationScaling, actionScaling: actionScaling)
        let held = NormalisedSamples(validation, observationScaling: observationScaling, actionScaling: actionScaling)

        // The CARIL head's bins over the normalised action.
        var head: (bins: Int, range: ClosedRange<Double>)?
        if let bins = configuration.classificationBins {
            let range = configuration.classificationRange ?? PolicyFitter.automaticHeadRange(samples.targets.array, zScores: configuration.normalizes)
            head = (bins, range)
            let outside = samples.assignBins(bins: bins, range: range)
            held.assignBins(bins: bins, range: range)
            if outside > 0 {
                notes.append("\(significant(100 * Double(outside) / Double(samples.targets.count)))% of the \(configuration.normalizes ? "normalised " : "")training actions lie outside the head's range [\(range.lowerBound), \(range.upperBound)] and train its edge bins")
            }
        }

        // The network, its initialisation and the Lipschitz projection.
        let batchSize = min(configuration.batchSize, training.count)
        let trainer = MLPTrainer(sizes: [observationCount] + configuration.hiddenSizes + [actionCount], bins: head?.bins ?? 0,
                                 halfCapacity: (batchSize + 1) / 2)
        trainer.initialize(random: &initRandom)
        let first = trainer.weights(0), firstShape = trainer.shape(0)
        for column in observationScaling.constantEntries {
            for row in 0..<firstShape.outputs { first[row * firstShape.inputs + column] = 0 }
        }
        let last = trainer.layerCount - 1, lastWeights = trainer.weights(last), lastShape = trainer.shape(last)
        for row in actionScaling.constantEntries {
            for column in 0..<lastShape.inputs { lastWeights[row * lastShape.inputs + column] = 0 }
        }
        let projection = LipschitzProjection(trainer: trainer, observationStd: observationScaling.std, actionStd: actionScaling.std,
                                             bound: configuration.lipschitzBound, random: &powerRandom)
        // Start inside the constraint: the He initialisation can exceed a small L.
        _ = projection.apply(trainer, norms: projection.estimateNorms(trainer, iterations: 60), margin: 1)

        // Training.
        let epochs = configuration.epochs ?? configuration.automaticEpochs(trainingSamples: training.count)
        let stepsPerEpoch = (training.count + batchSize - 1) / batchSize
        let totalSteps = epochs * stepsPerEpoch
        let helper = configuration.threads == 2 ? HalfBatchThread() : nil
        defer { helper?.stop() }
        let batch = NormalisedSamples(capacity: batchSize, observations: observationCount, actions: actionCount, hasBins: head != nil)
        let order = KernelBuffer<Int32>(count: training.count, zero: 0)
        for index in 0..<training.count { order[index] = Int32(index) }
        var step = 0
        var reports: [EpochReport] = []
        var learningRate = configuration.learningRate
        for epoch in 1...epochs {
            let epochStarted = MonotonicClock.nowNanoseconds()
            for index in stride(from: training.count - 1, to: 0, by: -1) {
                let other = Int(orderRandom.next() % UInt64(index + 1))
                let swap = order[index]
                order[index] = order[other]
                order[other] = swap
            }
            var epochLoss = BatchLoss()
            for batchIndex in 0..<stepsPerEpoch {
                let start = batchIndex * batchSize, rows = min(batchSize, training.count - start)
                batch.gather(from: samples, indices: order.pointer + start, count: rows)
                if configuration.cosineDecay {
                    learningRate = configuration.learningRate * 0.5 * (1 + cos(Double.pi * Double(step) / Double(totalSteps)))
                }
                let loss = trainer.computeGradients(input: batch.observations.pointer, targets: batch.targets.pointer,
                                                    binTargets: batch.bins.map { UnsafePointer($0.pointer) }, rows: rows, helper: helper)
                trainer.applyAdam(learningRate: learningRate, beta1: configuration.adamBeta1, beta2: configuration.adamBeta2,
                                  epsilon: configuration.adamEpsilon)
                projection.project(trainer)
                epochLoss.add(loss)
                step += 1
            }
            let measured = evaluate(trainer, held, actionStd: actionScaling.std)
            let productBound = projection.estimateNorms(trainer, iterations: 4).reduce(1, *)
            let epochReport = EpochReport(
                epoch: epoch, epochs: epochs, trainingLoss: epochLoss.loss(actions: actionCount, hasHead: trainer.hasHead),
                validationLoss: measured?.loss, validationActionError: measured?.actionError,
                trainingHeadAccuracy: trainer.hasHead ? Double(epochLoss.correctBins) / Double(max(1, epochLoss.rows * actionCount)) : nil,
                validationHeadAccuracy: measured?.headAccuracy, productBound: productBound, learningRate: learningRate,
                seconds: Double(MonotonicClock.nowNanoseconds() - epochStarted) / 1e9)
            reports.append(epochReport)
            progress(epochReport)
        }

        // Certification: an exact projection, then the certificate, then (never expected) a rescale.
        func network() -> PolicyNetwork {
            let layers = trainer.denseLayers()
            // The chain is consistent by construction.
            return try! PolicyNetwork(
                layers: layers.chain, activation: .relu,
                observationNormalization: configuration.normalizes ? Normalization(mean: observationScaling.mean, std: observationScaling.std) : nil,
                actionNormalization: configuration.normalizes ? Normalization(mean: actionScaling.mean, std: actionScaling.std) : nil,
                observationNames: dataset.observationNames, actionNames: dataset.actionNames,
                classificationHead: layers.head.map { ClassificationHead(layer: $0, bins: head!.bins, range: head!.range) },
                sourcePath: "reins fit", weightTypes: [.f32])
        }
        var fitted = network()
        if let bound = configuration.lipschitzBound {
            // Power iteration approaches ‖F_i‖ from below; the exact norms (Float64, rounded up)
            // decide, with a margin for rounding the scaled weights back to Float32.
            let norms = LipschitzCertificate.foldedMatrices(fitted).map(\.spectralNorm)
            let product = norms.reduce(1, *)
            let after = projection.apply(trainer, norms: norms, margin: 1 - 1e-6)
            if product > bound * 1.001 {
                let factor = after[0] / norms[0]
                notes.append("training ended with a product of spectral norms of \(significant(product, digits: 4)) > L = \(significant(bound, digits: 6)) (the per-step projection's power-iteration estimates trail the true norms); the final exact projection scaled each of the \(norms.count) layers by \(significant(factor, digits: 4)), which the final metrics include")
            }
            fitted = network()
        }
        let witnesses = PolicyFitter.witnessObservations(training, count: 64)
        var certificate = LipschitzCertificate.compute(for: fitted, observations: witnesses)
        if let bound = configuration.lipschitzBound {
            for _ in 0..<3 where certificate.certifiedLipschitzBound > bound {
                let factor = bound / certificate.certifiedLipschitzBound * (1 - 1e-6)
                notes.append("the certified bound \(significant(certificate.certifiedLipschitzBound, digits: 6)) exceeded the requested \(significant(bound, digits: 6)) after training; the last layer was scaled by \(significant(factor, digits: 6)) to meet it")
                reins_scale(trainer.weights(last), lastShape.outputs * lastShape.inputs, Float(factor))
                fitted = network()
                certificate = LipschitzCertificate.compute(for: fitted, observations: witnesses)
            }
        }

        // Final numbers, on exactly the weights that will be written.
        let final = FinalMetrics(
            training: evaluate(trainer, samples, actionStd: actionScaling.std)!,
            validation: evaluate(trainer, held, actionStd: actionScaling.std))
        return FitResult(
            network: fitted, certificate: certificate, configuration: configuration, epochs: reports,
            composition: report, sourceFiles: dataset.sourceFiles,
            constantObservations: constantObservations, constantActions: constantActions,
            final: final, notes: notes, seconds: Double(MonotonicClock.nowNanoseconds() - started) / 1e9)
    }

    /// Losses, action error in physical units and head accuracy over a sample set, nil when empty.
    private func evaluate(_ trainer: MLPTrainer, _ set: NormalisedSamples, actionStd: [Double]) -> SampleMetrics? {
        guard set.count > 0 else { return nil }
        var columns = [Double](repeating: 0, count: trainer.outputs)
        let loss = trainer.evaluate(input: set.observations.pointer, targets: set.targets.pointer,
                                    binTargets: set.bins.map { UnsafePointer($0.pointer) }, rows: set.count, columnSquaredErrors: &columns)
        let count = Double(set.count)
        var physical = 0.0
        for index in columns.indices { physical += actionStd[index] * actionStd[index] * columns[index] }
        return SampleMetrics(
            samples: set.count, loss: loss.loss(actions: trainer.outputs, hasHead: trainer.hasHead),
            actionError: (physical / count).squareRoot(),
            actionRMSE: columns.indices.map { actionStd[$0] * (columns[$0] / count).squareRoot() },
            headAccuracy: trainer.hasHead ? Double(loss.correctBins) / (count * Double(trainer.outputs)) : nil)
    }

    /// For z-scored actions [−r, r] with r the largest |z| rounded up to a multiple of 0.25, kept
    /// within 1…3 (outliers past 3σ go to the edge bins instead of coarsening every bin); for raw
    /// actions [min, max] over all entries.
    static func automaticHeadRange(_ targets: [Float], zScores: Bool) -> ClosedRange<Double> {
        guard zScores else {
            let low = Double(targets.min() ?? -1), high = Double(targets.max() ?? 1)
            return low < high ? low...high : (low - 1)...(high + 1)
        }
        let largest = Double(targets.map { abs($0) }.max() ?? 1)
        let radius = min(3, max(1, (largest * 4).rounded(.up) / 4))
        return -radius...radius
    }

    /// Observations at evenly spaced training ticks, where the certificate also measures the
    /// empirical lower bound.
    static func witnessObservations(_ table: SampleTable, count: Int) -> [[Double]] {
        guard table.count > 0 else { return [] }
        let columns = table.observations.count / table.count
        let stride = max(1, table.count / count)
        return Swift.stride(from: 0, to: table.count, by: stride).prefix(count).map { row in
            Array(table.observations[(row * columns)..<((row + 1) * columns)])
        }
    }
}

/// Normalised observations, targets and (with a head) target bins in kernel memory.
final class NormalisedSamples {
    let count: Int
    let observations: KernelBuffer<Float>
    let targets: KernelBuffer<Float>
    private(set) var bins: KernelBuffer<Int32>?
    let observationCount: Int
    let actionCount: Int

    init(_ table: SampleTable, observationScaling: FeatureScaling, actionScaling: FeatureScaling) {
        count = table.count
        observationCount = observationScaling.mean.count
        actionCount = actionScaling.mean.count
        observations = KernelBuffer(count: table.count * observationCount)
        observations.copy(from: observationScaling.normalized(table.observations))
        targets = KernelBuffer(count: table.count * actionCount)
        targets.copy(from: actionScaling.normalized(table.actions))
    }

    /// An empty minibatch buffer.
    init(capacity: Int, observations observationCount: Int, actions actionCount: Int, hasBins: Bool) {
        count = capacity
        self.observationCount = observationCount
        self.actionCount = actionCount
        observations = KernelBuffer(count: capacity * observationCount)
        targets = KernelBuffer(count: capacity * actionCount)
        bins = hasBins ? KernelBuffer(count: capacity * actionCount, zero: 0) : nil
    }

    /// The bin of each normalised target by `ClassificationHead.bin(of:bins:range:)` (values
    /// outside the range in the edge bins); returns how many targets lie outside the range.
    @discardableResult
    func assignBins(bins binCount: Int, range: ClosedRange<Double>) -> Int {
        let assigned = KernelBuffer<Int32>(count: targets.count, zero: 0)
        var outside = 0
        for index in 0..<targets.count {
            let value = Double(targets[index])
            if !range.contains(value) { outside += 1 }
            assigned[index] = Int32(ClassificationHead.bin(of: value, bins: binCount, range: range))
        }
        bins = assigned
        return outside
    }

    /// Copies rows `indices[0 ..< count]` of `source` into this buffer's first rows.
    func gather(from source: NormalisedSamples, indices: UnsafePointer<Int32>, count rows: Int) {
        reins_gather_rows(source.observations.pointer, observationCount * MemoryLayout<Float>.size, indices, Int32(rows), observations.pointer)
        reins_gather_rows(source.targets.pointer, actionCount * MemoryLayout<Float>.size, indices, Int32(rows), targets.pointer)
        if let bins, let sourceBins = source.bins {
            reins_gather_rows(sourceBins.pointer, actionCount * MemoryLayout<Int32>.size, indices, Int32(rows), bins.pointer)
        }
    }
}
