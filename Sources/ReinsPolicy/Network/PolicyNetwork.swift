import ReinsCore

/// Why a policy could not be loaded. Each message is one line naming the file and the tensor,
/// byte offset or config key, and what was expected.
public struct PolicyLoadError: Error, Sendable, CustomStringConvertible {
    public var messages: [String]

    public init(_ message: String) { messages = [message] }
    public init(_ messages: [String]) { self.messages = messages }

    public var description: String { messages.joined(separator: "\n") }
}

/// One nn.Linear layer in Float64: y = W x + b with W row-major [outputs][inputs].
public struct DenseLayer: Sendable {
    /// The weight tensor's name in the file (`net.2.weight`), for messages.
    public var name: String
    public var inputs: Int
    public var outputs: Int
    public var weights: [Double]
    public var bias: [Double]

    public init(name: String, inputs: Int, outputs: Int, weights: [Double], bias: [Double]) {
        precondition(weights.count == inputs * outputs && bias.count == outputs, "layer \(name): sizes do not match")
        self.name = name
        self.inputs = inputs
        self.outputs = outputs
        self.weights = weights
        self.bias = bias
    }

    public func weight(_ row: Int, _ column: Int) -> Double { weights[row * inputs + column] }
}

/// Per-entry affine normalisation: normalised = (value - mean) / std.
public struct Normalization: Sendable, Equatable {
    public var mean: [Double]
    public var std: [Double]

    public init(mean: [Double], std: [Double]) {
        precondition(mean.count == std.count, "mean and std differ in length")
        self.mean = mean
        self.std = std
    }
}

/// The CARIL classification head: logits for K bins per action dimension, read from the last hidden
/// layer (the input of the last regression layer). Rows j*K ..< (j+1)*K belong to action j.
public struct ClassificationHead: Sendable {
    public var layer: DenseLayer
    public var bins: Int
    /// The bins split this range of the network's normalised output into K equal parts.
    public var range: ClosedRange<Double>

    public init(layer: DenseLayer, bins: Int, range: ClosedRange<Double>) {
        self.layer = layer
        self.bins = bins
        self.range = range
    }

    public var binWidth: Double { (range.upperBound - range.lowerBound) / Double(bins) }

    /// Centre of bin k in normalised units: lo + (k + 0.5) (hi - lo) / K.
    public func centre(ofBin bin: Int) -> Double { range.lowerBound + (Double(bin) + 0.5) * binWidth }

    /// The bin holding `value`; values outside the range fall in the edge bins (a NaN in bin 0).
    public func bin(of value: Double) -> Int { Self.bin(of: value, bins: bins, range: range) }

    /// The same for a head of `bins` bins over `range` (training labels use it too).
    public static func bin(of value: Double, bins: Int, range: ClosedRange<Double>) -> Int {
        let position = ((value - range.lowerBound) / ((range.upperBound - range.lowerBound) / Double(bins))).rounded(.down)
        guard position >= 0 else { return 0 }
        guard position < Double(bins) else { return bins - 1 }
        return Int(position)
    }
}

/// A loaded policy: an MLP regression chain x -> W_m s(... s(W_1 x_n + b_1) ...) + b_m with
/// optional normalisation on both sides and an optional CARIL classification head, all in Float64
/// (the certification works on these; inference converts them to Float32).
public struct PolicyNetwork: Sendable {
    public var sourcePath: String
    public var layers: [DenseLayer]
    public var activation: Activation
    public var observationNormalization: Normalization?
    public var actionNormalization: Normalization?
    public var observationNames: [String]?
    public var actionNames: [String]?
    public var classificationHead: ClassificationHead?
    /// Element types of the weight tensors in the file.
    public var weightTypes: [TensorDType]
    /// Where the optional settings came from (`policy.yaml`, `__metadata__["reins"]` or `defaults`).
    public var configSource: String

    public var observationCount: Int { layers[0].inputs }
    public var actionCount: Int { layers[layers.count - 1].outputs }
    /// Logits per tick: actions × bins, or 0 without a classification head.
    public var logitCount: Int { classificationHead.map { $0.layer.outputs } ?? 0 }

