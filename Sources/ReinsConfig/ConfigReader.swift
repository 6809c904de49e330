/// Reads typed values out of YAML nodes and collects every problem instead of stopping at the first.
///
/// Decoding functions return nil after reporting; callers keep going so one pass finds all mistakes.
/// Nothing here invents a value for a required key: a missing required key is always a diagnostic.
final class ConfigReader {
    let file: String
    private(set) var diagnostics: [ConfigDiagnostic] = []
    /// Where each key's value sits, so later checks can point at the right line.
    private(set) var marks: [String: SourceMark] = [:]

    init(file: String) {
        self.file = file
    }

    func report(_ diagnostic: ConfigDiagnostic) {
        diagnostics.append(diagnostic)
    }

    func report(_ mark: SourceMark?, _ path: String, _ problem: String, suggestion: String? = nil) {
        diagnostics.append(ConfigDiagnostic(file: file, mark: mark, keyPath: path, problem: problem, suggestion: suggestion))
    }

    /// Opens a mapping, reporting a wrong type, duplicate keys and keys not in `keys`.
    func mapping(_ node: YAMLNode, path: String, keys: [String]) -> MappingView? {
        guard case .mapping(let pairs) = node.content else {
            report(node.mark, path, "expected a mapping of keys, found \(node.kindDescription)",
                   suggestion: "write `key: value` lines; valid keys: " + keys.joined(separator: ", "))
            return nil
        }
        var entries: [String: (key: YAMLNode, value: YAMLNode)] = [:]
        var order: [String] = []
        for pair in pairs {
            guard case .scalar(let name, _) = pair.key.content else {
                report(pair.key.mark, path, "a key must be a plain word, found \(pair.key.kindDescription)")
                continue
            }
            let keyPath = path.isEmpty ? name : "\(path).\(name)"
            if entries[name] != nil {
                report(pair.key.mark, keyPath, "duplicate key (first at line \(entries[name]!.key.mark.line))",
                       suggestion: "keep one of them")
                continue
            }
            if !keys.contains(name) {
                report(pair.key.mark, keyPath, "unknown key",
                       suggestion: Spelling.suggestion(for: name, in: keys, noun: "keys here"))
                continue
            }
            entries[name] = pair
            order.append(name)
            marks[keyPath] = pair.value.mark
        }
        return MappingView(reader: self, node: node, path: path, entries: entries, order: order)
    }

    func path(_ base: String, _ key: String) -> String {
        base.isEmpty ? key : "\(base).\(key)"
    }

    // MARK: Scalars

    func string(_ node: YAMLNode, path: String) -> String? {
        guard case .scalar(let text, let plain) = node.content, !(plain && YAMLNode.isNull(text)) else {
            report(node.mark, path, "expected text, found \(node.kindDescription)")
            return nil
        }
        return text
    }

    func double(_ node: YAMLNode, path: String, in range: ClosedRange<Double>? = nil, unit: String = "") -> Double? {
        guard case .scalar(let text, let plain) = node.content, plain, let value = ConfigReader.parseNumber(text) else {
            report(node.mark, path, "expected a number\(unit.isEmpty ? "" : " in \(unit)"), found \(node.kindDescription)",
                   suggestion: "write an unquoted number such as 0.5")
            return nil
        }
        if let range, !range.contains(value) {
            report(node.mark, path, "\(text) is out of range",
                   suggestion: "use a value from \(ConfigReader.format(range.lowerBound)) to \(ConfigReader.format(range.upperBound))\(unit.isEmpty ? "" : " " + unit)")
            return nil
        }
        return value
    }

    func integer(_ node: YAMLNode, path: String, in range: ClosedRange<Int>? = nil) -> Int? {
        guard case .scalar(let text, let plain) = node.content, plain, let value = ConfigReader.parseInteger(text) else {
            report(node.mark, path, "expected a whole number, found \(node.kindDescription)",
                   suggestion: "write an unquoted integer such as 3")
            return nil
        }
        if let range, !range.contains(value) {
            report(node.mark, path, "\(text) is out of range",
                   suggestion: "use a whole number from \(range.lowerBound) to \(range.upperBound)")
            return nil
        }
        return value
    }

    func bool(_ node: YAMLNode, path: String) -> Bool? {
        if case .scalar(let text, true) = node.content {
            switch text {
            case "true", "True", "TRUE", "yes", "on": return true
            case "false", "False", "FALSE", "no", "off": return false
            default: break
            }
        }
        report(node.mark, path, "expected true or false, found \(node.kindDescription)")
        return nil
    }

    func choice<T: RawRepresentable & CaseIterable>(_ node: YAMLNode, path: String, as type: T.Type) -> T?
    where T.RawValue == String {
        let names = T.allCases.map(\.rawValue)
        guard case .scalar(let text, _) = node.content else {
            report(node.mark, path, "expected one of \(names.joined(separator: ", ")), found \(node.kindDescription)")
            return nil
        }
        if let value = T(rawValue: text) { return value }
        report(node.mark, path, "`\(text)` is not a valid choice",
               suggestion: Spelling.suggestion(for: text, in: names, noun: "choices"))
        return nil
    }

    func sequence(_ node: YAMLNode, path: String) -> [YAMLNode]? {
        guard case .sequence(let items) = node.content else {
            report(node.mark, path, "expected a list, found \(node.kindDescription)",
                   suggestion: "write `[a, b]` or one `- item` per line")
            return nil
        }
        return items
    }

