import ReinsCore

/// Loading a policy from a safetensors file as PyTorch writes it.
///
/// Tensor naming: the regression MLP is a chain of nn.Linear layers `<prefix>N.weight` [out, in] and
/// `<prefix>N.bias` [out] with N increasing but not necessarily consecutive (an nn.Sequential with
/// activations in between gives 0, 2, 4) and any common prefix ("", "net.", "actor.layers.", "fc").
/// The CARIL head, if present, is `class_head.weight` [actions × K, in] and `class_head.bias`, with any
/// prefix (`net.class_head.weight`); it reads the input of the last chain layer. Any other tensor is
/// an error: Reins runs plain MLPs and will not silently ignore a layer it does not understand.
extension PolicyNetwork {
    /// Loads `path` and, when present, the config `NAME.yaml` beside it.
    public static func load(path: String) throws(PolicyLoadError) -> PolicyNetwork {
        let bytes: [UInt8]
        do {
            bytes = try FileBytes.read(path)
        } catch {
            throw PolicyLoadError("\(path): cannot read the policy file: \(error.reason)")
        }
        let configPath = companionConfigPath(for: path)
        var configText: String?
        if FileBytes.exists(configPath) {
            do {
                configText = try FileBytes.readText(configPath)
            } catch {
                throw PolicyLoadError("\(configPath): cannot read the policy config: \(error.reason)")
            }
        }
        return try load(bytes: bytes, path: path, configYAML: configText, configPath: configPath)
    }

    /// `policy.safetensors` -> `policy.yaml`.
    public static func companionConfigPath(for path: String) -> String {
        let name = FilePath.lastComponent(path)
        if let dot = name.lastIndex(of: "."), dot != name.startIndex {
            return String(path.dropLast(name.distance(from: dot, to: name.endIndex))) + ".yaml"
        }
        return path + ".yaml"
    }

    /// Loads from bytes already in memory; `path` only labels messages.
    public static func load(bytes: [UInt8], path: String, configYAML: String? = nil, configPath: String? = nil) throws(PolicyLoadError) -> PolicyNetwork {
        let file: SafetensorsFile
        do {
            file = try SafetensorsFile(bytes: bytes)
        } catch {
            throw PolicyLoadError("\(path): \(error.problem)")
        }
        var config = PolicyConfig()
        let yamlPath = configPath ?? companionConfigPath(for: path)
        switch (configYAML, file.metadata["reins"]) {
        case (let yaml?, let json?):
            // `reins fit` writes both (the file stays self-contained, the YAML stays readable); a
            // pair that disagrees is ambiguous, so refuse it and name the key.
            config = try PolicyConfig.parse(yaml: yaml, file: yamlPath)
            let embedded = try PolicyConfig.parse(metadataJSON: json, file: path)
            if let key = config.firstDifference(from: embedded) {
                throw PolicyLoadError("\(path): both \(yamlPath) and __metadata__[\"reins\"] configure the policy and they disagree on \(key) (\(config.location(key)) vs \(embedded.location(key))); keep one of them")
            }
        case (let yaml?, nil):
            config = try PolicyConfig.parse(yaml: yaml, file: yamlPath)
        case (nil, let json?):
            config = try PolicyConfig.parse(metadataJSON: json, file: path)
        case (nil, nil):
            break
        }
        return try assemble(file, config: config, path: path)
    }

    private struct LayerTensors {
        var weight: SafetensorsFile.Tensor?
        var bias: SafetensorsFile.Tensor?
    }

