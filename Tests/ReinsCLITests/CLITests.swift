import Foundation
import ReinsRecording
import ReinsTestSupport
import Testing

@Suite struct VersionTests {
    @Test func versionPrintsTheVersionRecordingsCarry() {
        let result = runProcess(reinsExecutable, ["--version"])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput == RecordingFormat.reinsVersion + "\n")
        #expect(RecordingFormat.library == "reins " + RecordingFormat.reinsVersion)
    }
}

@Suite struct CheckCommandTests {
    @Test func shippedRobotDescriptionsAndCalibrationsPass() throws {
        let robots = try FileManager.default.contentsOfDirectory(atPath: packageRoot + "/Robots").filter { $0.hasSuffix(".yaml") }.map { "Robots/" + $0 }
        let calibrations = try FileManager.default.contentsOfDirectory(atPath: packageRoot + "/Calibration").filter { $0.hasSuffix(".yaml") }.map { "Calibration/" + $0 }
        #expect(robots.count >= 8)
        let result = runProcess(reinsExecutable, ["check"] + robots + calibrations, workingDirectory: packageRoot)
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput.split(separator: "\n").count == robots.count + calibrations.count)
    }

    @Test func badFileExitsNonZeroWithOneLinePerProblem() {
        let folder = TemporaryDirectory()
        folder.write("robot.yaml", "name: x\nkind: arm\ndriver: dynamixel\nlink: sim\ncontrol_rate_hz: fast\nveloctiy: 3\n")
        let result = runProcess(reinsExecutable, ["check", "robot.yaml"], workingDirectory: folder.path)
        #expect(result.status == 1)
        let lines = result.standardError.split(separator: "\n").map(String.init)
        #expect(lines.contains("robot.yaml:5:18: control_rate_hz: expected a number in Hz, found `fast`; write an unquoted number such as 0.5"))
        #expect(lines.contains { $0.hasPrefix("robot.yaml:6:1: veloctiy: unknown key;") })
        #expect(lines.contains { $0.hasPrefix("robot.yaml:1:1: joints: required key is missing") })
        #expect(lines.last == "1 of 1 file failed the check")
    }

    @Test func missingFileIsAnErrorNotACrash() {
        let result = runProcess(reinsExecutable, ["check", "/nonexistent.yaml"])
        #expect(result.status == 1)
        #expect(result.standardError.hasPrefix("/nonexistent.yaml: cannot read the file: No such file or directory"))
    }
}

@Suite struct BenchLoopCommandTests {
    @Test func reportsPeriodErrorPercentilesAsJSON() throws {
        let result = runProcess(reinsExecutable, ["bench", "loop", "--rate", "500", "--seconds", "0.4", "--no-realtime", "--json"])
        #expect(result.status == 0, "\(result.standardError)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any])
        // 0.4 s of 2 ms periods, each one ticked or skipped after an overrun: the run lasts 0.4 s.
        let ticks = try #require(object["ticks"] as? Int), skipped = try #require(object["skipped_periods"] as? Int)
        #expect(ticks + skipped <= 200 && ticks > 100, "\(ticks) ticks, \(skipped) skipped")
        let ran = try #require(object["run_seconds"] as? Double)
        #expect(ran >= 0.398 && ran < 0.45, "ran \(ran) s")
        let periodError = try #require(object["period_error"] as? [String: Any])
        let p50 = try #require(periodError["p50_ns"] as? Int), p99 = try #require(periodError["p99_ns"] as? Int)
        #expect(p50 > 0 && p50 <= p99)
        #expect(object["sched_fifo"] as? Bool == false)
        #expect(object["cpu_idle_latency_held"] as? Bool == false, "--no-realtime asks for no hold either")
    }

    @Test func rejectsWorkLongerThanThePeriod() {
        let result = runProcess(reinsExecutable, ["bench", "loop", "--rate", "1000", "--work", "2000"])
        #expect(result.status != 0)
        #expect(result.standardError.contains("--work must be shorter than the period"))
    }
}
