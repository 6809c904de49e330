import ReinsConfig
import ReinsCore
import ReinsDrivers
import ReinsRecording
import ReinsRuntime
import ReinsSafety
import ReinsTasks
import ReinsTestSupport
import Testing

/// An action source whose proposal the test writes, and which remembers what it was shown.
final class ScriptedSource: ActionSource, @unchecked Sendable {
    let action: (ActionInput) -> [Double]
    /// The run finishes after this many proposals.
    var finishAfter: Int?
    private(set) var observations: [[Double]] = []
    private(set) var states: [[Double]] = []
    private(set) var proposals: [[Double]] = []

    init(_ action: @escaping (ActionInput) -> [Double]) {
        self.action = action
    }

    func propose(_ input: ActionInput, into proposal: inout Proposal, sample: inout TickSample) {
        observations.append(Array(input.observation))
        states.append(Array(input.state))
        let values = action(input)
        proposals.append(values)
        for i in 0..<values.count {
            proposal.proposed[i] = values[i]
            proposal.corrected[i] = values[i]
        }
        if let finishAfter, proposals.count >= finishAfter { proposal.finished = true }
    }
}

/// A task whose judgement the test sets: it writes a fixed offset as every joint's `target`, costs
/// the sum of the joint positions, and shows a fixed headline.
final class FixedTask: RobotTask, @unchecked Sendable {
    let jointCount: Int
    let targetOffset: Double
    var verdict: TaskStatus
    let headline: Double
    let episodeSeconds = 100.0
    let costField = StatusField("cost", unit: "rad", decimals: 3)
    let costMeaning = "sum of joint positions, rad"
    let headlineField: StatusField? = StatusField("headline", unit: "u", decimals: 1)

    init(jointCount: Int, targetOffset: Double, verdict: TaskStatus, headline: Double) {
        self.jointCount = jointCount
        self.targetOffset = targetOffset
        self.verdict = verdict
        self.headline = headline
    }

    func reset(state: UnsafeBufferPointer<Double>, random: inout SeededRandom) {}

    func write(_ feature: ObservationFeature, state: UnsafeBufferPointer<Double>, into entries: UnsafeMutableBufferPointer<Double>) {
        for i in 0..<entries.count { entries[i] = targetOffset }
    }

    func evaluate(state: UnsafeBufferPointer<Double>, elapsed: Double) -> TaskStatus { verdict }

    func goalReached(state: UnsafeBufferPointer<Double>) -> Bool { verdict == .success }

    func cost(state: UnsafeBufferPointer<Double>) -> Double {
        let arm = ArmStateView(state, jointCount: jointCount)
        return (0..<jointCount).reduce(0) { $0 + arm.position($1) }
    }

    func statusHeadline(state: UnsafeBufferPointer<Double>) -> Double { headline }

    var goalDescription: String { "nothing in particular" }
}

/// The control pipeline on its own: an in-memory robot instead of a driver and simulator, a
/// scripted source and task, a real safety filter and recorder.
@Suite(.serialized) struct ControlPipelineTests {
    static func simArm() throws -> RobotDescription {
        try RobotDescription.load(path: packageRoot + "/Robots/sim-arm.yaml")
    }

    /// The arm at rest with joint j at 0.1·j rad, drawing 0.2 A each.
    static func armAtRest(_ robot: RobotDescription) -> InMemoryRobot {
        let driver = InMemoryRobot(robot: robot)
        let n = robot.actionNames.count
        driver.measure(.jointPosition, (0..<n).map { 0.1 * Double($0) })
        driver.measure(.jointVelocity, [Double](repeating: 0, count: n))
        driver.measure(.jointEffort, [Double](repeating: 0.2, count: n))
        return driver
    }

    static func run(_ pipeline: ControlPipeline, rateHz: Double) -> LoopStopReason {
        ControlLoop(configuration: LoopConfiguration(rateHz: rateHz, realtime: .none, maxConsecutiveOverruns: 1000,
                                                     phaseNames: ControlPipeline.phaseNames), task: pipeline).run()
    }