    private static func assemble(_ file: SafetensorsFile, config: PolicyConfig, path: String) throws(PolicyLoadError) -> PolicyNetwork {
        func fail(_ problem: String) -> PolicyLoadError { PolicyLoadError("\(path): \(problem)") }

        // Sort the tensors into numbered chains (by prefix) and the head.
        var chains: [String: [Int: LayerTensors]] = [:]
        var head = LayerTensors()
        var headStem: String?
        for tensor in file.tensors {
            let isWeight = tensor.name.hasSuffix(".weight")
            guard isWeight || tensor.name.hasSuffix(".bias") else {
                throw fail("tensor `\(tensor.name)` is not a layer's weight or bias; Reins loads nn.Linear chains named `<prefix>N.weight` / `<prefix>N.bias` and an optional `class_head`")
            }
            let stem = String(tensor.name.dropLast(isWeight ? 7 : 5))
            if stem.hasSuffix("class_head") {
                if let headStem, headStem != stem {
                    throw fail("tensors `\(headStem)` and `\(stem)` are both classification heads; keep one")
                }
                headStem = stem
                if isWeight { head.weight = tensor } else { head.bias = tensor }
                continue
            }
            let digits = stem.reversed().prefix { $0.isASCII && $0.isNumber }.count
            guard digits > 0, let index = Int(stem.suffix(digits)) else {
                throw fail("tensor `\(tensor.name)` is not part of a numbered layer chain `<prefix>N.weight` or the `class_head`; Reins runs plain MLPs")
            }
            let prefix = String(stem.dropLast(digits))
            var layer = chains[prefix, default: [:]][index, default: LayerTensors()]
            if (isWeight ? layer.weight : layer.bias) != nil {
                throw fail("two tensors claim layer \(index) of `\(prefix)N` (`\(tensor.name)` and `\((isWeight ? layer.weight : layer.bias)!.name)`)")
            }
            if isWeight { layer.weight = tensor } else { layer.bias = tensor }
            chains[prefix, default: [:]][index] = layer
        }
        guard !chains.isEmpty else {
            let names = file.tensors.prefix(5).map { "`\($0.name)`" }.joined(separator: ", ")
            throw fail("no layer tensors named `<prefix>N.weight` (found \(file.tensors.isEmpty ? "no tensors" : names)); export an nn.Sequential of nn.Linear layers")
        }
        guard chains.count == 1, let (prefix, numbered) = chains.first else {
            let described = chains.keys.sorted().map { "`\($0)N` (\(chains[$0]!.count) layers)" }.joined(separator: ", ")
            throw fail("the tensors form \(chains.count) layer chains, \(described); Reins loads one chain")
        }

        var layers: [DenseLayer] = []
        var types = Set<TensorDType>()
        for index in numbered.keys.sorted() {
            let tensors = numbered[index]!
            guard let weight = tensors.weight else {
                throw fail("tensor `\(tensors.bias!.name)` has no weight `\(prefix)\(index).weight`")
            }
            guard let bias = tensors.bias else {
                throw fail("tensor `\(weight.name)` has no bias `\(prefix)\(index).bias`; Reins expects nn.Linear layers with bias=True")
            }
            let layer = try denseLayer(weight: weight, bias: bias, in: file, path: path)
            if let previous = layers.last, layer.inputs != previous.outputs {
                throw fail("tensor `\(weight.name)` has shape [\(layer.outputs), \(layer.inputs)] but layer \(layers.count) needs [*, \(previous.outputs)] to follow `\(previous.name)` [\(previous.outputs), \(previous.inputs)]")
            }
            types.insert(weight.dtype)
            types.insert(bias.dtype)
            layers.append(layer)
        }
        let first = layers[0], last = layers[layers.count - 1]

        var classificationHead: ClassificationHead?
        if let headStem {
            guard let weight = head.weight else { throw fail("tensor `\(headStem).bias` has no weight `\(headStem).weight`") }
            guard let bias = head.bias else { throw fail("tensor `\(weight.name)` has no bias `\(headStem).bias`") }
            let layer = try denseLayer(weight: weight, bias: bias, in: file, path: path)
            let bins = config.classificationBins ?? (layer.outputs % last.outputs == 0 ? layer.outputs / last.outputs : 11)
            guard bins >= 2, layer.outputs == bins * last.outputs, layer.inputs == last.inputs else {
                let binsText = config.classificationBins.map { "\($0) bins (\(config.location("classification_head.bins")))" } ?? "K bins"
                throw fail("tensor `\(weight.name)` has shape [\(layer.outputs), \(layer.inputs)] but the classification head needs [\(last.outputs) × \(config.classificationBins.map(String.init) ?? "K"), \(last.inputs)]: \(binsText) for each of the \(last.outputs) actions, reading the input of `\(last.name)`")
            }
            types.insert(weight.dtype)
            types.insert(bias.dtype)
            classificationHead = ClassificationHead(layer: layer, bins: bins, range: config.classificationRange)
        } else if config.classificationHeadRequested {
            throw PolicyLoadError("\(config.location("classification_head")): classification_head is configured but \(path) has no `\(prefix)class_head.weight` / `.bias` tensors")
        }

        func checkCount(_ values: [Any]?, key: String, expected: Int, what: String) throws(PolicyLoadError) {
            guard let values, values.count != expected else { return }
            throw PolicyLoadError("\(config.location(key)): \(key) has \(values.count) entries but \(what)")
        }
        let takes = "`\(first.name)` [\(first.outputs), \(first.inputs)] takes \(first.inputs) observations"
        let gives = "`\(last.name)` [\(last.outputs), \(last.inputs)] gives \(last.outputs) actions"
        try checkCount(config.observationNames, key: "observation.names", expected: first.inputs, what: takes)
        try checkCount(config.observationMean, key: "observation.mean", expected: first.inputs, what: takes)
        try checkCount(config.observationStd, key: "observation.std", expected: first.inputs, what: takes)
        try checkCount(config.actionNames, key: "action.names", expected: last.outputs, what: gives)
        try checkCount(config.actionMean, key: "action.mean", expected: last.outputs, what: gives)
        try checkCount(config.actionStd, key: "action.std", expected: last.outputs, what: gives)

        return try PolicyNetwork(
            layers: layers, activation: config.activation,
            observationNormalization: config.observationMean.map { Normalization(mean: $0, std: config.observationStd!) },
            actionNormalization: config.actionMean.map { Normalization(mean: $0, std: config.actionStd!) },
            observationNames: config.observationNames, actionNames: config.actionNames,
            classificationHead: classificationHead, sourcePath: path,
            weightTypes: TensorDType.allCases.filter(types.contains), configSource: config.source)
    }

