import CKernels
import ReinsCore
import ReinsPolicy

/// Sums over the rows of a minibatch (or an evaluation pass) from which the losses follow.
struct BatchLoss {
    /// Σ (y − t)² over rows and action dimensions, in normalised units.
    var squaredError = 0.0
    /// Σ −log p(target bin) over rows and action dimensions (0 without a head).
    var crossEntropy = 0.0
    /// Action dimensions whose most likely bin is the target bin.
    var correctBins = 0
    var rows = 0

    mutating func add(_ other: BatchLoss) {
        squaredError += other.squaredError
        crossEntropy += other.crossEntropy
        correctBins += other.correctBins
        rows += other.rows
    }

    /// MSE on normalised actions, or CARIL's 0.5 MSE + 0.5 CE with a head (both averaged over
    /// rows and action dimensions).
    func loss(actions: Int, hasHead: Bool) -> Double {
        let count = Double(max(1, rows * actions))
        return hasHead ? 0.5 * squaredError / count + 0.5 * crossEntropy / count : squaredError / count
    }
}

/// The MLP being fitted, in Float32: x_n → ReLU(W₁x_n + b₁) → … → W_m h + b_m, plus the optional
/// CARIL head reading h (the input of the last layer). All parameters live in one block, in file
/// order (W₁, b₁, …, W_m, b_m, head W, head b), so Adam and the gradient reduction are single calls.
///
/// Each minibatch is computed as two halves with their own activations and gradients, summed in a
/// fixed order; a second thread takes one half when there is one, and the weights come out the same
/// with one thread or two.
final class MLPTrainer: @unchecked Sendable {
    /// [inputs, hidden..., outputs].
    let sizes: [Int]
    /// Bins per action dimension of the head; 0 without a head.
    let bins: Int
    let weightOffsets: [Int]
    let biasOffsets: [Int]
    let parameterCount: Int
    let parameters: KernelBuffer<Float>
    /// Rows each half can hold; evaluation runs in chunks of this many.
    let halfCapacity: Int
    /// The kernels' instruction set: the best the CPU has (see training.h).
    let kernelLevel: Int32 = 2

    private let firstMoment: KernelBuffer<Float>
    private let secondMoment: KernelBuffer<Float>
    private(set) var adamSteps = 0
    /// Wᵀ packed for the forward pass, per layer (the head last).
    private let forwardPanels: [KernelBuffer<Float>]
    /// W packed for propagating gradients back, per layer (nil for the first) and the head.
    private let backwardPanels: [KernelBuffer<Float>?]
    private let halves: [Workspace]

    var layerCount: Int { sizes.count - 1 }
    var hasHead: Bool { bins > 0 }
    var inputs: Int { sizes[0] }
    var outputs: Int { sizes[sizes.count - 1] }
    /// Width of the last hidden layer (the head's input); the observation count without hidden layers.
    var lastHidden: Int { sizes[sizes.count - 2] }
    var logitCount: Int { bins * outputs }
    /// Layers including the head (which has index `layerCount`).
    var allLayers: Range<Int> { 0..<(layerCount + (hasHead ? 1 : 0)) }

    init(sizes: [Int], bins: Int, halfCapacity: Int) {
        precondition(sizes.count >= 2 && sizes.allSatisfy { $0 > 0 } && bins >= 0 && halfCapacity > 0)
        self.sizes = sizes
        self.bins = bins
        self.halfCapacity = halfCapacity
        var weightOffsets: [Int] = [], biasOffsets: [Int] = []
        var offset = 0
        var shapes: [(outputs: Int, inputs: Int)] = (0..<(sizes.count - 1)).map { (sizes[$0 + 1], sizes[$0]) }
        if bins > 0 { shapes.append((bins * sizes[sizes.count - 1], sizes[sizes.count - 2])) }
        for shape in shapes {
            weightOffsets.append(offset)
            offset += shape.outputs * shape.inputs
            biasOffsets.append(offset)
            offset += shape.outputs
        }
        self.weightOffsets = weightOffsets
        self.biasOffsets = biasOffsets
        parameterCount = offset
        parameters = KernelBuffer(count: offset)
        firstMoment = KernelBuffer(count: offset)
        secondMoment = KernelBuffer(count: offset)
        forwardPanels = shapes.map { KernelBuffer(count: reins_packed_size(Int32($0.inputs), Int32($0.outputs))) }
        backwardPanels = shapes.enumerated().map { index, shape in
            index == 0 ? nil : KernelBuffer(count: reins_packed_size(Int32(shape.outputs), Int32(shape.inputs)))
        }
        halves = (0..<2).map { _ in Workspace(sizes: sizes, bins: bins, capacity: halfCapacity, parameterCount: offset) }
    }

