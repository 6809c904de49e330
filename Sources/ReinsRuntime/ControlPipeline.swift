import ReinsConfig
import ReinsCore
import ReinsDrivers
import ReinsPolicy
import ReinsRecording
import ReinsSafety
import ReinsTasks

/// What produces actions: a learned policy with its monitor and corrector, or a scripted expert
/// (demonstrations), optionally with DART-style noise on the executed action.
public enum ActionSource {
    case policy(PolicyRunner)
    case expert(any Expert, noise: Double)
}

/// A snapshot the loop publishes for the live status line (plain values, pushed through a ring).
public struct StatusSnapshot: BitwiseCopyable, Sendable {
    public var tick: UInt64 = 0
    public var time: UInt64 = 0
    public var episode: UInt32 = 0
    public var successes: UInt32 = 0
    public var failures: UInt32 = 0
    public var sensitivity: Double = .nan
    public var confidence: Double = .nan
    public var clampedTicks: UInt64 = 0
    public var periodErrorNanoseconds: UInt64 = 0
    public var fresh = true
    public var response: UInt8 = 0
    /// The task's cost this tick (arm: rms joint error to the target; car: distance from the centre
    /// line; drone: distance to the waypoint).
    public var taskCost: Double = .nan
    /// Speed (car) or altitude (drone) for the status line; NaN for arms.
    public var headline: Double = .nan

    public init() {}
}

/// Running totals for the end-of-run summary.
public struct PipelineTotals: Sendable {
    public var ticks: UInt64 = 0
    public var staleTicks: UInt64 = 0
    public var clampedTicks: UInt64 = 0
    /// Ticks by the CARIL rule that fired in some action dimension (index = rule raw value).
    public var rules = [UInt64](repeating: 0, count: 5)
    /// Ticks by response taken (index = `ResponseTaken` raw value).
    public var responses = [UInt64](repeating: 0, count: 4)
    public var takeoverRequests: UInt64 = 0
    public var innovationFaults: UInt64 = 0
    public var maximumSensitivity = 0.0
    public var minimumConfidence = Double.infinity
    public var episodes: UInt32 = 0
    public var outcomes = [UInt32](repeating: 0, count: EpisodeOutcome.allCases.count)
    public var recordDrops: UInt64 = 0
    /// Sum of the task's cost over ticks (see `RobotTask.cost`); mean = costSum / ticks.
    public var costSum = 0.0

    public var meanCost: Double { ticks > 0 ? costSum / Double(ticks) : .nan }
}

/// One control tick: read → observe → policy (or expert) → robustness monitor → correction →
/// safety filter → write → record → judge the episode. The same path deploys policies, records
/// expert demonstrations and evaluates policies.
public final class ControlPipeline: ControlTask, @unchecked Sendable {
    public let session: RobotSession
    public let task: any RobotTask
    public let source: ActionSource
    public let safety: SafetyFilter
    public let recorder: Recorder?
    public let status: SPSCRing<StatusSnapshot>
    /// Stop after this many ticks (nil: run until stopped).
    public var tickLimit: UInt64?
    /// Stop after this many finished episodes.
    public var episodeLimit: UInt32?
    public private(set) var totals = PipelineTotals()
    public private(set) var fault: RunFault?
    public private(set) var stopReason: LoopStopReason?
    public private(set) var safeStopped = false
    /// Called after the safe stop (on the loop thread), before the loop ends.
    public var afterSafeStop: (() -> Void)?
    /// A bounded adversarial perturbation of what the policy sees (robustness experiments only).
    public var attack: ObservationAttack?
    /// Run every episode for the task's full time even after it succeeds (the success is kept):
    /// experiments then average the task cost over equal horizons.
    public var fixedHorizon = false
    private var succeededThisEpisode = false

    private let builder: ObservationBuilder
    private var random: SeededRandom
    private var watchdog: Watchdog
    private var observation: [Double]
    private var proposed: [Double]
    private var corrected: [Double]
    private let filtered: UnsafeMutableBufferPointer<Double>
    private let applied: UnsafeMutableBufferPointer<Double>
    private var lastApplied: [Double]
    private var decision: PolicyDecision?
    private let period: Double
    private var episode: UInt32 = 0
    private var episodeStartTick: UInt64 = 0
    private var needsReset = true
    private var snapshot = StatusSnapshot()
    private let kind: RobotKind

