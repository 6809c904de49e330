import ReinsConfig
import ReinsCore
import ReinsPolicy
import ReinsRecording
import ReinsRuntime
import ReinsTasks
import ReinsTestSupport
import Testing

/// An operator device whose commands the test writes per tick: values, buttons, and whether the
/// device is heard from at all that tick (a silent device keeps its last timestamp).
final class ScheduledOperator: OperatorDevice, @unchecked Sendable {
    let deviceName = "scheduled test device"
    let operatorNames = ["tester"]
    let schedule: (UInt64) -> (values: [Double], buttons: OperatorButtons, speaks: Bool)
    private var command = OperatorCommand()
    private(set) var started = false

    init(_ schedule: @escaping (UInt64) -> (values: [Double], buttons: OperatorButtons, speaks: Bool)) {
        self.schedule = schedule
    }

    func start(robot: RobotDescription, follower: UnsafeBufferPointer<Double>) throws(DeviceError) { started = true }
    func stop() {}

    func poll(_ view: OperatorView, into result: inout OperatorCommand) -> Bool {
        let (values, buttons, speaks) = schedule(view.tick)
        if speaks {
            command.count = UInt8(values.count)
            for i in 0..<values.count { command[i] = values[i] }
            command.timestamp = view.now
            command.buttons = buttons
        } else {
            command.buttons = []
        }
        result = command
        return true
    }
}

/// Deploy with an operator on an in-memory arm: who drives each tick, the RaC segments, the
/// shadow policy, the events, the fallback of a silent device.
@Suite(.serialized) struct InterventionTests {
    static func armPipeline(_ device: ScheduledOperator, resume: Bool, ticks: UInt64, configure: (inout RobotDescription) -> Void = { _ in })
        throws -> (pipeline: ControlPipeline, recording: Recording, network: PolicyNetwork)
    {
        var robot = try ControlPipelineTests.simArm()
        robot.safety.watchdogTimeout = 1
        configure(&robot)
        let driver = ControlPipelineTests.armAtRest(robot)
        let session = try RobotSession(robot, driver: driver)
        let network = try PolicyNetwork.load(path: packageRoot + "/Robots/policies/sim-arm.safetensors")
        let policy = PolicySource(network: network, robot: robot)
        let arbiter = InterventionArbiter(policy: policy, device: device, robot: robot, rateHz: robot.controlRateHz, resumeAfterCorrection: resume)
        let task = FixedTask(jointCount: robot.actionNames.count, targetOffset: 0.3, verdict: .running, headline: 0)
        let folder = TemporaryDirectory()
        let path = folder.file("intervention.mcap")
        let recorder = try Recorder(path: path, robot: robot, operators: device.operatorNames)
        let pipeline = ControlPipeline(session: session, source: arbiter, task: task, recorder: recorder, seed: 1)
        pipeline.tickLimit = ticks
        pipeline.warmUp()
        _ = ControlPipelineTests.run(pipeline, rateHz: robot.controlRateHz)
        _ = try recorder.close()
        return (pipeline, try RecordingReader.read(path: path), network)
    }

    /// The operator's pose: 0.01 rad from the arm's rest pose (joint j at 0.1·j), so engaging is short.
    static let operatorPose = (0..<6).map { 0.1 * Double($0) + 0.01 }

    @Test func takeoverRecoveredAndHandbackSwitchWithinTheTickAndLabelEveryTick() throws {
        let device = ScheduledOperator { tick in
            let buttons: OperatorButtons = tick == 10 ? .takeover : tick == 40 ? .recovered : tick == 70 ? .handback : []
            return (Self.operatorPose, buttons, true)
        }
        let (pipeline, recording, network) = try Self.armPipeline(device, resume: true, ticks: 100)
        #expect(pipeline.fault == nil)
        let ticks = recording.episodes.flatMap(\.ticks)
        #expect(ticks.count == 100)
        for tick in ticks {
            let (source, segment): (ControlSource, Segment)
            switch tick.tick {
            case 0..<10, 70...: (source, segment) = (.policy, .autonomous)
            case 10..<40: (source, segment) = (.human, .recovery)
            default: (source, segment) = (.human, .correction)
            }
            #expect(tick.source == source && tick.segment == segment, "tick \(tick.tick): \(tick.source) \(tick.segment)")
            #expect(tick.operatorName == (source == .human ? "tester" : nil))
        }
        // Every human tick keeps the policy's own proposal (the shadow) beside the person's action.
        for tick in ticks where tick.source == .human {
            let policy = network.referenceForward(tick.observation).action
            #expect(zip(policy, tick.proposed).allSatisfy { abs($0 - $1) < 1e-3 }, "tick \(tick.tick) proposed \(tick.proposed), policy \(policy)")
        }
        // Once engaged, the person's pose is what the robot is asked for and given.
        let late = try #require(ticks.first { $0.tick == 60 })
        #expect(zip(late.corrected, Self.operatorPose).allSatisfy { abs($0 - $1) < 1e-9 })
        #expect(zip(late.applied, Self.operatorPose).allSatisfy { abs($0 - $1) < 1e-9 }, "applied \(late.applied), clamps \(ClampReason.names(in: late.clamps))")
        #expect(zip(late.proposed, late.corrected).contains { abs($0 - $1) > 1e-3 })
        // The events name who changed control and why, at the ticks it changed.
        let changes = recording.events.filter(\.kind.isIntervention)
        #expect(changes.map(\.kind) == [.takeover, .recovered, .handback])
        #expect(changes.allSatisfy { $0.cause == .operatorDecision })
        let times = Dictionary(uniqueKeysWithValues: ticks.map { ($0.tick, $0.t) })
        #expect(zip(changes.map(\.t), [times[10]!, times[40]!, times[70]!]).allSatisfy { abs($0 - $1) < 1e-6 })
        #expect(pipeline.totals.takeovers[Int(InterventionCause.operatorDecision.rawValue)] == 1)
        #expect(pipeline.totals.segmentTicks[Int(Segment.recovery.rawValue)] == 30)
        #expect(pipeline.totals.segmentTicks[Int(Segment.correction.rawValue)] == 30)
        #expect(pipeline.totals.humanTicks == 60)
    }