    /// A trainer holding `network`'s weights (rounded to Float32), for comparing forward passes.
    convenience init(network: PolicyNetwork, halfCapacity: Int = 64) {
        let sizes = [network.observationCount] + network.layers.map(\.outputs)
        self.init(sizes: sizes, bins: network.classificationHead?.bins ?? 0, halfCapacity: halfCapacity)
        var layers = network.layers
        if let head = network.classificationHead { layers.append(head.layer) }
        for (index, layer) in layers.enumerated() {
            for (offset, value) in layer.weights.enumerated() { parameters[weightOffsets[index] + offset] = Float(value) }
            for (offset, value) in layer.bias.enumerated() { parameters[biasOffsets[index] + offset] = Float(value) }
        }
    }

    /// (outputs, inputs) of layer `index` (the head at `layerCount`).
    func shape(_ index: Int) -> (outputs: Int, inputs: Int) {
        index == layerCount ? (logitCount, lastHidden) : (sizes[index + 1], sizes[index])
    }

    func weights(_ index: Int) -> UnsafeMutablePointer<Float> { parameters.pointer + weightOffsets[index] }
    func bias(_ index: Int) -> UnsafeMutablePointer<Float> { parameters.pointer + biasOffsets[index] }
    /// The summed gradient of the last `computeGradients` call, laid out like `parameters`.
    var gradients: UnsafeMutablePointer<Float> { halves[0].gradients.pointer }

    /// He (Kaiming) normal initialisation for the layers feeding a ReLU, LeCun normal (std
    /// 1/√fan-in) for the linear output layer and the head; biases zero. Adam's moments restart.
    func initialize(random: inout SeededRandom) {
        for index in allLayers {
            let shape = shape(index)
            let gain = index < layerCount - 1 ? 2.0 : 1.0
            let std = (gain / Double(shape.inputs)).squareRoot()
            let w = weights(index), b = bias(index)
            for entry in 0..<(shape.outputs * shape.inputs) { w[entry] = Float(std * random.gaussian()) }
            for entry in 0..<shape.outputs { b[entry] = 0 }
        }
        for index in 0..<parameterCount {
            firstMoment[index] = 0
            secondMoment[index] = 0
        }
        adamSteps = 0
    }

    // MARK: Passes

    private func packForward() {
        for index in allLayers {
            let shape = shape(index)
            reins_pack_panels(weights(index), 1, Int32(shape.inputs), Int32(shape.inputs), Int32(shape.outputs), forwardPanels[index].pointer)
        }
    }

    private func packBackward() {
        for index in allLayers where index > 0 {
            let shape = shape(index)
            reins_pack_panels(weights(index), Int32(shape.inputs), 1, Int32(shape.outputs), Int32(shape.inputs), backwardPanels[index]!.pointer)
        }
    }

