import ReinsConfig

/// What a bare weight file cannot say about itself: entry names, normalisation statistics, the
/// activation and the CARIL classification head. Read from `NAME.yaml` beside `NAME.safetensors`
/// or from the JSON string `__metadata__["reins"]`, with the same keys:
///
/// ```yaml
/// observation:
///   names: [shoulder_pan.pos, shoulder_lift.pos]   # optional, checked against a robot
///   mean: [0.0, 0.1]                                # optional, with std: x_n = (x - mean) / std
///   std: [1.0, 0.5]
/// action:
///   names: [shoulder_pan.goal]
///   mean: [0.0]                                     # a = mean + std * network output
///   std: [2.0]
/// activation: relu          # relu | leaky_relu | tanh | elu | gelu | silu (default relu)
/// negative_slope: 0.01      # leaky_relu only (PyTorch default 0.01)
/// alpha: 1.0                # elu only (PyTorch default 1.0)
/// classification_head:      # CARIL head; tensors `[PREFIX]class_head.weight` / `.bias`
///   bins: 11                # K per action dimension (default: head rows / actions)
///   range: [-1, 1]          # bins cover this range of the normalised network output
/// ```
public struct PolicyConfig: Sendable {
    public var observationNames: [String]?
    public var actionNames: [String]?
    public var observationMean: [Double]?
    public var observationStd: [Double]?
    public var actionMean: [Double]?
    public var actionStd: [Double]?
    public var activation: Activation = .relu
    public var classificationHeadRequested = false
    public var classificationBins: Int?
    public var classificationRange: ClosedRange<Double> = -1...1
    /// Where each key was written (`policy.yaml:4:9`), for errors found once the weights are known.
    var locations: [String: String] = [:]
    /// `policy.yaml` or `__metadata__["reins"]`, for reports.
    public var source: String = "defaults"

    public init() {}

    func location(_ key: String) -> String { locations[key] ?? source }

    static let topKeys = ["observation", "action", "activation", "negative_slope", "alpha", "classification_head"]
    static let sideKeys = ["names", "mean", "std"]
    static let headKeys = ["bins", "range"]

    /// Parses YAML text (a file beside the weights).
    static func parse(yaml text: String, file: String) throws(PolicyLoadError) -> PolicyConfig {
        let root: YAMLNode
        do {
            root = try YAMLDocument(parsing: text).root
        } catch {
            throw PolicyLoadError("\(file):\(error.mark): not valid YAML: \(error.problem)")
        }
        return try decode(ConfigNode(yaml: root, file: file), source: file)
    }

    /// Parses the JSON string stored under `__metadata__["reins"]`.
    static func parse(metadataJSON text: String, file: String) throws(PolicyLoadError) -> PolicyConfig {
        let label = "\(file): __metadata__[\"reins\"]"
        let root: JSONNode
        do {
            root = try JSONParser.parse(Array(text.utf8))
        } catch {
            throw PolicyLoadError("\(label) is not valid JSON around byte \(error.offset) of the string: \(error.problem)")
        }
        return try decode(ConfigNode(json: root, label: label), source: "__metadata__[\"reins\"]")
    }

    private static func decode(_ root: ConfigNode, source: String) throws(PolicyLoadError) -> PolicyConfig {
        var problems: [String] = []
        var config = PolicyConfig()
        config.source = source
        guard let top = root.mapping(keys: topKeys, path: "", problems: &problems) else { throw PolicyLoadError(problems) }
        for (key, node) in top {
            config.locations[key] = node.location
            switch key {
            case "observation", "action":
                guard let side = node.mapping(keys: sideKeys, path: key, problems: &problems) else { continue }
                for (sideKey, value) in side {
                    let path = "\(key).\(sideKey)"
                    config.locations[path] = value.location
                    switch sideKey {
                    case "names":
                        let names = value.strings(path: path, problems: &problems)
                        if key == "observation" { config.observationNames = names } else { config.actionNames = names }
                    case "mean":
                        let mean = value.numbers(path: path, problems: &problems)
                        if key == "observation" { config.observationMean = mean } else { config.actionMean = mean }
                    default:
                        let std = value.numbers(path: path, problems: &problems)
                        if let std, let bad = std.firstIndex(where: { !($0 > 0) || !$0.isFinite }) {
                            problems.append("\(value.location): \(path)[\(bad)] is \(std[bad]); a standard deviation must be positive and finite")
                        }
                        if key == "observation" { config.observationStd = std } else { config.actionStd = std }
                    }
                }
            case "activation":
                guard let name = node.text(path: key, problems: &problems) else { continue }
                switch name {
                case "relu": config.activation = .relu
                case "leaky_relu": config.activation = .leakyReLU(negativeSlope: 0.01)
                case "tanh": config.activation = .tanh
                case "elu": config.activation = .elu(alpha: 1)
                case "gelu": config.activation = .gelu
                case "silu": config.activation = .silu
                default:
                    problems.append("\(node.location): activation: `\(name)` is not supported; use one of \(Activation.names.joined(separator: ", "))")
                }
            case "classification_head":
                config.classificationHeadRequested = true
                guard let head = node.mapping(keys: headKeys, path: key, problems: &problems) else { continue }
                for (headKey, value) in head {
                    let path = "\(key).\(headKey)"
                    config.locations[path] = value.location
                    if headKey == "bins" {
                        guard let bins = value.number(path: path, problems: &problems) else { continue }
                        if bins != bins.rounded() || bins < 2 || bins > 10_000 {
                            problems.append("\(value.location): \(path): \(bins) is not a whole number from 2 to 10000; the paper uses 11")
                        } else {
                            config.classificationBins = Int(bins)
                        }
                    } else {
                        guard let pair = value.numbers(path: path, problems: &problems) else { continue }
                        if pair.count != 2 || !(pair[0] < pair[1]) || !pair[0].isFinite || !pair[1].isFinite {
                            problems.append("\(value.location): \(path): expected [low, high] with low < high, e.g. [-1, 1]")
                        } else {
                            config.classificationRange = pair[0]...pair[1]
                        }
                    }
                }
            default:
                break
            }
        }
        // Activation parameters, once the activation is known.
        if let node = top.first(where: { $0.key == "negative_slope" })?.value {
            if case .leakyReLU = config.activation, let slope = node.number(path: "negative_slope", problems: &problems) {
                config.activation = .leakyReLU(negativeSlope: slope)
            } else if config.activation.name != "leaky_relu" {
                problems.append("\(node.location): negative_slope applies only to `activation: leaky_relu`")
            }
        }
        if let node = top.first(where: { $0.key == "alpha" })?.value {
            if case .elu = config.activation, let alpha = node.number(path: "alpha", problems: &problems) {
                config.activation = .elu(alpha: alpha)
            } else if config.activation.name != "elu" {
                problems.append("\(node.location): alpha applies only to `activation: elu`")
            }
        }
        for side in ["observation", "action"] {
            let mean = side == "observation" ? config.observationMean : config.actionMean
            let std = side == "observation" ? config.observationStd : config.actionStd
            if (mean == nil) != (std == nil) {
                problems.append("\(config.location(side)): \(side): give both mean and std, or neither")
            }
        }
        guard problems.isEmpty else { throw PolicyLoadError(problems) }
        return config
    }
}

