import Foundation
import ReinsTestSupport
import Testing

/// Writes a hand-built arm policy with the numpy peer and returns its path.
func makeArmPolicy(_ kind: String, in folder: TemporaryDirectory) throws -> String {
    let path = folder.file("\(kind).safetensors")
    let made = runProcess("python3", [packageRoot + "/Tests/Peers/make_policy.py", kind, path])
    #expect(made.status == 0, "python3 with numpy and safetensors is required: \(made.standardError)")
    return path
}

/// The sim arm with a generous watchdog (see `relaxedDescription`).
func relaxedSimArm(in folder: TemporaryDirectory) throws -> String {
    try relaxedDescription("sim-arm", in: folder).path
}

func deploy(_ arguments: [String]) -> ProcessResult {
    runProcess(reinsExecutable, ["deploy", "--no-realtime"] + arguments, workingDirectory: packageRoot)
}

@Suite(.serialized) struct DeployCommandTests {
    @Test func aCertifiedPolicyDeploysOnTheSimulatedArmAndReachesTargets() throws {
        let folder = TemporaryDirectory()
        let result = deploy(["--robot", try relaxedSimArm(in: folder), "--policy", try makeArmPolicy("linear", in: folder), "--duration", "6"])
        #expect(result.status == 0, "\(result.standardError)")
        let out = result.standardOutput
        #expect(out.contains("stopped: finished"))
        #expect(out.contains("safe stop: held position 0.5 s, torque off\n"))
        #expect(out.contains("ticks 600"))
        #expect(out.contains("episodes: success"))
        #expect(out.contains("faults: none"))
        // Not a terminal: the live status is one plain log line a second, no cursor control.
        let status = out.split(separator: "\n").filter { $0.hasPrefix("t ") && $0.contains(" s  rate ") }
        #expect(status.count >= 5, "\(out)")
        #expect(!out.contains("\u{1B}["))
        for line in status {
            #expect(line.contains("period error p50") && line.contains("sensitivity") && line.contains("clamped")
                    && line.contains("rad  episodes"), "\(line)")
        }
        // The error to the target is measured live: it changes as the arm moves and targets change.
        let errors = status.compactMap { line -> Double? in
            guard let range = line.range(of: "to target ") else { return nil }
            return Double(line[range.upperBound...].prefix { $0 != " " })
        }
        #expect(errors.count == status.count && errors.allSatisfy { $0 >= 0 } && Set(errors).count > 1, "\(errors)")
    }

    @Test func anUncertifiedPolicyIsRefusedUnlessAccepted() throws {
        let folder = TemporaryDirectory()
        let robot = try relaxedSimArm(in: folder), policy = try makeArmPolicy("steep", in: folder)
        let refused = deploy(["--robot", robot, "--policy", policy, "--duration", "1"])
        #expect(refused.status == 3)
        #expect(refused.standardError.contains("refused: certified bound"))
        #expect(refused.standardError.contains("exceeds the action tolerance 0.1 by"))
        let accepted = deploy(["--robot", robot, "--policy", policy, "--duration", "1", "--accept-uncertified"])
        #expect(accepted.status == 0, "\(accepted.standardError)")
        #expect(accepted.standardOutput.contains("safety-filter clamps:"))
    }

    @Test func aNaNPolicyGetsTheFallbackEveryTick() throws {
        let folder = TemporaryDirectory()
        let result = deploy(["--robot", try relaxedSimArm(in: folder), "--policy", try makeArmPolicy("nan", in: folder), "--duration", "2"])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput.contains("safety-filter clamps: non_finite 200"))
    }

    @Test func anOverLimitPolicyIsClampedToTheJointLimits() throws {
        let folder = TemporaryDirectory()
        let result = deploy(["--robot", try relaxedSimArm(in: folder), "--policy", try makeArmPolicy("reckless", in: folder), "--duration", "3"])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput.contains("joint_position"))
        #expect(result.standardOutput.contains("joint_velocity"))
    }

    @Test func aDisconnectEndsInASafeStopAndAFault() throws {
        let folder = TemporaryDirectory()
        let result = deploy(["--robot", try relaxedSimArm(in: folder), "--policy", try makeArmPolicy("linear", in: folder),
                             "--duration", "10", "--faults", "disconnect=2s"])
        #expect(result.status == 4)
        // The bus is gone: the summary says the stop could not be confirmed instead of what it would have been.
        #expect(result.standardOutput.contains("safe stop: the servos did not answer, position not held; torque off not confirmed by every servo after 3 attempts"))
        #expect(result.standardOutput.contains("faults: dynamixel bus on pty:"))
        #expect(result.standardOutput.contains("link lost"))
    }

    @Test func aPolicyForAnotherRobotIsRefused() throws {
        let folder = TemporaryDirectory()
        let result = deploy(["--robot", "Robots/sim-car.yaml", "--policy", try makeArmPolicy("linear", in: folder), "--duration", "1"])
        #expect(result.status == 3)
        #expect(result.standardError.contains("observation: the policy has 12 entries but sim-car has 10"))
    }
}
