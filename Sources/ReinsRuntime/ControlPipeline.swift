import ReinsConfig
import ReinsCore
import ReinsDrivers
import ReinsPolicy
import ReinsRecording
import ReinsSafety
import ReinsTasks

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
    /// The task's status headline this tick (`RobotTask.statusHeadline`: car speed, drone
    /// altitude); NaN when the task has none.
    public var headline: Double = .nan
    /// The policy asked for a takeover and the robot is holding until the episode ends.
    public var holdingForTakeover = false
    /// How old the measured state was when the tick used it, ns.
    public var stateAgeNanoseconds: UInt64 = 0
    /// Who produced this tick's action and its RaC segment (`ControlSource`, `Segment` raw values).
    public var source: UInt8 = 0
    public var segment: UInt8 = 0
    /// A person is in control and their device has gone silent: the robot is on its fallback.
    public var operatorSilent = false
    /// Between teleoperated episodes: waiting for the operator's start button.
    public var waitingForEpisode = false

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
    /// Ticks by RaC segment (index = `Segment` raw value) and by who was in control.
    public var segmentTicks = [UInt64](repeating: 0, count: Segment.allCases.count)
    public var humanTicks: UInt64 = 0
    /// Control changes: takeovers by cause (index = `InterventionCause` raw value), hand-backs,
    /// recovered marks, and the times an operator's device went silent while they drove.
    public var takeovers = [UInt64](repeating: 0, count: InterventionCause.allCases.count)
    public var handbacks: UInt64 = 0
    public var recoveredMarks: UInt64 = 0
    public var operatorLost: UInt64 = 0
    /// Ticks between teleoperated episodes (driven, not recorded).
    public var betweenEpisodeTicks: UInt64 = 0

    public var takeoverCount: UInt64 { takeovers.reduce(0, &+) }

    public var meanCost: Double { ticks > 0 ? costSum / Double(ticks) : .nan }
}

/// One finished (or aborted) episode's figures, kept by the pipeline when asked to
/// (`keepEpisodeLog`): a closed-loop test judges and reports episode by episode.
public struct EpisodeStats: Sendable, Equatable {
    public var number: UInt32 = 0
    public var outcome: EpisodeOutcome = .aborted
    public var ticks: UInt64 = 0
    /// Sum of the task's cost over the episode's ticks.
    public var costSum = 0.0
    public var maximumSensitivity = 0.0
    public var minimumConfidence = Double.infinity
    public var clampedTicks: UInt64 = 0
    public var humanTicks: UInt64 = 0
    public var takeovers: UInt64 = 0

    public init() {}

    public var meanCost: Double { ticks > 0 ? costSum / Double(ticks) : .nan }
}

/// One control tick: read → observe → propose (the action source: a policy with its monitor and
/// corrector, an expert, a trajectory) → safety filter and write (the command port) → record →
/// judge the episode. The same path deploys policies, records expert demonstrations, replays
/// trajectories and evaluates policies.
public final class ControlPipeline: ControlTask, @unchecked Sendable {
    public let session: RobotSession
    public let task: any RobotTask
    public let source: any ActionSource
    /// The safety filter and the driver's write: the only way this pipeline moves the robot.
    public let port: CommandPort
    public let recorder: Recorder?
    public let status: SPSCRing<StatusSnapshot>
    /// Stop after this many ticks (nil: run until stopped).
    public var tickLimit: UInt64?
    /// Stop after this many finished episodes.
    public var episodeLimit: UInt32?
    /// Whether the task judges episodes (deploy, demonstrations, evaluation). A replay sends a
    /// trajectory and is not a task attempt: no goals, no episode outcomes.
    public var judgesEpisodes = true
    public private(set) var totals = PipelineTotals()
    public private(set) var fault: RunFault?
    public private(set) var stopReason: LoopStopReason?
    /// What the driver's safe stop confirmed; nil until it ran.
    public private(set) var safeStopReport: SafeStopReport?
    public var safeStopped: Bool { safeStopReport != nil }
    /// Hears what the safe stop waits for (on the loop thread), e.g. to print it.
    public var safeStopProgress: (String) -> Void = { _ in }
    /// Called after the safe stop (on the loop thread), before the loop ends.
    public var afterSafeStop: (() -> Void)?
    /// A bounded adversarial perturbation of what the policy sees (robustness experiments only).
    public var attack: ObservationAttack?
    /// Run every episode for the task's full time even after it succeeds (the success is kept):
    /// experiments then average the task cost over equal horizons.
    public var fixedHorizon = false
    private var succeededThisEpisode = false
    /// A closed-loop test's envelope, checked on every tick after the write: the first broken
    /// invariant ends the run in a fault (`RunFault.envelope`) and so in the kind's safe stop.
    public var envelope: SafetyEnvelope?
    /// Episode `i` of this run draws its goal from seed `base + first + i` and is numbered
    /// `first + i` (a closed-loop test's episodes, resumed in a new run after a safety stop).
    public private(set) var episodeSeedBase: UInt64?