    /// Hidden activations, the regression output and the logits of `rows` rows of `input`.
    private func forward(_ work: Workspace, input: UnsafePointer<Float>, rows: Int) {
        var x = input
        for index in 0..<layerCount {
            let shape = shape(index)
            let isLast = index == layerCount - 1
            let y = isLast ? work.output.pointer : work.hidden[index].pointer
            reins_gemm(Int32(rows), Int32(shape.outputs), Int32(shape.inputs), x, Int32(shape.inputs), 1,
                       forwardPanels[index].pointer, bias(index), y, Int32(shape.outputs), 0, isLast ? 0 : 1, kernelLevel)
            if !isLast { x = UnsafePointer(y) }
        }
        if hasHead, let logits = work.logits {
            reins_gemm(Int32(rows), Int32(logitCount), Int32(lastHidden), x, Int32(lastHidden), 1,
                       forwardPanels[layerCount].pointer, bias(layerCount), logits.pointer, Int32(logitCount), 0, 0, kernelLevel)
        }
    }

    /// Losses and the gradient of the minibatch loss (whose mean runs over `batchRows` rows) with
    /// respect to every parameter, from these `rows` rows' share, into `work.gradients`.
    private func backward(_ work: Workspace, input: UnsafePointer<Float>, targets: UnsafePointer<Float>,
                          binTargets: UnsafePointer<Int32>?, rows: Int, batchRows: Int) {
        let count = Float(batchRows * outputs)
        let g = work.gradients.pointer
        var loss = BatchLoss(rows: rows)
        loss.squaredError = reins_squared_error(work.output.pointer, Int32(outputs), targets, Int32(outputs), Int32(rows), Int32(outputs),
                                                (hasHead ? 0.5 : 1) / count, work.outputGradient.pointer, nil)
        if hasHead, let logits = work.logits, let logitGradient = work.logitGradient, let binTargets {
            var correct: Int32 = 0
            loss.crossEntropy = reins_softmax_cross_entropy(logits.pointer, Int32(logitCount), binTargets, Int32(rows), Int32(outputs),
                                                            Int32(bins), 0.5 / count, logitGradient.pointer, &correct)
            loss.correctBins = Int(correct)
        }
        work.loss = loss

        let last = layerCount - 1
        let lastInput = last > 0 ? UnsafePointer(work.hidden[last - 1].pointer) : input
        let packed = work.packedActivations.pointer
        // dW = dYᵀ · X: A is dY read transposed (row stride 1, column stride = its width).
        reins_pack_panels(lastInput, Int32(lastHidden), 1, Int32(rows), Int32(lastHidden), packed)
        reins_gemm(Int32(outputs), Int32(lastHidden), Int32(rows), work.outputGradient.pointer, 1, Int32(outputs), packed, nil,
                   g + weightOffsets[last], Int32(lastHidden), 0, 0, kernelLevel)
        reins_column_sums(work.outputGradient.pointer, Int32(rows), Int32(outputs), Int32(outputs), g + biasOffsets[last])
        if hasHead, let logitGradient = work.logitGradient {
            reins_gemm(Int32(logitCount), Int32(lastHidden), Int32(rows), logitGradient.pointer, 1, Int32(logitCount), packed, nil,
                       g + weightOffsets[layerCount], Int32(lastHidden), 0, 0, kernelLevel)
            reins_column_sums(logitGradient.pointer, Int32(rows), Int32(logitCount), Int32(logitCount), g + biasOffsets[layerCount])
        }
        guard last > 0 else { return }

        // dH = dY · W_m (+ dZ · W_head), masked by the ReLU.
        var current = 0
        var dH = work.hiddenGradient[current].pointer
        reins_gemm(Int32(rows), Int32(lastHidden), Int32(outputs), work.outputGradient.pointer, Int32(outputs), 1,
                   backwardPanels[last]!.pointer, nil, dH, Int32(lastHidden), 0, 0, kernelLevel)
        if hasHead, let logitGradient = work.logitGradient {
            reins_gemm(Int32(rows), Int32(lastHidden), Int32(logitCount), logitGradient.pointer, Int32(logitCount), 1,
                       backwardPanels[layerCount]!.pointer, nil, dH, Int32(lastHidden), 1, 0, kernelLevel)
        }
        reins_relu_backward(dH, work.hidden[last - 1].pointer, rows * lastHidden, kernelLevel)
        for index in stride(from: last - 1, through: 0, by: -1) {
            let shape = shape(index)
            let layerInput = index > 0 ? UnsafePointer(work.hidden[index - 1].pointer) : input
            reins_pack_panels(layerInput, Int32(shape.inputs), 1, Int32(rows), Int32(shape.inputs), packed)
            reins_gemm(Int32(shape.outputs), Int32(shape.inputs), Int32(rows), dH, 1, Int32(shape.outputs), packed, nil,
                       g + weightOffsets[index], Int32(shape.inputs), 0, 0, kernelLevel)
            reins_column_sums(dH, Int32(rows), Int32(shape.outputs), Int32(shape.outputs), g + biasOffsets[index])
            guard index > 0 else { break }
            current = 1 - current
            let previous = work.hiddenGradient[current].pointer
            reins_gemm(Int32(rows), Int32(shape.inputs), Int32(shape.outputs), dH, Int32(shape.outputs), 1,
                       backwardPanels[index]!.pointer, nil, previous, Int32(shape.inputs), 0, 0, kernelLevel)
            reins_relu_backward(previous, work.hidden[index - 1].pointer, rows * shape.inputs, kernelLevel)
            dH = previous
        }
    }

