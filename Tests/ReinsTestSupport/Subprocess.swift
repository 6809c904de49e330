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
    let exitCode: Int32 = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    return ProcessResult(status: exitCode, standardOutput: readAll(outPath), standardError: readAll(errPath))
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