    /// Finished episodes' figures, in order (empty unless `keepEpisodeLog` was called).
    public var episodeLog: [EpisodeStats] { Array(episodeSlots.prefix(episodeSlotsUsed)) }
    private var episodeSlots = UnsafeMutableBufferPointer<EpisodeStats>(start: nil, count: 0)
    private var episodeSlotsUsed = 0
    private var current = EpisodeStats()

    /// Keeps the figures of up to `capacity` episodes (preallocated here: the tick never allocates).
    public func keepEpisodeLog(capacity: Int) {
        episodeSlots.deallocate()
        episodeSlots = .allocate(capacity: max(1, capacity))
        episodeSlots.initialize(repeating: EpisodeStats())
        episodeSlotsUsed = 0
    }

    private func logEpisode(_ outcome: EpisodeOutcome) {
        guard episodeSlotsUsed < episodeSlots.count else { return }
        current.number = episode
        current.outcome = outcome
        episodeSlots[episodeSlotsUsed] = current
        episodeSlotsUsed += 1
    }

    /// Numbers this run's episodes from `first` and seeds each from `base` plus its number.
    public func numberEpisodes(from first: UInt32, seedBase base: UInt64) {
        episode = first
        episodeSeedBase = base
    }

    private let builder: ObservationBuilder
    private var random: SeededRandom
    private var watchdog: Watchdog
    /// State older than this is not acted on: the filter applies the fallback. Half the watchdog
    /// timeout, so a sensor slower than the loop (telemetry at 20 Hz under a 50 Hz loop) is used
    /// between its updates, while state the watchdog is about to call lost is not.
    public let maximumStateAgeNanoseconds: UInt64
    private let observation: UnsafeMutableBufferPointer<Double>
    /// The buffers' lengths, computed once: the description's name lists are built on each access.
    private let observationCount: Int
    private let proposed: UnsafeMutableBufferPointer<Double>
    private let corrected: UnsafeMutableBufferPointer<Double>
    private let period: Double
    private var episode: UInt32 = 0
    private var episodeStartTick: UInt64 = 0
    private var needsReset = true
    private var snapshot = StatusSnapshot()

    /// - Parameter rateHz: the loop's rate in control (simulated) time; default the robot's.
    public init(session: RobotSession, source: any ActionSource, task: any RobotTask, recorder: Recorder?, seed: UInt64,
                rateHz: Double? = nil) {
        self.session = session
        self.source = source
        self.task = task
        self.recorder = recorder
        let robot = session.robot
        port = CommandPort(driver: session.driver, robot: robot, rateHz: rateHz)
        builder = ObservationBuilder(robot: robot, task: task)
        random = SeededRandom(seed: seed)
        watchdog = Watchdog(timeout: robot.safety.watchdogTimeout)
        maximumStateAgeNanoseconds = watchdog.timeoutNanoseconds / 2
        observationCount = robot.observationNames.count
        observation = .allocate(capacity: max(1, observationCount))
        observation.initialize(repeating: 0)
        let n = robot.actionNames.count
        proposed = .allocate(capacity: n)
        proposed.initialize(repeating: 0)
        corrected = .allocate(capacity: n)
        corrected.initialize(repeating: 0)
        period = 1 / (rateHz ?? robot.controlRateHz)
        status = SPSCRing(capacity: 256)
    }

    deinit {
        episodeSlots.deallocate()
        observation.deallocate()
        proposed.deallocate()
        corrected.deallocate()
    }

    /// The safety filter on this pipeline's write path (its clamp counts are the run's).
    public var safety: SafetyFilter { port.safety }

    private var observationBuffer: UnsafeBufferPointer<Double> {
        UnsafeBufferPointer(rebasing: observation[0..<observationCount])
    }

    /// Reads the state once and runs the source on it, so every lazy initialisation (Swift
    /// metadata, kernel dispatch) happens before the first real-time tick.
    public func warmUp() {
        _ = session.driver.read(into: session.state, deadline: MonotonicClock.nowNanoseconds() + 100_000_000)
        let state = UnsafeBufferPointer(session.state.values)
        task.reset(state: state, random: &random)
        port.reset(state: state)
        builder.build(state: state, into: observation)
        source.warmUp(ActionInput(observation: observationBuffer, state: state, lastApplied: port.applied))
    }