    @Test func handingBackWithoutResumeEndsTheEpisodeJudgedAndTheNextOneIsThePolicys() throws {
        let device = ScheduledOperator { tick in
            let buttons: OperatorButtons = tick == 5 ? .takeover : tick == 15 ? .recovered : tick == 25 ? .handback : []
            return (Self.operatorPose, buttons, true)
        }
        let (pipeline, recording, _) = try Self.armPipeline(device, resume: false, ticks: 40)
        #expect(recording.episodes.count == 2)
        let first = recording.episodes[0], second = recording.episodes[1]
        // FixedTask's goal is never reached: judged at hand-back, the episode failed.
        #expect(first.outcome == .failure && first.ticks.count == 26)
        #expect(first.ticks.last?.segment == .correction)
        #expect(second.ticks.allSatisfy { $0.source == .policy && $0.segment == .autonomous })
        #expect(pipeline.totals.handbacks == 1)
    }

    @Test func theOperatorsEpisodeMarksEndTheEpisodeWithTheirOutcome() throws {
        let device = ScheduledOperator { tick in
            let buttons: OperatorButtons = tick == 5 ? .success : tick == 10 ? .discard : tick == 15 ? .failure : []
            return (Self.operatorPose, buttons, true)
        }
        let (pipeline, recording, _) = try Self.armPipeline(device, resume: false, ticks: 20)
        #expect(recording.episodes.prefix(3).map(\.outcome) == [.success, .discarded, .failure])
        // A discarded episode is re-recorded: it does not count toward --episodes.
        #expect(pipeline.totals.episodes == 2)
    }

    @Test func aSilentDeviceFallsBackWithinTheTimeoutAndItsLastCommandIsNeverRepeated() throws {
        let timeout = 0.05
        // The operator takes over at tick 5; at tick 29 the device's last word sends joint 0 half a
        // radian away, then it falls silent. Repeating that command would carry the arm there.
        let far = Self.operatorPose[0] + 0.5
        let device = ScheduledOperator { tick in
            var pose = Self.operatorPose
            if tick >= 29 { pose[0] = far }
            return (pose, tick == 5 ? .takeover : [], tick <= 29)
        }
        let (pipeline, recording, _) = try Self.armPipeline(device, resume: false, ticks: 90) { $0.safety.operatorTimeout = timeout }
        let ticks = recording.episodes.flatMap(\.ticks)
        let lastHeard = try #require(ticks.first { $0.tick == 29 })
        #expect(ticks.allSatisfy { $0.tick < 5 || $0.source == .human })
        // Within the timeout the last command still stands: the arm sets off toward it.
        let moving = ticks.filter { $0.tick > 29 && $0.t - lastHeard.t < timeout - 0.001 }
        #expect(moving.contains { $0.applied[0] > Self.operatorPose[0] + 1e-4 })
        // Past it the robot falls back (hold, through the filter's deceleration) and stops far short.
        let settled = ticks.filter { $0.t - lastHeard.t > timeout + 0.3 }
        #expect(settled.count > 10)
        #expect(zip(settled, settled.dropFirst()).allSatisfy { $0.applied == $1.applied })
        #expect(settled.allSatisfy { $0.applied[0] < far - 0.3 }, "joint 0 at \(settled.last?.applied[0] ?? .nan)")
        let lost = recording.events.filter { $0.kind == .operatorLost }
        #expect(lost.count == 1 && lost.first?.cause == .timeout)
        if let lost = lost.first { #expect(lost.t - lastHeard.t > timeout && lost.t - lastHeard.t < timeout + 0.5) }
        #expect(pipeline.totals.operatorLost == 1)
    }

    @Test func aMonitorRequestHoldsTheRobotUntilTheOperatorTakesOverOrTheWaitRunsOut() throws {
        // A sensitivity limit every proposal exceeds, with the takeover response: the policy asks at once.
        let device = ScheduledOperator { tick in (Self.operatorPose, tick == 20 ? .takeover : [], true) }
        let (_, recording, _) = try Self.armPipeline(device, resume: false, ticks: 40) { robot in
            robot.monitor.sensitivityLimit = 1e-9
            robot.monitor.response = .takeover
        }
        let ticks = recording.episodes.flatMap(\.ticks)
        let requested = ticks.filter(\.takeoverRequested)
        #expect(requested.count == 1 && requested.first?.tick == 0)
        // Held (the fallback) from the request until the takeover, then the person drives.
        for (previous, tick) in zip(ticks, ticks.dropFirst()) where tick.tick < 20 {
            #expect(tick.source == .policy && tick.applied == previous.applied)
        }
        #expect(ticks.first { $0.tick == 20 }?.source == .human)
        let takeover = recording.events.first { $0.kind == .takeover }
        #expect(takeover?.cause == .monitorRequest)

        // Nobody answers: after takeover_wait_ms the episode ends as a failure.
        let absent = ScheduledOperator { _ in (Self.operatorPose, [], true) }
        let (_, unanswered, _) = try Self.armPipeline(absent, resume: false, ticks: 40) { robot in
            robot.monitor.sensitivityLimit = 1e-9
            robot.monitor.response = .takeover
            robot.safety.takeoverWait = 0.1
        }
        let first = try #require(unanswered.episodes.first)
        #expect(first.outcome == .failure && first.ticks.count == 11)
    }
}