    /// - Parameter rateHz: the loop's rate in control (simulated) time; default the robot's.
    public init(session: RobotSession, source: ActionSource, task: any RobotTask, recorder: Recorder?, seed: UInt64,
                rateHz: Double? = nil) {
        self.session = session
        self.source = source
        self.task = task
        self.recorder = recorder
        let robot = session.robot
        kind = robot.kind
        safety = SafetyFilter(robot: robot, rateHz: rateHz)
        builder = ObservationBuilder(robot: robot, task: task)
        random = SeededRandom(seed: seed)
        watchdog = Watchdog(timeout: robot.safety.watchdogTimeout)
        observation = [Double](repeating: 0, count: robot.observationNames.count)
        let n = robot.actionNames.count
        proposed = [Double](repeating: 0, count: n)
        corrected = [Double](repeating: 0, count: n)
        lastApplied = [Double](repeating: 0, count: n)
        filtered = .allocate(capacity: n)
        filtered.initialize(repeating: 0)
        applied = .allocate(capacity: n)
        applied.initialize(repeating: 0)
        if case .policy(let runner) = source { decision = PolicyDecision(for: runner.network) }
        period = 1 / (rateHz ?? robot.controlRateHz)
        status = SPSCRing(capacity: 256)
    }

    deinit {
        filtered.deallocate()
        applied.deallocate()
    }

    /// Reads the state once and runs the policy on it, so every lazy initialisation (Swift
    /// metadata, kernel dispatch) happens before the first real-time tick.
    public func warmUp() {
        _ = session.driver.read(into: session.state, deadline: MonotonicClock.nowNanoseconds() + 100_000_000)
        let state = UnsafeBufferPointer(session.state.values)
        task.reset(state: state, random: &random)
        safety.reset(state: state)
        for i in 0..<lastApplied.count { lastApplied[i] = safety.lastOutput[i] }
        observation.withUnsafeMutableBufferPointer { builder.build(state: state, into: $0) }
        if case .policy(let runner) = source, var decision {
            runner.step(observation, lastApplied: lastApplied, into: &decision)
            runner.reset()
            self.decision = decision
        }
    }

    public func loopWillStart() {
        watchdog = Watchdog(timeout: session.robot.safety.watchdogTimeout)
    }

