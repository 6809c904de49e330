import Foundation
import ReinsConfig
import ReinsCore
import ReinsTestSupport
import Testing

@Suite struct ShippedFilesTests {
    static let robotFiles = ["koch-arm", "so101-arm", "f1tenth-car", "px4-quad-serial", "px4-quad-udp", "sim-arm", "sim-car", "sim-drone",
                             "koch-leader", "so101-leader", "sim-leader", "sim-so101-leader"]

    @Test(arguments: robotFiles)
    func shippedDescriptionLoads(_ name: String) throws {
        let robot = try RobotDescription.load(path: packageRoot + "/Robots/\(name).yaml")
        #expect(robot.name == name)
        #expect(!robot.observationNames.isEmpty)
        #expect(FileBytes.exists(robot.calibrationPath))
    }

    @Test func everyKindHasARealAndASimulatedDescription() throws {
        var real: Set<RobotKind> = [], simulated: Set<RobotKind> = []
        for name in Self.robotFiles {
            let robot = try RobotDescription.load(path: packageRoot + "/Robots/\(name).yaml")
            if robot.link == .sim { simulated.insert(robot.kind) } else { real.insert(robot.kind) }
        }
        #expect(real == Set(RobotKind.allCases))
        #expect(simulated == Set(RobotKind.allCases))
    }

    @Test func simulatedArmHasTheLayoutPoliciesExpect() throws {
        let robot = try RobotDescription.load(path: packageRoot + "/Robots/sim-arm.yaml")
        #expect(robot.observationNames.prefix(2) == ["shoulder_pan.pos", "shoulder_lift.pos"])
        #expect(robot.observationNames.count == 12)
        #expect(robot.actionNames.count == 6)
        #expect(robot.safety.watchdogTimeout == 0.05)
        #expect(robot.monitor.sensitivityLimit == robot.monitor.actionTolerance / robot.monitor.sensorNoiseBound)
        guard case .arm(let calibration) = robot.calibration else { Issue.record("not an arm calibration"); return }
        #expect(calibration.joints.map(\.name) == ["shoulder_pan", "shoulder_lift", "elbow_flex", "wrist_flex", "wrist_roll", "gripper"])
    }
}

@Suite struct LeaderDescriptionTests {
    @Test(arguments: [("koch-leader", "koch-arm"), ("so101-leader", "so101-arm"), ("sim-leader", "sim-arm"), ("sim-so101-leader", "sim-so101-arm")])
    func everyShippedLeaderLeadsItsFollowerJointForJointOnItsOwnBus(_ names: (String, String)) throws {
        let leader = try RobotDescription.load(path: packageRoot + "/Robots/\(names.0).yaml")
        let follower = try RobotDescription.load(path: packageRoot + "/Robots/\(names.1).yaml")
        #expect(leader.role == .leader && follower.role == .follower)
        #expect(leader.leader.maxStartDifference == 0.5)
        #expect(leader.driver == follower.driver)
        #expect(leader.actionNames == follower.actionNames)
        #expect(leader.calibrationPath != follower.calibrationPath)
        #expect(leader.link == .sim ? follower.link == .sim : leader.link != follower.link)
    }

    @Test func aLeaderIsAServoArmAndOnlyALeaderHasLeaderSettings() throws {
        let folder = TemporaryDirectory()
        folder.write("cal.yaml", Fixtures.armCalibration)
        let leader = try RobotDescription.load(path: folder.write("leader.yaml", Fixtures.arm + "role: leader\nleader: {max_start_difference_rad: 0.3}\n"))
        #expect(leader.role == .leader && leader.leader.maxStartDifference == 0.3)
        let stray = Fixtures.diagnostics(description: Fixtures.arm + "leader: {max_start_difference_rad: 0.3}\n")
        #expect(stray.contains { $0.keyPath == "leader" && $0.suggestion == "add `role: leader`, or remove `leader`" }, "\(stray)")
        let car = Fixtures.diagnostics(description: Fixtures.car + "role: leader\n", calibration: Fixtures.carCalibration)
        #expect(car.contains { $0.keyPath == "role" && $0.problem.contains("a leader is a servo arm") }, "\(car)")
    }
}