    public func loopWillStart() {
        watchdog = Watchdog(timeout: session.robot.safety.watchdogTimeout)
    }

    public func tick(_ clock: inout TickClock) -> TickOutcome {
        let now = clock.timing.wake
        // 1. Read, leaving two fifths of the period for everything after.
        let reading = session.driver.read(into: session.state, deadline: clock.deadline &+ clock.period * 3 / 5)
        var fresh = false
        let readAt = MonotonicClock.nowNanoseconds()
        switch reading {
        case .fresh:
            fresh = true
            watchdog.fresh(at: readAt)
        case .stale:
            totals.staleTicks &+= 1
            if let stale = watchdog.expired(at: readAt) {
                fault = .watchdog(staleNanoseconds: stale)
                return .fault
            }
        case .fault(let driverFault):
            fault = .driver(driverFault)
            return .fault
        }
        // Judged by age, not by whether this very read brought news: a sensor slower than the loop
        // leaves recent state between its updates.
        let stateAge = session.state.timestamp == 0 ? UInt64.max : readAt &- min(readAt, session.state.timestamp)
        let stateUsable = stateAge <= maximumStateAgeNanoseconds
        clock.markPhase()
        let state = UnsafeBufferPointer(session.state.values)

        // 2. Episode boundaries: a new goal from the current state, once the source is ready
        // (teleoperation waits for the operator's start button; the ticks before are not an episode's).
        if needsReset && source.readyForEpisode {
            if let episodeSeedBase { random = SeededRandom(seed: episodeSeedBase &+ UInt64(episode)) }
            task.reset(state: state, random: &random)
            episodeStartTick = clock.tick
            needsReset = false
            current = EpisodeStats()
            source.episodeStarted()
            if judgesEpisodes { _ = recorder?.episodeStarted(episode: episode, at: now) }
        }
        let inEpisode = !needsReset
        let elapsed = inEpisode ? Double(clock.tick &- episodeStartTick) * period : 0

        // 3. Observe and propose.
        builder.build(state: state, into: observation)
        if let attack { attack.perturb(UnsafeMutableBufferPointer(rebasing: observation[0..<observationCount])) }
        var sample = TickSample()
        var proposal = Proposal(proposed: proposed, corrected: corrected)
        source.propose(ActionInput(observation: observationBuffer, state: state, lastApplied: port.applied,
                                   tick: clock.tick, now: now, elapsed: elapsed, period: clock.period),
                       into: &proposal, sample: &sample)
        if inEpisode { account(sample, at: now) } else { totals.betweenEpisodeTicks &+= 1 }
        clock.markPhase()

        // 4. Safety filter, then the robot.
        guard let clamps = port.send(UnsafeBufferPointer(corrected), state: state, stateUsable: stateUsable,
                                     fallback: proposal.fallback, deadline: clock.nextDeadline) else {
            fault = .writeFailed
            return .fault
        }
        if clamps != 0 {
            totals.clampedTicks &+= 1
            if inEpisode { current.clampedTicks &+= 1 }
        }
        clock.markPhase()

        // 5. Record.
        totals.ticks &+= 1
        if let recorder, inEpisode || !judgesEpisodes {
            sample.tick = clock.tick
            sample.monotonicNanoseconds = now
            sample.episode = episode
            sample.freshState = fresh
            sample.clamps = clamps
            sample.periodErrorNanoseconds = UInt32(clamping: now &- clock.deadline)
            sample.stateAgeNanoseconds = stateAge
            sample.state = state
            sample.observation = observationBuffer
            sample.proposed = UnsafeBufferPointer(proposed)
            sample.corrected = UnsafeBufferPointer(corrected)
            sample.applied = port.applied
            if !recorder.record(sample) { totals.recordDrops &+= 1 }
        }

        // 6. The test envelope, then judge the episode.
        if let envelope, let violation = envelope.check(state: state, applied: port.applied) {
            fault = .envelope(violation)
            return .fault
        }
        let cost = task.cost(state: state)
        if judgesEpisodes && inEpisode { judge(state: state, cost: cost, tick: clock.tick, at: now, request: proposal.endEpisode) }

        snapshot.tick = clock.tick
        snapshot.time = now
        snapshot.episode = episode
        snapshot.successes = totals.outcomes[0]
        snapshot.failures = totals.episodes &- totals.outcomes[0]
        snapshot.sensitivity = sample.sensitivity
        snapshot.confidence = sample.confidence
        snapshot.clampedTicks = totals.clampedTicks
        snapshot.periodErrorNanoseconds = now &- clock.deadline
        snapshot.fresh = stateUsable
        snapshot.stateAgeNanoseconds = stateAge
        snapshot.response = sample.response.rawValue
        snapshot.holdingForTakeover = sample.response == .takeover && proposal.fallback
        snapshot.source = sample.source.rawValue
        snapshot.segment = sample.segment.rawValue
        snapshot.operatorSilent = sample.source == .human && proposal.fallback
        snapshot.waitingForEpisode = !inEpisode && judgesEpisodes
        snapshot.taskCost = cost
        snapshot.headline = task.statusHeadline(state: state)
        status.push(snapshot)
        clock.markPhase()

        if proposal.finished || proposal.stopRun { return .finished }
        if let episodeLimit, totals.episodes >= episodeLimit { return .finished }
        if let tickLimit, clock.tick &+ 1 >= tickLimit { return .finished }
        return .proceed
    }

