import Foundation
import ReinsConfig
import ReinsCore
import ReinsRecording
import ReinsSafety
import ReinsTestSupport
import Testing

/// `reins teleop --device leader:FILE`: the simulated arm led by the simulated leader, whose hand
/// moves every joint along slow sinusoids.
@Suite(.serialized) struct LeaderArmTeleopTests {
    /// A copy of the simulated leader with `description` and `calibration` applied to its files' text.
    static func leaderCopy(in folder: TemporaryDirectory, description: (String) -> String = { $0 },
                           calibration: (String) -> String = { $0 }) throws -> String {
        let calibrationText = try String(contentsOfFile: packageRoot + "/Calibration/sim-leader.yaml", encoding: .utf8)
        let text = try String(contentsOfFile: packageRoot + "/Robots/sim-leader.yaml", encoding: .utf8)
            .replacingOccurrences(of: "../Calibration/sim-leader.yaml", with: "leader-calibration.yaml")
        let changed = (description(text), calibration(calibrationText))
        try #require(changed.0 != text || changed.1 != calibrationText, "the change matched nothing")
        folder.write("leader-calibration.yaml", changed.1)
        return folder.write("leader.yaml", changed.0)
    }

    @Test func theFollowerTracksTheLeaderFromTheFirstTickWithoutAJump() throws {
        let folder = TemporaryDirectory()
        // A loaded machine may stall the loop, or the leader's simulator, for longer than the arms'
        // 50 ms watchdogs.
        let (path, robot) = try relaxedDescription("sim-arm", in: folder)
        let (leader, _) = try relaxedDescription("sim-leader", in: folder)
        guard case .arm(let joints) = robot.body else { return }
        let recording = folder.file("leader.mcap")
        let result = runProcess(reinsExecutable, ["teleop", "--robot", path, "--device", "leader:\(leader)", "--no-wait",
                                                  "--duration", "4", "--record", recording, "--no-realtime"], workingDirectory: packageRoot)
        #expect(result.status == 0, "\(result.standardOutput)\n\(result.standardError)")
        #expect(result.standardOutput.contains("operator: leader arm sim-leader on sim"), "\(result.standardOutput)")
        #expect(!result.standardError.contains("operator device:"), "\(result.standardError)")
        let ticks = try RecordingReader.read(path: recording).episodes.flatMap(\.ticks)
        #expect(ticks.count > 300, "\(ticks.count) ticks")
        #expect(ticks.allSatisfy { $0.source == .human && $0.segment == .demo })
        let first = try #require(ticks.first)
        let period = robot.controlPeriodSeconds
        for (j, joint) in joints.enumerated() {
            // The leader stood where the follower stands: the first goal is one tick's move at most.
            #expect(abs(first.applied[j] - first.state[j]) <= joint.velocity * period + 0.002, "\(joint.name): first goal \(first.applied[j]), arm at \(first.state[j])")
            for (before, after) in zip(ticks, ticks.dropFirst()) {
                #expect(abs(after.applied[j] - before.applied[j]) <= joint.velocity * period + 1e-9, "\(joint.name) jumped at tick \(after.tick)")
            }
            // The hand moved every joint, the gripper too, and the follower's goals followed.
            let proposed = ticks.map { $0.proposed[j] }
            // (The hand swings each joint up to 1.2 rad over 6-11 s; a loaded machine runs the simulator a little behind.)
            #expect(proposed.max()! - proposed.min()! > 0.15, "\(joint.name): the leader moved \(proposed.min()!)...\(proposed.max()!)")
        }
        // The goals are the leader's own, smooth enough that the safety filter only ever limits an
        // acceleration: when the follower's speed ramps up over the first few ticks (the leader
        // stood a few milliradians away), and when a tick comes late or early.
        let clamped = ticks.filter { $0.clamps != 0 }
        let clampList = clamped.map { "tick \($0.tick) at \($0.t) s: \($0.clamps)" }
        #expect(clamped.allSatisfy { $0.clamps == ClampReason.jointAcceleration.bit }, "\(clampList)")
        // How many ticks a loaded machine's late and early ticks get clamped varies from run to run
        // (from a few to a third of them): that is a benchmark's figure, not a test's. Raw readings
        // without the smoothing are clamped on about half the ticks, and are refused here.
        #expect(clamped.filter { $0.t > first.t + 0.2 }.count < ticks.count * 2 / 5, "\(clamped.count) of \(ticks.count) ticks clamped: \(clampList)")
        let off = ticks.filter { tick in joints.indices.contains { abs(tick.applied[$0] - tick.proposed[$0]) > 0.01 } }.count
        #expect(off <= ticks.count / 10, "\(off) ticks' goals more than 0.01 rad from the leader")
        // ...and the arm follows them: after the first second, within 0.1 rad of its goals.
        let settled = ticks.filter { $0.t > 1 }
        for tick in settled {
            #expect(joints.indices.allSatisfy { abs(tick.state[$0] - tick.applied[$0]) < 0.1 }, "tick \(tick.tick): arm \(tick.state.prefix(6)), goals \(tick.applied)")
        }
    }