@Suite struct DescriptionErrorTests {
    @Test func validFixtureLoads() {
        #expect(Fixtures.diagnostics(description: Fixtures.arm).isEmpty)
        #expect(Fixtures.diagnostics(description: Fixtures.car, calibration: Fixtures.carCalibration).isEmpty)
    }

    @Test func unknownKeySuggestsTheNearestValidKey() throws {
        let text = Fixtures.replacing("    velocity: 3.0\n", with: "    velocty: 3.0\n", in: Fixtures.arm)
        let problems = Fixtures.diagnostics(description: text)
        let unknown = try #require(problems.first { $0.problem == "unknown key" })
        #expect(unknown.description == "robot.yaml:11:5: joints[0].velocty: unknown key; did you mean `velocity`?")
        // The misspelt key also leaves the real one missing, and that is reported too.
        #expect(problems.contains { $0.keyPath == "joints[0].velocity" && $0.problem == "required key is missing" })
    }

    @Test func unknownTopLevelKeyWithoutACloseMatchListsTheValidKeys() throws {
        let problems = Fixtures.diagnostics(description: Fixtures.arm + "colour: red\n")
        let problem = try #require(problems.first)
        #expect(problem.mark?.line == 27)
        #expect(problem.suggestion?.hasPrefix("valid keys here: `name`, `kind`") == true)
    }

    @Test func wrongTypeNamesWhatWasFound() throws {
        let text = Fixtures.replacing("control_rate_hz: 100", with: "control_rate_hz: fast", in: Fixtures.arm)
        let problem = try #require(Fixtures.diagnostics(description: text).first)
        #expect(problem.description == "robot.yaml:5:18: control_rate_hz: expected a number in Hz, found `fast`; write an unquoted number such as 0.5")
    }

    @Test func quotedNumberIsTextNotANumber() throws {
        let text = Fixtures.replacing("control_rate_hz: 100", with: "control_rate_hz: \"100\"", in: Fixtures.arm)
        let problem = try #require(Fixtures.diagnostics(description: text).first)
        #expect(problem.problem == "expected a number in Hz, found the string \"100\"")
    }

    @Test func outOfRangeValueSaysTheAllowedRange() throws {
        let text = Fixtures.replacing("control_rate_hz: 100", with: "control_rate_hz: 50000", in: Fixtures.arm)
        let problem = try #require(Fixtures.diagnostics(description: text).first)
        #expect(problem.description == "robot.yaml:5:18: control_rate_hz: 50000 is out of range; use a value from 1 to 10000 Hz")
    }

    @Test func minAboveMaxSuggestsSwapping() throws {
        let text = Fixtures.replacing("position: [-1.5, 1.5]", with: "position: [1.5, -1.5]", in: Fixtures.arm)
        let problem = try #require(Fixtures.diagnostics(description: text).first)
        #expect(problem.description == "robot.yaml:10:15: joints[0].position: min 1.5 is greater than max -1.5; swap them: [-1.5, 1.5]")
    }

    @Test func missingRequiredKeyShowsWhatToAdd() throws {
        let text = Fixtures.replacing("  watchdog_timeout_ms: 50\n", with: "", in: Fixtures.arm)
        let problem = try #require(Fixtures.diagnostics(description: text).first)
        #expect(problem.description == "robot.yaml:21:3: safety.watchdog_timeout_ms: required key is missing; add `watchdog_timeout_ms: 50`")
    }

    @Test func duplicateJointNamesPointAtTheSecond() throws {
        let text = Fixtures.replacing("  - name: elbow", with: "  - name: shoulder", in: Fixtures.arm)
        let problem = try #require(Fixtures.diagnostics(description: text).first)
        #expect(problem.mark?.line == 13)
        #expect(problem.keyPath == "joints[1].name")
        #expect(problem.problem == "duplicate joint name `shoulder` (first at line 8)")
        #expect(problem.suggestion == "give every joint its own name")
    }

