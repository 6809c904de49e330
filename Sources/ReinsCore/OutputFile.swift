#if canImport(Glibc)
import Glibc
#endif

/// What a file holds, judged from its first bytes, so that an output never replaces a file of
/// another kind (a recording written over a robot description, a policy config over a calibration).
public enum FileKind: String, Sendable, CustomStringConvertible {
    case mcap = "MCAP recording"
    case safetensors = "safetensors policy"
    case robotDescription = "robot description"
    case calibration = "calibration file"
    case policyConfig = "policy config"
    case curveKey = "CURVE key file"
    case empty = "empty file"
    case other = "file of unknown kind"

    public var description: String { rawValue }

    /// Reads the start of `path` and names its kind; nil when there is no such file.
    public static func of(_ path: String) -> FileKind? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var head = [UInt8](repeating: 0, count: 16_384)
        let count = head.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard count > 0 else { return count == 0 ? .empty : .other }
        return classify(Array(head[0..<count]))
    }

    /// The kind of a file that starts with `head`.
    public static func classify(_ head: [UInt8]) -> FileKind {
        if head.isEmpty { return .empty }
        let mcapMagic: [UInt8] = [0x89, 0x4D, 0x43, 0x41, 0x50, 0x30, 0x0D, 0x0A]
        if head.starts(with: mcapMagic) { return .mcap }
        // safetensors: an 8-byte little-endian header length, then the JSON header.
        if head.count > 8, head[8] == UInt8(ascii: "{"), head[4..<8].allSatisfy({ $0 == 0 }) { return .safetensors }
        let text = String(decoding: head, as: UTF8.self)
        // Top-level YAML keys (column 0) tell the Reins files apart; czmq certificates have sections.
        var keys = Set<Substring>()
        for line in text.split(separator: "\n") {
            guard let first = line.first, first.isLetter || first == "_" else { continue }
            if let colon = line.firstIndex(of: ":") { keys.insert(line[..<colon]) }
            if line.hasPrefix("curve") { keys.insert("curve") }
        }
        if keys.contains("curve") && text.contains("public-key") { return .curveKey }
        if keys.contains("driver") && keys.contains("kind") { return .robotDescription }
        if keys.contains("kind") { return .calibration }
        if keys.contains("observation") || keys.contains("action") || keys.contains("classification_head") { return .policyConfig }
        return .other
    }
}

/// Why an output path was refused; the message names the option, the file and what to do.
public struct OutputRefusal: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// An output file a command is about to write, checked before anything runs, and written under a
/// temporary name that becomes the real name only when the output is complete.
///
/// The checks: an output is never one of the run's inputs (the same file, whatever the path
/// spelling or links); never replaces a file of another kind, even with `--force`; and replaces an
/// existing file of its own kind only with `--force`.
public struct OutputFile: Sendable {
    /// The final path.
    public let path: String
    /// Where the output is written until it is complete (`NAME.partial`).
    public let temporaryPath: String
    public let kind: FileKind
    /// Whether an existing file is replaced at `commit()`.
    public let replacesExisting: Bool

    /// - Parameters:
    ///   - option: how the user named the output, e.g. `--record`, for messages.
    ///   - inputs: every file the run reads (description, calibration, policy and its config,
    ///     recordings, trajectories); paths that do not exist are ignored.
    public init(_ path: String, kind: FileKind, option: String, inputs: [String], force: Bool) throws(OutputRefusal) {
        self.path = path
        self.kind = kind
        temporaryPath = path + ".partial"
        var info = stat()
        guard stat(path, &info) == 0 else {
            replacesExisting = false
            return
        }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            throw OutputRefusal("\(option) \(path): is a folder; name a file, e.g. \(path)/\(kind.exampleName)")
        }
        for input in inputs {
            var other = stat()
            if stat(input, &other) == 0, other.st_dev == info.st_dev, other.st_ino == info.st_ino {
                throw OutputRefusal("\(option) \(path): is an input of this run (\(input)); choose another file for the output")
            }
        }
        let existing = FileKind.of(path) ?? .other
        if existing != kind && existing != .empty {
            throw OutputRefusal("\(option) \(path): is \(existing.withArticle), not \(kind.withArticle); refusing to replace it (even with --force); choose another file")
        }
        guard force else {
            throw OutputRefusal("\(option) \(path): exists (\(existing.withArticle)); pass --force to replace it, or choose another file")
        }
        replacesExisting = true
    }

    /// Moves the finished output from its temporary name to its real name.
    public func commit() throws(SystemError) {
        guard rename(temporaryPath, path) == 0 else { throw SystemError("rename \(temporaryPath) to", path: path) }
    }

    /// Removes an unfinished output.
    public func discard() {
        unlink(temporaryPath)
    }

    /// Writes a whole-file output in one go (through `FileBytes.write`'s own temporary file and
    /// rename); `temporaryPath` and `commit()` are for outputs written over time, such as recordings.
    public func write(_ bytes: [UInt8], mode: mode_t = 0o644) throws(SystemError) {
        try FileBytes.write(bytes, to: path, mode: mode)
    }
}

extension FileKind {
    var withArticle: String {
        switch self {
        case .mcap, .empty: return "an " + rawValue
        default: return "a " + rawValue
        }
    }

    var exampleName: String {
        switch self {
        case .mcap: return "run.mcap"
        case .safetensors: return "policy.safetensors"
        case .robotDescription: return "robot.yaml"
        case .calibration: return "calibration.yaml"
        case .policyConfig: return "policy.yaml"
        case .curveKey: return "operator.key"
        case .empty, .other: return "output"
        }
    }
}