    /// Builds a network from layers already in memory, checking the chain as the loader does.
    public init(
        layers: [DenseLayer], activation: Activation = .relu,
        observationNormalization: Normalization? = nil, actionNormalization: Normalization? = nil,
        observationNames: [String]? = nil, actionNames: [String]? = nil,
        classificationHead: ClassificationHead? = nil, sourcePath: String = "(memory)",
        weightTypes: [TensorDType] = [.f64], configSource: String = "defaults"
    ) throws(PolicyLoadError) {
        guard let first = layers.first else { throw PolicyLoadError("\(sourcePath): the policy has no layers") }
        for index in 1..<max(1, layers.count) where layers[index].inputs != layers[index - 1].outputs {
            let layer = layers[index], previous = layers[index - 1]
            throw PolicyLoadError("\(sourcePath): tensor `\(layer.name)` has shape [\(layer.outputs), \(layer.inputs)] but layer \(index) needs [*, \(previous.outputs)] to follow `\(previous.name)` [\(previous.outputs), \(previous.inputs)]")
        }
        let last = layers[layers.count - 1]
        if let normalization = observationNormalization, normalization.mean.count != first.inputs {
            throw PolicyLoadError("\(sourcePath): observation normalisation has \(normalization.mean.count) entries but `\(first.name)` takes \(first.inputs) inputs")
        }
        if let normalization = actionNormalization, normalization.mean.count != last.outputs {
            throw PolicyLoadError("\(sourcePath): action normalisation has \(normalization.mean.count) entries but `\(last.name)` gives \(last.outputs) outputs")
        }
        if let head = classificationHead {
            guard head.bins >= 2, head.layer.outputs == last.outputs * head.bins, head.layer.inputs == last.inputs else {
                throw PolicyLoadError("\(sourcePath): tensor `\(head.layer.name)` has shape [\(head.layer.outputs), \(head.layer.inputs)] but the classification head needs [\(last.outputs * max(head.bins, 2)), \(last.inputs)] (\(max(head.bins, 2)) bins for each of the \(last.outputs) actions, reading the input of `\(last.name)`)")
            }
        }
        self.sourcePath = sourcePath
        self.layers = layers
        self.activation = activation
        self.observationNormalization = observationNormalization
        self.actionNormalization = actionNormalization
        self.observationNames = observationNames
        self.actionNames = actionNames
        self.classificationHead = classificationHead
        self.weightTypes = weightTypes
        self.configSource = configSource
    }

    /// A reproducible random MLP with PyTorch's default nn.Linear initialisation
    /// (uniform in ±1/√inputs), for benchmarks and tests. `sizes` = [inputs, hidden..., outputs].
    public static func seededRandom(sizes: [Int], activation: Activation = .relu, seed: UInt64) -> PolicyNetwork {
        precondition(sizes.count >= 2 && sizes.allSatisfy { $0 > 0 }, "sizes need inputs and outputs")
        var random = SeededRandom(seed: seed)
        var layers: [DenseLayer] = []
        for index in 0..<(sizes.count - 1) {
            let inputs = sizes[index], outputs = sizes[index + 1]
            let limit = 1 / Double(inputs).squareRoot()
            let weights = (0..<(inputs * outputs)).map { _ in random.uniform(-limit...limit) }
            let bias = (0..<outputs).map { _ in random.uniform(-limit...limit) }
            layers.append(DenseLayer(name: "net.\(2 * index).weight", inputs: inputs, outputs: outputs, weights: weights, bias: bias))
        }
        // The chain is consistent by construction.
        return try! PolicyNetwork(layers: layers, activation: activation, sourcePath: "seeded random MLP \(sizes.map(String.init).joined(separator: "→")) (seed \(seed))")
    }

    /// Float64 reference forward pass (normalisation included): the regression output in action
    /// units and the head's logits. For certification, tests and tools, not for the tick.
    public func referenceForward(_ observation: [Double]) -> (action: [Double], logits: [Double]) {
        precondition(observation.count == observationCount, "expected \(observationCount) observation entries")
        var x = observation
        if let normalization = observationNormalization {
            for index in x.indices { x[index] = (x[index] - normalization.mean[index]) / normalization.std[index] }
        }
        for layer in layers.dropLast() {
            x = PolicyNetwork.apply(layer, x).map(activation.value)
        }
        let last = layers[layers.count - 1]
        var action = PolicyNetwork.apply(last, x)
        if let normalization = actionNormalization {
            for index in action.indices { action[index] = normalization.mean[index] + normalization.std[index] * action[index] }
        }
        let logits = classificationHead.map { PolicyNetwork.apply($0.layer, x) } ?? []
        return (action, logits)
    }

    static func apply(_ layer: DenseLayer, _ x: [Double]) -> [Double] {
        var y = layer.bias
        for row in 0..<layer.outputs {
            var sum = 0.0
            for column in 0..<layer.inputs { sum += layer.weights[row * layer.inputs + column] * x[column] }
            y[row] += sum
        }
        return y
    }
}