    @Test func duplicateKeyIsReported() throws {
        let problems = Fixtures.diagnostics(description: Fixtures.arm + "kind: car\n")
        let problem = try #require(problems.first)
        #expect(problem.description == "robot.yaml:27:1: kind: duplicate key (first at line 2); keep one of them")
    }

    @Test func unknownChoiceSuggestsTheNearest() throws {
        let text = Fixtures.replacing("driver: dynamixel", with: "driver: dynamixle", in: Fixtures.arm)
        let problem = try #require(Fixtures.diagnostics(description: text).first)
        #expect(problem.description == "robot.yaml:3:9: driver: `dynamixle` is not a valid choice; did you mean `dynamixel`?")
    }

    @Test func driverMustFitTheKind() throws {
        let text = Fixtures.replacing("driver: dynamixel", with: "driver: vesc", in: Fixtures.arm)
        let problem = try #require(Fixtures.diagnostics(description: text).first)
        #expect(problem.problem == "the vesc driver does not drive arms")
        #expect(problem.suggestion == "for an arm use dynamixel or feetech or zmq")
    }

    @Test func unknownServoModelSuggestsAKnownOne() throws {
        let text = Fixtures.replacing("model: xl430-w250", with: "model: xl430-w25", in: Fixtures.arm)
        let problem = try #require(Fixtures.diagnostics(description: text).first)
        #expect(problem.description == "robot.yaml:9:12: joints[0].model: unknown servo model `xl430-w25`; did you mean `xl430-w250`?")
    }

    @Test func serialLinkNeedsABaudRate() throws {
        let text = Fixtures.replacing("link: sim", with: "link: serial:/dev/ttyUSB0", in: Fixtures.arm)
        let problem = try #require(Fixtures.diagnostics(description: text).first)
        #expect(problem.description == "robot.yaml:4:7: link: a serial link needs a baud rate; add `baud: 1000000` (or the rate your device uses)")
    }

    @Test func safeStopMustBeTheKindsOwn() throws {
        let text = Fixtures.replacing("safe_stop: hold_then_torque_off", with: "safe_stop: hover_then_land", in: Fixtures.arm)
        let problem = try #require(Fixtures.diagnostics(description: text).first)
        #expect(problem.suggestion == "write `safe_stop: hold_then_torque_off`")
    }

    @Test func sectionOfAnotherKindIsRejected() throws {
        let problems = Fixtures.diagnostics(description: Fixtures.arm + "car: {wheelbase: 0.3}\n")
        let problem = try #require(problems.first)
        #expect(problem.description.hasPrefix("robot.yaml:27:1: car: `car` describes cars but this robot's kind is arm"))
    }

    @Test func observationFeatureOfAnotherKindIsRejected() throws {
        let text = Fixtures.replacing("observation: [joint_position, joint_velocity]", with: "observation: [joint_position, pose]", in: Fixtures.arm)
        let problem = try #require(Fixtures.diagnostics(description: text).first)
        #expect(problem.keyPath == "observation[1]")
        #expect(problem.problem == "`pose` is not observed on arms")
    }

    @Test func invalidYAMLNamesTheLine() throws {
        let text = Fixtures.replacing("  - name: elbow", with: "  - name: [elbow", in: Fixtures.arm)
        let problem = try #require(Fixtures.diagnostics(description: text).first)
        #expect(problem.file == "robot.yaml")
        #expect(problem.mark != nil)
        #expect(problem.problem.hasPrefix("not valid YAML: "))
    }

    @Test func everyProblemIsReportedInOnePass() {
        var text = Fixtures.replacing("control_rate_hz: 100", with: "control_rate_hz: 0", in: Fixtures.arm)
        text = Fixtures.replacing("velocity: 3.0", with: "velocity: -1", in: text)
        text = Fixtures.replacing("action_tolerance: 0.1", with: "action_tolerance: lots", in: text)
        let problems = Fixtures.diagnostics(description: text)
        #expect(problems.map(\.keyPath) == ["control_rate_hz", "joints[0].velocity", "monitor.action_tolerance"])
    }

