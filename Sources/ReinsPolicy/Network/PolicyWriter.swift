import ReinsCore

/// Writing a policy the loader reads back: the inverse of `PolicyNetwork.load(path:)`.
///
/// Tensors are F32 in nn.Linear layout (`net.0.weight` [out, in], `net.0.bias`, …, then
/// `class_head.weight` / `.bias`), as `safetensors.torch.save_file` would write an nn.Sequential.
/// The config goes both into `__metadata__["reins"]` (so the file is self-contained) and into
/// `NAME.yaml` beside it (so a person can read it); the loader accepts the pair when they agree.
extension PolicyNetwork {
    /// The config keys that describe this network: names, normalisation, activation and head.
    public var config: PolicyConfig {
        var config = PolicyConfig()
        config.observationNames = observationNames
        config.actionNames = actionNames
        config.observationMean = observationNormalization?.mean
        config.observationStd = observationNormalization?.std
        config.actionMean = actionNormalization?.mean
        config.actionStd = actionNormalization?.std
        config.activation = activation
        if let head = classificationHead {
            config.classificationHeadRequested = true
            config.classificationBins = head.bins
            config.classificationRange = head.range
        }
        return config
    }

    /// The tensors in file order: each chain layer's weight and bias, then the head.
    public func tensorEntries(dtype: TensorDType = .f32) -> [SafetensorsFile.Entry] {
        var entries: [SafetensorsFile.Entry] = []
        for (index, layer) in layers.enumerated() {
            let stem = layer.name.hasSuffix(".weight") ? String(layer.name.dropLast(7)) : "net.\(2 * index)"
            entries.append(.init(name: stem + ".weight", dtype: dtype, shape: [layer.outputs, layer.inputs], values: layer.weights))
            entries.append(.init(name: stem + ".bias", dtype: dtype, shape: [layer.outputs], values: layer.bias))
        }
        if let head = classificationHead {
            let layer = head.layer
            let stem = layer.name.hasSuffix("class_head.weight") ? String(layer.name.dropLast(7)) : "class_head"
            entries.append(.init(name: stem + ".weight", dtype: dtype, shape: [layer.outputs, layer.inputs], values: layer.weights))
            entries.append(.init(name: stem + ".bias", dtype: dtype, shape: [layer.outputs], values: layer.bias))
        }
        return entries
    }

    /// Writes `path` (safetensors, F32, the config as JSON under `__metadata__["reins"]` plus
    /// `metadata`) and the same config as `NAME.yaml` beside it, after `yamlComments` as `#` lines.
    public func write(to path: String, metadata: [String: String] = [:], yamlComments: [String] = []) throws(SystemError) {
        let config = self.config
        var fileMetadata = metadata
        fileMetadata["reins"] = config.jsonText
        try FileBytes.write(SafetensorsFile.serialize(tensorEntries(), metadata: fileMetadata), to: path)
        let comments = yamlComments.map { "# " + $0.split(separator: "\n", omittingEmptySubsequences: false).joined(separator: "\n# ") + "\n" }.joined()
        try FileBytes.write(Array((comments + config.yamlText).utf8), to: PolicyNetwork.companionConfigPath(for: path))
    }
}

extension PolicyConfig {
    /// The config as YAML, in the README's key order. Names are double-quoted (JSON escapes are
    /// valid YAML), numbers use Swift's shortest round-trip form, so reading the text back gives
    /// the same Doubles.
    public var yamlText: String {
        var lines: [String] = []
        for (key, names, mean, std) in [("observation", observationNames, observationMean, observationStd),
                                         ("action", actionNames, actionMean, actionStd)] {
            guard names != nil || mean != nil else { continue }
            lines.append("\(key):")
            if let names { lines.append("  names: " + PolicyConfig.quotedList(names)) }
            if let mean, let std {
                lines.append("  mean: " + PolicyConfig.numberList(mean))
                lines.append("  std: " + PolicyConfig.numberList(std))
            }
        }
        lines.append("activation: \(activation.name)")
        if let parameter = activationParameter { lines.append("\(parameter.key): \(PolicyConfig.number(parameter.value))") }
        if classificationHeadRequested {
            var fields: [String] = []
            if let bins = classificationBins { fields.append("bins: \(bins)") }
            fields.append("range: " + PolicyConfig.numberList([classificationRange.lowerBound, classificationRange.upperBound]))
            lines.append("classification_head: {\(fields.joined(separator: ", "))}")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The config as one line of JSON, for `__metadata__["reins"]`.
    public var jsonText: String {
        var fields: [String] = []
        for (key, names, mean, std) in [("observation", observationNames, observationMean, observationStd),
                                         ("action", actionNames, actionMean, actionStd)] {
            guard names != nil || mean != nil else { continue }
            var side: [String] = []
            if let names { side.append("\"names\":" + PolicyConfig.quotedList(names, separator: ",")) }
            if let mean, let std {
                side.append("\"mean\":" + PolicyConfig.numberList(mean, separator: ","))
                side.append("\"std\":" + PolicyConfig.numberList(std, separator: ","))
            }
            fields.append("\"\(key)\":{\(side.joined(separator: ","))}")
        }
        fields.append("\"activation\":\"\(activation.name)\"")
        if let parameter = activationParameter { fields.append("\"\(parameter.key)\":\(PolicyConfig.number(parameter.value))") }
        if classificationHeadRequested {
            var head: [String] = []
            if let bins = classificationBins { head.append("\"bins\":\(bins)") }
            head.append("\"range\":" + PolicyConfig.numberList([classificationRange.lowerBound, classificationRange.upperBound], separator: ","))
            fields.append("\"classification_head\":{\(head.joined(separator: ","))}")
        }
        return "{" + fields.joined(separator: ",") + "}"
    }

    /// The first key on which two configs say different things, or nil when they agree (where the
    /// keys were written does not count).
    public func firstDifference(from other: PolicyConfig) -> String? {
        if observationNames != other.observationNames { return "observation.names" }
        if observationMean != other.observationMean { return "observation.mean" }
        if observationStd != other.observationStd { return "observation.std" }
        if actionNames != other.actionNames { return "action.names" }
        if actionMean != other.actionMean { return "action.mean" }
        if actionStd != other.actionStd { return "action.std" }
        if activation != other.activation { return "activation" }
        if classificationHeadRequested != other.classificationHeadRequested { return "classification_head" }
        if classificationBins != other.classificationBins { return "classification_head.bins" }
        if classificationRange != other.classificationRange { return "classification_head.range" }
        return nil
    }

    private var activationParameter: (key: String, value: Double)? {
        switch activation {
        case .leakyReLU(let slope): return ("negative_slope", slope)
        case .elu(let alpha): return ("alpha", alpha)
        default: return nil
        }
    }

    private static func number(_ value: Double) -> String {
        precondition(value.isFinite, "a policy config holds finite numbers only")
        return "\(value)"
    }

    private static func numberList(_ values: [Double], separator: String = ", ") -> String {
        "[" + values.map(number).joined(separator: separator) + "]"
    }

    private static func quotedList(_ names: [String], separator: String = ", ") -> String {
        "[" + names.map(\.jsonQuoted).joined(separator: separator) + "]"
    }
}
