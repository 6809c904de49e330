/// Who produced the action a tick applied.
public enum ControlSource: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    case policy = 0
    /// A person teleoperating (directly or after taking over from the policy).
    case human = 1
    /// A scripted expert recording demonstrations.
    case expert = 2
    /// A replayed trajectory.
    case replay = 3

    public var description: String {
        switch self {
        case .policy: return "policy"
        case .human: return "human"
        case .expert: return "expert"
        case .replay: return "replay"
        }
    }
}

/// The RaC segment a tick belongs to (methods.md §3).
public enum Segment: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    /// The policy in control.
    case autonomous = 0
    /// A full demonstration (expert or teleoperated from the start).
    case demo = 1
    /// After a takeover: the operator brings the robot back to a familiar state.
    case recovery = 2
    /// After recovery: the operator completes the sub-task.
    case correction = 3

    public var description: String {
        switch self {
        case .autonomous: return "autonomous"
        case .demo: return "demo"
        case .recovery: return "recovery"
        case .correction: return "correction"
        }
    }
}

/// How an episode ended.
public enum EpisodeOutcome: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    case success = 0
    case failure = 1
    /// Ran out of time without succeeding.
    case timeout = 2
    /// Stopped by a fault, a safe stop or the user.
    case aborted = 3
    /// Thrown away by the operator (re-record): `reins fit` never trains on it.
    case discarded = 4

    public var description: String {
        switch self {
        case .success: return "success"
        case .failure: return "failure"
        case .timeout: return "timeout"
        case .aborted: return "aborted"
        case .discarded: return "discarded"
        }
    }
}

/// Why control changed hands (the `cause` of a takeover, recovered, hand-back or operator-lost
/// event; its `code`).
public enum InterventionCause: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    /// The operator's own decision (a key, a button, the scripted operator's judgement).
    case operatorDecision = 0
    /// The monitor asked for a takeover and the operator answered it.
    case monitorRequest = 1
    /// The operator's device went silent for longer than `operator_timeout_ms`.
    case timeout = 2
    /// Nobody answered the monitor's takeover request in time.
    case unanswered = 3

    public var description: String {
        switch self {
        case .operatorDecision: return "operator"
        case .monitorRequest: return "monitor_request"
        case .timeout: return "timeout"
        case .unanswered: return "unanswered"
        }
    }
}

/// Why the safety filter changed an action: one bit each in `TickSample.clamps`.
public enum ClampReason: Int, Sendable, CaseIterable, CustomStringConvertible {
    /// NaN or infinity in the action: replaced by the fallback (hold).
    case nonFinite = 0
    /// State too old: the action was replaced by the fallback.
    case staleState = 1
    case jointPosition = 2
    case jointVelocity = 3
    case jointAcceleration = 4
    case changePerTick = 5
    case workspace = 6
    case speed = 7
    case acceleration = 8
    case steering = 9
    case steeringRate = 10
    case horizontalVelocity = 11
    case verticalVelocity = 12
    case yawRate = 13
    case altitude = 14
    case geofence = 15

    public var bit: UInt32 { 1 << UInt32(rawValue) }

    public var description: String {
        switch self {
        case .nonFinite: return "non_finite"
        case .staleState: return "stale_state"
        case .jointPosition: return "joint_position"
        case .jointVelocity: return "joint_velocity"
        case .jointAcceleration: return "joint_acceleration"
        case .changePerTick: return "change_per_tick"
        case .workspace: return "workspace"
        case .speed: return "speed"
        case .acceleration: return "acceleration"
        case .steering: return "steering"
        case .steeringRate: return "steering_rate"
        case .horizontalVelocity: return "horizontal_velocity"
        case .verticalVelocity: return "vertical_velocity"
        case .yawRate: return "yaw_rate"
        case .altitude: return "altitude"
        case .geofence: return "geofence"
        }
    }

    public static func names(in mask: UInt32) -> [String] {
        allCases.filter { mask & $0.bit != 0 }.map(\.description)
    }
}

/// What the corrector did with low confidence or high sensitivity (mirrors `MonitorSettings.response`).
public enum ResponseTaken: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    case none = 0
    case hold = 1
    case slow = 2
    case takeover = 3

    public var description: String {
        switch self {
        case .none: return "none"
        case .hold: return "hold"
        case .slow: return "slow"
        case .takeover: return "takeover"
        }
    }
}

