import ReinsCore

/// Timestamps of one tick, pushed by the loop into a ring buffer and turned into histograms on
/// another thread. Plain values only, so pushing costs a copy and nothing else.
public struct TickTiming: BitwiseCopyable, Sendable {
    public static let maximumPhases = 8

    public var tick: UInt64 = 0
    /// When the tick was due (absolute CLOCK_MONOTONIC ns).
    public var deadline: UInt64 = 0
    /// When the loop thread actually started the tick.
    public var wake: UInt64 = 0
    /// When the tick returned.
    public var end: UInt64 = 0
    // End time of each marked phase; phase i lasted end(i) - (i == 0 ? wake : end(i-1)).
    // Separate fields rather than a tuple: generic access to a tuple makes the Swift runtime
    // instantiate its metadata on first use, which is a heap allocation inside the first tick.
    private var phase0: UInt64 = 0, phase1: UInt64 = 0, phase2: UInt64 = 0, phase3: UInt64 = 0
    private var phase4: UInt64 = 0, phase5: UInt64 = 0, phase6: UInt64 = 0, phase7: UInt64 = 0
    public private(set) var phaseCount: UInt8 = 0
    /// Periods skipped after this tick because it ran past the next deadline.
    public var skippedPeriods: UInt32 = 0

    public init() {}

    @inline(__always)
    public mutating func markPhaseEnd(_ time: UInt64) {
        switch phaseCount {
        case 0: phase0 = time
        case 1: phase1 = time
        case 2: phase2 = time
        case 3: phase3 = time
        case 4: phase4 = time
        case 5: phase5 = time
        case 6: phase6 = time
        case 7: phase7 = time
        default: return
        }
        phaseCount &+= 1
    }

    public func phaseEnd(_ index: Int) -> UInt64 {
        switch index {
        case 0: return phase0
        case 1: return phase1
        case 2: return phase2
        case 3: return phase3
        case 4: return phase4
        case 5: return phase5
        case 6: return phase6
        case 7: return phase7
        default: return 0
        }
    }
}

/// Handed to every tick so the task can mark where its phases end (read, policy, write, ...).
public struct TickClock {
    public internal(set) var timing = TickTiming()
    /// Tick counter, starting at 0.
    public var tick: UInt64 { timing.tick }
    /// The instant this tick was due; drivers use it to derive their own deadlines.
    public var deadline: UInt64 { timing.deadline }
    /// Loop period in nanoseconds.
    public let period: UInt64

    init(period: UInt64) {
        self.period = period
    }

    /// Marks the end of the current phase (phases are counted in the order they are marked).
    @inline(__always)
    public mutating func markPhase() {
        timing.markPhaseEnd(MonotonicClock.nowNanoseconds())
    }

    /// The deadline of the next tick: no I/O inside this tick may wait past it.
    public var nextDeadline: UInt64 { timing.deadline &+ period }
}