    /// `[min, max]` with min <= max, both inside `bounds` when given.
    func interval(_ node: YAMLNode, path: String, within bounds: ClosedRange<Double>? = nil, unit: String = "") -> ClosedRange<Double>? {
        guard let items = sequence(node, path: path) else { return nil }
        guard items.count == 2 else {
            report(node.mark, path, "expected two numbers [min, max], found \(items.count)",
                   suggestion: "write `[min, max]`\(unit.isEmpty ? "" : " in \(unit)")")
            return nil
        }
        guard let low = double(items[0], path: path + "[0]", in: bounds, unit: unit),
              let high = double(items[1], path: path + "[1]", in: bounds, unit: unit) else { return nil }
        guard low <= high else {
            report(node.mark, path, "min \(ConfigReader.format(low)) is greater than max \(ConfigReader.format(high))",
                   suggestion: "swap them: [\(ConfigReader.format(high)), \(ConfigReader.format(low))]")
            return nil
        }
        return low...high
    }

    func doubles(_ node: YAMLNode, path: String, count: Int, unit: String = "") -> [Double]? {
        guard let items = sequence(node, path: path) else { return nil }
        guard items.count == count else {
            report(node.mark, path, "expected \(count) numbers, found \(items.count)")
            return nil
        }
        var values: [Double] = []
        for (index, item) in items.enumerated() {
            guard let value = double(item, path: "\(path)[\(index)]", unit: unit) else { return nil }
            values.append(value)
        }
        return values
    }

    // MARK: Number syntax (YAML 1.1 plain scalars as people write them in configs)

    static func parseNumber(_ text: String) -> Double? {
        let cleaned = String(text.filter { $0 != "_" })
        switch cleaned {
        case ".inf", ".Inf", "+.inf", "-.inf", "-.Inf", ".nan", ".NaN": return nil
        default: break
        }
        if let integer = parseInteger(text) { return Double(integer) }
        guard let value = Double(cleaned), value.isFinite else { return nil }
        return value
    }

    static func parseInteger(_ text: String) -> Int? {
        let cleaned = String(text.filter { $0 != "_" })
        if cleaned.hasPrefix("0x") { return Int(cleaned.dropFirst(2), radix: 16) }
        if cleaned.hasPrefix("-0x") { return Int(cleaned.dropFirst(3), radix: 16).map { -$0 } }
        return Int(cleaned)
    }

    static func format(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int(value)) }
        return String(value)
    }
}

/// A checked view of one YAML mapping; typed accessors report missing and malformed keys.
struct MappingView {
    let reader: ConfigReader
    let node: YAMLNode
    let path: String
    let entries: [String: (key: YAMLNode, value: YAMLNode)]
    let order: [String]

    var mark: SourceMark { node.mark }

    func has(_ key: String) -> Bool { entries[key] != nil }

    func keyPath(_ key: String) -> String { reader.path(path, key) }

    func keyMark(_ key: String) -> SourceMark? { entries[key]?.key.mark }

    /// The value node, reporting when a required key is absent.
    func require(_ key: String, hint: String) -> YAMLNode? {
        if let entry = entries[key] { return entry.value }
        reader.report(node.mark, keyPath(key), "required key is missing", suggestion: "add `\(key): \(hint)`")
        return nil
    }

    func optional(_ key: String) -> YAMLNode? { entries[key]?.value }

    func requiredString(_ key: String, hint: String) -> String? {
        require(key, hint: hint).flatMap { reader.string($0, path: keyPath(key)) }
    }

    func requiredDouble(_ key: String, in range: ClosedRange<Double>? = nil, unit: String = "", hint: String) -> Double? {
        require(key, hint: hint).flatMap { reader.double($0, path: keyPath(key), in: range, unit: unit) }
    }

    /// An optional key with a documented default. A malformed value is reported (so the load fails)
    /// and the default is returned only to let checking continue.
    func double(_ key: String, default value: Double, in range: ClosedRange<Double>? = nil, unit: String = "") -> Double {
        guard let node = optional(key) else { return value }
        return reader.double(node, path: keyPath(key), in: range, unit: unit) ?? value
    }

    func integer(_ key: String, default value: Int, in range: ClosedRange<Int>? = nil) -> Int {
        guard let node = optional(key) else { return value }
        return reader.integer(node, path: keyPath(key), in: range) ?? value
    }

    func choice<T: RawRepresentable & CaseIterable>(_ key: String, default value: T) -> T where T.RawValue == String {
        guard let node = optional(key) else { return value }
        return reader.choice(node, path: keyPath(key), as: T.self) ?? value
    }

    func requiredInteger(_ key: String, in range: ClosedRange<Int>? = nil, hint: String) -> Int? {
        require(key, hint: hint).flatMap { reader.integer($0, path: keyPath(key), in: range) }
    }

    func requiredChoice<T: RawRepresentable & CaseIterable>(_ key: String, as type: T.Type) -> T? where T.RawValue == String {
        let hint = T.allCases.map(\.rawValue).joined(separator: " | ")
        return require(key, hint: hint).flatMap { reader.choice($0, path: keyPath(key), as: type) }
    }

    func requiredInterval(_ key: String, within bounds: ClosedRange<Double>? = nil, unit: String = "", hint: String) -> ClosedRange<Double>? {
        require(key, hint: hint).flatMap { reader.interval($0, path: keyPath(key), within: bounds, unit: unit) }
    }
}