    private static func denseLayer(weight: SafetensorsFile.Tensor, bias: SafetensorsFile.Tensor, in file: SafetensorsFile, path: String) throws(PolicyLoadError) -> DenseLayer {
        for tensor in [weight, bias] where !tensor.dtype.isPolicyWeightType {
            throw PolicyLoadError("\(path): tensor `\(tensor.name)` has dtype \(tensor.dtype.rawValue); policy weights must be F32, F16, BF16 or F64")
        }
        guard weight.shape.count == 2 else {
            throw PolicyLoadError("\(path): tensor `\(weight.name)` has shape \(weight.shape) but a linear layer's weight needs two dimensions [out, in]")
        }
        let outputs = weight.shape[0], inputs = weight.shape[1]
        guard outputs > 0, inputs > 0 else {
            throw PolicyLoadError("\(path): tensor `\(weight.name)` has shape \(weight.shape); a layer needs at least one input and one output")
        }
        guard bias.shape == [outputs] else {
            throw PolicyLoadError("\(path): tensor `\(bias.name)` has shape \(bias.shape) but `\(weight.name)` [\(outputs), \(inputs)] needs [\(outputs)]")
        }
        let weights = file.doubles(weight), biases = file.doubles(bias)
        try checkFinite(weights, tensor: weight, path: path)
        try checkFinite(biases, tensor: bias, path: path)
        return DenseLayer(name: weight.name, inputs: inputs, outputs: outputs, weights: weights, bias: biases)
    }

    private static func checkFinite(_ values: [Double], tensor: SafetensorsFile.Tensor, path: String) throws(PolicyLoadError) {
        guard let first = values.firstIndex(where: { !$0.isFinite }) else { return }
        let count = values.lazy.filter { !$0.isFinite }.count
        var index: [Int] = []
        var remainder = first
        for size in tensor.shape.reversed() {
            index.insert(remainder % size, at: 0)
            remainder /= size
        }
        let what = values[first].isNaN ? "NaN" : "\(values[first])"
        throw PolicyLoadError("\(path): tensor `\(tensor.name)` holds \(what) at \(index) (\(count) non-finite value\(count == 1 ? "" : "s") in all, element data at file byte \(tensor.fileOffset + first * tensor.dtype.byteCount)); the weights are corrupt or training diverged")
    }
}
