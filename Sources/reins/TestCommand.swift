import ArgumentParser
import Foundation
import ReinsConfig
import ReinsCore
import ReinsPolicy
import ReinsRuntime
import ReinsSimulators

/// Exit codes of `reins test`.
enum TestExit {
    static let passed: Int32 = 0
    /// A requirement or an invariant failed.
    static let failed: Int32 = 1
    static let badInput: Int32 = 2
    /// Refused at preflight: the policy does not fit the robot, is not certified, or the person
    /// did not confirm a run on hardware.
    static let refused: Int32 = 3
}

/// `reins test FILE...` (the `run` subcommand, the default) and `reins test merge DIR...`.
struct TestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Run a safety-checked closed-loop test of a policy on a robot and give a verdict.",
        subcommands: [TestRunCommand.self, TestMergeCommand.self],
        defaultSubcommand: TestRunCommand.self)
}

struct TestRunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a safety-checked closed-loop test of a policy on a robot and give a verdict (the default).",
        discussion: """
            Each FILE (YAML; see README "Closed-loop tests") names a robot, a policy, the episodes, \
            a matrix of conditions (nominal, simulator faults, an adversarial observation attack, the \
            scripted operator), a safety envelope checked on every tick, and requirements on the \
            results. Preflight first: the description and calibration, the policy against the robot, \
            its Lipschitz certificate. Then every condition runs its episodes through the same loop as \
            `reins deploy`; an episode that breaks the envelope ends in the robot's safe stop and the \
            condition goes on from the next episode. The success rate is judged on the lower end of its \
            95 % Wilson interval.

            Writes OUT/junit.xml, OUT/summary.json and OUT/report.html (one folder per file under OUT \
            when there are several), and keeps the recordings of runs with failing episodes.

            With --shard I/N this process runs the I-th of N slices of every condition's episodes (the \
            same seeds as one run) and writes its part; `reins test merge` combines the parts into one \
            verdict, identical to one run of the same episodes. A shard exits 0 once its slice ran.

            Exit codes: 0 every requirement and invariant held, 1 one failed, 2 bad input, 3 refused at preflight.
            """)

    @Argument(help: "Test files (YAML).")
    var files: [String]

    @Option(parsing: .unconditional, help: NumberRange.episodes.help("Episodes per condition, instead of each file's `episodes` (a quick smoke run)."),
            transform: NumberRange.episodes.parse)
    var episodes: Int?

    @Option(help: "Output folder for junit.xml, summary.json, report.html and kept recordings.")
    var out: String = "test-results"

    @Option(help: "Which recordings to keep: all, failures (runs with a failing episode) or none.")
    var keep: String = "failures"

    @Flag(help: "Run on hardware (a description that is not link: sim) without asking for confirmation.")
    var yes = false

    @Flag(help: "Do not ask for SCHED_FIFO and memory locking.")
    var noRealtime = false

    @Option(parsing: .unconditional, help: NumberRange.jobs.help("Run the episodes in this many worker processes at once (each a shard), then merge (simulated robots only)."),
            transform: NumberRange.jobs.parse)
    var jobs: Int = 1

    @Option(parsing: .unconditional, help: "Run only slice I of N of every condition's episodes (1 ≤ I ≤ N ≤ 10000), e.g. 2/8; combine the outputs with `reins test merge`.")
    var shard: String?

    /// The shard as (index from 0, count).
    var shardSlice: (index: Int, count: Int)? {
        guard let shard else { return nil }
        let parts = shard.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]), n >= 1, n <= 10_000, i >= 1, i <= n else { return nil }
        return (i - 1, n)
    }

    func validate() throws {
        if shard != nil && shardSlice == nil { throw ValidationError("--shard must be I/N with 1 ≤ I ≤ N ≤ 10000, e.g. 1/4") }
        if shard != nil && jobs > 1 { throw ValidationError("--jobs runs shards itself; give one of --jobs and --shard") }
        guard ClosedLoopTestRunner.Keep(rawValue: keep) != nil else { throw ValidationError("--keep must be all, failures or none") }
        if files.isEmpty { throw ValidationError("name at least one test file") }
    }

    /// A test file with its robot and policy, loaded and checked.
    struct Loaded {
        var file: ClosedLoopTestFile
        var robot: RobotDescription
        var network: PolicyNetwork?
        var policyProblem: String?
    }

    func run() throws {
        // 1. Every file, its robot and its policy are read before anything moves (exit 2 on bad input).
        var loaded: [Loaded] = []
        var bad = false
        for path in files {
            if let kind = FileKind.of(path), [.robotDescription, .calibration, .mcap, .safetensors, .policyConfig].contains(kind) {
                printError("\(path): a \(kind), not a test file; a test file names the robot and the policy (`robot:`, `policy:`), e.g. Robots/tests/sim-arm.yaml")
                bad = true
                continue
            }
            let file: ClosedLoopTestFile
            do {
                file = try ClosedLoopTestFile.load(path: path, validateFaults: { spec in
                    do { _ = try FaultSpec.parse(spec); return nil } catch { return "\(error)" }
                })
            } catch {
                for diagnostic in error.diagnostics { printError(diagnostic.description) }
                bad = true
                continue
            }
            let robot: RobotDescription
            do {
                robot = try RobotDescription.load(path: file.robotPath, calibrationRequired: true)
            } catch {
                for diagnostic in error.diagnostics { printError(diagnostic.description) }
                printError("\(path): robot \(file.robotPath) is not valid")
                bad = true
                continue
            }
            let problems = file.diagnostics(for: robot)
            if robot.role == .leader {
                printError("\(path): robot: \(robot.name) is a leader arm (role: leader); test its follower")
                bad = true
            }
            for problem in problems { printError(problem.description) }
            if !problems.isEmpty { bad = true }
            do {
                loaded.append(Loaded(file: file, robot: robot, network: try PolicyNetwork.load(path: file.policyPath)))
            } catch {
                printError("\(path): policy: \(error.description)")
                bad = true
            }
        }
        if bad { throw ExitCode(TestExit.badInput) }

        let inputs = loaded.flatMap { [$0.file.path, $0.file.policyPath, PolicyNetwork.companionConfigPath(for: $0.file.policyPath)] + $0.robot.inputFiles }
        let outputs = try TestOutputs(directory: out, names: loaded.map(\.file.name), inputs: inputs)
        let folders = outputs.folders
        if jobs > 1 {
            if let hardware = loaded.first(where: { $0.robot.link != .sim }) {
                throw badInput("--jobs \(jobs): \(hardware.robot.name) at \(hardware.robot.link) is one real robot; run its test without --jobs")
            }
            let exit = try runWorkers()
            if exit != TestExit.passed { throw ExitCode(exit) }
            return
        }

        // 2. Preflight and run, file by file.
        StopSignal.install()
        var summaries: [TestSummary] = []
        var exit = TestExit.passed
        for (index, item) in loaded.enumerated() {
            let summary = try test(item, folder: folders[index])
            summaries.append(summary)
            exit = max(exit, Int32(summary.exitCode))
            try outputs.write(summary, index: index)
            if StopSignal.received != nil { break }
        }
        try outputs.writeJUnit(summaries)
        if StopSignal.received != nil {
            printError("interrupted: the results cover what ran")
            exit = max(exit, TestExit.failed)
        }
        if exit != TestExit.passed { throw ExitCode(exit) }
    }

    /// `--jobs N`: N worker processes of this command, worker k running `--shard k/N` into
    /// `OUT/.jobs/k`, then their parts merged into OUT as `reins test merge` does. Ctrl-C is passed
    /// on to every worker, each ending its run with the safe stop; what ran is merged.
    private func runWorkers() throws -> Int32 {
        let scratch = out + "/.jobs"
        try? FileManager.default.removeItem(atPath: scratch)
        StopSignal.install()
        var workers: [(process: Process, folder: String)] = []
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        print("\(jobs) workers, each a shard of every condition's episodes")
        for k in 1...jobs {
            let folder = scratch + "/\(k)"
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            var arguments = ["test", "run"] + files + ["--shard", "\(k)/\(jobs)", "--out", folder, "--keep", keep]
            if let episodes { arguments += ["--episodes", String(episodes)] }
            if noRealtime { arguments.append("--no-realtime") }
            let process = Process()
            process.executableURL = executable
            process.arguments = arguments
            FileManager.default.createFile(atPath: folder + "/worker.log", contents: nil)
            let log = try FileHandle(forWritingTo: URL(fileURLWithPath: folder + "/worker.log"))
            process.standardOutput = log
            process.standardError = log
            process.standardInput = FileHandle.nullDevice
            do {
                try process.run()
            } catch {
                throw badInput("cannot start worker \(k): \(error.localizedDescription)")
            }
            workers.append((process, folder))
        }
        // The workers run in their own process groups: a stop asked of this process is passed on to
        // each of them (SIGINT, which ends its run with the safe stop).
        var forwarded = false
        while workers.contains(where: { $0.process.isRunning }) {
            if !forwarded && StopSignal.received != nil {
                forwarded = true
                for worker in workers where worker.process.isRunning { worker.process.interrupt() }
            }
            MonotonicClock.sleep(untilNanoseconds: MonotonicClock.deadline(in: 0.05))
        }
        var worst: Int32 = TestExit.passed
        for (k, worker) in workers.enumerated() {
            worker.process.waitUntilExit()
            let status = worker.process.terminationStatus
            print("worker \(k + 1)/\(jobs) finished (exit \(status))")
            if status != TestExit.passed {
                let log = (try? String(contentsOfFile: worker.folder + "/worker.log", encoding: .utf8)) ?? ""
                printError("worker \(k + 1): " + log.split(separator: "\n").suffix(8).joined(separator: "\n"))
                worst = max(worst, status)
            }
        }
        // Bad input or a refusal in a worker is this run's; otherwise the merge gives the verdict.
        if worst == TestExit.badInput { return worst }
        let exit = try TestMergeCommand.merge(workers.map(\.folder), out: out)
        try? FileManager.default.removeItem(atPath: scratch)
        return max(exit, worst)
    }

    /// Preflight, then the matrix; the summary of one file.
    private func test(_ item: Loaded, folder: String) throws -> TestSummary {
        let file = item.file, robot = item.robot
        let started = MonotonicClock.nowNanoseconds()
        var summary = TestSummary(
            file: file.path, name: file.name, robot: file.robotPath, robotName: robot.name, robotKind: robot.kind.rawValue,
            link: "\(robot.link)", policy: file.policyPath, episodesPerCondition: episodes ?? file.episodes, seed: file.seed,
            speed: robot.link == .sim ? file.speed : 1, controlRateHz: robot.controlRateHz, verdict: "refused",
            exitCode: Int(TestExit.refused), preflight: [], certificate: nil, conditions: [],
            startedAt: ISO8601DateFormatter().string(from: Date()), wallSeconds: 0, reinsVersion: Reins.configuration.version)
        print("test \(file.name): \(robot.name) (\(robot.kind.rawValue), \(robot.link)), policy \(file.policyPath)")

        // Preflight: nothing has moved yet.
        summary.preflight.append(.init(name: "description", passed: true, message: "\(file.robotPath) and its calibration are valid"))
        guard let network = item.network else { return summary }
        let mismatches = PolicyCommand.mismatches(network, robot)
        summary.preflight.append(.init(name: "policy_matches_robot", passed: mismatches.isEmpty,
                                       message: mismatches.isEmpty ? "the policy's observation and action fit \(robot.name)"
                                                                   : "the policy was not trained for \(robot.name): " + mismatches.joined(separator: "; ")))
        let certificate = LipschitzCertificate.compute(for: network).robustness(against: robot.monitor)
        summary.certificate = .init(lipschitzBound: certificate.lipschitzBound, noiseBound: certificate.noiseBound,
                                    worstActionChange: certificate.worstActionChange, actionTolerance: certificate.actionTolerance,
                                    certified: certificate.isCertified)
        let certificateRequired = file.matrix.contains { (file.requirements.overridden(by: $0.requirements).certified ?? true) }
        summary.preflight.append(.init(name: "certificate", passed: certificate.isCertified || !certificateRequired,
                                       measured: certificate.worstActionChange, bound: certificate.actionTolerance, unit: "action units",
                                       message: certificate.summary + (certificate.isCertified || certificateRequired ? "" : " (not required by this file)")))
        let speedProblem = robot.link == .sim && robot.controlRateHz * file.speed > NumberRange.rateHz.upper
        if speedProblem {
            summary.preflight.append(.init(name: "speed", passed: false, measured: robot.controlRateHz * file.speed, bound: NumberRange.rateHz.upper,
                                           unit: "Hz", message: "the loop would run at rate × speed = \(fixed(robot.controlRateHz * file.speed, 0)) Hz"))
        }
        if robot.link != .sim && summary.preflight.allSatisfy(\.passed) {
            let confirmed = yes || confirm(robot: robot, file: file)
            summary.preflight.append(.init(name: "confirmed", passed: confirmed,
                                           message: confirmed ? "a person confirmed the run on \(robot.name) at \(robot.link)"
                                                              : "not confirmed: \(robot.name) at \(robot.link) would move (pass --yes to confirm)"))
        }
        for check in summary.preflight where !check.passed { printError("preflight: \(check.name): \(check.message)") }
        guard summary.preflight.allSatisfy(\.passed) else {
            summary.wallSeconds = Double(MonotonicClock.nowNanoseconds() &- started) * 1e-9
            return summary
        }

        let episodesPerCondition = episodes ?? file.episodes
        let speed = summary.speed
        let runner = ClosedLoopTestRunner(.init(
            file: file, robot: robot, network: network, robustness: certificate, episodes: episodesPerCondition,
            outputDirectory: folder, keep: ClosedLoopTestRunner.Keep(rawValue: keep)!, realtime: noRealtime ? .none : RealtimeRequest(),
            simulators: { faults, seed in
                guard robot.link == .sim else { return nil }
                var options = SimulatorOptions()
                options.seed = seed
                options.speed = speed
                if let faults { options.faults = try FaultSpec.parse(faults) }
                return BuiltInSimulators(options: options)
            }))
        if let (index, count) = shardSlice {
            runner.setup.range = (episodesPerCondition * index / count)..<(episodesPerCondition * (index + 1) / count)
            summary.shard = shard
            print("shard \(shard ?? ""): episodes \(runner.setup.range.lowerBound)..<\(runner.setup.range.upperBound) of every condition")
        }
        let progress = TestProgress(conditions: file.matrix.count, episodes: runner.setup.range.count, partial: shard != nil)
        runner.stopRequested = { StopSignal.received != nil }
        runner.progress = progress.hear
        summary.conditions = runner.run()
        progress.finish()
        let passed = summary.conditions.count == file.matrix.count && summary.conditions.allSatisfy(\.passed) && !runner.interrupted
        if shard != nil {
            // A slice's checks are partial: the merge judges the whole.
            summary.verdict = runner.interrupted ? "fail" : "partial"
            summary.exitCode = Int(runner.interrupted ? TestExit.failed : TestExit.passed)
        } else {
            summary.verdict = passed ? "pass" : "fail"
            summary.exitCode = Int(passed ? TestExit.passed : TestExit.failed)
        }
        summary.wallSeconds = Double(MonotonicClock.nowNanoseconds() &- started) * 1e-9
        return summary
    }

    /// Asks on the terminal before a real robot moves; anything but "yes" declines.
    private func confirm(robot: RobotDescription, file: ClosedLoopTestFile) -> Bool {
        guard isatty(0) == 1 else {
            printError("\(robot.name) at \(robot.link) is real hardware and standard input is not a terminal: pass --yes to run unattended")
            return false
        }
        print("\(file.name) will move \(robot.name) (\(robot.kind.rawValue)) at \(robot.link): \(file.matrix.count) conditions × "
              + "\(episodes ?? file.episodes) episodes under \(file.policyPath). Keep clear; Ctrl-C stops with the safe stop.")
        print("Type yes to start: ", terminator: "")
        return readLine()?.trimmingCharacters(in: .whitespaces).lowercased() == "yes"
    }
}

