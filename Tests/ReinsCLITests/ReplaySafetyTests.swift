import Foundation
import ReinsConfig
import ReinsCore
import ReinsRecording
import ReinsSafety
import ReinsTestSupport
import Testing

/// `reins replay` as a first hardware test would use it: trajectories that start far from the
/// robot, move faster than it may, and aim outside its workspace. Every command the driver sent
/// (the recording's applied actions) is checked against the description's limits.
@Suite(.serialized) struct ReplaySafetyTests {
    /// Replays `rows` on the description at `robotPath` with a recording, and checks what was sent.
    func replayAndCheck(_ robotPath: String, rows: [[Double]], resolution: Double, in folder: TemporaryDirectory)
        throws -> (result: ProcessResult, recording: Recording, checker: LimitChecker)
    {
        let robot = try RobotDescription.load(path: robotPath)
        let csv = robot.actionNames.joined(separator: ",") + "\n" + rows.map { $0.map { "\($0)" }.joined(separator: ",") }.joined(separator: "\n") + "\n"
        let trajectory = folder.write("trajectory-\(robot.name).csv", csv)
        let recordingPath = folder.file("replay-\(robot.name).mcap")
        let result = runProcess(reinsExecutable, ["replay", "--robot", robotPath, "--trajectory", trajectory, "--record", recordingPath,
                                                  "--no-realtime", "--quiet"], workingDirectory: packageRoot)
        #expect(result.status == 0, "\(result.standardOutput)\n\(result.standardError)")
        let recording = try RecordingReader.read(path: recordingPath)
        let ticks = recording.episodes.flatMap(\.ticks)
        #expect(ticks.count >= rows.count)
        // Every tick records how old the state it acted on was: recent, never older than the watchdog allows.
        #expect(ticks.allSatisfy { Double($0.stateAgeNanoseconds) / 1e9 <= robot.safety.watchdogTimeout })
        #expect(ticks.contains { $0.stateAgeNanoseconds > 0 })
        let checker = LimitChecker(robot: robot, resolution: resolution)
        // The first command is checked against where the robot was: for an arm its measured joints.
        if case .arm(let joints) = robot.body, let first = ticks.first {
            checker.start(from: Array(first.state.prefix(joints.count)))
        } else {
            checker.start(from: [Double](repeating: 0, count: robot.actionNames.count))
        }
        let walls = [ClampReason.jointPosition, .workspace, .altitude, .geofence].reduce(UInt32(0)) { $0 | $1.bit }
        for tick in ticks { checker.check(tick.applied, state: tick.state, wallStop: tick.clamps & walls != 0) }
        #expect(checker.violations.isEmpty, "\(checker.violations.prefix(5))")
        return (result, recording, checker)
    }

    @Test func theArmRampsToAFarFirstRowAtItsLimitsAndIsClampedWhenTheRowsAreTooFast() throws {
        let folder = TemporaryDirectory()
        let (path, robot) = try relaxedDescription("sim-arm", in: folder)
        guard case .arm(let joints) = robot.body else { return }
        // 1.5 rad away on the first row (the issue's 0 → 1.5 rad), then a step every tick twice the
        // velocity limit allows.
        var rows = [[1.5, -0.8, 0.9, 0.5, -1.2, 1.0]]
        for i in 1..<120 { rows.append(rows[0].enumerated().map { j, value in value - Double(i) * 2 * joints[j].velocity / robot.controlRateHz * 0.1 }) }
        let (result, recording, checker) = try replayAndCheck(path, rows: rows, resolution: 2 * Double.pi / 4096, in: folder)
        #expect(checker.commands > rows.count, "a ramp came first")
        let ticks = recording.episodes.flatMap(\.ticks)
        #expect(ticks.allSatisfy { $0.source == .replay })
        #expect(result.standardOutput.contains("replayed 120 of 120 actions"))
        // The step from where the arm stood to the first command is one tick's worth, not 1.5 rad.
        let first = try #require(ticks.first)
        #expect(abs(first.applied[0] - first.state[0]) <= joints[0].velocity / robot.controlRateHz + 0.002)
    }

