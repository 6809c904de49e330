import Foundation
import ReinsConfig
import ReinsCore
import ReinsRuntime
import ReinsSimulators
import ReinsTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The leader arm operator on the simulated leaders, whose simulated hand moves every joint along
/// slow sinusoids while torque is off.
@Suite(.serialized) struct LeaderArmOperatorTests {
    /// A copy of a shipped simulated leader whose joints are listed in another order than the
    /// follower's (gripper first) and whose calibration mounts every other servo the other way and
    /// off centre, so a device that skipped the calibration or paired joints by position would not pass.
    static func scrambledLeader(_ name: String, in folder: TemporaryDirectory) throws -> RobotDescription {
        var lines = try String(contentsOfFile: packageRoot + "/Robots/\(name).yaml", encoding: .utf8).components(separatedBy: "\n")
        let pan = try #require(lines.firstIndex { $0.contains("{name: shoulder_pan,") })
        let gripper = try #require(lines.firstIndex { $0.contains("{name: gripper,") })
        lines.swapAt(pan, gripper)
        let names = ["shoulder_pan", "shoulder_lift", "elbow_flex", "wrist_flex", "wrist_roll", "gripper"]
        let calibration = "kind: arm\njoints:\n" + names.enumerated().map { index, joint in
            "  \(joint): {id: \(index + 1), homing_offset: \(40 * index - 100), direction: \(index % 2 == 0 ? -1 : 1), range: [0, 4095]}"
        }.joined(separator: "\n") + "\n"
        folder.write("leader-calibration.yaml", calibration)
        let text = lines.joined(separator: "\n").replacingOccurrences(of: "../Calibration/sim-leader.yaml", with: "leader-calibration.yaml")
        return try RobotDescription.load(path: folder.write("\(name).yaml", text))
    }

    /// A tick's view at `now`; `period` bounds the leader's read (a fifth of it).
    static func view(now: UInt64, period: UInt64 = 10_000_000) -> OperatorView {
        OperatorView(tick: 0, now: now, period: period, elapsed: 0, state: UnsafeBufferPointer(start: nil, count: 0),
                     lastApplied: UnsafeBufferPointer(start: nil, count: 0), phase: .demonstration, takeoverRequested: false)
    }

    /// Starts `device` with the follower standing at `pose`.
    static func start(_ device: LeaderArmOperator, follower: RobotDescription, pose: [Double]) throws(DeviceError) {
        let buffer = UnsafeMutableBufferPointer<Double>.allocate(capacity: pose.count)
        defer { buffer.deallocate() }
        for (i, value) in pose.enumerated() { buffer[i] = value }
        try device.start(robot: follower, follower: UnsafeBufferPointer(buffer))
    }

    /// The simulator's servo reports a joint angle as encoder ticks around the 2048 centre.
    static func simulatedTicks(_ angle: Double) -> Int {
        Int((angle * 4096 / (2 * Double.pi)).rounded()) + 2048
    }

