/// One problem in a configuration file: where it is, which key, what is wrong and what to write instead.
public struct ConfigDiagnostic: Error, Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var mark: SourceMark?
    /// Dotted path of the offending key, e.g. `joints[2].velocity`; empty for the whole file.
    public var keyPath: String
    public var problem: String
    public var suggestion: String?

    public init(file: String, mark: SourceMark?, keyPath: String, problem: String, suggestion: String? = nil) {
        self.file = file
        self.mark = mark
        self.keyPath = keyPath
        self.problem = problem
        self.suggestion = suggestion
    }

    /// `file:line:column: key: problem; suggestion` on one line, the form editors and CI logs link.
    public var description: String {
        var text = file
        if let mark { text += ":\(mark.line):\(mark.column)" }
        text += ": "
        if !keyPath.isEmpty { text += "\(keyPath): " }
        text += problem
        if let suggestion { text += "; \(suggestion)" }
        return text
    }
}

/// Every problem found in a file (and its calibration), reported together so one run of
/// `reins check` shows them all.
public struct ConfigErrors: Error, Sendable, CustomStringConvertible {
    public var diagnostics: [ConfigDiagnostic]

    public init(_ diagnostics: [ConfigDiagnostic]) {
        self.diagnostics = diagnostics
    }

    public var description: String {
        diagnostics.map(\.description).joined(separator: "\n")
    }
}

/// Edit distance, used to suggest the key or value the user probably meant.
enum Spelling {
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a.lowercased().utf8), b = Array(b.lowercased().utf8)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
                current[j] = min(previous[j] + 1, current[j - 1] + 1, substitution)
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }

    /// The closest candidate if it is close enough to be a plausible typo.
    static func nearest(_ word: String, in candidates: [String]) -> String? {
        var best: (String, Int)?
        for candidate in candidates {
            let d = distance(word, candidate)
            if best == nil || d < best!.1 { best = (candidate, d) }
        }
        guard let (candidate, d) = best else { return nil }
        let allowance = max(2, min(word.count, candidate.count) / 3)
        if d <= allowance { return candidate }
        // A word that contains the candidate (or the reverse) is also a likely slip: `velocity_limit`.
        if word.contains(candidate) || candidate.contains(word) { return candidate }
        return nil
    }

    /// "did you mean `x`?" or the list of valid choices.
    static func suggestion(for word: String, in candidates: [String], noun: String) -> String {
        if let near = nearest(word, in: candidates) {
            return "did you mean `\(near)`?"
        }
        return "valid \(noun): " + candidates.map { "`\($0)`" }.joined(separator: ", ")
    }
}