    @Test func carSpeedRangeMustIncludeZero() throws {
        let text = Fixtures.replacing("speed: [-1, 3]", with: "speed: [0.5, 3]", in: Fixtures.car)
        let problem = try #require(Fixtures.diagnostics(description: text, calibration: Fixtures.carCalibration).first)
        #expect(problem.problem == "the speed range must include 0 so the car can stop")
        #expect(problem.suggestion == "write [0, 3]")
    }
}

@Suite struct CalibrationErrorTests {
    @Test func missingCalibrationFileIsReportedAtTheReferenceInTheDescription() throws {
        let text = Fixtures.replacing("calibration: cal.yaml", with: "calibration: missing.yaml", in: Fixtures.arm)
        let problem = try #require(Fixtures.diagnostics(description: text).first)
        #expect(problem.file == "robot.yaml")
        #expect(problem.mark == SourceMark(line: 6, column: 14))
        #expect(problem.keyPath == "calibration")
        #expect(problem.problem.hasSuffix("missing.yaml: No such file or directory"))
        #expect(problem.suggestion?.contains("reins calibrate") == true)
    }

    @Test func unreadableCalibrationFileIsReported() throws {
        // A folder where the file should be: unreadable even for root.
        let folder = TemporaryDirectory()
        let path = folder.write("robot.yaml", Fixtures.arm)
        folder.write("cal.yaml/placeholder", "")
        do {
            _ = try RobotDescription.load(path: path)
            Issue.record("expected an error")
        } catch {
            let problem = try #require(error.diagnostics.first)
            #expect(problem.problem.hasSuffix("cal.yaml: Is a directory"))
            #expect(problem.mark?.line == 6)
        }
    }

    @Test func duplicateServoIdsNameBothJoints() throws {
        let calibration = Fixtures.replacing("elbow: {id: 2", with: "elbow: {id: 1", in: Fixtures.armCalibration)
        let problem = try #require(Fixtures.diagnostics(description: Fixtures.arm, calibration: calibration).first)
        #expect(problem.file == "cal.yaml")
        #expect(problem.description.hasPrefix("cal.yaml:4:15: joints.elbow.id: servo id 1 is also used by joint `shoulder` (line 3)"))
    }

