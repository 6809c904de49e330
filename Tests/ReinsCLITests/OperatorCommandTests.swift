import CPlatform
import Foundation
import ReinsConfig
import ReinsCore
import ReinsRecording
import ReinsTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `reins deploy --operator` and `reins teleop` as a user runs them, on the simulators.
@Suite(.serialized) struct OperatorCommandTests {
    @Test func theScriptedOperatorTakesOverAndTheRecordingHoldsRaCSegmentsThatFitCountsByTheRules() throws {
        let folder = TemporaryDirectory()
        let (robotPath, robot) = try relaxedDescription("sim-car", in: folder)
        let recording = folder.file("rac.mcap")
        // The shipped car policy under a strong observation attack drifts: the operator steps in.
        let result = runProcess(reinsExecutable, ["deploy", "--robot", robotPath, "--policy", "Robots/policies/sim-car.safetensors",
                                                  "--operator", "sim", "--resume-after-correction", "--attack", "0.6", "--accept-uncertified",
                                                  "--duration", "40", "--speed", "4", "--no-realtime", "--record", recording, "--quiet"],
                                workingDirectory: packageRoot)
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput.contains("operator: "), "\(result.standardOutput)")
        let read = try RecordingReader.read(path: recording)
        #expect(read.metadata["operator"]?["device"] == "scripted operator")
        let ticks = read.episodes.flatMap(\.ticks)
        let human = ticks.filter { $0.source == .human }
        try #require(!human.isEmpty, "no intervention in \(result.standardOutput)")
        #expect(human.allSatisfy { ($0.segment == .recovery || $0.segment == .correction) && $0.operatorName == "scripted" })
        #expect(ticks.filter { $0.source == .policy }.allSatisfy { $0.segment == .autonomous && $0.operatorName == nil })
        // Every takeover starts a recovery; the shadow policy proposed on every human tick.
        let takeovers = read.events.filter { $0.kind == .takeover }
        #expect(!takeovers.isEmpty && takeovers.allSatisfy { $0.cause != nil })
        #expect(human.allSatisfy { $0.proposed.count == robot.actionNames.count && $0.proposed.allSatisfy(\.isFinite) })
        #expect(human.contains { zip($0.proposed, $0.corrected).contains { abs($0 - $1) > 1e-6 } })

        // What RaC's rules keep, counted here independently of the fitter.
        var expected: [Segment: Int] = [:]
        var excluded = 0
        for episode in read.episodes where !episode.ticks.isEmpty && episode.outcome != .discarded {
            let segments = episode.ticks.map(\.segment)
            let autonomousOnly = segments.allSatisfy { $0 == .autonomous }
            for segment in segments {
                if segment != .autonomous || (autonomousOnly && episode.outcome == .success) {
                    expected[segment, default: 0] += 1
                } else {
                    excluded += 1
                }
            }
        }
        let fit = runProcess(reinsExecutable, ["fit", recording, "--robot", robotPath, "--out", folder.file("refit.safetensors"),
                                               "--epochs", "1", "--hidden", "16"], workingDirectory: packageRoot)
        #expect(fit.status == 0, "\(fit.standardError)")
        let counts = [Segment.demo, .recovery, .correction, .autonomous].map { "\($0) \(expected[$0] ?? 0)" }.joined(separator: ", ")
        #expect(fit.standardOutput.contains("(\(counts))"), "expected \(counts) in\n\(fit.standardOutput)")
        if excluded > 0 { #expect(fit.standardOutput.contains("left out: \(excluded) ticks"), "\(fit.standardOutput)") }

        // The recording's new fields validate against the schemas it carries.
        let check = try checkSchemas(recording)
        #expect(check["invalid"] as? [String: Int] == [:], "\(check["errors"] ?? "")")
        let inspect = runProcess(reinsExecutable, ["record", "inspect", recording])
        #expect(inspect.standardOutput.contains("interventions \(takeovers.count) takeovers"), "\(inspect.standardOutput)")
    }

    @Test func teleopRecordsHumanDemonstrationsThatStartOnTheOperatorsButton() throws {
        let folder = TemporaryDirectory()
        let (robotPath, _) = try relaxedDescription("sim-arm", in: folder)
        let recording = folder.file("teleop.mcap")
        let result = runProcess(reinsExecutable, ["teleop", "--robot", robotPath, "--device", "sim", "--episodes", "3", "--speed", "2",
                                                  "--no-realtime", "--record", recording, "--quiet"], workingDirectory: packageRoot)
        #expect(result.status == 0, "\(result.standardError)")
        let read = try RecordingReader.read(path: recording)
        #expect(read.episodes.count == 3)
        // The scripted operator drives the task's expert: every episode a human demonstration.
        #expect(read.episodes.allSatisfy { $0.outcome == .success })
        let ticks = read.episodes.flatMap(\.ticks)
        #expect(!ticks.isEmpty && ticks.allSatisfy { $0.source == .human && $0.segment == .demo && $0.operatorName == "scripted" })
        // A demonstration's label is what the person asked for: proposed and corrected agree.
        #expect(ticks.allSatisfy { $0.proposed == $0.corrected })
    }

