import CYAML

/// A YAML file parsed by the system libyaml into `YAMLNode`s. libyaml never leaves this file.
public struct YAMLDocument: Sendable {
    public let root: YAMLNode

    /// Aliases can make a document a graph; nesting deeper than this is refused rather than
    /// followed, so a hostile file cannot exhaust the stack.
    static let maximumDepth = 64

    public struct ParseError: Error, Sendable, CustomStringConvertible {
        public var mark: SourceMark
        public var problem: String
        public var description: String { "\(mark): \(problem)" }
    }

    public init(parsing text: String) throws(ParseError) {
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else {
            throw ParseError(mark: SourceMark(line: 1, column: 1), problem: "libyaml could not allocate a parser")
        }
        defer { yaml_parser_delete(&parser) }

        // libyaml keeps reading from the input pointer across loads, so it must outlive the parser.
        let utf8 = Array(text.utf8)
        let input = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: max(utf8.count, 1))
        defer { input.deallocate() }
        _ = input.initialize(from: utf8)
        yaml_parser_set_input_string(&parser, input.baseAddress, utf8.count)

        var document = yaml_document_t()
        let loaded = yaml_parser_load(&parser, &document)
        guard loaded == 1 else {
            let problem = parser.problem.map { String(cString: $0) } ?? "malformed YAML"
            let context = parser.context.map { String(cString: $0) + ": " } ?? ""
            throw ParseError(mark: SourceMark(parser.problem_mark), problem: context + problem)
        }
        defer { yaml_document_delete(&document) }

        guard let rootNode = yaml_document_get_root_node(&document) else {
            throw ParseError(mark: SourceMark(line: 1, column: 1), problem: "the file is empty")
        }
        root = try YAMLDocument.convert(rootNode, in: &document, depth: 0)

        // A second document in the same file is almost always a paste mistake; say so.
        var next = yaml_document_t()
        if yaml_parser_load(&parser, &next) == 1 {
            defer { yaml_document_delete(&next) }
            if let extra = yaml_document_get_root_node(&next) {
                throw ParseError(
                    mark: SourceMark(extra.pointee.start_mark),
                    problem: "a second YAML document starts here; a configuration file holds exactly one")
            }
        }
    }

    private static func convert(
        _ node: UnsafeMutablePointer<yaml_node_t>, in document: inout yaml_document_t, depth: Int
    ) throws(ParseError) -> YAMLNode {
        let mark = SourceMark(node.pointee.start_mark)
        guard depth < maximumDepth else {
            throw ParseError(mark: mark, problem: "nesting deeper than \(maximumDepth) levels (recursive alias?)")
        }
        switch node.pointee.type {
        case YAML_SCALAR_NODE:
            let scalar = node.pointee.data.scalar
            let text: String
            if let value = scalar.value {
                let buffer = UnsafeBufferPointer(start: value, count: scalar.length)
                text = String(decoding: buffer, as: UTF8.self)
            } else {
                text = ""
            }
            return YAMLNode(.scalar(text, plain: scalar.style == YAML_PLAIN_SCALAR_STYLE), mark: mark)
        case YAML_SEQUENCE_NODE:
            var items: [YAMLNode] = []
            var item = node.pointee.data.sequence.items.start
            let end = node.pointee.data.sequence.items.top
            while let current = item, current != end {
                if let child = yaml_document_get_node(&document, current.pointee) {
                    items.append(try convert(child, in: &document, depth: depth + 1))
                }
                item = current + 1
            }
            return YAMLNode(.sequence(items), mark: mark)
        case YAML_MAPPING_NODE:
            var pairs: [(key: YAMLNode, value: YAMLNode)] = []
            var pair = node.pointee.data.mapping.pairs.start
            let end = node.pointee.data.mapping.pairs.top
            while let current = pair, current != end {
                if let keyNode = yaml_document_get_node(&document, current.pointee.key),
                   let valueNode = yaml_document_get_node(&document, current.pointee.value) {
                    let key = try convert(keyNode, in: &document, depth: depth + 1)
                    let value = try convert(valueNode, in: &document, depth: depth + 1)
                    pairs.append((key, value))
                }
                pair = current + 1
            }
            return YAMLNode(.mapping(pairs), mark: mark)
        default:
            return YAMLNode(.scalar("", plain: true), mark: mark)
        }
    }
}

extension SourceMark {
    init(_ mark: yaml_mark_t) {
        self.init(line: Int(mark.line) + 1, column: Int(mark.column) + 1)
    }
}
