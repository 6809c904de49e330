import Foundation
import ReinsConfig
import ReinsCore
import ReinsRecording
import ReinsSafety
import ReinsTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A shipped simulated robot with a generous watchdog and absolute paths, so a deploy under test
/// load checks behaviour rather than this machine's scheduling.
func relaxedDescription(_ name: String, in folder: TemporaryDirectory) throws -> (path: String, robot: RobotDescription) {
    let original = try RobotDescription.load(path: packageRoot + "/Robots/\(name).yaml")
    let text = try String(contentsOfFile: packageRoot + "/Robots/\(name).yaml", encoding: .utf8)
        .replacingOccurrences(of: "calibration: ../Calibration/", with: "calibration: \(packageRoot)/Calibration/")
        .replacingOccurrences(of: "watchdog_timeout_ms: \(Int((original.safety.watchdogTimeout * 1000).rounded()))", with: "watchdog_timeout_ms: 1000")
    let path = folder.write("\(name).yaml", text)
    return (path, try RobotDescription.load(path: path))
}

/// What Python's mcap finds in a deploy recording.
func checkRecording(_ path: String, robot: RobotDescription, stream: Bool = false) throws -> [String: Any] {
    let bounds = "[" + robot.actionBounds.map { "[\($0.lowerBound), \($0.upperBound)]" }.joined(separator: ",") + "]"
    let result = runProcess("python3", [packageRoot + "/Tests/Peers/deploy_recording_check.py", path, bounds] + (stream ? ["--stream"] : []))
    #expect(result.status == 0, "python3 with mcap is required: \(result.standardError)")
    return try #require(try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any])
}

/// What the jsonschema package finds when it checks every message of a recording against the
/// schema its channel advertises in the file (Tests/Peers/recording_schema_check.py).
func checkSchemas(_ path: String) throws -> [String: Any] {
    let result = runProcess("python3", [packageRoot + "/Tests/Peers/recording_schema_check.py", path])
    #expect(result.status == 0, "python3 with mcap and jsonschema is required: \(result.standardError)")
    return try #require(try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any])
}

@Suite(.serialized) struct RecordingSchemaAcceptanceTests {
    @Test(arguments: ["sim-arm", "sim-car", "sim-drone"])
    func everyMessageOfARecordedDeployValidatesAgainstItsOwnSchema(_ name: String) throws {
        let folder = TemporaryDirectory()
        let (robotPath, robot) = try relaxedDescription(name, in: folder)
        let recording = folder.file("run.mcap")
        let result = deploy(["--robot", robotPath, "--policy", "Robots/policies/\(name).safetensors", "--duration", "2", "--record", recording])
        #expect(result.status == 0, "\(result.standardError)")
        let check = try checkSchemas(recording)
        #expect(check["schema_problems"] as? [String] == [])
        let topics = try #require(check["topics"] as? [String: Int])
        #expect(topics["/reins/tick"] == Int((2 * robot.controlRateHz).rounded()))
        #expect((topics["/reins/episode"] ?? 0) >= 1 && (topics["/reins/event"] ?? 0) >= 1)
        #expect(check["invalid"] as? [String: Int] == [:], "\(check["errors"] ?? "")")
        // The shipped policies have no CARIL head: the fields without a value are absent, not null.
        let absent = try #require(check["absent_monitor"] as? [String: Int])
        #expect(absent["confidence"] == topics["/reins/tick"] && absent["entropy"] == topics["/reins/tick"])
    }

