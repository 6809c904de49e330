import Foundation
import ReinsCore
import ReinsTestSupport
import Testing

/// Outputs never destroy inputs: no command writes over a file the same run reads, over a file of
/// another kind, or over an existing output without --force; outputs appear under their name only
/// when complete.
@Suite(.serialized) struct OutputSafetyTests {
    func bytes(_ path: String) -> [UInt8] { (try? FileBytes.read(path)) ?? [] }

    @Test func aRecordingIsNeverWrittenOverTheRunsOwnPolicyOrDescription() throws {
        let folder = TemporaryDirectory()
        let (robot, _) = try relaxedDescription("sim-arm", in: folder)
        let policy = folder.file("policy.safetensors")
        try FileBytes.write(bytes(packageRoot + "/Robots/policies/sim-arm.safetensors"), to: policy)
        try FileBytes.write(bytes(packageRoot + "/Robots/policies/sim-arm.yaml"), to: folder.file("policy.yaml"))
        let before = (bytes(policy), bytes(robot))
        for target in [policy, robot, folder.file("policy.yaml")] {
            let result = deploy(["--robot", robot, "--policy", policy, "--duration", "1", "--record", target])
            #expect(result.status == 2, "\(target): \(result.standardOutput)")
            #expect(result.standardError.contains("is an input of this run"), "\(result.standardError)")
            #expect(!result.standardOutput.contains("loop:"), "refused before the robot started")
        }
        let demos = runProcess(reinsExecutable, ["demos", "--robot", robot, "--episodes", "1", "--out", robot], workingDirectory: packageRoot)
        #expect(demos.status == 2 && demos.standardError.contains("is an input of this run"))
        #expect(bytes(policy) == before.0 && bytes(robot) == before.1)
    }

    @Test func anExistingRecordingIsReplacedOnlyWithForceAndNeverAFileOfAnotherKind() throws {
        let folder = TemporaryDirectory()
        let (robot, _) = try relaxedDescription("sim-arm", in: folder)
        let recording = folder.file("run.mcap")
        let arguments = ["--robot", robot, "--policy", "Robots/policies/sim-arm.safetensors", "--duration", "0.5", "--record", recording]
        #expect(deploy(arguments).status == 0)
        let first = bytes(recording)
        let again = deploy(arguments)
        #expect(again.status == 2)
        #expect(again.standardError.contains("exists (an MCAP recording); pass --force to replace it"))
        #expect(bytes(recording) == first)
        let forced = deploy(arguments + ["--force"])
        #expect(forced.status == 0, "\(forced.standardError)")
        #expect(bytes(recording) != first && !FileBytes.exists(recording + ".partial"))
        // Another kind is never replaced, even with --force.
        let calibration = folder.write("calibration.yaml", "kind: car\nerpm_per_mps: 4000\n")
        let other = deploy(["--robot", robot, "--policy", "Robots/policies/sim-arm.safetensors", "--duration", "0.5", "--record", calibration, "--force"])
        #expect(other.status == 2)
        #expect(other.standardError.contains("is a calibration file, not an MCAP recording; refusing to replace it (even with --force)"))
    }

    @Test func fitRefusesAConfigPathThatIsARobotDescriptionBeforeTraining() throws {
        let folder = TemporaryDirectory()
        let (robot, _) = try relaxedDescription("sim-arm", in: folder)
        let demos = folder.file("demos.mcap")
        let made = runProcess(reinsExecutable, ["demos", "--robot", robot, "--episodes", "1", "--out", demos, "--speed", "5", "--quiet", "--no-realtime"],
                              workingDirectory: packageRoot)
        #expect(made.status == 0, "\(made.standardError)")
        // The run's own description is an input; another description beside the output is a file
        // of another kind: --out koch.safetensors would put its config at koch.yaml.
        var result = runProcess(reinsExecutable, ["fit", demos, "--robot", robot, "--out", String(robot.dropLast(5)) + ".safetensors"],
                                workingDirectory: packageRoot)
        #expect(result.status == 2 && result.standardError.contains("is an input of this run"), "\(result.standardError)")
        let other = folder.write("koch.yaml", try String(contentsOfFile: packageRoot + "/Robots/koch-arm.yaml", encoding: .utf8))
        let before = bytes(other)
        let out = folder.file("koch.safetensors")
        result = runProcess(reinsExecutable, ["fit", demos, "--robot", robot, "--out", out, "--force"], workingDirectory: packageRoot)
        #expect(result.status == 2)
        #expect(result.standardError.contains("is a robot description, not a policy config"), "\(result.standardError)")
        #expect(!result.standardOutput.contains("epoch"), "refused before training")
        #expect(bytes(other) == before && !FileBytes.exists(out))
    }

    @Test func calibrateKeepsAnExistingCalibrationUnlessForcedAndNamesWhatItWrote() throws {
        let folder = TemporaryDirectory()
        let (robot, _) = try relaxedDescription("sim-arm", in: folder)
        let shipped = bytes(packageRoot + "/Calibration/sim-arm.yaml")
        // The description names the shipped calibration: without --force it is left alone.
        let refused = runProcess(reinsExecutable, ["calibrate", "--robot", robot, "--seconds", "1", "--no-realtime"], workingDirectory: packageRoot)
        #expect(refused.status == 2)
        #expect(refused.standardError.contains("Calibration/sim-arm.yaml: exists (a calibration file); pass --force to replace it"))
        #expect(bytes(packageRoot + "/Calibration/sim-arm.yaml") == shipped)
        let out = folder.file("new-calibration.yaml")
        let written = runProcess(reinsExecutable, ["calibrate", "--robot", robot, "--seconds", "7", "--out", out, "--no-realtime"], workingDirectory: packageRoot)
        #expect(written.status == 0, "\(written.standardError)")
        #expect(written.standardOutput.contains("wrote \(out)"))
        #expect(written.standardOutput.contains("check it with `reins check \(out)`"))
        #expect(runProcess(reinsExecutable, ["check", out]).status == 0)
        // The description itself is never a calibration output.
        let onto = runProcess(reinsExecutable, ["calibrate", "--robot", robot, "--seconds", "1", "--out", robot, "--force", "--no-realtime"],
                              workingDirectory: packageRoot)
        #expect(onto.status == 2 && onto.standardError.contains("is an input of this run"))
    }
}