    @Test func aFeetechRangeBeyondTheServosTicksIsRefused() {
        let description = Fixtures.arm.replacingOccurrences(of: "driver: dynamixel", with: "driver: feetech")
            .replacingOccurrences(of: "xl430-w250", with: "sts3215")
        let calibration = Fixtures.replacing("range: [0, 4095]}\n  elbow", with: "range: [0, 5000]}\n  elbow", in: Fixtures.armCalibration)
        let problems = Fixtures.diagnostics(description: description, calibration: calibration)
        #expect(problems.map(\.description) == [
            "cal.yaml:3:60: joints.shoulder.range: [0, 5000] leaves the sts3215's position ticks 0...4095; re-run `reins calibrate`, or keep the range within [0, 4095]",
        ])
        #expect(Fixtures.diagnostics(description: description).isEmpty)
    }

    @Test func aDynamixelRangeBeyondTheServosTicksIsRefused() {
        // Both ends are checked, and each joint names its own servo model.
        let description = Fixtures.replacing("    model: xl430-w250\n    position: [-1.5, 1.5]\n    velocity: 3.0\n    acceleration: 20.0\n  - name: elbow",
                                             with: "    model: xl330-m288\n    position: [-1.5, 1.5]\n    velocity: 3.0\n    acceleration: 20.0\n  - name: elbow",
                                             in: Fixtures.arm)
        let calibration = Fixtures.armCalibration
            .replacingOccurrences(of: "range: [0, 4095]}\n  elbow", with: "range: [0, 9999]}\n  elbow")
            .replacingOccurrences(of: "id: 2, homing_offset: 0, direction: 1, range: [0, 4095]", with: "id: 2, homing_offset: 0, direction: 1, range: [-20, 4095]")
        let problems = Fixtures.diagnostics(description: description, calibration: calibration)
        #expect(problems.map(\.description) == [
            "cal.yaml:3:60: joints.shoulder.range: [0, 9999] leaves the xl330-m288's position ticks 0...4095; re-run `reins calibrate`, or keep the range within [0, 4095]",
            "cal.yaml:4:57: joints.elbow.range: [-20, 4095] leaves the xl430-w250's position ticks 0...4095; re-run `reins calibrate`, or keep the range within [0, 4095]",
        ])
    }

    @Test func calibrationForAMissingJointAndAnExtraJoint() {
        let calibration = Fixtures.replacing("elbow: {id: 2", with: "elbw: {id: 2", in: Fixtures.armCalibration)
        let problems = Fixtures.diagnostics(description: Fixtures.arm, calibration: calibration)
        #expect(problems.map(\.description) == [
            "cal.yaml:4:3: joints.elbw: the robot description has no joint named `elbw`; did you mean `elbow`?",
            "cal.yaml:3:3: joints: no calibration for joint `elbow`; add `elbow: {id: N, homing_offset: 0, direction: 1, range: [0, 4095]}` or run `reins calibrate`",
        ])
    }

    @Test func directionMustBeOneOrMinusOne() throws {
        let calibration = Fixtures.replacing("direction: 1, range: [0, 4095]}\n  elbow", with: "direction: 2, range: [0, 4095]}\n  elbow", in: Fixtures.armCalibration)
        let problem = try #require(Fixtures.diagnostics(description: Fixtures.arm, calibration: calibration).first)
        #expect(problem.problem == "direction must be 1 or -1, found 2")
    }

    @Test func calibratedRangeMustCoverTheJointLimits() throws {
        // 1100...3000 ticks around the 2048 centre reach -1.4542...1.4603 rad, short of the ±1.5 rad limits.
        let calibration = Fixtures.replacing("range: [0, 4095]}\n  elbow", with: "range: [1100, 3000]}\n  elbow", in: Fixtures.armCalibration)
        let problem = try #require(Fixtures.diagnostics(description: Fixtures.arm, calibration: calibration).first)
        #expect(problem.description == "cal.yaml:3:3: joints.shoulder.range: the calibrated range reaches [-1.4542, 1.4603] rad but the description allows [-1.5, 1.5] rad; narrow the joint's `position` limits in the description, or re-run `reins calibrate` moving the joint through its full range")
    }

    @Test func calibrationOfAnotherKindIsRejected() throws {
        let problem = try #require(Fixtures.diagnostics(description: Fixtures.arm, calibration: Fixtures.carCalibration).first)
        #expect(problem.description == "cal.yaml:1:7: kind: this calibration is for a car but the robot is an arm; point the description's `calibration` at an arm calibration file")
    }

    @Test func carSteeringMustFitTheServoRange() throws {
        let text = Fixtures.replacing("steering: 0.26", with: "steering: 0.34", in: Fixtures.car)
        let problem = try #require(Fixtures.diagnostics(description: text, calibration: Fixtures.carCalibration).first)
        #expect(problem.file == "robot.yaml")
        #expect(problem.keyPath == "car.steering")
        #expect(problem.suggestion == "lower `steering` to at most 0.263 rad")
    }

    @Test func standaloneCalibrationCheckReadsTheKindFromTheFile() throws {
        let folder = TemporaryDirectory()
        let path = folder.write("cal.yaml", Fixtures.carCalibration.replacingOccurrences(of: "servo_range: [0.15, 0.85]", with: "servo_range: [0.85, 0.15]"))
        #expect(throws: ConfigErrors.self) { try Calibration.load(path: path) }
        let good = folder.write("good.yaml", Fixtures.carCalibration)
        #expect(try Calibration.load(path: good).kind == .car)
    }
}

@Suite struct RobustnessTests {
    @Test(arguments: [
        "", "\0\0\0", "- a\n- b\n", "a: [\n", "&a [*a]", String(repeating: "[", count: 500),
        "kind: arm\n---\nkind: car\n", "joints: !!binary aGVsbG8=", "name: {a: b}\nkind: [arm]\n", "\u{FEFF}name: x",
    ])
    func hostileInputIsAnErrorNotACrash(_ text: String) {
        let problems = Fixtures.diagnostics(description: text)
        #expect(!problems.isEmpty)
        #expect(problems.allSatisfy { $0.file == "robot.yaml" })
    }