    @Test func aNaNPolicysRecordingValidatesAndKeepsItsNonFiniteEntries() throws {
        let folder = TemporaryDirectory()
        let (robotPath, robot) = try relaxedDescription("sim-arm", in: folder)
        let recording = folder.file("nan.mcap")
        let result = deploy(["--robot", robotPath, "--policy", try makeArmPolicy("nan", in: folder), "--duration", "1", "--record", recording])
        #expect(result.status == 0, "\(result.standardError)")
        let check = try checkSchemas(recording)
        #expect(check["invalid"] as? [String: Int] == [:], "\(check["errors"] ?? "")")
        #expect(check["ticks_with_non_finite"] as? Int == 100)
        // Every proposed entry is non-finite (the network overflows to +inf), and so every corrected one.
        let nonFinite = try #require(check["non_finite"] as? [String: [String: Int]])
        #expect(nonFinite["proposed"]?.values.reduce(0, +) == 600 && nonFinite["corrected"]?.values.reduce(0, +) == 600)
        #expect(nonFinite["applied"] == nil)
        // Reins' reader puts them back where they were; the applied actions (the fallback) stay finite.
        let ticks = try RecordingReader.read(path: recording).episodes.flatMap(\.ticks)
        #expect(ticks.count == 100)
        #expect(ticks.allSatisfy { tick in tick.proposed.count == robot.actionNames.count && tick.proposed.allSatisfy { !$0.isFinite } })
        #expect(ticks.allSatisfy { tick in tick.applied.allSatisfy(\.isFinite) })
        #expect(ticks.allSatisfy { $0.sensitivity.isNaN })
    }
}

