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

struct TestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Run a safety-checked closed-loop test of a policy on a robot and give a verdict.",
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

    func validate() throws {
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

        let directory = out
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), !isDirectory.boolValue {
            throw badInput("--out \(directory): exists and is not a folder")
        }
        let inputs = loaded.flatMap { [$0.file.path, $0.file.policyPath, PolicyNetwork.companionConfigPath(for: $0.file.policyPath)] + $0.robot.inputFiles }
        let folders = loaded.count == 1 ? [directory] : uniqueFolders(loaded.map(\.file.name), in: directory)
        var outputs: [(summary: OutputFile, report: OutputFile)] = []
        for folder in folders {
            outputs.append((try outputFile(folder + "/summary.json", kind: .other, option: "--out", inputs: inputs, force: true),
                            try outputFile(folder + "/report.html", kind: .other, option: "--out", inputs: inputs, force: true)))
        }
        let junit = try outputFile(directory + "/junit.xml", kind: .other, option: "--out", inputs: inputs, force: true)
        for folder in [directory] + folders where mkdirAll(folder) != 0 {
            throw badInput("--out \(folder): cannot create the folder: \(String(cString: strerror(errno)))")
        }

        // 2. Preflight and run, file by file.
        StopSignal.install()
        var summaries: [TestSummary] = []
        var exit = TestExit.passed
        for (index, item) in loaded.enumerated() {
            let summary = try test(item, folder: folders[index])
            summaries.append(summary)
            exit = max(exit, Int32(summary.exitCode))
            do {
                try outputs[index].summary.write(Array(try summary.json()))
                try outputs[index].report.write(Array(TestReportHTML.render(summary).utf8))
            } catch {
                printError("cannot write the results in \(folders[index]): \(error)")
                throw ExitCode(TestExit.badInput)
            }
            print("\(summary.name): \(summary.verdict.uppercased()); report \(folders[index])/report.html")
            if StopSignal.received != nil { break }
        }
        do {
            try junit.write(Array(TestReportJUnit.xml(summaries).utf8))
        } catch {
            printError("cannot write \(junit.path): \(error)")
            throw ExitCode(TestExit.badInput)
        }
        print("junit: \(junit.path)")
        if StopSignal.received != nil {
            printError("interrupted: the results cover what ran")
            exit = max(exit, TestExit.failed)
        }
        if exit != TestExit.passed { throw ExitCode(exit) }
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
        let progress = TestProgress(conditions: file.matrix.count, episodes: episodesPerCondition)
        runner.stopRequested = { StopSignal.received != nil }
        runner.progress = progress.hear
        summary.conditions = runner.run()
        progress.finish()
        let passed = summary.conditions.count == file.matrix.count && summary.conditions.allSatisfy(\.passed) && !runner.interrupted
        summary.verdict = passed ? "pass" : "fail"
        summary.exitCode = Int(passed ? TestExit.passed : TestExit.failed)
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

    /// One folder per file under `directory`, named after the file (made unique).
    private func uniqueFolders(_ names: [String], in directory: String) -> [String] {
        var used: [String: Int] = [:]
        return names.map { name in
            used[name, default: 0] += 1
            let count = used[name]!
            return directory + "/" + (count == 1 ? name : "\(name)-\(count)")
        }
    }

    private func mkdirAll(_ path: String) -> Int32 {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            return 0
        } catch {
            return -1
        }
    }
}

/// What a person sees while a test runs: on a terminal, a bar with the episodes done and an ETA,
/// redrawn in place; otherwise nothing until a condition ends. One line per finished condition.
final class TestProgress {
    let conditions: Int
    let episodes: Int
    private let terminal = isatty(1) == 1
    private let started = MonotonicClock.nowNanoseconds()
    private var condition = 0
    private var name = ""
    private var drawn = false

    init(conditions: Int, episodes: Int) {
        self.conditions = conditions
        self.episodes = episodes
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
            let verdict = result.passed ? "PASS" : "FAIL"
            var line = "  \(result.name): \(verdict) \(result.successes)/\(result.episodes.count) succeeded "
                + "(95 % interval \(fixed(result.wilsonLow, 2))–\(fixed(result.wilsonHigh, 2)))"
            if let cost = result.meanCost { line += ", mean cost \(fixed(cost, 4))" }
            line += ", \(result.safetyStops) safety stops, \(fixed(result.wallSeconds, 1)) s"
            print(line)
            for check in result.invariants + result.requirements where !check.passed {
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