    @Test func randomBytesNeverCrashTheParser() {
        var generator = SplitMix(seed: 7)
        for _ in 0..<300 {
            let count = Int(generator.next() % 200)
            let bytes = (0..<count).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            let text = String(decoding: bytes, as: UTF8.self)
            _ = try? YAMLDocument(parsing: text)
            _ = try? RobotDescription.parse(text, path: "random.yaml")
        }
        // Mutations of a valid file: every one either loads or yields diagnostics with a file name.
        let base = Array(Fixtures.arm.utf8)
        for _ in 0..<300 {
            var bytes = base
            for _ in 0..<3 {
                let index = Int(generator.next() % UInt64(bytes.count))
                bytes[index] = UInt8(truncatingIfNeeded: generator.next())
            }
            let problems = Fixtures.diagnostics(description: String(decoding: bytes, as: UTF8.self))
            #expect(problems.allSatisfy { !$0.file.isEmpty && !$0.problem.isEmpty })
        }
    }
}

struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite struct WorkspaceDescriptionTests {
    static func workspace(_ chain: String, box: String = "{x: [-1, 1], y: [-1, 1], z: [0, 1]}") -> String {
        Fixtures.arm + "workspace:\n  box: \(box)\n  chain:\n" + chain + "  tool: [0.2, 0, 0]\n"
    }

    @Test func aChainLoadsWithNormalisedAxesAndJointIndices() throws {
        let folder = TemporaryDirectory()
        folder.write("cal.yaml", Fixtures.armCalibration)
        let text = Self.workspace("    - {joint: shoulder, xyz: [0, 0, 0.1], axis: [0, 0, 2]}\n    - {joint: elbow, xyz: [0.3, 0, 0], rpy: [0, 0, 1.5708], axis: [0, 1, 0]}\n")
        let robot = try RobotDescription.load(path: folder.write("robot.yaml", text))
        let workspace = try #require(robot.workspace)
        #expect(workspace.chain.map(\.joint) == [0, 1])
        #expect(workspace.chain[0].axis == SIMD3(0, 0, 1))
        #expect(workspace.chain[1].rpy == SIMD3(0, 0, 1.5708))
        #expect(workspace.tool == SIMD3(0.2, 0, 0))
        #expect(workspace.z == 0...1)
    }

    @Test func anUnknownJointInTheChainSuggestsTheNearestName() throws {
        let problems = Fixtures.diagnostics(description: Self.workspace("    - {joint: shoulder, xyz: [0, 0, 0.1], axis: [0, 0, 1]}\n    - {joint: elbo, xyz: [0.3, 0, 0], axis: [0, 1, 0]}\n"))
        let problem = try #require(problems.first)
        #expect(problem.mark?.line == 31)
        #expect(problem.keyPath == "workspace.chain[1].joint")
        #expect(problem.problem == "no joint named `elbo` under `joints`")
        #expect(problem.suggestion == "did you mean `elbow`?")
    }

    @Test func aJointTwiceInTheChainAndAZeroAxisAreReported() throws {
        let problems = Fixtures.diagnostics(description: Self.workspace("    - {joint: shoulder, xyz: [0, 0, 0.1], axis: [0, 0, 1]}\n    - {joint: shoulder, xyz: [0.3, 0, 0], axis: [0, 0, 0]}\n"))
        #expect(problems.contains { $0.mark?.line == 31 && $0.problem == "joint `shoulder` is already in the chain (line 30)" })
        #expect(problems.contains { $0.keyPath == "workspace.chain[1].axis" && $0.problem == "the axis [0, 0, 0] has no direction" })
    }

    @Test func anInvertedBoxAndAMissingToolAreReported() throws {
        let text = Self.workspace("    - {joint: shoulder, xyz: [0, 0, 0.1], axis: [0, 0, 1]}\n", box: "{x: [1, -1], y: [-1, 1], z: [0, 1]}")
            .replacingOccurrences(of: "  tool: [0.2, 0, 0]\n", with: "")
        let problems = Fixtures.diagnostics(description: text)
        #expect(problems.contains { $0.keyPath == "workspace.box.x" && $0.problem == "min 1 is greater than max -1" && $0.suggestion == "swap them: [-1, 1]" })
        #expect(problems.contains { $0.keyPath == "workspace.tool" && $0.problem == "required key is missing" })
    }

    @Test func aWorkspaceOnACarIsRefused() throws {
        let text = Fixtures.car + "workspace: {box: {x: [0, 1], y: [0, 1], z: [0, 1]}, chain: [], tool: [0, 0, 0]}\n"
        let problems = Fixtures.diagnostics(description: text, calibration: Fixtures.carCalibration)
        let problem = try #require(problems.first)
        #expect(problem.keyPath == "workspace" && problem.problem == "a workspace box applies to arms only")
    }
}