    @Test func aLeaderFarFromTheFollowerRefusesToStartWithExitFiveNamingTheJoint() throws {
        let folder = TemporaryDirectory()
        // Mounted 521 ticks off: the leader reads its elbow at 0.8 rad where the follower's is at 0.
        let leader = try Self.leaderCopy(in: folder, calibration: {
            $0.replacingOccurrences(of: "elbow_flex:    {id: 3, homing_offset: 0,", with: "elbow_flex:    {id: 3, homing_offset: -521,")
        })
        let result = runProcess(reinsExecutable, ["teleop", "--robot", "Robots/sim-arm.yaml", "--device", "leader:\(leader)", "--no-wait",
                                                  "--duration", "2", "--no-realtime", "--quiet"], workingDirectory: packageRoot)
        #expect(result.status == 5, "\(result.standardOutput)\n\(result.standardError)")
        #expect(result.standardError.contains("cannot start the operator device: leader arm sim-leader on sim: its elbow_flex is at 0.8"), "\(result.standardError)")
        // The follower stands near 0 (a simulated arm sags a few milliradians under gravity).
        #expect(result.standardError.contains("the follower's at 0") || result.standardError.contains("the follower's at -0.0"), "\(result.standardError)")
        #expect(result.standardError.contains("max_start_difference_rad"), "\(result.standardError)")
        #expect(result.standardError.contains("safe stop:"), "\(result.standardError)")
    }

    @Test func leadersThatDoNotFitAreRefusedBeforeAnythingMoves() throws {
        let folder = TemporaryDirectory()
        let renamed = try Self.leaderCopy(in: folder, description: {
            $0.replacingOccurrences(of: "{name: elbow_flex,", with: "{name: elbow,")
        }, calibration: {
            $0.replacingOccurrences(of: "elbow_flex:", with: "elbow:")
        })
        var result = runProcess(reinsExecutable, ["teleop", "--robot", "Robots/sim-arm.yaml", "--device", "leader:\(renamed)", "--no-wait",
                                                  "--duration", "1", "--no-realtime"], workingDirectory: packageRoot)
        #expect(result.status == 2, "\(result.standardError)")
        #expect(result.standardError.contains("sim-arm has no joint `elbow`; the leader has no joint `elbow_flex`"), "\(result.standardError)")
        #expect(!result.standardOutput.contains("robot:"), "the follower was connected: \(result.standardOutput)")

        // A follower's description is not a leader's, and a leader is never driven.
        result = runProcess(reinsExecutable, ["teleop", "--robot", "Robots/sim-arm.yaml", "--device", "leader:Robots/sim-so101-arm.yaml", "--no-wait",
                                              "--duration", "1", "--no-realtime"], workingDirectory: packageRoot)
        #expect(result.status == 2)
        #expect(result.standardError.contains("sim-so101-arm is not a leader arm"), "\(result.standardError)")
        result = runProcess(reinsExecutable, ["teleop", "--robot", "Robots/sim-leader.yaml", "--device", "keyboard", "--no-realtime"], workingDirectory: packageRoot)
        #expect(result.status == 2)
        #expect(result.standardError.contains("sim-leader is a leader arm (role: leader)"), "\(result.standardError)")
        // A simulated leader never moves a real arm.
        result = runProcess(reinsExecutable, ["teleop", "--robot", "Robots/koch-arm.yaml", "--device", "leader:Robots/sim-leader.yaml", "--no-realtime"],
                            workingDirectory: packageRoot)
        #expect(result.status == 2)
        #expect(result.standardError.contains("a simulated leader (link: sim) leads simulated robots only"), "\(result.standardError)")
    }
}
