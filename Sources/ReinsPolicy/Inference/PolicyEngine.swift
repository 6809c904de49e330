import CKernels

/// What one forward pass gives: the regression output in action units and the classification
/// head's logits (actions × bins, row j*K ..< (j+1)*K for action j; empty without a head).
///
/// The caller creates one at load and passes it `inout` every tick; the engine overwrites the
/// entries in place, so nothing is allocated as long as the caller keeps no second copy.
public struct PolicyOutput: Sendable, Equatable {
    public var action: [Double]
    public var logits: [Double]

    public init(actionCount: Int, logitCount: Int) {
        action = [Double](repeating: 0, count: actionCount)
        logits = [Double](repeating: 0, count: logitCount)
    }

    public init(for network: PolicyNetwork) {
        self.init(actionCount: network.actionCount, logitCount: network.logitCount)
    }
}

/// Float32 inference for one policy on buffers allocated once at load.
///
/// Weights are converted from the Float64 network and laid out as 16-row panels for the C kernel
/// (see CKernels.h). The last regression layer and the classification head run as one layer
/// with their rows stacked, since both read the same hidden vector. `forward` and `forwardRows`
/// never allocate: they touch only the preallocated buffers. One engine serves one thread at a
/// time (it may be built on one thread and handed to the loop thread).
public final class PolicyEngine: @unchecked Sendable {
    struct KernelLayer {
        var panels: UnsafeMutablePointer<Float>
        var bias: UnsafeMutablePointer<Float>
        var inputs: Int32
        var panelCount: Int32
        var activation: Int32
        var parameter: Float
    }

    public let observationCount: Int
    public let actionCount: Int
    public let logitCount: Int
    /// Most observations one batched pass takes (the monitor needs probes + 1).
    public let maximumRows: Int

    private let layers: UnsafeMutableBufferPointer<KernelLayer>
    /// Row stride of the activation buffers: the widest padded layer.
    private let stride: Int
    private let front: UnsafeMutablePointer<Float>
    private let back: UnsafeMutablePointer<Float>
    /// Where the last pass left its output (front or back, depending on the layer count).
    private let outputBuffer: UnsafeMutablePointer<Float>
    private let observationMean: UnsafeMutablePointer<Double>
    private let observationScale: UnsafeMutablePointer<Double>
    private let actionMean: UnsafeMutablePointer<Double>
    private let actionScale: UnsafeMutablePointer<Double>

    /// The instruction set the kernels use on this machine: "avx2+fma" or "portable".
    public static var kernelName: String { reins_kernel_level() == 2 ? "avx2+fma" : "portable" }

    public init(network: PolicyNetwork, maximumRows: Int = 1) {
        precondition(maximumRows >= 1, "maximumRows must be at least 1")
        self.maximumRows = maximumRows
        observationCount = network.observationCount
        actionCount = network.actionCount
        logitCount = network.logitCount

        // The output layer: regression rows, then the head's rows.
        var outputLayer = network.layers[network.layers.count - 1]
        if let head = network.classificationHead {
            outputLayer = DenseLayer(
                name: outputLayer.name, inputs: outputLayer.inputs, outputs: outputLayer.outputs + head.layer.outputs,
                weights: outputLayer.weights + head.layer.weights, bias: outputLayer.bias + head.layer.bias)
        }
        let chain = Array(network.layers.dropLast()) + [outputLayer]
        layers = .allocate(capacity: chain.count)
        var widest = network.observationCount
        for (index, layer) in chain.enumerated() {
            let isLast = index == chain.count - 1
            let panelCount = (layer.outputs + Int(REINS_PANEL_WIDTH) - 1) / Int(REINS_PANEL_WIDTH)
            let padded = panelCount * Int(REINS_PANEL_WIDTH)
            widest = max(widest, padded)
            let panels = PolicyEngine.allocateFloats(padded * layer.inputs)
            let bias = PolicyEngine.allocateFloats(padded)
            for output in 0..<layer.outputs {
                let panel = output / Int(REINS_PANEL_WIDTH), lane = output % Int(REINS_PANEL_WIDTH)
                for input in 0..<layer.inputs {
                    panels[(panel * layer.inputs + input) * Int(REINS_PANEL_WIDTH) + lane] = Float(layer.weights[output * layer.inputs + input])
                }
                bias[output] = Float(layer.bias[output])
            }
            let (code, parameter) = isLast ? (Int32(REINS_ACTIVATION_IDENTITY.rawValue), Float(0)) : PolicyEngine.kernelActivation(network.activation)
            layers[index] = KernelLayer(panels: panels, bias: bias, inputs: Int32(layer.inputs), panelCount: Int32(panelCount),
                                        activation: code, parameter: parameter)
        }
        stride = widest
        front = PolicyEngine.allocateFloats(maximumRows * widest)
        back = PolicyEngine.allocateFloats(maximumRows * widest)
        // Layer 0 reads `front`, so an odd number of layers ends in `back`.
        outputBuffer = chain.count % 2 == 1 ? back : front

        observationMean = .allocate(capacity: observationCount)
        observationScale = .allocate(capacity: observationCount)
        for index in 0..<observationCount {
            observationMean[index] = network.observationNormalization?.mean[index] ?? 0
            observationScale[index] = 1 / (network.observationNormalization?.std[index] ?? 1)
        }
        actionMean = .allocate(capacity: actionCount)
        actionScale = .allocate(capacity: actionCount)
        for index in 0..<actionCount {
            actionMean[index] = network.actionNormalization?.mean[index] ?? 0
            actionScale[index] = network.actionNormalization?.std[index] ?? 1
        }
    }