    @Test func oneTickReadsObservesProposesFiltersWritesRecordsAndJudges() throws {
        let robot = try Self.simArm()
        let n = robot.actionNames.count
        let driver = Self.armAtRest(robot)
        let measured = Array(driver.measured)
        let session = try RobotSession(robot, driver: driver)
        // The first joint is asked to jump 0.2 rad, far past one tick's velocity and acceleration.
        let source = ScriptedSource { input in
            let arm = ArmStateView(input.state, jointCount: n)
            return (0..<n).map { arm.position($0) + ($0 == 0 ? 0.2 : 0) }
        }
        let task = FixedTask(jointCount: n, targetOffset: 0.25, verdict: .success, headline: 42)
        let folder = TemporaryDirectory()
        let recorder = try Recorder(path: folder.file("tick.mcap"), robot: robot)
        let pipeline = ControlPipeline(session: session, source: source, task: task, recorder: recorder, seed: 1)
        pipeline.tickLimit = 1
        pipeline.warmUp()
        let (readsBefore, writesBefore) = (driver.reads, driver.writes)

        #expect(Self.run(pipeline, rateHz: robot.controlRateHz) == .finished)
        _ = try recorder.close()

        // Read once, and the source saw the observation built from that state and the task.
        #expect(driver.reads - readsBefore == 1)
        #expect(source.states == [measured])
        let positions = (0..<n).map { 0.1 * Double($0) }
        #expect(source.observations == [positions + [Double](repeating: 0.25, count: n)])
        // The proposal went through the safety filter, which changed it, to the robot.
        let proposal = try #require(source.proposals.first)
        let filter = SafetyFilter(robot: robot)
        var expected = [Double](repeating: 0, count: n)
        let expectedClamps = measured.withUnsafeBufferPointer { state in
            filter.reset(state: state)
            return proposal.withUnsafeBufferPointer { proposed in
                expected.withUnsafeMutableBufferPointer { filter.filter(proposed, state: state, stateFresh: true, into: $0) }
            }
        }
        #expect(expectedClamps != 0 && expected[0] < proposal[0])
        #expect(driver.writes - writesBefore == 1)
        #expect(Array(driver.lastCommand) == expected)
        #expect(Array(pipeline.port.applied) == expected)
        #expect(pipeline.totals.ticks == 1 && pipeline.totals.clampedTicks == 1)
        // Judged: the task's verdict ended the episode, and its cost and headline reached the status.
        #expect(pipeline.totals.episodes == 1 && pipeline.totals.outcomes[Int(EpisodeOutcome.success.rawValue)] == 1)
        #expect(pipeline.totals.costSum == positions.reduce(0, +))
        var snapshot = StatusSnapshot()
        pipeline.status.drain { snapshot = $0 }
        #expect(snapshot.headline == 42 && snapshot.taskCost == positions.reduce(0, +) && snapshot.successes == 1)
        // Recorded: the tick with what was measured, seen, proposed and applied, and the episode's outcome.
        let recording = try RecordingReader.read(path: folder.file("tick.mcap"))
        let tick = try #require(recording.episodes.first?.ticks.first)
        #expect(recording.ticks == 1)
        #expect(tick.state == measured && tick.observation == source.observations[0])
        #expect(tick.proposed == proposal && tick.corrected == proposal && tick.applied == expected)
        #expect(tick.clamps == expectedClamps && tick.freshState)
        #expect(recording.episodes.first?.outcome == .success)
        // A finished run still ends with the robot's safe stop.
        #expect(driver.safeStopReasons == ["finished"])
        #expect(pipeline.safeStopReport == SafeStopReport(steps: ["stood still in memory"]))
    }