@Suite(.serialized) struct DeployAcceptanceTests {
    @Test(arguments: ["sim-arm", "sim-car", "sim-drone"])
    func eachShippedPolicyDeploysOnItsSimulatorWithinLimits(_ name: String) throws {
        let folder = TemporaryDirectory()
        let (robotPath, robot) = try relaxedDescription(name, in: folder)
        let recording = folder.file("run.mcap")
        let result = deploy(["--robot", robotPath, "--policy", "Robots/policies/\(name).safetensors", "--duration", "5", "--record", recording])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput.contains("stopped: finished"))
        #expect(result.standardOutput.contains("faults: none"))
        // The summary reports what the driver's safe stop confirmed.
        let report: String
        switch robot.kind {
        case .arm: report = "safe stop: held position 0.5 s, torque off\n"
        case .car: report = ", steering centred, motor released\n"
        case .drone: report = "safe stop: hovered 2.0 s, landed, disarmed\n"
        }
        #expect(result.standardOutput.contains(report), "\(result.standardOutput)")
        // The live status (a plain line a second off a terminal) and the summary show what the
        // robot's task says about itself.
        let shows: String, costMeaning: String
        switch robot.kind {
        case .arm: (shows, costMeaning) = (#"  to target \d+\.\d{3} rad  episodes \d+/\d+ ok"#, "rms joint error, rad")
        case .car: (shows, costMeaning) = (#"  speed -?\d+\.\d{2} m/s  off centre \d+\.\d{3} m  episodes \d+/\d+ ok"#, "distance from the centre line, m")
        case .drone: (shows, costMeaning) = (#"  altitude -?\d+\.\d{2} m  to waypoint \d+\.\d{2} m  episodes \d+/\d+ ok"#, "distance to the waypoint, m")
        }
        let taskStatus = try Regex(shows)
        let status = result.standardOutput.split(separator: "\n").filter { $0.hasPrefix("t ") && $0.contains(" s  rate ") }
        #expect(status.count >= 3 && status.allSatisfy { $0.contains(taskStatus) }, "\(status)")
        #expect(result.standardOutput.contains(try Regex(#"\ntask cost: mean \d+\.\d{4} \("# + costMeaning + #"\)\n"#)))
        let expectedTicks = Int((5 * robot.controlRateHz).rounded())
        #expect(result.standardOutput.contains("ticks \(expectedTicks),"))
        let check = try checkRecording(recording, robot: robot)
        #expect(check["ticks"] as? Int == expectedTicks)
        #expect(check["violations"] as? Int == 0)
        #expect(check["non_finite_applied"] as? Int == 0)
        #expect((check["events"] as? [String])?.contains("safe_stop") == true)
    }

    @Test func aNaNPolicyShowsTheFallbackInTheRecordingAndTheSummary() throws {
        let folder = TemporaryDirectory()
        let (robotPath, robot) = try relaxedDescription("sim-arm", in: folder)
        let recording = folder.file("nan.mcap")
        let result = deploy(["--robot", robotPath, "--policy", try makeArmPolicy("nan", in: folder), "--duration", "2", "--record", recording])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput.contains("safety-filter clamps: non_finite 200"))
        let check = try checkRecording(recording, robot: robot)
        #expect(check["non_finite_proposed"] as? Int == 200)
        #expect((check["clamps"] as? [String: Int])?["non_finite"] == 200)
        #expect(check["non_finite_applied"] as? Int == 0)
        #expect(check["violations"] as? Int == 0)
    }

    @Test func anOverLimitPolicyIsClampedInTheRecording() throws {
        let folder = TemporaryDirectory()
        let (robotPath, robot) = try relaxedDescription("sim-arm", in: folder)
        let recording = folder.file("reckless.mcap")
        let result = deploy(["--robot", robotPath, "--policy", try makeArmPolicy("reckless", in: folder), "--duration", "3", "--record", recording])
        #expect(result.status == 0, "\(result.standardError)")
        let check = try checkRecording(recording, robot: robot)
        let clamps = try #require(check["clamps"] as? [String: Int])
        #expect((clamps["joint_position"] ?? 0) > 0)
        #expect((clamps["joint_velocity"] ?? 0) > 0)
        #expect(check["violations"] as? Int == 0)
        #expect(result.standardOutput.contains("joint_position"))
    }

    @Test func aWorkspaceBoxStopsTheToolAtItsWall() throws {
        let folder = TemporaryDirectory()
        let (relaxedPath, _) = try relaxedDescription("sim-arm", in: folder)
        // A planar two-link arm on the first two joints (0.3 m and 0.2 m, both about z) whose tool
        // may not pass y = 0.25; the reckless policy drives every joint to its upper limit.
        let workspace = """
            workspace:
              box: {x: [-1, 1], y: [-1, 0.25], z: [-1, 1]}
              chain:
                - {joint: shoulder_pan, xyz: [0, 0, 0], axis: [0, 0, 1]}
                - {joint: shoulder_lift, xyz: [0.3, 0, 0], axis: [0, 0, 1]}
              tool: [0.2, 0, 0]

            """
        let robotPath = folder.write("boxed-arm.yaml", try String(contentsOfFile: relaxedPath, encoding: .utf8) + workspace)
        let robot = try RobotDescription.load(path: robotPath)
        let kinematics = ArmKinematics(try #require(robot.workspace))
        let recording = folder.file("boxed.mcap")
        let result = deploy(["--robot", robotPath, "--policy", try makeArmPolicy("reckless", in: folder), "--duration", "3", "--record", recording])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput.contains("workspace"))
        let recorded = try RecordingReader.read(path: recording)
        let ticks = recorded.episodes.flatMap(\.ticks)
        #expect(ticks.count == 300)
        #expect(ticks.contains { $0.clamps & ClampReason.workspace.bit != 0 })
        let worst = ticks.map { kinematics.distanceOutside(kinematics.toolPoint($0.applied)) }.max() ?? 1
        #expect(worst < 1e-3, "the commanded tool point left the box by \(worst) m")
        // It got to the wall: the goals ended within a few millimetres of y = 0.25.
        let last = try #require(ticks.last)
        #expect(kinematics.toolPoint(last.applied).y > 0.24)
    }

    @Test func aDisconnectShowsTheFaultAndSafeStopInTheRecording() throws {
        let folder = TemporaryDirectory()
        let (robotPath, robot) = try relaxedDescription("sim-arm", in: folder)
        let recording = folder.file("cut.mcap")
        let result = deploy(["--robot", robotPath, "--policy", "Robots/policies/sim-arm.safetensors", "--duration", "10",
                             "--faults", "disconnect=2s", "--record", recording])
        #expect(result.status == 4)
        #expect(result.standardOutput.contains("safe stop: the servos did not answer, position not held; torque off not confirmed by every servo after 3 attempts"))
        let check = try checkRecording(recording, robot: robot)
        #expect(check["events"] as? [String] == ["fault", "safe_stop"])
        #expect((check["outcomes"] as? [String])?.last == "aborted")
    }

    @Test func aDroneThatVanishesEndsTheSafeStopWithinSecondsAndTheSummarySaysItWasLost() throws {
        // Over UDP a vehicle that vanishes says nothing (no link error, only silence), like PX4
        // SITL or a radio out of range: the simulator runs in its own process and cuts its link
        // 12 s after it starts, once the deploy below is flying.
        let port = freeUDPPort()
        let cutAfter = 12.0
        let vehicle = SpawnedProcess(reinsExecutable, ["sim", "drone", "--link", "udp:127.0.0.1:\(port)", "--faults", "disconnect=\(Int(cutAfter))",
                                                       "--duration", "60"], workingDirectory: packageRoot)
        defer {
            vehicle.signal(SIGTERM)
            vehicle.wait(timeout: 5)
        }
        #expect(vehicle.waitForLine(containing: "ready") != nil, "\(vehicle.standardError)")
        let cutAt = Double(MonotonicClock.nowNanoseconds()) / 1e9 + cutAfter
        let folder = TemporaryDirectory()
        let (simPath, _) = try relaxedDescription("sim-drone", in: folder)
        let robotPath = folder.write("udp-drone.yaml", try String(contentsOfFile: simPath, encoding: .utf8)
            .replacingOccurrences(of: "link: sim", with: "link: udpout:127.0.0.1:\(port)"))
        let result = deploy(["--robot", robotPath, "--policy", "Robots/policies/sim-drone.safetensors", "--duration", "60"])
        let endedAfterCut = Double(MonotonicClock.nowNanoseconds()) / 1e9 - cutAt
        #expect(result.status == 4, "\(result.standardError)")
        #expect(result.standardOutput.contains("loop:"), "the vehicle vanished before the loop started: \(result.standardError)")
        // Before: an unacknowledged LAND (6 s) and a 30 s disarm wait, in silence.
        #expect(endedAfterCut < 10, "deploy ended \(endedAfterCut) s after the vehicle vanished")
        let summary = try #require(result.standardOutput.split(separator: "\n").first { $0.hasPrefix("safe stop: ") })
        #expect(summary.hasPrefix("safe stop: vehicle lost: no heartbeat for "), "\(summary)")
        #expect(summary.contains("LAND not acknowledged"), "\(summary)")
        // While it waited it said what for, and why it stopped waiting.
        #expect(result.standardError.contains("safe stop: hovering MAVLink vehicle 1 on udpout:127.0.0.1:\(port) for 2.0 s"), "\(result.standardError)")
        #expect(result.standardError.contains("safe stop: no heartbeat from MAVLink vehicle 1 on udpout:127.0.0.1:\(port) for "), "\(result.standardError)")
    }

    @Test(arguments: ["sim-arm", "sim-so101-arm"])
    func aSeizedJointEndsTheDeployInAFaultNamingItAndASafeStop(_ name: String) throws {
        let folder = TemporaryDirectory()
        let (robotPath, robot) = try relaxedDescription(name, in: folder)
        let recording = folder.file("seized.mcap")
        let result = deploy(["--robot", robotPath, "--policy", "Robots/policies/sim-arm.safetensors", "--duration", "10",
                             "--faults", "stuck=2", "--record", recording])
        #expect(result.status == 4, "\(name): \(result.standardOutput)\(result.standardError)")
        let out = result.standardOutput
        // The driver's tracking check or the servo's own overload trip, whichever comes first, names the elbow.
        let fault = try #require(out.split(separator: "\n").first { $0.hasPrefix("faults: ") }, "\(out)")
        #expect(fault.contains("joint elbow_flex"), "\(fault)")
        #expect(fault.contains("servo 3"), "\(fault)")
        #expect(out.contains("safe stop: held position"), "\(out)")
        let check = try checkRecording(recording, robot: robot)
        #expect(check["events"] as? [String] == ["fault", "safe_stop"])
        #expect((check["outcomes"] as? [String])?.last == "aborted")
    }

    @Test(arguments: ["sim-arm", "sim-so101-arm"])
    func theShippedArmPolicyRunsFreeOfTrackingFaultsThoughItsGoalsLeadByMoreThanTheTolerance(_ name: String) throws {
        let folder = TemporaryDirectory()
        let (robotPath, robot) = try relaxedDescription(name, in: folder)
        let recording = folder.file("run.mcap")
        let result = deploy(["--robot", robotPath, "--policy", "Robots/policies/sim-arm.safetensors", "--duration", "10", "--record", recording])
        #expect(result.status == 0, "\(name): \(result.standardOutput)\(result.standardError)")
        #expect(result.standardOutput.contains("faults: none"))
        // The goal sent one tick against the position read the next: a moving joint trails its
        // goal by more than the tolerance, which is why the check asks for progress, not distance.
        let ticks = try RecordingReader.read(path: recording).episodes.flatMap(\.ticks)
        var largest = 0.0
        for (previous, tick) in zip(ticks, ticks.dropFirst()) {
            for j in 0..<robot.actionNames.count { largest = max(largest, abs(previous.applied[j] - tick.state[j])) }
        }
        #expect(largest > robot.safety.trackingErrorRadians, "\(name): goals led by at most \(largest) rad")
    }

    @Test func killMinus9DuringARecordedDeployLeavesAReadableFile() throws {
        let folder = TemporaryDirectory()
        let (robotPath, robot) = try relaxedDescription("sim-arm", in: folder)
        let recording = folder.file("killed.mcap")
        let run = SpawnedProcess(reinsExecutable, ["deploy", "--no-realtime", "--robot", robotPath, "--policy", "Robots/policies/sim-arm.safetensors",
                                                   "--duration", "30", "--record", recording], workingDirectory: packageRoot)
        #expect(run.waitForLine(containing: "loop:") != nil, "\(run.standardError)")
        usleep(2_500_000)
        let killedAt = WallClock.nowNanoseconds()
        run.signal(SIGKILL)
        #expect(run.wait() == 128 + SIGKILL)
        // The run never completed its recording, so it kept its temporary name.
        #expect(!FileBytes.exists(recording))
        let check = try checkRecording(recording + ".partial", robot: robot, stream: true)
        let ticks = try #require(check["ticks"] as? Int)
        #expect(ticks > 100)
        // The last tick Python reads is within ~100 ms of the kill (plus 50 ms for a loaded machine).
        let lastLogTime = try #require(check["last_log_time"] as? UInt64)
        let gap = Double(killedAt) / 1e9 - Double(lastLogTime) / 1e9
        #expect(gap < 0.15, "last readable tick \(gap) s before the kill")
        // And the repaired file reads in full with the seeking reader.
        let repaired = runProcess(reinsExecutable, ["record", "repair", recording + ".partial"])
        #expect(repaired.status == 0, "\(repaired.standardError)")
        #expect(try checkRecording(recording, robot: robot)["ticks"] as? Int == ticks)
    }
}

@Suite(.serialized) struct TakeoverWithoutOperatorTests {
    @Test func aTakeoverRequestHoldsTheArmAndIsRecordedOncePerRequest() throws {
        let folder = TemporaryDirectory()
        let (relaxed, _) = try relaxedDescription("sim-arm", in: folder)
        // Any sensitivity exceeds this limit: the monitor asks for a takeover on the first tick.
        let text = try String(contentsOfFile: relaxed, encoding: .utf8)
            .replacingOccurrences(of: "response: slow", with: "response: takeover\n  sensitivity_limit: 0.0001")
        let path = folder.write("takeover-arm.yaml", text)
        let robot = try RobotDescription.load(path: path)
        let recording = folder.file("takeover.mcap")
        let result = deploy(["--robot", path, "--policy", "Robots/policies/sim-arm.safetensors", "--duration", "3", "--record", recording])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput.contains("TAKEOVER REQUESTED: holding"), "\(result.standardOutput)")
        let read = try RecordingReader.read(path: recording)
        let requests = read.events.filter { $0.kind == .takeoverRequest }.count
        let episodes = read.episodes.filter { !$0.ticks.isEmpty }
        // One request per episode (each episode starts with the policy in control again), not one per tick.
        #expect(requests == episodes.count, "\(requests) requests in \(episodes.count) episodes")
        #expect(result.standardOutput.contains("takeover requests \(requests) (no operator attached"))
        for episode in episodes {
            let ticks = episode.ticks
            #expect(ticks.allSatisfy { $0.response == .takeover })
            // Held: the goals never move after the request (the arm stood still when it came).
            let first = try #require(ticks.first?.applied)
            for tick in ticks { #expect(zip(tick.applied, first).allSatisfy { abs($0 - $1) < 1e-9 }, "tick \(tick.tick) moved") }
            #expect(ticks.dropFirst().allSatisfy { !$0.takeoverRequested })
        }
        #expect(robot.monitor.response == .takeover)
    }
}
