import Foundation
import ReinsConfig
import ReinsCore
import ReinsPolicy
import ReinsRuntime
import ReinsTestSupport
import Testing

/// `reins test` as a release checklist would use it: the shipped test files pass with the shipped
/// policies, and a policy that breaks the envelope, an uncertified one and one for another robot
/// each give their exit code and a JUnit failure that names what broke and the measured value.
///
/// The tests run in a scratch copy of `Robots/` and `Calibration/` whose simulated robots' watchdogs
/// are relaxed to 1 s and overrun limits to 1000, as other tests' are: a machine busy with other
/// tests must not decide a verdict about the policy (the envelope tests itself below).
@Suite(.serialized) struct ClosedLoopTestCommandTests {
    let scratch = TemporaryDirectory()

    init() {
        let copy = runProcess("/bin/sh", ["-c", "cp -r Robots Calibration \"$0\" && sed -i -e 's/watchdog_timeout_ms: [0-9]*/watchdog_timeout_ms: 1000/' -e 's/^safety:$/safety:\\n  max_consecutive_overruns: 1000/' \"$0\"/Robots/sim-*.yaml",
                                          scratch.path], workingDirectory: packageRoot)
        #expect(copy.status == 0, "\(copy.standardError)")
    }

    var robots: String { scratch.path + "/Robots" }

    /// Runs `reins test` in the scratch copy and reads what it wrote.
    func runTest(_ arguments: [String], out folder: String) -> (result: ProcessResult, summary: TestSummary?, junit: String) {
        let result = runProcess(reinsExecutable, ["test"] + arguments + ["--out", folder, "--no-realtime"], workingDirectory: scratch.path)
        let summary = (try? Data(contentsOf: URL(fileURLWithPath: folder + "/summary.json")))
            .flatMap { try? TestSummary.decoder().decode(TestSummary.self, from: $0) }
        let junit = (try? String(contentsOfFile: folder + "/junit.xml", encoding: .utf8)) ?? ""
        return (result, summary, junit)
    }

    /// Parses `junit.xml` with `junitparser` (a standard JUnit reader) and returns its
    /// `suite name|case name|failure message` lines for failures, after checking the counts agree.
    func parsedFailures(_ path: String) -> [String] {
        let script = """
            import sys, junitparser
            xml = junitparser.JUnitXml.fromfile(sys.argv[1])
            total = 0
            for suite in xml:
                count = 0
                for case in suite:
                    count += 1
                    for result in case.result:
                        if isinstance(result, junitparser.Failure):
                            print(f"{suite.name}|{case.name}|{result.message}")
                assert count == suite.tests, (suite.name, count, suite.tests)
                total += count
            assert total == xml.tests, (total, xml.tests)
            """
        let result = runProcess("python3", ["-c", script, path])
        #expect(result.status == 0, "junitparser: \(result.standardError)")
        return result.standardOutput.split(separator: "\n").map(String.init)
    }

    /// A copy of a shipped test file with its robot and policy given as absolute paths (and the
    /// policy replaced when asked), so it can live in a temporary folder.
    func testFile(_ shipped: String, in folder: TemporaryDirectory, policy: String? = nil, robot: String? = nil) throws -> String {
        var text = try String(contentsOfFile: robots + "/tests/\(shipped).yaml", encoding: .utf8)
        let kind = shipped.replacingOccurrences(of: "sim-", with: "")
        text = text.replacingOccurrences(of: "robot: ../sim-\(kind).yaml", with: "robot: " + (robot ?? robots + "/sim-\(kind).yaml"))
        text = text.replacingOccurrences(of: "policy: ../policies/sim-\(kind).safetensors",
                                         with: "policy: " + (policy ?? robots + "/policies/sim-\(kind).safetensors"))
        return folder.write("\(shipped)-test.yaml", text)
    }