/// YAML and JSON configs decode through one tree, so both spellings obey the same rules.
struct ConfigNode {
    enum Value {
        /// `plain` is false for quoted text: `"1"` is a name, `1` a number.
        case scalar(String, plain: Bool)
        case list([ConfigNode])
        case map([(key: String, value: ConfigNode)])
    }

    var value: Value
    var location: String

    init(yaml node: YAMLNode, file: String) {
        location = "\(file):\(node.mark)"
        switch node.content {
        case .scalar(let text, let plain): value = .scalar(text, plain: plain)
        case .sequence(let items): value = .list(items.map { ConfigNode(yaml: $0, file: file) })
        case .mapping(let pairs):
            value = .map(pairs.map { pair in
                let key: String
                if case .scalar(let text, _) = pair.key.content { key = text } else { key = pair.key.kindDescription }
                return (key, ConfigNode(yaml: pair.value, file: file))
            })
        }
    }

    init(json node: JSONNode, label: String) {
        location = "\(label) byte \(node.offset)"
        switch node.value {
        case .null: value = .scalar("null", plain: true)
        case .bool(let flag): value = .scalar(flag ? "true" : "false", plain: true)
        case .number(let text): value = .scalar(text, plain: true)
        case .string(let text): value = .scalar(text, plain: false)
        case .array(let items): value = .list(items.map { ConfigNode(json: $0, label: label) })
        case .object(let pairs): value = .map(pairs.map { ($0.key, ConfigNode(json: $0.value, label: label)) })
        }
    }

    var kindDescription: String {
        switch value {
        case .scalar(let text, let plain): return plain ? "`\(text)`" : "the string \"\(text)\""
        case .list: return "a list"
        case .map: return "a mapping"
        }
    }

    func mapping(keys: [String], path: String, problems: inout [String]) -> [(key: String, value: ConfigNode)]? {
        let label = path.isEmpty ? "" : "\(path): "
        guard case .map(let pairs) = value else {
            problems.append("\(location): \(label)expected a mapping with keys \(keys.joined(separator: ", ")), found \(kindDescription)")
            return nil
        }
        var seen = Set<String>()
        var accepted: [(key: String, value: ConfigNode)] = []
        for pair in pairs {
            let keyPath = path.isEmpty ? pair.key : "\(path).\(pair.key)"
            if !keys.contains(pair.key) {
                problems.append("\(pair.value.location): \(keyPath): unknown key; valid keys here: \(keys.joined(separator: ", "))")
            } else if !seen.insert(pair.key).inserted {
                problems.append("\(pair.value.location): \(keyPath): duplicate key; keep one of them")
            } else {
                accepted.append(pair)
            }
        }
        return accepted
    }

    func text(path: String, problems: inout [String]) -> String? {
        guard case .scalar(let text, _) = value else {
            problems.append("\(location): \(path): expected text, found \(kindDescription)")
            return nil
        }
        return text
    }

    func number(path: String, problems: inout [String]) -> Double? {
        guard case .scalar(let text, true) = value, let number = Double(text), number.isFinite else {
            problems.append("\(location): \(path): expected a finite number, found \(kindDescription)")
            return nil
        }
        return number
    }

    func numbers(path: String, problems: inout [String]) -> [Double]? {
        guard case .list(let items) = value else {
            problems.append("\(location): \(path): expected a list of numbers, found \(kindDescription)")
            return nil
        }
        var values: [Double] = []
        for (index, item) in items.enumerated() {
            guard let number = item.number(path: "\(path)[\(index)]", problems: &problems) else { return nil }
            values.append(number)
        }
        return values
    }

    func strings(path: String, problems: inout [String]) -> [String]? {
        guard case .list(let items) = value else {
            problems.append("\(location): \(path): expected a list of names, found \(kindDescription)")
            return nil
        }
        var values: [String] = []
        for (index, item) in items.enumerated() {
            guard let text = item.text(path: "\(path)[\(index)]", problems: &problems) else { return nil }
            values.append(text)
        }
        return values
    }
}