    @Test(arguments: [("sim-leader", "sim-arm"), ("sim-so101-leader", "sim-so101-arm")])
    func theDevicePublishesTheLeadersMovingJointsInTheFollowersOrderThroughTheLeadersCalibrationClamped(_ names: (String, String)) throws {
        let folder = TemporaryDirectory()
        var leader = try Self.scrambledLeader(names.0, in: folder)
        // A loaded machine may keep the leader's simulator from answering for longer than 50 ms;
        // the device would then stop reading it for good (checked on its own below).
        leader.safety.watchdogTimeout = 1
        guard case .arm(let leaderJoints) = leader.body, case .arm(let leaderCalibration) = leader.calibration else { return }
        var follower = try RobotDescription.load(path: packageRoot + "/Robots/\(names.1).yaml")
        guard case .arm(var followerJoints) = follower.body else { return }
        // A follower whose gripper opens less than the leader's: the device clamps to it.
        let gripper = try #require(followerJoints.firstIndex { $0.name == "gripper" })
        followerJoints[gripper].position = -0.1...0.3
        follower.body = .arm(joints: followerJoints)
        let pose = [Double](repeating: 0, count: followerJoints.count)

        let device = LeaderArmOperator(leader: leader, simulators: BuiltInSimulators())
        try Self.start(device, follower: follower, pose: pose)
        defer { device.stop() }
        let simulator = try #require(device.launchedSimulator as? RunningSimulator)
        let arm = try #require(simulator.arm)
        // Leader joint `i` leads the follower's joint of the same name.
        let followerIndex = leaderJoints.map { joint in followerJoints.firstIndex { $0.name == joint.name }! }
        let calibrations = leaderJoints.map { joint in leaderCalibration.joints.first { $0.name == joint.name }!.calibration }

        var lowest = [Double](repeating: .infinity, count: pose.count), highest = [Double](repeating: -.infinity, count: pose.count)
        var compared = 0
        var command = OperatorCommand()
        let end = MonotonicClock.deadline(in: 3.0)
        while MonotonicClock.nowNanoseconds() < end {
            let before = arm.joints.map(\.position)
            let now = MonotonicClock.nowNanoseconds()
            let published = device.poll(Self.view(now: now), into: &command)
            let after = arm.joints.map(\.position)
            usleep(10_000)
            guard published else { continue }
            #expect(command.mode == .absolute && Int(command.count) == pose.count)
            #expect(arm.joints.allSatisfy { !$0.torqueEnabled }, "a leader servo's torque is on")
            for i in leaderJoints.indices {
                let f = followerIndex[i]
                lowest[f] = min(lowest[f], command[f])
                highest[f] = max(highest[f], command[f])
                #expect(followerJoints[f].position.contains(command[f]), "\(leaderJoints[i].name): \(command[f]) outside the follower's limits")
            }
            // Compared when this poll's own read answered (a noisy machine may make it miss; then
            // the command is an older reading carried forward): the leader stood between `before`
            // and `after` when it was read.
            guard command.timestamp >= now else { continue }
            compared += 1
            for i in leaderJoints.indices {
                let f = followerIndex[i]
                let range = followerJoints[f].position
                // Where the hand held the joint, read through the leader's calibration, within the follower's limits.
                let a = calibrations[i].angle(ticks: Self.simulatedTicks(before[i])), b = calibrations[i].angle(ticks: Self.simulatedTicks(after[i]))
                let low = min(max(min(a, b), range.lowerBound), range.upperBound), high = min(max(max(a, b), range.lowerBound), range.upperBound)
                #expect(command[f] >= low - 0.04 && command[f] <= high + 0.04,
                        "\(leaderJoints[i].name): published \(command[f]) rad, the leader was at \(a)...\(b)")
            }
        }
        #expect(device.failure == nil, "\(device.failure ?? "")")
        #expect(compared > 50, "\(compared) recent commands compared")
        for (f, joint) in followerJoints.enumerated() {
            #expect(highest[f] - lowest[f] > 0.3, "\(joint.name) moved \(lowest[f])...\(highest[f])")
        }
        // The hand opened the gripper past the follower's limit; the device held it there.
        #expect(abs(highest[gripper] - 0.3) < 1e-9, "gripper reached \(highest[gripper])")
        device.stop()
        #expect(device.launchedSimulator == nil)
    }

    @Test func aLeaderFarFromTheFollowerRefusesToStartNamingTheWorstJointAndBothAngles() throws {
        let leader = try RobotDescription.load(path: packageRoot + "/Robots/sim-leader.yaml")
        let follower = try RobotDescription.load(path: packageRoot + "/Robots/sim-arm.yaml")
        // The follower's elbow stands 0.9 rad from the leader's rest pose, its wrist 0.6 rad.
        let pose = [0, 0, 0.9, -0.6, 0, 0.0]
        let device = LeaderArmOperator(leader: leader, simulators: BuiltInSimulators())
        defer { device.stop() }
        do {
            try Self.start(device, follower: follower, pose: pose)
            Issue.record("the leader started 0.9 rad from the follower")
        } catch {
            #expect(error.problem.contains("its elbow_flex is at 0"), "\(error)")
            #expect(error.problem.contains("the follower's at 0.9 rad"), "\(error)")
            #expect(error.problem.contains("more than the 0.5 rad allowed"), "\(error)")
            #expect(error.suggestion?.contains("max_start_difference_rad") == true)
        }
        // Nothing is left running: the leader's simulator stopped with the refusal.
        #expect(device.launchedSimulator == nil)
        var command = OperatorCommand()
        #expect(!device.poll(Self.view(now: MonotonicClock.nowNanoseconds()), into: &command))
    }

    @Test func jointsArePairedByNameAndMismatchedNamesOrCountsAreRefused() throws {
        let leader = try RobotDescription.load(path: packageRoot + "/Robots/sim-leader.yaml")
        let follower = try RobotDescription.load(path: packageRoot + "/Robots/sim-arm.yaml")
        #expect(try LeaderArmOperator.followerJoints(leader: leader, follower: follower) == [0, 1, 2, 3, 4, 5])

        guard case .arm(let original) = leader.body else { return }
        var joints = original
        var renamed = leader
        joints[2].name = "elbow"
        renamed.body = .arm(joints: joints)
        #expect {
            try LeaderArmOperator.followerJoints(leader: renamed, follower: follower)
        } throws: { error in
            let problem = (error as? DeviceError)?.problem ?? ""
            return problem.contains("sim-arm has no joint `elbow`") && problem.contains("the leader has no joint `elbow_flex`")
        }
        var shorter = leader
        shorter.body = .arm(joints: Array(original.prefix(5)))
        #expect {
            try LeaderArmOperator.followerJoints(leader: shorter, follower: follower)
        } throws: { error in
            (error as? DeviceError)?.problem.contains("the leader has no joint `gripper`") == true
        }
        var car = try RobotDescription.load(path: packageRoot + "/Robots/sim-car.yaml")
        car.link = .sim
        #expect(throws: DeviceError.self) { try LeaderArmOperator.followerJoints(leader: leader, follower: car) }
    }

    @Test func aHandMoveOnTheLeaderBeforeAPollLeavesInThatPollsCommand() throws {
        let leader = try RobotDescription.load(path: packageRoot + "/Robots/sim-leader.yaml")
        let follower = try RobotDescription.load(path: packageRoot + "/Robots/sim-arm.yaml")
        let device = LeaderArmOperator(leader: leader, simulators: BuiltInSimulators())
        try Self.start(device, follower: follower, pose: [Double](repeating: 0, count: 6))
        defer { device.stop() }
        let simulator = try #require(device.launchedSimulator as? RunningSimulator)
        let bus = try #require(simulator.host.frontEnd as? ServoBusSimulator)
        let arm = try #require(simulator.arm)
        // A generous read budget: a reply a loaded machine delays would be a missed read, which is
        // not what this checks.
        let period: UInt64 = 100_000_000
        var command = OperatorCommand()
        // The hand holds the arm still; the estimate settles.
        bus.holdHand(joint: 0, displacement: 0)
        var previous = Double.nan
        let settling = MonotonicClock.deadline(in: 3)
        while MonotonicClock.nowNanoseconds() < settling {
            MonotonicClock.sleep(untilNanoseconds: MonotonicClock.deadline(in: 0.01))
            try #require(device.poll(Self.view(now: MonotonicClock.nowNanoseconds(), period: period), into: &command))
            if abs(command[0] - previous) < 1e-5 { break }
            previous = command[0]
        }
        let held = arm.joints[0].position, before = command[0]
        // The hand moves the joint; once the simulated leader stands there, the next poll reads it.
        let step = 0.02
        bus.holdHand(joint: 0, displacement: step)
        let moving = MonotonicClock.deadline(in: 1)
        while abs(arm.joints[0].position - held - step) > 1e-9 && MonotonicClock.nowNanoseconds() < moving {
            MonotonicClock.sleep(untilNanoseconds: MonotonicClock.deadline(in: 0.0005))
        }
        try #require(abs(arm.joints[0].position - held - step) < 1e-9, "the simulated hand did not move the joint")
        #expect(device.poll(Self.view(now: MonotonicClock.nowNanoseconds(), period: period), into: &command))
        // The smoothing takes its position gain's share of the step in the reading that sees it.
        let moved = command[0] - before
        #expect(moved > 0.5 * AlphaBetaTracker.referencePositionGain * step && moved <= step + 0.002, "moved \(moved) rad of a \(step) rad step")
    }

    @Test func aLeaderThatStopsAnsweringFallsSilentForGoodAndNeverComesBack() throws {
        let leader = try RobotDescription.load(path: packageRoot + "/Robots/sim-leader.yaml")
        let follower = try RobotDescription.load(path: packageRoot + "/Robots/sim-arm.yaml")
        let device = LeaderArmOperator(leader: leader, simulators: BuiltInSimulators())
        try Self.start(device, follower: follower, pose: [Double](repeating: 0, count: 6))
        defer { device.stop() }
        let simulator = try #require(device.launchedSimulator as? RunningSimulator)
        var command = OperatorCommand()
        for _ in 0..<10 {
            #expect(device.poll(Self.view(now: MonotonicClock.nowNanoseconds()), into: &command))
            MonotonicClock.sleep(untilNanoseconds: MonotonicClock.deadline(in: 0.01))
        }
        #expect(device.failure == nil)
        // The leader's bus goes quiet: it still obeys but never answers.
        let lastReading = command.timestamp
        simulator.host.mute(true)
        var missed = 0
        let end = MonotonicClock.deadline(in: 3)
        while MonotonicClock.nowNanoseconds() < end {
            guard device.poll(Self.view(now: MonotonicClock.nowNanoseconds()), into: &command) else { break }
            // A missed read hands back the estimate carried forward, dated by the last reading so
            // the silence counts.
            #expect(command.timestamp == lastReading)
            missed += 1
            MonotonicClock.sleep(untilNanoseconds: MonotonicClock.deadline(in: 0.01))
        }
        #expect(missed > 0, "the first missed read already ended reading")
        let failure = try #require(device.failure, "still reading after 3 s of silence")
        #expect(failure.contains("leader arm sim-leader on sim: no fresh reading for") && failure.contains("stopped reading it"), "\(failure)")
        // The loop sees the operator silent (its fallback)...
        let input = OperatorInput(device: device, robot: follower, rateHz: follower.controlRateHz)
        _ = input.poll(Self.view(now: MonotonicClock.nowNanoseconds()))
        #expect(!input.fresh)
        // ...and the follower never jumps to a leader that answers again.
        simulator.host.mute(false)
        for _ in 0..<20 {
            #expect(!device.poll(Self.view(now: MonotonicClock.nowNanoseconds()), into: &command))
            MonotonicClock.sleep(untilNanoseconds: MonotonicClock.deadline(in: 0.01))
        }
    }

    /// `poll` reads the leader's bus itself, on the loop thread.
    @Test func pollingTheLeaderMakesNoHeapAllocation() throws {
        let leader = try RobotDescription.load(path: packageRoot + "/Robots/sim-leader.yaml")
        let follower = try RobotDescription.load(path: packageRoot + "/Robots/sim-arm.yaml")
        let pose = [Double](repeating: 0, count: 6)
        let device = LeaderArmOperator(leader: leader, simulators: BuiltInSimulators())
        try Self.start(device, follower: follower, pose: pose)
        defer { device.stop() }
        var published = 0
        var command = OperatorCommand()
        let allocations = LoopThreadAllocations.measure {
            LoopThreadAllocations.watchedThread.store(UInt(pthread_self()), ordering: .relaxed)
            for _ in 0..<100 {
                if device.poll(Self.view(now: MonotonicClock.nowNanoseconds()), into: &command) { published += 1 }
                MonotonicClock.sleep(untilNanoseconds: MonotonicClock.deadline(in: 0.01))
            }
        }
        #expect(published > 50)
        #expect(allocations == 0, "size \(LoopThreadAllocations.lastSize.load(ordering: .relaxed))")
    }
}