/// Where a test's results go: `DIR/junit.xml` for every file, and each file's `summary.json`,
/// `report.html` (and `recordings/`) in DIR, or in `DIR/NAME/` when there are several files.
/// Checked before anything runs: DIR is a folder (or can be made), and no output is an input.
struct TestOutputs {
    let folders: [String]
    private let files: [(summary: OutputFile, report: OutputFile)]
    private let junit: OutputFile

    init(directory: String, names: [String], inputs: [String]) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), !isDirectory.boolValue {
            throw badInput("--out \(directory): exists and is not a folder")
        }
        var used: [String: Int] = [:]
        folders = names.count == 1 ? [directory] : names.map { name in
            used[name, default: 0] += 1
            return directory + "/" + (used[name]! == 1 ? name : "\(name)-\(used[name]!)")
        }
        var files: [(OutputFile, OutputFile)] = []
        for folder in folders {
            files.append((try outputFile(folder + "/summary.json", kind: .other, option: "--out", inputs: inputs, force: true),
                          try outputFile(folder + "/report.html", kind: .other, option: "--out", inputs: inputs, force: true)))
        }
        self.files = files
        junit = try outputFile(directory + "/junit.xml", kind: .other, option: "--out", inputs: inputs, force: true)
        for folder in [directory] + folders {
            do {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            } catch {
                throw badInput("--out \(folder): cannot create the folder: \(error.localizedDescription)")
            }
        }
    }

    func write(_ summary: TestSummary, index: Int) throws {
        do {
            try files[index].summary.write(Array(try summary.json()))
            try files[index].report.write(Array(TestReportHTML.render(summary).utf8))
        } catch {
            printError("cannot write the results in \(folders[index]): \(error)")
            throw ExitCode(TestExit.badInput)
        }
        print("\(summary.name): \(summary.verdict.uppercased()); report \(folders[index])/report.html")
    }

    func writeJUnit(_ summaries: [TestSummary]) throws {
        do {
            try junit.write(Array(TestReportJUnit.xml(summaries).utf8))
        } catch {
            printError("cannot write \(junit.path): \(error)")
            throw ExitCode(TestExit.badInput)
        }
        print("junit: \(junit.path)")
    }
}