@Suite struct TrackingErrorSettingsTests {
    static func load(_ description: String) throws -> RobotDescription {
        let folder = TemporaryDirectory()
        folder.write("cal.yaml", Fixtures.armCalibration)
        return try RobotDescription.load(path: folder.write("robot.yaml", description))
    }

    @Test func anArmWithoutTheKeysGetsTheDefaults() throws {
        let robot = try Self.load(Fixtures.arm)
        #expect(robot.safety.trackingErrorRadians == 0.1)
        #expect(robot.safety.trackingErrorSeconds == 0.5)
    }

    @Test func theKeysSetTheToleranceAndTheTime() throws {
        let text = Fixtures.replacing("  safe_stop: hold_then_torque_off\n",
                                      with: "  safe_stop: hold_then_torque_off\n  tracking_error_rad: 0.25\n  tracking_error_ms: 800\n", in: Fixtures.arm)
        let robot = try Self.load(text)
        #expect(robot.safety.trackingErrorRadians == 0.25)
        #expect(abs(robot.safety.trackingErrorSeconds - 0.8) < 1e-12)
        #expect(robot.sourceMarks["safety.tracking_error_rad"]?.line == 24)
    }

    @Test func badValuesNameTheLineAndTheAllowedRange() {
        let text = Fixtures.replacing("  safe_stop: hold_then_torque_off\n",
                                      with: "  safe_stop: hold_then_torque_off\n  tracking_error_rad: 0\n  tracking_error_ms: fast\n", in: Fixtures.arm)
        #expect(Fixtures.diagnostics(description: text).map(\.description) == [
            "robot.yaml:24:23: safety.tracking_error_rad: 0 is out of range; use a value from 0.005 to 3.2 rad",
            "robot.yaml:25:22: safety.tracking_error_ms: expected a number in ms, found `fast`; write an unquoted number such as 0.5",
        ])
    }

    @Test func anArmBehindZeroMQRefusesTheKeysItsDriverDoesNotCheck() {
        let text = Fixtures.replacing("driver: dynamixel", with: "driver: zmq", in: Fixtures.arm)
            .replacingOccurrences(of: "link: sim", with: "link: zmq:tcp://127.0.0.1:5555")
            .replacingOccurrences(of: "    model: xl430-w250\n", with: "")
            .replacingOccurrences(of: "  safe_stop: hold_then_torque_off\n", with: "  safe_stop: hold_then_torque_off\n  tracking_error_rad: 0.2\n")
        #expect(Fixtures.diagnostics(description: text).map(\.description) == [
            "robot.yaml:22:3: safety.tracking_error_rad: the zmq driver does not check tracking error: the robot's own driver process watches its joints; remove `tracking_error_rad`; it applies to dynamixel and feetech arms",
        ])
    }

    @Test func aCarRefusesTheArmOnlyKeys() {
        let text = Fixtures.replacing("safe_stop: brake_and_centre}", with: "safe_stop: brake_and_centre, tracking_error_ms: 300}", in: Fixtures.car)
        #expect(Fixtures.diagnostics(description: text, calibration: Fixtures.carCalibration).map(\.description) == [
            "robot.yaml:10:91: safety.tracking_error_ms: tracking error applies to arms only, not cars; remove `tracking_error_ms`",
        ])
    }
}