    @Test(arguments: [("sim-arm", 6), ("sim-drone", 3), ("sim-car", 3)])
    func theShippedTestFilePassesWithTheShippedPolicy(name: String, episodes: Int) throws {
        let folder = TemporaryDirectory()
        let (result, summary, junit) = runTest(["Robots/tests/\(name).yaml", "--episodes", "\(episodes)"], out: folder.path)
        #expect(result.status == 0, "\(result.standardOutput)\n\(result.standardError)")
        let read = try #require(summary)
        #expect(read.verdict == "pass" && read.exitCode == 0)
        #expect(read.conditions.map(\.name) == ["nominal", "sensor-noise", "attack"])
        for condition in read.conditions {
            #expect(condition.episodes.count == episodes)
            // Episode i ran with the goal of seed + i.
            #expect(condition.episodes.map(\.seed) == (0..<episodes).map { read.seed + UInt64($0) })
            #expect(condition.passed, "\(condition.name): \((condition.invariants + condition.requirements).filter { !$0.passed }.map(\.message))")
            #expect(!condition.sensitivityHistogram.counts.isEmpty)
        }
        #expect(read.conditions[2].largestAttackChange != nil && read.conditions[2].attackBound != nil)
        #expect(parsedFailures(folder.file("junit.xml")) == [])
        #expect(junit.contains("<testsuite name=\"\(name)/nominal\""))
        #expect(FileBytes.exists(folder.file("report.html")))
        // Nothing failed, so no recording was kept.
        #expect(!FileBytes.exists(folder.file("recordings")))
    }