    @Test func theCarAcceleratesToTheFirstRowInsteadOfJumpingToIt() throws {
        let folder = TemporaryDirectory()
        let (path, robot) = try relaxedDescription("sim-car", in: folder)
        guard case .car(let limits) = robot.body else { return }
        let rows = Array(repeating: [limits.speed.upperBound, limits.steering], count: 60)
        let (result, recording, _) = try replayAndCheck(path, rows: rows, resolution: 1e-3, in: folder)
        let first = try #require(recording.episodes.flatMap(\.ticks).first)
        #expect(first.applied[0] <= limits.acceleration / robot.controlRateHz + 1e-3, "first speed \(first.applied[0])")
        #expect(result.standardOutput.contains("acceleration"))
    }

    @Test func aTrajectoryBelowTheTableStopsAtTheWorkspaceFloor() throws {
        let folder = TemporaryDirectory()
        let base = try relaxedDescription("sim-so101-arm", in: folder)
        // The simulated SO-101 with the real arm's workspace box and URDF chain.
        let real = try String(contentsOfFile: packageRoot + "/Robots/so101-arm.yaml", encoding: .utf8)
        let lines = real.split(separator: "\n", omittingEmptySubsequences: false)
        let start = try #require(lines.firstIndex { $0.hasPrefix("workspace:") })
        var block = [lines[start]]
        for line in lines[(start + 1)...] {
            guard line.hasPrefix(" ") || line.hasPrefix("#") || line.isEmpty else { break }
            block.append(line)
        }
        let path = folder.write("so101-box.yaml", try String(contentsOfFile: base.path, encoding: .utf8) + "\n" + block.joined(separator: "\n") + "\n")
        let robot = try RobotDescription.load(path: path)
        let kinematics = ArmKinematics(try #require(robot.workspace))
        guard case .arm(let joints) = robot.body else { return }
        // Find a pose inside the joint limits whose tool point is well under the box floor.
        var random = SeededRandom(seed: 3)
        var target: [Double] = []
        while target.isEmpty {
            let pose = joints.map { $0.position.lowerBound + random.unit() * ($0.position.upperBound - $0.position.lowerBound) }
            if kinematics.toolPoint(pose).z < robot.workspace!.z.lowerBound - 0.08 { target = pose }
        }
        // From the zero pose (inside the box) straight toward it, in small steps, then holding there.
        let rows = (0...200).map { i in target.map { $0 * min(1, Double(i) / 150) } }
        let (result, recording, _) = try replayAndCheck(path, rows: rows, resolution: 2 * Double.pi / 4096, in: folder)
        let ticks = recording.episodes.flatMap(\.ticks)
        let lowest = ticks.map { kinematics.toolPoint($0.applied).z }.min()!
        #expect(lowest >= robot.workspace!.z.lowerBound - 0.002, "the commanded tool point reached z = \(lowest)")
        #expect(ticks.contains { $0.clamps & ClampReason.workspace.bit != 0 })
        #expect(result.standardOutput.contains("workspace"))
    }

    @Test func aDroneTrajectoryUpAndOutStaysInsideTheAltitudeBandAndTheGeofence() throws {
        let folder = TemporaryDirectory()
        let (path, robot) = try relaxedDescription("sim-drone", in: folder)
        guard case .drone(let limits) = robot.body else { return }
        // Full speed north-east and up for 11 s: past the 10 m ceiling and the 20 m fence.
        let h = limits.horizontalVelocity / 2.squareRoot()
        let rows = Array(repeating: [h, h, -limits.verticalVelocity], count: Int(11 * robot.controlRateHz))
        let (_, recording, _) = try replayAndCheck(path, rows: rows, resolution: 1e-6, in: folder)
        let ticks = recording.episodes.flatMap(\.ticks)
        let highest = ticks.map { $0.state.withUnsafeBufferPointer { DroneStateView($0).altitude } }.max()!
        let farthest = ticks.map { $0.state.withUnsafeBufferPointer { DroneStateView($0).horizontalDistance } }.max()!
        #expect(highest <= limits.altitude.upperBound + 0.3, "flew to \(highest) m")
        #expect(farthest <= limits.geofenceRadius + 0.3, "flew \(farthest) m from home")
        #expect(ticks.contains { $0.clamps & ClampReason.altitude.bit != 0 } && ticks.contains { $0.clamps & ClampReason.geofence.bit != 0 })
    }
}
