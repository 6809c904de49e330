import Foundation
import ReinsTestSupport
import Testing

/// Every command block of the README, run as written, so the commands a newcomer copies work.
///
/// What the README says about running them here: installation steps (`apt-get`, `pip`) are CI's
/// job and the test command is the one running this test, so those are skipped; `reins`,
/// `.build/release/reins` and `swift run -c release reins` are the binary under test; and long runs
/// are shortened — `--duration` to 2 s, `--episodes` to 2 (1 for `tradeoff`, as written for `test`),
/// and fits to 2 epochs —
/// and loops run without real-time priority (`--no-realtime`) and with 1 s watchdogs, as every
/// test's do.
/// Everything runs in a scratch copy of `Robots/` and `Calibration/`, so outputs such as the
/// re-made shipped policies never touch the checkout.
@Suite(.serialized) struct ReadmeCommandTests {
    static func commandBlocks() throws -> [String] {
        let readme = try String(contentsOfFile: packageRoot + "/README.md", encoding: .utf8)
        var blocks: [String] = [], current: [String]?
        for line in readme.split(separator: "\n", omittingEmptySubsequences: false) {
            if current == nil, line.hasPrefix("```sh") { current = [] } else if current != nil, line.hasPrefix("```") {
                blocks.append(contentsOf: current!)
                current = nil
            } else if current != nil, !line.trimmingCharacters(in: .whitespaces).isEmpty {
                current!.append(String(line))
            }
        }
        return blocks
    }

    /// One README command turned into the arguments for the binary under test, or nil when skipped.
    static func arguments(_ command: String) -> [String]? {
        var words = command.split(separator: " ").map(String.init)
        if ["apt-get", "python3"].contains(words.first) || words == ["swift", "test"] { return nil }
        if words.starts(with: ["swift", "run", "-c", "release", "reins"]) { words.removeFirst(5) } else if ["reins", ".build/release/reins"].contains(words.first) {
            words.removeFirst()
        } else {
            Issue.record("a README command block runs something other than reins: \(command)")
            return nil
        }
        let subcommand = words.first ?? ""
        for (index, word) in words.enumerated() where index + 1 < words.count {
            if word == "--duration" { words[index + 1] = "2" }
            // A closed-loop test's verdict needs its episodes (the success rate's interval): kept.
            if word == "--episodes" && subcommand != "test" { words[index + 1] = subcommand == "tradeoff" ? "1" : "2" }
        }
        if subcommand == "fit" || subcommand == "tradeoff" { words += ["--epochs", "2"] }
        // Runs share the machine with other tests: no SCHED_FIFO loop starving them.
        if ["deploy", "demos", "teleop"].contains(subcommand) || words.starts(with: ["bench", "operator"]) { words.append("--no-realtime") }
        return words
    }

    @Test func everyCommandBlockRunsAsWritten() throws {
        let lines = try Self.commandBlocks()
        #expect(lines.count >= 6)
        let scratch = TemporaryDirectory()
        // The simulated robots' watchdogs are relaxed to 1 s and their overrun limit to 1000 in the
        // copy, as in other tests: this checks the commands, not how promptly a machine busy with
        // other tests schedules a 1 kHz loop (`--speed 10` on the 100 Hz arm).
        let copy = runProcess("/bin/sh", ["-c", "cp -r Robots Calibration \"$0\" && sed -i -e 's/watchdog_timeout_ms: [0-9]*/watchdog_timeout_ms: 1000/' -e 's/^safety:$/safety:\\n  max_consecutive_overruns: 1000/' \"$0\"/Robots/sim-*.yaml",
                                          scratch.path], workingDirectory: packageRoot)
        #expect(copy.status == 0, "\(copy.standardError)")
        var ran = 0
        for line in lines {
            for command in line.components(separatedBy: " && ") {
                guard let arguments = Self.arguments(command) else { continue }
                let result = runProcess(reinsExecutable, arguments, workingDirectory: scratch.path)
                ran += 1
                let summary = result.standardOutput.split(separator: "\n").filter { $0.hasPrefix("stopped:") || $0.hasPrefix("faults:") }
                #expect(result.status == 0, "`\(command)` exited \(result.status): \(summary) \(result.standardError.suffix(600))")
                for crash in ["Fatal error", "Swift runtime failure", "Backtrace"] {
                    #expect(!result.standardError.contains(crash), "`\(command)` crashed: \(result.standardError.suffix(600))")
                }
                if result.status != 0 { break }
            }
        }
        #expect(ran >= 9)
    }
}