    /// Forward and backward over `rows` rows (at most 2 · halfCapacity), leaving the gradient of the
    /// mean loss in `gradients`. The rows split into a first half of ⌈rows/2⌉ and the rest, always.
    func computeGradients(input: UnsafePointer<Float>, targets: UnsafePointer<Float>, binTargets: UnsafePointer<Int32>?,
                          rows: Int, helper: HalfBatchThread?) -> BatchLoss {
        precondition(rows >= 1 && rows <= 2 * halfCapacity, "a minibatch of \(rows) rows does not fit")
        packForward()
        packBackward()
        let firstRows = (rows + 1) / 2, secondRows = rows - firstRows
        let first = halves[0], second = halves[1]
        let secondInput = input + firstRows * inputs, secondTargets = targets + firstRows * outputs
        let secondBins = binTargets.map { $0 + firstRows * outputs }
        let runSecond = { [self] in
            forward(second, input: secondInput, rows: secondRows)
            backward(second, input: secondInput, targets: secondTargets, binTargets: secondBins, rows: secondRows, batchRows: rows)
        }
        if secondRows > 0, let helper { helper.start(runSecond) }
        forward(first, input: input, rows: firstRows)
        backward(first, input: input, targets: targets, binTargets: binTargets, rows: firstRows, batchRows: rows)
        var loss = first.loss
        if secondRows > 0 {
            if let helper { helper.wait() } else { runSecond() }
            reins_add(first.gradients.pointer, second.gradients.pointer, parameterCount)
            loss.add(second.loss)
        }
        return loss
    }

    /// One Adam step along `gradients`.
    func applyAdam(learningRate: Double, beta1: Double, beta2: Double, epsilon: Double) {
        adamSteps += 1
        reins_adam_step(parameters.pointer, gradients, firstMoment.pointer, secondMoment.pointer, parameterCount,
                        Float(learningRate), Float(beta1), Float(beta2), Float(epsilon), Int32(adamSteps), kernelLevel)
    }

    /// Losses over `rows` rows without gradients; adds Σ (y − t)² per action dimension to `columnSquaredErrors`.
    func evaluate(input: UnsafePointer<Float>, targets: UnsafePointer<Float>, binTargets: UnsafePointer<Int32>?,
                  rows: Int, columnSquaredErrors: inout [Double]) -> BatchLoss {
        precondition(columnSquaredErrors.count == outputs)
        packForward()
        let work = halves[0]
        var total = BatchLoss()
        var start = 0
        while start < rows {
            let chunk = min(halfCapacity, rows - start)
            forward(work, input: input + start * inputs, rows: chunk)
            var loss = BatchLoss(rows: chunk)
            loss.squaredError = columnSquaredErrors.withUnsafeMutableBufferPointer { sums in
                reins_squared_error(work.output.pointer, Int32(outputs), targets + start * outputs, Int32(outputs),
                                    Int32(chunk), Int32(outputs), 0, nil, sums.baseAddress)
            }
            if hasHead, let logits = work.logits, let binTargets {
                var correct: Int32 = 0
                loss.crossEntropy = reins_softmax_cross_entropy(logits.pointer, Int32(logitCount), binTargets + start * outputs, Int32(chunk),
                                                                Int32(outputs), Int32(bins), 0, nil, &correct)
                loss.correctBins = Int(correct)
            }
            total.add(loss)
            start += chunk
        }
        return total
    }