struct TestMergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Combine the outputs of `reins test --shard I/N` runs into one verdict, JUnit file, summary and report.",
        discussion: """
            Each DIR is a shard's --out folder (its summary.json, or one folder per test file). Shards \
            of the same test file are combined condition by condition (every episode from exactly one \
            shard) and judged again from the test file, as one run of the same episodes would be. The \
            kept recordings are copied into OUT/recordings.

            Exit codes: 0 every requirement and invariant held, 1 one failed, 2 bad input (shards that do \
            not fit together), 3 a shard was refused at preflight.
            """)

    @Argument(help: "Shard output folders.")
    var directories: [String]

    @Option(help: "Output folder for the combined junit.xml, summary.json, report.html and recordings.")
    var out: String = "test-results"

    func run() throws {
        let exit = try Self.merge(directories, out: out)
        if exit != TestExit.passed { throw ExitCode(exit) }
    }

    /// Merges the shard folders into `out` and gives the exit code of the verdict.
    static func merge(_ directories: [String], out: String) throws -> Int32 {
        // Every shard's summaries, grouped by test file in the order first seen.
        var groups: [(key: String, parts: [(summary: TestSummary, folder: String)])] = []
        var read: [String] = []
        for directory in directories {
            var paths = [directory + "/summary.json"]
            if !FileManager.default.fileExists(atPath: paths[0]) {
                let entries = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
                paths = entries.sorted().map { directory + "/" + $0 + "/summary.json" }.filter { FileManager.default.fileExists(atPath: $0) }
            }
            if paths.isEmpty { throw badInput("\(directory): no summary.json (give the --out folders of `reins test --shard` runs)") }
            read += paths
            for path in paths {
                let summary: TestSummary
                do {
                    summary = try TestSummary.decoder().decode(TestSummary.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
                } catch {
                    throw badInput("\(path): not a reins test summary (\(error))")
                }
                let key = summary.file + "|" + summary.name
                if let index = groups.firstIndex(where: { $0.key == key }) {
                    groups[index].parts.append((summary, FilePath.directory(of: path)))
                } else {
                    groups.append((key, [(summary, FilePath.directory(of: path))]))
                }
            }
        }
        // A shard's own summary is never replaced by the merge.
        let outputs = try TestOutputs(directory: out, names: groups.map { $0.parts[0].summary.name }, inputs: read)
        var summaries: [TestSummary] = []
        var exit = TestExit.passed
        for (index, group) in groups.enumerated() {
            var merged: TestSummary
            do {
                merged = try TestSummary.merge(group.parts.map(\.summary))
            } catch {
                throw badInput(error.description)
            }
            if group.parts.contains(where: { $0.summary.verdict == "refused" }) {
                merged.verdict = "refused"
                merged.exitCode = Int(TestExit.refused)
            } else {
                try judge(&merged)
            }
            try copyRecordings(group.parts, into: outputs.folders[index], summary: &merged)
            summaries.append(merged)
            exit = max(exit, Int32(merged.exitCode))
            try outputs.write(merged, index: index)
            for condition in merged.conditions {
                print("  \(condition.name): \(condition.passed ? "PASS" : "FAIL") \(condition.successes)/\(condition.episodes.count) succeeded "
                      + "(95 % interval \(fixed(condition.wilsonLow, 2))–\(fixed(condition.wilsonHigh, 2)))")
                for check in condition.invariants + condition.requirements where !check.passed { print("    FAIL \(check.name): \(check.message)") }
            }
        }
        try outputs.writeJUnit(summaries)
        return exit
    }

    /// Judges the combined conditions from the test file the shards ran (read again, with its
    /// robot and policy, so the requirements are the file's own).
    private static func judge(_ summary: inout TestSummary) throws {
        let file: ClosedLoopTestFile, robot: RobotDescription, network: PolicyNetwork
        do {
            file = try ClosedLoopTestFile.load(path: summary.file, validateFaults: { _ in nil })
            robot = try RobotDescription.load(path: file.robotPath, calibrationRequired: true)
            network = try PolicyNetwork.load(path: file.policyPath)
        } catch {
            throw badInput("\(summary.file): cannot read the test the shards ran, its robot or its policy: \(error)")
        }
        let robustness = LipschitzCertificate.compute(for: network).robustness(against: robot.monitor)
        for c in summary.conditions.indices {
            ClosedLoopTestRunner.judge(&summary.conditions[c], file: file, robot: robot, robustness: robustness)
        }
        let passed = summary.conditions.allSatisfy(\.passed)
        summary.verdict = passed ? "pass" : "fail"
        summary.exitCode = Int(passed ? TestExit.passed : TestExit.failed)
    }

    /// Copies each shard's kept recordings into `folder/recordings` (their names, from the first
    /// episode they hold, are unique across shards).
    private static func copyRecordings(_ parts: [(summary: TestSummary, folder: String)], into folder: String, summary: inout TestSummary) throws {
        var copied = Set<String>()
        for part in parts {
            for condition in part.summary.conditions {
                for relative in condition.recordings where !copied.contains(relative) {
                    let source = part.folder + "/" + relative, target = folder + "/" + relative
                    guard FileManager.default.fileExists(atPath: source) else { continue }
                    try? FileManager.default.createDirectory(atPath: folder + "/recordings", withIntermediateDirectories: true)
                    if !sameFile(source, target) {
                        try? FileManager.default.removeItem(atPath: target)
                        do {
                            try FileManager.default.copyItem(atPath: source, toPath: target)
                        } catch {
                            throw badInput("cannot copy \(source) to \(target): \(error.localizedDescription)")
                        }
                    }
                    copied.insert(relative)
                }
            }
        }
    }
}