    /// Totals of what the source's monitor reported this tick, and the takeover event.
    private func account(_ sample: TickSample, at now: UInt64) {
        if sample.innovationEntry >= 0 { totals.innovationFaults &+= 1 }
        totals.rules[Int(sample.rule)] &+= 1
        totals.responses[Int(sample.response.rawValue)] &+= 1
        if sample.takeoverRequested {
            totals.takeoverRequests &+= 1
            _ = recorder?.event(.takeoverRequest, code: Int64(sample.rule), value: sample.sensitivity, at: now)
        }
        totals.segmentTicks[Int(sample.segment.rawValue)] &+= 1
        if sample.source == .human { totals.humanTicks &+= 1 }
        if let intervention = sample.intervention {
            switch intervention {
            case .takeover: totals.takeovers[Int(sample.interventionCause.rawValue)] &+= 1
            case .handback: totals.handbacks &+= 1
            case .recovered: totals.recoveredMarks &+= 1
            case .operatorLost: totals.operatorLost &+= 1
            default: break
            }
            _ = recorder?.event(intervention, code: Int64(sample.interventionCause.rawValue), at: now)
        }
        if sample.sensitivity.isFinite {
            totals.maximumSensitivity = max(totals.maximumSensitivity, sample.sensitivity)
            current.maximumSensitivity = max(current.maximumSensitivity, sample.sensitivity)
        }
        if sample.confidence.isFinite {
            totals.minimumConfidence = min(totals.minimumConfidence, sample.confidence)
            current.minimumConfidence = min(current.minimumConfidence, sample.confidence)
        }
        if sample.source == .human { current.humanTicks &+= 1 }
        if sample.intervention == .takeover { current.takeovers &+= 1 }
    }

    private func judge(state: UnsafeBufferPointer<Double>, cost: Double, tick: UInt64, at now: UInt64, request: EpisodeEndRequest?) {
        totals.costSum += cost
        current.costSum += cost
        current.ticks &+= 1
        let elapsed = Double(tick &- episodeStartTick + 1) * period
        var verdict = task.evaluate(state: state, elapsed: elapsed)
        var outcome: EpisodeOutcome?
        switch request {
        case .outcome(let marked):
            // The operator's mark (or an unanswered takeover request) decides.
            verdict = marked == .success ? .success : .failure
            outcome = marked
        case .judged:
            // Handed back after the correction: the task judges the robot as it stands now.
            if verdict == .running { verdict = task.goalReached(state: state) ? .success : .failure }
        case nil:
            break
        }
        if fixedHorizon && verdict == .success && request == nil {
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
            // A discarded episode is re-recorded: it does not count toward `--episodes`.
            if result != .discarded { totals.episodes &+= 1 }
            _ = recorder?.episodeEnded(episode: episode, outcome: result, at: now)
            logEpisode(result)
            episode &+= 1
            needsReset = true
            succeededThisEpisode = false
            source.episodeEnded()
        }
    }

    public func loopDidStop(_ reason: LoopStopReason) {
        if case .overrunLimit(let count) = reason { fault = .overruns(count: count) }
        let now = MonotonicClock.nowNanoseconds()
        if let fault { _ = recorder?.event(.fault, code: fault.code, at: now) }
        if !needsReset && judgesEpisodes {
            // The episode in progress did not finish: it was aborted.
            let result: EpisodeOutcome = .aborted
            totals.outcomes[Int(result.rawValue)] &+= 1
            _ = recorder?.episodeEnded(episode: episode, outcome: result, at: now)
            logEpisode(result)
        }
        stopReason = reason
        let why = fault.map { $0.message(driver: session.driver) } ?? "\(reason)"
        safeStopReport = session.driver.safeStop(reason: why, progress: safeStopProgress)
        _ = recorder?.event(.safeStop, code: fault?.code ?? 0, at: MonotonicClock.nowNanoseconds())
        afterSafeStop?()
    }

    public static let phaseNames = ["read", "decide", "filter+write", "record"]
}