    @Test func aPolicyThatDrivesIntoAJointLimitBreaksTheEnvelopeAndSaysWhere() throws {
        let folder = TemporaryDirectory()
        // The shipped arm policy with its shoulder_pan output moved 3 rad: the filter clamps the
        // goal to the joint limit, the joint goes there, and the envelope's margin breaks.
        var network = try PolicyNetwork.load(path: packageRoot + "/Robots/policies/sim-arm.safetensors")
        var normalization = try #require(network.actionNormalization)
        normalization.mean[0] += 3
        network.actionNormalization = normalization
        let policy = folder.file("off-limits.safetensors")
        try network.write(to: policy)
        let file = try testFile("sim-arm", in: folder, policy: policy)
        let out = folder.file("out")
        let (result, summary, junit) = runTest([file, "--episodes", "2"], out: out)
        #expect(result.status == 1, "\(result.standardOutput)\n\(result.standardError)")
        let read = try #require(summary)
        #expect(read.verdict == "fail")
        let nominal = try #require(read.conditions.first)
        #expect(nominal.episodes.allSatisfy { $0.outcome == "safety_stop" && $0.invariant == "joint_position" })
        let broken = try #require(nominal.invariants.first { $0.name == "joint_position" })
        #expect(!broken.passed && broken.bound == 0.05 && (broken.measured ?? 1) < 0.05)
        #expect(broken.message.contains("shoulder_pan"))
        let failures = parsedFailures(out + "/junit.xml")
        #expect(failures.contains { $0.hasPrefix("sim-arm/nominal|joint_position|joint_position: measured") && $0.contains("bound 0.0500 rad") },
                "\(failures)")
        #expect(junit.contains("shoulder_pan"))
        // The failing runs' recordings are kept and the report links them.
        let recording = try #require(nominal.episodes.first?.recording)
        #expect(FileBytes.exists(out + "/" + recording))
        let html = try String(contentsOfFile: out + "/report.html", encoding: .utf8)
        #expect(html.contains(recording))
        #expect(nominal.episodes.first?.trajectory?.rows.isEmpty == false)
    }

    @Test func anUncertifiedPolicyIsRefusedAtPreflightWithItsCertificateInTheJUnitFile() throws {
        let folder = TemporaryDirectory()
        var network = try PolicyNetwork.load(path: packageRoot + "/Robots/policies/sim-arm.safetensors")
        let last = network.layers.count - 1
        network.layers[last].weights = network.layers[last].weights.map { $0 * 20 }
        let policy = folder.file("steep.safetensors")
        try network.write(to: policy)
        let out = folder.file("out")
        let (result, summary, _) = runTest([try testFile("sim-arm", in: folder, policy: policy)], out: out)
        #expect(result.status == 3, "\(result.standardOutput)\n\(result.standardError)")
        #expect(result.standardError.contains("preflight: certificate"))
        let read = try #require(summary)
        #expect(read.verdict == "refused" && read.conditions.isEmpty)
        let certificate = try #require(read.certificate)
        #expect(!certificate.certified)
        let failures = parsedFailures(out + "/junit.xml")
        #expect(failures.count == 1)
        #expect(failures.first?.hasPrefix("sim-arm/preflight|certificate|certificate: measured \(fixed(certificate.worstActionChange, 4))") == true,
                "\(failures)")
    }

    @Test func aPolicyForAnotherRobotIsRefusedAtPreflight() throws {
        let folder = TemporaryDirectory()
        let out = folder.file("out")
        let file = try testFile("sim-arm", in: folder, policy: robots + "/policies/sim-car.safetensors")
        let (result, summary, _) = runTest([file], out: out)
        #expect(result.status == 3, "\(result.standardOutput)\n\(result.standardError)")
        #expect(summary?.verdict == "refused")
        let failures = parsedFailures(out + "/junit.xml")
        #expect(failures.contains { $0.hasPrefix("sim-arm/preflight|policy_matches_robot|") && $0.contains("not trained for sim-arm") }, "\(failures)")
    }

    @Test func aBadTestFileIsBadInputWithItsLineAndNothingRuns() throws {
        let folder = TemporaryDirectory()
        let file = folder.write("bad.yaml", """
            robot: \(packageRoot)/Robots/sim-arm.yaml
            policy: \(packageRoot)/Robots/policies/sim-arm.safetensors
            episodes: 0
            matrix:
              - name: nominal
                faults: noise=-1
              - name: nominal
            envelope:
              lane: true
              joint_margn: 0.1
            """)
        let out = folder.file("out")
        let result = runProcess(reinsExecutable, ["test", file, "--out", out], workingDirectory: packageRoot)
        #expect(result.status == 2)
        let errors = result.standardError
        #expect(errors.contains("bad.yaml:3:11: episodes: 0 is out of range"), "\(errors)")
        #expect(errors.contains("bad.yaml:6:13: matrix[0].faults:"), "\(errors)")
        #expect(errors.contains("bad.yaml:7:11: matrix[1].name: `nominal` is also the name of matrix[0]"), "\(errors)")
        #expect(errors.contains("bad.yaml:10:3: envelope.joint_margn: unknown key; did you mean `joint_margin`"), "\(errors)")
        #expect(!FileBytes.exists(out))
        // Envelope keys of another kind are refused once the robot is known.
        let car = folder.write("car-keys.yaml", """
            robot: \(packageRoot)/Robots/sim-arm.yaml
            policy: \(packageRoot)/Robots/policies/sim-arm.safetensors
            episodes: 1
            matrix: [{name: nominal}]
            envelope:
              lane: true
            """)
        let kind = runProcess(reinsExecutable, ["test", car, "--out", out], workingDirectory: packageRoot)
        #expect(kind.status == 2)
        #expect(kind.standardError.contains("car-keys.yaml:6:9: envelope.lane: applies to a car; sim-arm is an arm"), "\(kind.standardError)")
        // A robot description or a policy given where the test file goes says what it is.
        let description = runProcess(reinsExecutable, ["test", "Robots/sim-arm.yaml"], workingDirectory: packageRoot)
        #expect(description.status == 2 && description.standardError.contains("Robots/sim-arm.yaml: a robot description, not a test file"),
                "\(description.standardError)")
        // A shard that is not I/N with 1 ≤ I ≤ N.
        for shard in ["0/2", "3/2", "1/0", "nan", "-1/2", "1/1e300", ""] {
            let bad = runProcess(reinsExecutable, ["test", "Robots/tests/sim-arm.yaml", "--shard", shard], workingDirectory: packageRoot)
            #expect(bad.status == 2 && bad.standardError.contains("--shard must be I/N"), "--shard \(shard): \(bad.standardError)")
        }
        // The output folder is never an input file.
        let onto = runProcess(reinsExecutable, ["test", "Robots/tests/sim-arm.yaml", "--out", "Robots/sim-arm.yaml"], workingDirectory: packageRoot)
        #expect(onto.status == 2 && onto.standardError.contains("not a folder"), "\(onto.standardError)")
    }

    @Test func theLoopsTimingIsAnInvariantWithItsMeasuredValue() throws {
        // A 1 µs bound on the loop's period error p99, which no loop meets.
        let folder = TemporaryDirectory()
        let shipped = try testFile("sim-arm", in: folder)
        let text = try String(contentsOfFile: shipped, encoding: .utf8).replacingOccurrences(of: "envelope:\n", with: "envelope:\n  period_error_p99_ms: 0.001\n")
        let file = folder.write("timing.yaml", text)
        let out = folder.file("out")
        let (result, summary, _) = runTest([file, "--episodes", "1"], out: out)
        #expect(result.status == 1, "\(result.standardOutput)\n\(result.standardError)")
        let check = try #require(summary?.conditions.first?.invariants.first { $0.name == "period_error_p99" })
        #expect(!check.passed && check.bound == 1e-6 && (check.measured ?? 0) > 1e-6)
        #expect(parsedFailures(out + "/junit.xml").contains { $0.hasPrefix("sim-arm/nominal|period_error_p99|period_error_p99: measured ") })
    }

    @Test func aRealRobotRunsOnlyWhenAPersonConfirms() throws {
        // The simulated arm's description on a serial port: real hardware as far as `reins test` knows.
        let folder = TemporaryDirectory()
        let description = try String(contentsOfFile: robots + "/sim-arm.yaml", encoding: .utf8)
            .replacingOccurrences(of: "link: sim", with: "link: serial:/dev/reins-no-such-port\nbaud: 1000000")
            .replacingOccurrences(of: "calibration: ../Calibration/sim-arm.yaml", with: "calibration: \(scratch.path)/Calibration/sim-arm.yaml")
        let robot = folder.write("hardware-arm.yaml", description)
        let file = try testFile("sim-arm", in: folder, robot: robot)
        let out = folder.file("out")
        let refused = runTest([file], out: out)
        #expect(refused.result.status == 3, "\(refused.result.standardOutput)\n\(refused.result.standardError)")
        #expect(refused.result.standardError.contains("standard input is not a terminal: pass --yes to run unattended"))
        #expect(parsedFailures(out + "/junit.xml").contains { $0.hasPrefix("sim-arm/preflight|confirmed|") })
        // Confirmed, it tries the port and says it could not run (nothing there to move).
        // One real robot is never driven by several workers.
        let parallel = runTest([file, "--yes", "--jobs", "2"], out: out)
        #expect(parallel.result.status == 2 && parallel.result.standardError.contains("is one real robot"), "\(parallel.result.standardError)")
        let confirmed = runTest([file, "--yes", "--episodes", "1"], out: out)
        #expect(confirmed.result.status == 1, "\(confirmed.result.standardOutput)\n\(confirmed.result.standardError)")
        let run = try #require(confirmed.summary?.conditions.first?.invariants.first { $0.name == "run" })
        #expect(!run.passed && run.message.contains("reins-no-such-port"), "\(run.message)")
    }

    @Test func shardsRunTheirSliceAndMergeIntoOneVerdict() throws {
        let folder = TemporaryDirectory()
        for shard in 1...2 {
            let (result, summary, _) = runTest(["Robots/tests/sim-arm.yaml", "--episodes", "4", "--shard", "\(shard)/2", "--keep", "all"],
                                               out: folder.file("shard\(shard)"))
            #expect(result.status == 0, "\(result.standardOutput)\n\(result.standardError)")
            #expect(summary?.verdict == "partial" && summary?.shard == "\(shard)/2")
            #expect(summary?.conditions.allSatisfy { $0.episodes.map(\.index) == (shard == 1 ? [0, 1] : [2, 3]) } == true)
        }
        let out = folder.file("merged")
        let merged = runProcess(reinsExecutable, ["test", "merge", folder.file("shard1"), folder.file("shard2"), "--out", out], workingDirectory: scratch.path)
        let summary = try #require(try? TestSummary.decoder().decode(TestSummary.self, from: Data(contentsOf: URL(fileURLWithPath: out + "/summary.json"))))
        #expect(merged.status == (summary.verdict == "pass" ? 0 : 1), "\(merged.standardOutput)\n\(merged.standardError)")
        for condition in summary.conditions {
            #expect(condition.episodes.map(\.index) == [0, 1, 2, 3])
            #expect(condition.episodes.map(\.seed) == [1, 2, 3, 4])
            // Every kept recording was copied beside the merged report.
            for recording in condition.recordings { #expect(FileBytes.exists(out + "/" + recording), "\(recording)") }
        }
        #expect(parsedFailures(out + "/junit.xml").count == summary.conditions.reduce(0) { $0 + ($1.invariants + $1.requirements).filter { !$0.passed }.count })
        // A merge never writes over a shard's summary.
        let onto = runProcess(reinsExecutable, ["test", "merge", folder.file("shard1"), folder.file("shard2"), "--out", folder.file("shard1")],
                              workingDirectory: scratch.path)
        #expect(onto.status == 2 && onto.standardError.contains("is an input of this run"), "\(onto.standardError)")
        // The same shard twice, or a missing one, is refused.
        let twice = runProcess(reinsExecutable, ["test", "merge", folder.file("shard1"), folder.file("shard1"), "--out", folder.file("m2")], workingDirectory: scratch.path)
        #expect(twice.status == 2 && twice.standardError.contains("episode 0 is in two shards"), "\(twice.standardError)")
        let missing = runProcess(reinsExecutable, ["test", "merge", folder.file("shard1"), "--out", folder.file("m3")], workingDirectory: scratch.path)
        #expect(missing.status == 2 && missing.standardError.contains("2 episodes ran in no shard (first: 2)"), "\(missing.standardError)")
    }

    @Test func jobsRunShardsInWorkerProcessesAndMergeThem() throws {
        let folder = TemporaryDirectory()
        let out = folder.file("out")
        let (result, summary, _) = runTest(["Robots/tests/sim-arm.yaml", "--episodes", "4", "--jobs", "2"], out: out)
        let read = try #require(summary, "\(result.standardOutput)\n\(result.standardError)")
        #expect(result.status == (read.verdict == "pass" ? 0 : 1), "\(result.standardOutput)\n\(result.standardError)")
        #expect(result.standardOutput.contains("worker 2/2 finished"))
        #expect(read.shard == nil && read.verdict != "partial")
        #expect(read.conditions.allSatisfy { $0.episodes.map(\.index) == [0, 1, 2, 3] && $0.expectedEpisodes == 4 })
        #expect(!FileBytes.exists(out + "/.jobs"))
        #expect(parsedFailures(out + "/junit.xml").count == read.conditions.reduce(0) { $0 + ($1.invariants + $1.requirements).filter { !$0.passed }.count })
    }

    /// One run's summary cut into two shards' parts and merged gives back the run's summary, figure
    /// for figure: the merge judges exactly as one run does.
    @Test func aRunSplitIntoShardsMergesBackToItself() throws {
        let folder = TemporaryDirectory()
        let (result, whole, _) = runTest(["Robots/tests/sim-arm.yaml", "--episodes", "4", "--keep", "none"], out: folder.file("whole"))
        #expect(result.status == 0 || result.status == 1)
        let run = try #require(whole)
        for shard in 0..<2 {
            var part = run
            part.shard = "\(shard + 1)/2"
            part.verdict = "partial"
            part.wallSeconds = run.wallSeconds / 2
            for c in part.conditions.indices {
                var condition = part.conditions[c]
                condition.episodes = condition.episodes.filter { ($0.index < 2) == (shard == 0) }
                condition.margins = condition.margins.filter { ($0.episode < 2) == (shard == 0) }
                condition.expectedEpisodes = 2
                if shard == 1 {
                    condition.sensitivityHistogram = .init(edges: [], counts: [])
                    condition.confidenceHistogram = .init(edges: [], counts: [])
                    condition.overruns = 0
                    condition.ticks = 0
                }
                condition.wallSeconds /= 2
                part.conditions[c] = condition
            }
            let directory = folder.file("part\(shard)")
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try part.json().write(to: URL(fileURLWithPath: directory + "/summary.json"))
        }
        let out = folder.file("merged")
        let merged = runProcess(reinsExecutable, ["test", "merge", folder.file("part0"), folder.file("part1"), "--out", out], workingDirectory: scratch.path)
        #expect(merged.status == result.status, "\(merged.standardOutput)\n\(merged.standardError)")
        let back = try #require(try? TestSummary.decoder().decode(TestSummary.self, from: Data(contentsOf: URL(fileURLWithPath: out + "/summary.json"))))
        #expect(back.verdict == run.verdict && back.exitCode == run.exitCode)
        #expect(back.conditions == run.conditions)
    }

    @Test func theWilsonIntervalMatchesItsFormula() {
        // Reference values of the 95 % Wilson score interval (z = 1.96).
        let (low, high) = TestSummary.wilson(successes: 45, trials: 50)
        #expect(abs(low - 0.7864) < 5e-4 && abs(high - 0.9565) < 5e-4)
        #expect(TestSummary.wilson(successes: 0, trials: 10).low == 0)
        #expect(abs(TestSummary.wilson(successes: 10, trials: 10).low - 0.7225) < 5e-4)
        #expect(TestSummary.wilson(successes: 0, trials: 0) == (0, 1))
    }
}