/// What a person sees while a test runs: on a terminal, a bar with the episodes done and an ETA,
/// redrawn in place; otherwise nothing until a condition ends. One line per finished condition.
final class TestProgress {
    let conditions: Int
    let episodes: Int
    /// A shard's slice: its checks are the merge's to judge.
    let partial: Bool
    private let terminal = isatty(1) == 1
    private let started = MonotonicClock.nowNanoseconds()
    private var condition = 0
    private var name = ""
    private var drawn = false

    init(conditions: Int, episodes: Int, partial: Bool = false) {
        self.conditions = conditions
        self.episodes = episodes
        self.partial = partial
    }

    func hear(_ event: ClosedLoopTestRunner.Progress) {
        switch event {
        case .conditionStarted(let name, let index, _):
            self.name = name
            condition = index
            draw(done: 0)
        case .episodes(let done, _):
            draw(done: done)
        case .conditionFinished(let result):
            clear()
            let verdict = partial ? "ran" : result.passed ? "PASS" : "FAIL"
            var line = "  \(result.name): \(verdict) \(result.successes)/\(result.episodes.count) succeeded "
                + "(95 % interval \(fixed(result.wilsonLow, 2))–\(fixed(result.wilsonHigh, 2)))"
            if let cost = result.meanCost { line += ", mean cost \(fixed(cost, 4))" }
            line += ", \(result.safetyStops) safety stops, \(fixed(result.wallSeconds, 1)) s"
            print(line)
            for check in result.invariants + result.requirements where !check.passed && !partial {
                print("    FAIL \(check.name): \(check.message)")
            }
        }
    }

    func finish() { clear() }

    private func draw(done: Int) {
        guard terminal else { return }
        let total = conditions * episodes
        let finished = condition * episodes + done
        let elapsed = Double(MonotonicClock.nowNanoseconds() &- started) * 1e-9
        let eta = finished > 0 ? elapsed / Double(finished) * Double(total - finished) : .nan
        let width = 24
        let filled = total > 0 ? min(width, finished * width / total) : 0
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        let text = "\r[\(bar)] \(name) \(done)/\(episodes), condition \(condition + 1)/\(conditions)"
            + (eta.isFinite ? ", ETA \(fixed(eta, 0)) s" : "") + "\u{1B}[K"
        _ = text.utf8CString.withUnsafeBufferPointer { write(1, $0.baseAddress, $0.count - 1) }
        drawn = true
    }

    private func clear() {
        guard drawn else { return }
        _ = "\r\u{1B}[K".utf8CString.withUnsafeBufferPointer { write(1, $0.baseAddress, $0.count - 1) }
        drawn = false
    }
}