    @Test func staleReadsKeepTheLastStateThenHoldTheRobotAndTheWatchdogEndsTheRun() throws {
        var robot = try Self.simArm()
        // Held from 100 ms without fresh state, stopped at 200 ms: room for a busy machine.
        robot.safety.watchdogTimeout = 0.2
        let n = robot.actionNames.count
        let driver = Self.armAtRest(robot)
        // The warm-up read and the first five ticks are fresh; then nothing new ever arrives.
        driver.outcome = { $0 <= 5 ? .fresh : .stale }
        let session = try RobotSession(robot, driver: driver)
        // Joint 0 creeps 0.5 mrad a tick: slow enough that holding stops it within one tick's acceleration.
        let source = ScriptedSource { input in (0..<n).map { input.lastApplied[$0] + ($0 == 0 ? 0.0005 : 0) } }
        let task = FixedTask(jointCount: n, targetOffset: 0, verdict: .running, headline: 0)
        let folder = TemporaryDirectory()
        let recorder = try Recorder(path: folder.file("stale.mcap"), robot: robot)
        let pipeline = ControlPipeline(session: session, source: source, task: task, recorder: recorder, seed: 1)
        pipeline.tickLimit = 1000
        pipeline.warmUp()

        #expect(Self.run(pipeline, rateHz: robot.controlRateHz) == .fault)
        _ = try recorder.close()

        guard case .watchdog(let stale)? = pipeline.fault else {
            Issue.record("expected the watchdog, got \(String(describing: pipeline.fault))")
            return
        }
        #expect(stale > 200_000_000)
        let ticks = try RecordingReader.read(path: folder.file("stale.mcap")).episodes.flatMap(\.ticks)
        #expect(ticks.count == Int(pipeline.totals.ticks) && ticks.prefix(5).allSatisfy(\.freshState))
        let lastFresh = ticks[4]
        let staleTicks = ticks.dropFirst(5)
        #expect(!staleTicks.isEmpty && staleTicks.allSatisfy { !$0.freshState })
        // The last stale read found the watchdog expired and ended the run before anything was recorded.
        #expect(pipeline.totals.staleTicks == UInt64(staleTicks.count) + 1)
        // A stale read leaves the state as it was last measured.
        #expect(staleTicks.allSatisfy { $0.state == lastFresh.state })
        // While that state is recent the pipeline still acts on it; once it is too old the filter
        // holds the robot: the goal stays where it was.
        let staleBit = ClampReason.staleState.bit
        #expect(staleTicks.contains { $0.clamps & staleBit == 0 })
        #expect(staleTicks.contains { $0.clamps & staleBit != 0 })
        for (previous, tick) in zip(ticks, ticks.dropFirst()) {
            if tick.clamps & staleBit != 0 {
                #expect(tick.applied == previous.applied, "tick \(tick.tick) held")
            } else {
                #expect(abs(tick.applied[0] - previous.applied[0] - 0.0005) < 1e-12, "tick \(tick.tick) moved")
            }
        }
        #expect(pipeline.safety.count(of: .staleState) == ticks.filter { $0.clamps & staleBit != 0 }.count)
        #expect(driver.safeStopReasons.count == 1 && driver.safeStopReasons[0].contains("no fresh state"))
    }

    @Test func aDriverFaultEndsTheRunWithTheSafeStop() throws {
        let robot = try Self.simArm()
        let n = robot.actionNames.count
        let driver = Self.armAtRest(robot)
        // The warm-up read and three ticks go well; the fourth tick's read finds servo 3 silent.
        driver.outcome = { $0 == 4 ? .fault(.noResponse(id: 3)) : .fresh }
        let session = try RobotSession(robot, driver: driver)
        let source = ScriptedSource { input in Array(input.lastApplied) }
        let task = FixedTask(jointCount: n, targetOffset: 0, verdict: .running, headline: 0)
        let folder = TemporaryDirectory()
        let recorder = try Recorder(path: folder.file("fault.mcap"), robot: robot)
        let pipeline = ControlPipeline(session: session, source: source, task: task, recorder: recorder, seed: 1)
        pipeline.tickLimit = 1000
        pipeline.warmUp()
        let writesBefore = driver.writes

        #expect(Self.run(pipeline, rateHz: robot.controlRateHz) == .fault)
        _ = try recorder.close()

        #expect(pipeline.fault == .driver(.noResponse(id: 3)))
        // Nothing is written on the faulted tick: three ticks, three writes.
        #expect(pipeline.totals.ticks == 3 && driver.writes - writesBefore == 3)
        #expect(driver.safeStopReasons == [driver.explain(.noResponse(id: 3))])
        #expect(pipeline.safeStopped)
        let recording = try RecordingReader.read(path: folder.file("fault.mcap"))
        #expect(recording.events.map(\.kind) == [.fault, .safeStop])
        #expect(recording.events.first?.code == RunFault.driver(.noResponse(id: 3)).code)
        #expect(recording.episodes.first?.outcome == .aborted)
    }

    @Test func aSourceThatHasFinishedEndsTheRunAfterItsLastAction() throws {
        let robot = try Self.simArm()
        let n = robot.actionNames.count
        let driver = Self.armAtRest(robot)
        let session = try RobotSession(robot, driver: driver)
        let source = ScriptedSource { input in Array(input.lastApplied) }
        source.finishAfter = 5
        let task = FixedTask(jointCount: n, targetOffset: 0, verdict: .running, headline: 0)
        let pipeline = ControlPipeline(session: session, source: source, task: task, recorder: nil, seed: 1)
        pipeline.tickLimit = 1000
        pipeline.warmUp()
        let writesBefore = driver.writes

        #expect(Self.run(pipeline, rateHz: robot.controlRateHz) == .finished)

        // The finishing tick still sends its action; then the run ends, with the safe stop.
        #expect(source.proposals.count == 5)
        #expect(pipeline.totals.ticks == 5 && driver.writes - writesBefore == 5)
        #expect(pipeline.fault == nil && pipeline.stopReason == .finished)
        #expect(driver.safeStopReasons == ["finished"])
    }
}