    /// Regression outputs and logits (normalised units) for `rows` rows of normalised observations.
    func predict(_ input: [Float], rows: Int) -> (outputs: [Float], logits: [Float]) {
        precondition(input.count == rows * inputs)
        packForward()
        let work = halves[0]
        var outputs: [Float] = [], logits: [Float] = []
        input.withUnsafeBufferPointer { x in
            var start = 0
            while start < rows {
                let chunk = min(halfCapacity, rows - start)
                forward(work, input: x.baseAddress! + start * inputs, rows: chunk)
                outputs += UnsafeBufferPointer(start: work.output.pointer, count: chunk * self.outputs)
                if let head = work.logits { logits += UnsafeBufferPointer(start: head.pointer, count: chunk * logitCount) }
                start += chunk
            }
        }
        return (outputs, logits)
    }

    /// The fitted layers in Float64 (exactly the Float32 values), named as an nn.Sequential with
    /// ReLUs in between names them: net.0, net.2, …; the head is `class_head`.
    func denseLayers() -> (chain: [DenseLayer], head: DenseLayer?) {
        func layer(_ index: Int, name: String) -> DenseLayer {
            let shape = shape(index)
            let w = weights(index), b = bias(index)
            return DenseLayer(name: name, inputs: shape.inputs, outputs: shape.outputs,
                              weights: (0..<(shape.outputs * shape.inputs)).map { Double(w[$0]) },
                              bias: (0..<shape.outputs).map { Double(b[$0]) })
        }
        let chain = (0..<layerCount).map { layer($0, name: "net.\(2 * $0).weight") }
        return (chain, hasHead ? layer(layerCount, name: "class_head.weight") : nil)
    }
}

/// One half-batch's activations and gradients.
private final class Workspace: @unchecked Sendable {
    /// Outputs of the hidden layers (after ReLU), capacity × width each.
    let hidden: [KernelBuffer<Float>]
    let output: KernelBuffer<Float>
    let outputGradient: KernelBuffer<Float>
    let logits: KernelBuffer<Float>?
    let logitGradient: KernelBuffer<Float>?
    /// Two buffers for the gradient flowing back through the hidden layers.
    let hiddenGradient: [KernelBuffer<Float>]
    /// A layer's input packed as the B operand of dW = dYᵀ · X.
    let packedActivations: KernelBuffer<Float>
    let gradients: KernelBuffer<Float>
    var loss = BatchLoss()

    init(sizes: [Int], bins: Int, capacity: Int, parameterCount: Int) {
        let outputs = sizes[sizes.count - 1]
        let hiddenSizes = Array(sizes.dropFirst().dropLast())
        hidden = hiddenSizes.map { KernelBuffer(count: capacity * $0) }
        output = KernelBuffer(count: capacity * outputs)
        outputGradient = KernelBuffer(count: capacity * outputs)
        logits = bins > 0 ? KernelBuffer(count: capacity * outputs * bins) : nil
        logitGradient = bins > 0 ? KernelBuffer(count: capacity * outputs * bins) : nil
        let widest = hiddenSizes.max() ?? 1
        hiddenGradient = (0..<2).map { _ in KernelBuffer(count: capacity * widest) }
        packedActivations = KernelBuffer(count: reins_packed_size(Int32(capacity), Int32(sizes.dropLast().max()!)))
        gradients = KernelBuffer(count: parameterCount)
    }
}