    deinit {
        for layer in layers {
            layer.panels.deallocate()
            layer.bias.deallocate()
        }
        layers.deallocate()
        front.deallocate()
        back.deallocate()
        observationMean.deallocate()
        observationScale.deallocate()
        actionMean.deallocate()
        actionScale.deallocate()
    }

    private static func allocateFloats(_ count: Int) -> UnsafeMutablePointer<Float> {
        // 64-byte alignment keeps each 16-float panel row on one cache line.
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * MemoryLayout<Float>.stride, alignment: 64)
        return raw.initializeMemory(as: Float.self, repeating: 0, count: max(count, 1))
    }

    private static func kernelActivation(_ activation: Activation) -> (Int32, Float) {
        switch activation {
        case .relu: return (Int32(REINS_ACTIVATION_RELU.rawValue), 0)
        case .leakyReLU(let slope): return (Int32(REINS_ACTIVATION_LEAKY_RELU.rawValue), Float(slope))
        case .tanh: return (Int32(REINS_ACTIVATION_TANH.rawValue), 0)
        case .elu(let alpha): return (Int32(REINS_ACTIVATION_ELU.rawValue), Float(alpha))
        case .gelu: return (Int32(REINS_ACTIVATION_GELU.rawValue), 0)
        case .silu: return (Int32(REINS_ACTIVATION_SILU.rawValue), 0)
        }
    }

    // MARK: Per tick

    /// One observation (observation units) in, the action and logits out.
    @inline(__always)
    public func forward(_ observation: [Double], into output: inout PolicyOutput) {
        precondition(observation.count == observationCount, "observation has \(observation.count) entries, the policy takes \(observationCount)")
        observation.withUnsafeBufferPointer { setRow(0, observation: $0.baseAddress!) }
        run(rows: 1)
        readRow(0, into: &output)
    }

    /// Batched forward for `rows` observations stored row-major in `observations`; actions are
    /// written row-major into `actions`. One pass over the weights per tile of up to six rows.
    public func forward(batch observations: UnsafeBufferPointer<Double>, rows: Int, actions: UnsafeMutableBufferPointer<Double>) {
        precondition(rows >= 1 && rows <= maximumRows, "rows must be 1...\(maximumRows)")
        precondition(observations.count >= rows * observationCount && actions.count >= rows * actionCount, "buffers too small for \(rows) rows")
        for row in 0..<rows { setRow(row, observation: observations.baseAddress! + row * observationCount) }
        run(rows: rows)
        for row in 0..<rows {
            let y = outputBuffer + row * stride
            for index in 0..<actionCount {
                actions[row * actionCount + index] = actionMean[index] + actionScale[index] * Double(y[index])
            }
        }
    }

    // MARK: Row-level access for the monitor (same module)

    /// Normalises an observation into input row `row`.
    @inline(__always)
    func setRow(_ row: Int, observation: UnsafePointer<Double>) {
        let x = front + row * stride
        for index in 0..<observationCount {
            x[index] = Float((observation[index] - observationMean[index]) * observationScale[index])
        }
    }

    /// Width of the first layer's padded output: the size of one probe's first-layer offset.
    var firstLayerWidth: Int { Int(layers[0].panelCount) * Int(REINS_PANEL_WIDTH) }

    /// W_1 δ_k for `count` probes given row-major in normalised input units; allocated here, owned
    /// (and deallocated) by the caller.
    func firstLayerOffsets(probes: UnsafePointer<Float>, count: Int) -> UnsafeMutablePointer<Float> {
        let layer = layers[0]
        let offsets = PolicyEngine.allocateFloats(count * firstLayerWidth)
        let noBias = PolicyEngine.allocateFloats(firstLayerWidth)
        defer { noBias.deallocate() }
        reins_dense_forward(layer.panels, noBias, layer.inputs, layer.panelCount, probes, Int32(observationCount),
                            offsets, Int32(firstLayerWidth), Int32(count), Int32(REINS_ACTIVATION_IDENTITY.rawValue), 0)
        return offsets
    }

    /// Runs input row 0 and `probes` perturbed copies of it. The probes are fixed, so their
    /// first-layer contribution W_1 δ_k was computed once (`firstLayerOffsets`): the first layer runs
    /// for row 0 only and each probe row starts from its pre-activation plus the offset, which saves
    /// the first layer's K-row product. Rows 0...probes of the output are filled.
    @inline(__always)
    func run(probes: Int, firstLayerOffsets offsets: UnsafePointer<Float>) {
        let first = layers[0]
        let width = firstLayerWidth
        let identity = Int32(REINS_ACTIVATION_IDENTITY.rawValue)
        reins_dense_forward(first.panels, first.bias, first.inputs, first.panelCount, front, Int32(stride),
                            back, Int32(stride), 1, identity, 0)
        for k in 0..<probes {
            let row = back + (k + 1) * stride, offset = offsets + k * width
            for index in 0..<width { row[index] = back[index] + offset[index] }
        }
        reins_activate_rows(back, Int32(stride), Int32(probes + 1), Int32(width), first.activation, first.parameter)
        var input = back, output = front
        for index in 1..<layers.count {
            let layer = layers[index]
            reins_dense_forward(layer.panels, layer.bias, layer.inputs, layer.panelCount, input, Int32(stride),
                                output, Int32(stride), Int32(probes + 1), layer.activation, layer.parameter)
            swap(&input, &output)
        }
    }

    @inline(__always)
    func run(rows: Int) {
        var input = front, output = back
        for layer in layers {
            reins_dense_forward(layer.panels, layer.bias, layer.inputs, layer.panelCount, input, Int32(stride),
                                output, Int32(stride), Int32(rows), layer.activation, layer.parameter)
            swap(&input, &output)
        }
    }

    /// The network's raw (normalised) output of row `row`, regression entries then logits.
    @inline(__always)
    func rawOutput(row: Int) -> UnsafePointer<Float> {
        UnsafePointer(outputBuffer + row * stride)
    }

    /// Action entry `index` in action units from a raw output value.
    @inline(__always)
    func actionValue(_ raw: Float, index: Int) -> Double {
        actionMean[index] + actionScale[index] * Double(raw)
    }

    /// The de-normalisation scale of action entry `index` (its std, or 1).
    @inline(__always)
    func actionStd(_ index: Int) -> Double { actionScale[index] }

    @inline(__always)
    func readRow(_ row: Int, into output: inout PolicyOutput) {
        precondition(output.action.count == actionCount && output.logits.count == logitCount,
                     "PolicyOutput sized for another policy; create it with PolicyOutput(for: network)")
        let y = outputBuffer + row * stride
        output.action.withUnsafeMutableBufferPointer { action in
            for index in 0..<actionCount { action[index] = actionMean[index] + actionScale[index] * Double(y[index]) }
        }
        if logitCount > 0 {
            output.logits.withUnsafeMutableBufferPointer { logits in
                for index in 0..<logitCount { logits[index] = Double(y[actionCount + index]) }
            }
        }
    }
}

extension PolicyEngine {
    /// Forces the portable C kernels (true) or the best the CPU supports (false), for every engine
    /// in the process. For benchmarks and for tests that compare the two paths.
    @discardableResult
    public static func useKernels(portable: Bool) -> String {
        _ = reins_select_kernel_level(portable ? 0 : 2)
        return kernelName
    }
}