/// One control tick as the loop hands it to the recorder. The buffers belong to the loop and are
/// valid only during the call that receives the sample: the recorder copies what it needs into
/// its ring without allocating.
public struct TickSample {
    public var tick: UInt64 = 0
    /// When the tick started (CLOCK_MONOTONIC ns).
    public var monotonicNanoseconds: UInt64 = 0
    public var episode: UInt32 = 0
    public var source: ControlSource = .policy
    public var segment: Segment = .autonomous
    /// Whether the driver delivered fresh state this tick.
    public var freshState = true
    /// The robot's measured state (`RobotState` values, in the order of the robot's `StateLayout`).
    public var state: UnsafeBufferPointer<Double> = .init(start: nil, count: 0)
    /// What the policy saw (in the description's observation order).
    public var observation: UnsafeBufferPointer<Double> = .init(start: nil, count: 0)
    /// The policy's (or expert's, or operator's) action.
    public var proposed: UnsafeBufferPointer<Double> = .init(start: nil, count: 0)
    /// After the confidence-aware correction and monitor response.
    public var corrected: UnsafeBufferPointer<Double> = .init(start: nil, count: 0)
    /// After the safety filter, as the driver reports it applied.
    public var applied: UnsafeBufferPointer<Double> = .init(start: nil, count: 0)
    /// Local Lipschitz sensitivity from the probes (NaN when not measured).
    public var sensitivity: Double = .nan
    /// Observation entry whose jump the robot's limits cannot explain (-1: none) and its size.
    public var innovationEntry: Int32 = -1
    public var innovationJump: Double = 0
    /// Lowest CARIL confidence over the action dimensions and highest entropy (NaN without a head).
    public var confidence: Double = .nan
    public var entropy: Double = .nan
    /// CARIL rule that fired in the first action dimension where one did (0: none).
    public var rule: UInt8 = 0
    public var response: ResponseTaken = .none
    public var takeoverRequested = false
    /// Control changed hands this tick (`takeover`, `recovered`, `handback`, `operatorLost`), and why.
    public var intervention: RunEventKind?
    public var interventionCause: InterventionCause = .operatorDecision
    /// Which of the run's operators drove a human tick (an index into the recorder's operator names).
    public var operatorIndex: UInt8 = 0
    /// `ClampReason` bits the safety filter applied.
    public var clamps: UInt32 = 0
    /// Lateness of this tick's start, and the previous tick's duration, ns.
    public var periodErrorNanoseconds: UInt32 = 0
    public var previousTickNanoseconds: UInt32 = 0
    /// How old the measured state was when this tick used it: from the moment the robot measured
    /// (or the driver received) it to the tick's start, ns. 0 until the pipeline measures it.
    public var stateAgeNanoseconds: UInt64 = 0

    public init() {}
}
/// Something that happens during a run besides ticks, recorded on `/reins/event` with a code and
/// a value whose meaning depends on the kind.
public enum RunEventKind: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    /// A driver or runtime fault. `code`: the driver's fault code; `value`: a reading, if any.
    case fault = 0
    /// The monitor or corrector asked the operator to take over. `value`: the sensitivity or
    /// confidence that triggered it.
    case takeoverRequest = 1
    /// The runtime performed the robot kind's safe stop. `code`: what caused it.
    case safeStop = 2
    /// The loop missed its deadline. `code`: skipped periods; `value`: lateness in seconds.
    case overrun = 3
    /// An operator's mark, such as RaC's "recovered" key. `code`: the caller's meaning.
    case mark = 4
    /// A person took control from the policy. `code`: the `InterventionCause`.
    case takeover = 5
    /// The operator marked the robot recovered: correction starts. `code`: the `InterventionCause`.
    case recovered = 6
    /// The operator handed control back to the policy (or ended the episode). `code`: the cause.
    case handback = 7
    /// The operator's device went silent while a person was in control: the robot fell back to
    /// the kind's fallback. `value`: the device's silence in seconds.
    case operatorLost = 8

    public var description: String {
        switch self {
        case .fault: return "fault"
        case .takeoverRequest: return "takeover_request"
        case .safeStop: return "safe_stop"
        case .overrun: return "overrun"
        case .mark: return "mark"
        case .takeover: return "takeover"
        case .recovered: return "recovered"
        case .handback: return "handback"
        case .operatorLost: return "operator_lost"
        }
    }

    /// Whether `code` holds an `InterventionCause` (the events that change who is in control).
    public var isIntervention: Bool {
        self == .takeover || self == .recovered || self == .handback || self == .operatorLost
    }
}
