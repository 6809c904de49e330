/// A position in a YAML source, 1-based as editors show it.
public struct SourceMark: Sendable, Equatable, CustomStringConvertible {
    public var line: Int
    public var column: Int

    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    public var description: String { "\(line):\(column)" }
}

/// A parsed YAML node with the place it came from, so every configuration error can point at it.
public struct YAMLNode: Sendable {
    public enum Content: Sendable {
        /// `plain` is false for quoted and block scalars: `"100"` is text, `100` is a number.
        case scalar(String, plain: Bool)
        case sequence([YAMLNode])
        case mapping([(key: YAMLNode, value: YAMLNode)])
    }

    public var content: Content
    public var mark: SourceMark

    public init(_ content: Content, mark: SourceMark) {
        self.content = content
        self.mark = mark
    }

    /// Short description of what the node is, for "expected X, found Y" messages.
    public var kindDescription: String {
        switch content {
        case .scalar(let text, let plain):
            if plain && YAMLNode.isNull(text) { return "nothing (null)" }
            return plain ? "`\(text)`" : "the string \"\(text)\""
        case .sequence: return "a list"
        case .mapping: return "a mapping"
        }
    }

    static func isNull(_ text: String) -> Bool {
        text.isEmpty || text == "~" || text == "null" || text == "Null" || text == "NULL"
    }
}
