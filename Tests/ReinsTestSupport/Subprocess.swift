#if canImport(Glibc)
import Glibc
#endif

/// The result of running a program to completion.
public struct ProcessResult: Sendable {
    public var status: Int32
    public var standardOutput: String
    public var standardError: String
}

/// Runs a program with arguments and collects its output (tests use it for the `reins` binary and
/// for Python peers). Output goes through temporary files so a chatty child can never block on a pipe.
public func runProcess(_ executable: String, _ arguments: [String], environment: [String: String] = [:],
                       workingDirectory: String? = nil, standardInput: String? = nil) -> ProcessResult {
    let scratch = TemporaryDirectory("reins-proc")
    let outPath = scratch.file("out"), errPath = scratch.file("err"), inPath = scratch.write("in", standardInput ?? "")
    let pid = spawn(executable, arguments, environment: environment, workingDirectory: workingDirectory,
                    standardInput: inPath, standardOutput: outPath, standardError: errPath)
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    return ProcessResult(status: SpawnedProcess.exitCode(status), standardOutput: readAll(outPath), standardError: readAll(errPath))
}

/// Starts a program with posix_spawn (never fork: the test process is multi-threaded, and a forked
/// child may deadlock on a lock another thread held). Returns -1 if it could not start.
func spawn(_ executable: String, _ arguments: [String], environment: [String: String], workingDirectory: String?,
           standardInput: String, standardOutput: String, standardError: String) -> pid_t {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, standardInput, O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, standardOutput, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    posix_spawn_file_actions_addopen(&actions, 2, standardError, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    var command = [executable] + arguments
    var environmentList = environment
    if let workingDirectory {
        // posix_spawn has no chdir action in glibc 2.36's public API: run through the shell's cd.
        command = ["/bin/sh", "-c", "cd \"$0\" && exec \"$@\"", workingDirectory] + command
    }
    var merged: [String: String] = [:]
    var index = 0
    while let entry = environ[index] {
        let text = String(cString: entry)
        if let equals = text.firstIndex(of: "=") { merged[String(text[..<equals])] = String(text[text.index(after: equals)...]) }
        index += 1
    }
    for (key, value) in environmentList { merged[key] = value }
    environmentList = merged
    var argv: [UnsafeMutablePointer<CChar>?] = command.map { strdup($0) } + [nil]
    var envp: [UnsafeMutablePointer<CChar>?] = environmentList.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer {
        argv.forEach { free($0) }
        envp.forEach { free($0) }
    }
    var pid: pid_t = -1
    let result = posix_spawnp(&pid, command[0], &actions, nil, &argv, &envp)
    return result == 0 ? pid : -1
}

private func readAll(_ path: String) -> String {
    guard let file = fopen(path, "r") else { return "" }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
        let n = fread(&buffer, 1, buffer.count, file)
        if n <= 0 { break }
        bytes.append(contentsOf: buffer[0..<n])
    }
    return String(decoding: bytes, as: UTF8.self)
}

/// The `reins` executable built alongside the tests.
public var reinsExecutable: String { productsDirectory + "/reins" }

/// A program running alongside a test (a simulator, a Python peer), with its output in files the
/// test can poll.
public final class SpawnedProcess: @unchecked Sendable {
    public let pid: pid_t
    private let scratch = TemporaryDirectory("reins-spawn")
    public private(set) var status: Int32?

    /// - Parameter standardInput: a file or device to read from (a pty's slave for a program that needs a terminal).
    public init(_ executable: String, _ arguments: [String], environment: [String: String] = [:], workingDirectory: String? = nil,
                standardInput: String = "/dev/null") {
        pid = spawn(executable, arguments, environment: environment, workingDirectory: workingDirectory,
                    standardInput: standardInput, standardOutput: scratch.file("out"), standardError: scratch.file("err"))
    }

    deinit {
        if status == nil {
            kill(pid, SIGKILL)
            _ = wait()
        }
    }

    public var standardOutput: String { readAll(scratch.file("out")) }
    public var standardError: String { readAll(scratch.file("err")) }

    /// Polls standard output until a line contains `text`; returns that line or nil on timeout.
    public func waitForLine(containing text: String, timeout: Double = 10) -> String? {
        let end = timeout * 1000
        var waited = 0.0
        while waited < end {
            if let line = standardOutput.split(separator: "\n").first(where: { $0.contains(text) }) { return String(line) }
            if hasExited { return nil }
            usleep(10_000)
            waited += 10
        }
        return nil
    }

    public var hasExited: Bool {
        if status != nil { return true }
        var raw: Int32 = 0
        if waitpid(pid, &raw, WNOHANG) == pid {
            status = Self.exitCode(raw)
            return true
        }
        return false
    }

    /// Sends a signal (SIGINT for a clean stop, SIGKILL for a crash).
    public func signal(_ number: Int32) { kill(pid, number) }

    /// Waits for the process to end and returns its exit code (128 + signal if killed).
    @discardableResult
    public func wait() -> Int32 {
        if let status { return status }
        var raw: Int32 = 0
        while waitpid(pid, &raw, 0) < 0 && errno == EINTR {}
        status = Self.exitCode(raw)
        return status!
    }

    /// Waits up to `timeout` seconds, then kills the process.
    @discardableResult
    public func wait(timeout: Double) -> Int32 {
        var waited = 0.0
        while !hasExited && waited < timeout {
            usleep(10_000)
            waited += 0.01
        }
        if !hasExited { signal(SIGKILL) }
        return wait()
    }

    static func exitCode(_ raw: Int32) -> Int32 {
        (raw & 0x7f) == 0 ? (raw >> 8) & 0xff : 128 + (raw & 0x7f)
    }
}