    public func tick(_ clock: inout TickClock) -> TickOutcome {
        let now = clock.timing.wake
        // 1. Read, leaving a fifth of the period for everything after.
        let reading = session.driver.read(into: session.state, deadline: clock.deadline &+ clock.period * 3 / 5)
        var fresh = false
        switch reading {
        case .fresh:
            fresh = true
            watchdog.fresh(at: MonotonicClock.nowNanoseconds())
        case .stale:
            totals.staleTicks &+= 1
            if let stale = watchdog.expired(at: MonotonicClock.nowNanoseconds()) {
                fault = .watchdog(staleNanoseconds: stale)
                return .fault
            }
        case .fault(let driverFault):
            fault = .driver(driverFault)
            return .fault
        }
        clock.markPhase()
        let state = UnsafeBufferPointer(session.state.values)

        // 2. Episode boundaries: a new goal from the current state.
        if needsReset {
            task.reset(state: state, random: &random)
            episodeStartTick = clock.tick
            needsReset = false
            _ = recorder?.episodeStarted(episode: episode, at: now)
        }

        // 3. Observe and decide.
        observation.withUnsafeMutableBufferPointer { builder.build(state: state, into: $0) }
        if let attack { observation.withUnsafeMutableBufferPointer { attack.perturb($0) } }
        var sample = TickSample()
        switch source {
        case .policy(let runner):
            runner.step(observation, lastApplied: lastApplied, into: &decision!)
            let report = decision!.correction
            for i in 0..<proposed.count {
                proposed[i] = decision!.output.action[i]
                corrected[i] = report.applied[i]
            }
            let monitor = decision!.monitor
            sample.sensitivity = monitor.sensitivity
            if let innovation = monitor.innovation {
                sample.innovationEntry = Int32(innovation.entry)
                sample.innovationJump = innovation.jump
                totals.innovationFaults &+= 1
            }
            var confidence = Double.infinity, entropy = -Double.infinity
            var rule: UInt8 = 0
            for j in 0..<report.rule.count {
                if report.confidence[j].isFinite { confidence = min(confidence, report.confidence[j]) }
                if report.entropy[j].isFinite { entropy = max(entropy, report.entropy[j]) }
                let fired = UInt8(report.rule[j].rawValue)
                if rule == 0 && fired != 0 { rule = fired }
            }
            sample.confidence = confidence.isFinite ? confidence : .nan
            sample.entropy = entropy.isFinite ? entropy : .nan
            sample.rule = rule
            sample.response = report.response
            sample.takeoverRequested = report.takeoverRequested
            totals.rules[Int(rule)] &+= 1
            totals.responses[Int(report.response.rawValue)] &+= 1
            if report.takeoverRequested {
                totals.takeoverRequests &+= 1
                _ = recorder?.event(.takeoverRequest, code: Int64(rule), value: monitor.sensitivity, at: now)
            }
            if monitor.sensitivity.isFinite { totals.maximumSensitivity = max(totals.maximumSensitivity, monitor.sensitivity) }
            if confidence.isFinite { totals.minimumConfidence = min(totals.minimumConfidence, confidence) }
            sample.source = .policy
            sample.segment = .autonomous
        case .expert(let expert, let noise):
            proposed.withUnsafeMutableBufferPointer { expert.act(state: state, into: $0) }
            for i in 0..<corrected.count {
                // DART: the robot executes a perturbed action; the label stays the expert's.
                corrected[i] = proposed[i] + (noise > 0 ? noise * random.gaussian() : 0)
            }
            sample.source = .expert
            sample.segment = .demo
        }
        clock.markPhase()

        // 4. Safety filter, then the robot.
        let clamps = corrected.withUnsafeBufferPointer { safety.filter($0, state: state, stateFresh: fresh, into: filtered) }
        if clamps != 0 { totals.clampedTicks &+= 1 }
        guard session.driver.write(UnsafeBufferPointer(filtered), applied: applied, deadline: clock.nextDeadline) else {
            fault = .writeFailed
            return .fault
        }
        for i in 0..<lastApplied.count { lastApplied[i] = applied[i] }
        clock.markPhase()

        // 5. Record.
        totals.ticks &+= 1
        if let recorder {
            sample.tick = clock.tick
            sample.monotonicNanoseconds = now
            sample.episode = episode
            sample.freshState = fresh
            sample.clamps = clamps
            sample.periodErrorNanoseconds = UInt32(clamping: now &- clock.deadline)
            sample.state = state
            observation.withUnsafeBufferPointer { o in
                proposed.withUnsafeBufferPointer { p in
                    corrected.withUnsafeBufferPointer { c in
                        sample.observation = o
                        sample.proposed = p
                        sample.corrected = c
                        sample.applied = UnsafeBufferPointer(applied)
                        if !recorder.record(sample) { totals.recordDrops &+= 1 }
                    }
                }
            }
        }

        // 6. Judge the episode.
        let cost = task.cost(state: state)
        totals.costSum += cost
        let elapsed = Double(clock.tick &- episodeStartTick + 1) * period
        var verdict = task.evaluate(state: state, elapsed: elapsed)
        var outcome: EpisodeOutcome?
        if fixedHorizon && verdict == .success {
            succeededThisEpisode = true
            verdict = .running
        }
        if verdict == .running && elapsed >= task.episodeSeconds {
            verdict = succeededThisEpisode ? .success : .failure
            outcome = succeededThisEpisode ? .success : .timeout
        }
        if verdict != .running {
            let result = outcome ?? (verdict == .success ? .success : .failure)
            totals.outcomes[Int(result.rawValue)] &+= 1
            totals.episodes &+= 1
            _ = recorder?.episodeEnded(episode: episode, outcome: result, at: now)
            episode &+= 1
            needsReset = true
            succeededThisEpisode = false
        }

        snapshot.tick = clock.tick
        snapshot.time = now
        snapshot.episode = episode
        snapshot.successes = totals.outcomes[0]
        snapshot.failures = totals.episodes &- totals.outcomes[0]
        snapshot.sensitivity = sample.sensitivity
        snapshot.confidence = sample.confidence
        snapshot.clampedTicks = totals.clampedTicks
        snapshot.periodErrorNanoseconds = now &- clock.deadline
        snapshot.fresh = fresh
        snapshot.response = sample.response.rawValue
        snapshot.taskCost = cost
        switch kind {
        case .arm: snapshot.headline = .nan
        case .car: snapshot.headline = state[3]
        case .drone: snapshot.headline = -state[2]
        }
        status.push(snapshot)
        clock.markPhase()

        if let episodeLimit, totals.episodes >= episodeLimit { return .finished }
        if let tickLimit, clock.tick &+ 1 >= tickLimit { return .finished }
        return .proceed
    }

    public func loopDidStop(_ reason: LoopStopReason) {
        if case .overrunLimit(let count) = reason { fault = .overruns(count: count) }
        let now = MonotonicClock.nowNanoseconds()
        if let fault { _ = recorder?.event(.fault, code: fault.code, at: now) }
        if !needsReset {
            // The episode in progress did not finish: it was aborted.
            let result: EpisodeOutcome = .aborted
            totals.outcomes[Int(result.rawValue)] &+= 1
            _ = recorder?.episodeEnded(episode: episode, outcome: result, at: now)
        }
        stopReason = reason
        let why = fault.map { $0.message(driver: session.driver) } ?? "\(reason)"
        session.driver.safeStop(reason: why)
        safeStopped = true
        _ = recorder?.event(.safeStop, code: fault?.code ?? 0, at: MonotonicClock.nowNanoseconds())
        afterSafeStop?()
    }

    public static let phaseNames = ["read", "decide", "filter+write", "record"]
}