    @Test func theScriptedOperatorRefusesRealRobotsAndUnknownDevicesAreBadInput() {
        var result = runProcess(reinsExecutable, ["teleop", "--robot", "Robots/koch-arm.yaml", "--device", "sim"], workingDirectory: packageRoot)
        #expect(result.status == 2 && result.standardError.contains("drives simulated robots only"), "\(result.standardError)")
        result = runProcess(reinsExecutable, ["teleop", "--robot", "Robots/sim-arm.yaml", "--device", "joystick9"], workingDirectory: packageRoot)
        #expect(result.status == 2 && result.standardError.contains("unknown operator device"), "\(result.standardError)")
        result = runProcess(reinsExecutable, ["deploy", "--robot", "Robots/sim-arm.yaml", "--policy", "Robots/policies/sim-arm.safetensors",
                                              "--resume-after-correction"], workingDirectory: packageRoot)
        #expect(result.status == 2 && result.standardError.contains("needs --operator"), "\(result.standardError)")
        // A keyboard needs a terminal: with standard input from a file nothing starts, and the robot stops safely.
        result = runProcess(reinsExecutable, ["teleop", "--robot", "Robots/sim-car.yaml", "--device", "keyboard", "--no-realtime"],
                            workingDirectory: packageRoot)
        #expect(result.status == 5 && result.standardError.contains("standard input is not a terminal"), "\(result.standardError)")
    }
}

/// The keyboard operator on a real pseudo-terminal, as over SSH: keys drive the car, and the
/// terminal's mode comes back however the run ends.
@Suite(.serialized) struct KeyboardTerminalTests {
    /// A new pseudo-terminal in its default (cooked) mode: the master the test types into, and the
    /// slave's path and a descriptor on it to read its mode.
    final class Terminal {
        let master: Int32
        let slavePath: String
        let slave: Int32

        init() throws {
            var name = [CChar](repeating: 0, count: 128)
            master = reins_open_pty(&name, name.count)
            try #require(master >= 0)
            slavePath = String(cString: name)
            slave = open(slavePath, O_RDWR | O_NOCTTY)
            try #require(slave >= 0)
        }

        deinit {
            close(slave)
            close(master)
        }

        func type(_ text: String) {
            _ = Array(text.utf8).withUnsafeBytes { write(master, $0.baseAddress, $0.count) }
        }

        var mode: termios {
            var mode = termios()
            tcgetattr(slave, &mode)
            return mode
        }

        var isCooked: Bool { mode.c_lflag & tcflag_t(ICANON) != 0 && mode.c_lflag & tcflag_t(ECHO) != 0 }
    }

    func startTeleop(_ terminal: Terminal, folder: TemporaryDirectory) throws -> (SpawnedProcess, String) {
        let (robotPath, _) = try relaxedDescription("sim-car", in: folder)
        let recording = folder.file("keys.mcap")
        let process = SpawnedProcess(reinsExecutable, ["teleop", "--robot", robotPath, "--device", "keyboard", "--no-wait", "--duration", "120",
                                                       "--no-realtime", "--record", recording], workingDirectory: packageRoot,
                                     standardInput: terminal.slavePath)
        #expect(process.waitForLine(containing: "loop:", timeout: 30) != nil, "\(process.standardError)")
        return (process, recording)
    }

    @Test func keysDriveTheCarAndCtrlCRestoresTheTerminal() throws {
        let terminal = try Terminal()
        #expect(terminal.isCooked)
        let folder = TemporaryDirectory()
        let (process, recording) = try startTeleop(terminal, folder: folder)
        // While it runs, the terminal is in raw mode (no echo, no line buffering).
        #expect(!terminal.isCooked)
        terminal.type("wwww")
        MonotonicClock.sleep(untilNanoseconds: MonotonicClock.deadline(in: 1.5))
        terminal.type(" ")
        MonotonicClock.sleep(untilNanoseconds: MonotonicClock.deadline(in: 0.5))
        process.signal(SIGINT)
        #expect(process.wait(timeout: 30) == 0, "\(process.standardError)")
        #expect(terminal.isCooked, "the terminal was left in raw mode")
        let ticks = try RecordingReader.read(path: recording).episodes.flatMap(\.ticks)
        #expect(ticks.allSatisfy { $0.source == .human && $0.segment == .demo })
        // Four presses of w: four speed steps, reached through the filter's acceleration limit.
        let fastest = ticks.map { $0.applied[0] }.max() ?? 0
        #expect(fastest > 0.1, "the car never drove: \(fastest) m/s")
        #expect(process.standardOutput.contains("keys: w faster"))
    }

    @Test func theQuitKeyStopsSafelyAndACrashStillRestoresTheTerminal() throws {
        let terminal = try Terminal()
        let folder = TemporaryDirectory()
        var (process, _) = try startTeleop(terminal, folder: folder)
        terminal.type("q")
        #expect(process.wait(timeout: 30) == 0, "\(process.standardError)")
        #expect(process.standardOutput.contains("safe stop: "))
        #expect(terminal.isCooked)

        // A crash of the process (an abort, as a failed Swift check raises) restores it too.
        (process, _) = try startTeleop(terminal, folder: TemporaryDirectory())
        #expect(!terminal.isCooked)
        process.signal(SIGABRT)
        let status = process.wait(timeout: 30)
        #expect(status != 0, "\(process.standardError)")
        #expect(terminal.isCooked, "the terminal was left in raw mode after a crash (status \(status)): \(process.standardError)")
    }
}
