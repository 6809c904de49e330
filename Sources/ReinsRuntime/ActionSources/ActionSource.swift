import ReinsCore

/// What an action source sees each tick: the observation (as the policy sees it), the measured
/// state, and the action the robot really applied last tick.
public struct ActionInput {
    public let observation: UnsafeBufferPointer<Double>
    public let state: UnsafeBufferPointer<Double>
    public let lastApplied: UnsafeBufferPointer<Double>
    /// The tick number and its start (CLOCK_MONOTONIC ns).
    public var tick: UInt64 = 0
    public var now: UInt64 = 0
    /// Control (simulated) seconds since the episode started; 0 between episodes.
    public var elapsed: Double = 0
    /// The loop's period in real time, ns (0 outside the loop): what bounds a source's I/O in the tick.
    public var period: UInt64 = 0

    public init(observation: UnsafeBufferPointer<Double>, state: UnsafeBufferPointer<Double>, lastApplied: UnsafeBufferPointer<Double>,
                tick: UInt64 = 0, now: UInt64 = 0, elapsed: Double = 0, period: UInt64 = 0) {
        self.observation = observation
        self.state = state
        self.lastApplied = lastApplied
        self.tick = tick
        self.now = now
        self.elapsed = elapsed
        self.period = period
    }
}

/// How a source asks the pipeline to end the episode in progress.
public enum EpisodeEndRequest: Sendable, Equatable {
    /// With this outcome (an operator's success, failure or discard mark; an unanswered takeover request).
    case outcome(EpisodeOutcome)
    /// As the task judges the robot now (the operator handed back after the correction).
    case judged
}

/// What an action source fills in each tick; the buffers belong to the pipeline.
public struct Proposal {
    /// The source's own action: the policy's output, the expert's command, the trajectory's row.
    public let proposed: UnsafeMutableBufferPointer<Double>
    /// What the source asks the robot to do after its own correction (CARIL and the monitor's
    /// response, DART noise, a ramp): this goes to the safety filter.
    public let corrected: UnsafeMutableBufferPointer<Double>
    /// The source asks for the robot kind's fallback this tick (hold, slow to a stop, hover)
    /// instead of `corrected`.
    public var fallback = false
    /// The source has nothing more to propose: the run finishes after this tick.
    public var finished = false
    /// End the episode in progress after this tick.
    public var endEpisode: EpisodeEndRequest?
    /// The run stops after this tick (an operator's stop button), with the kind's safe stop.
    public var stopRun = false
}

/// A piece that produces actions: a policy with its monitor and corrector, a scripted expert, a
/// replayed trajectory; later an operator or an arbiter between a policy and an operator. The
/// pipeline calls it once per tick, between observing and filtering; `propose` runs on the loop
/// thread and must not allocate or lock, nor wait on I/O past a deadline within the tick (a leader
/// arm's bus read, through an operator device).
public protocol ActionSource: AnyObject {
    /// Once before the loop starts, with a real observation, so lazy initialisation (kernel
    /// dispatch, metadata) happens off the real-time path.
    func warmUp(_ input: ActionInput)
    /// A new episode starts: the task has just sampled its goal.
    func episodeStarted()
    /// The episode in progress ended (judged by the task, marked by the operator, or requested).
    func episodeEnded()
    /// Whether the next episode may start (teleoperation waits for the operator's start button;
    /// everything else starts at once). Asked between episodes, after `propose`.
    var readyForEpisode: Bool { get }
    /// Fills the proposal, and in `sample` who produced it (`source`), the RaC segment and the
    /// monitor's reading.
    func propose(_ input: ActionInput, into proposal: inout Proposal, sample: inout TickSample)
}

extension ActionSource {
    public func warmUp(_ input: ActionInput) {}
    public func episodeStarted() {}
    public func episodeEnded() {}
    public var readyForEpisode: Bool { true }
}
