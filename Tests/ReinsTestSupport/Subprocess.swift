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
    let pid = fork()
    if pid == 0 {
        if let workingDirectory { _ = chdir(workingDirectory) }
        let input = open(inPath, O_RDONLY)
        let out = open(outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        let err = open(errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        dup2(input, 0); dup2(out, 1); dup2(err, 2)
        for (key, value) in environment { setenv(key, value, 1) }
        var argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) }
        argv.append(nil)
        execvp(executable, &argv)
        _exit(127)
    }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    return ProcessResult(status: SpawnedProcess.exitCode(status), standardOutput: readAll(outPath), standardError: readAll(errPath))
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

    public init(_ executable: String, _ arguments: [String], environment: [String: String] = [:], workingDirectory: String? = nil) {
        let outPath = scratch.file("out"), errPath = scratch.file("err")
        let child = fork()
        if child == 0 {
            if let workingDirectory { _ = chdir(workingDirectory) }
            let null = open("/dev/null", O_RDONLY)
            let out = open(outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            let err = open(errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            dup2(null, 0); dup2(out, 1); dup2(err, 2)
            for (key, value) in environment { setenv(key, value, 1) }
            var argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) }
            argv.append(nil)
            execvp(executable, &argv)
            _exit(127)
        }
        pid = child
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
