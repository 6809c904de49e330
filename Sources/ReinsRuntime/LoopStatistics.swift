import Histogram
import ReinsCore
import Synchronization

/// Summary of a latency distribution in nanoseconds.
public struct LatencySummary: Sendable, Equatable {
    public var count: UInt64
    public var p50: UInt64
    public var p99: UInt64
    public var p999: UInt64
    public var max: UInt64

    public static let empty = LatencySummary(count: 0, p50: 0, p99: 0, p999: 0, max: 0)

    init(_ histogram: Histogram<UInt64>) {
        guard histogram.totalCount > 0 else { self = .empty; return }
        count = histogram.totalCount
        p50 = histogram.valueAtPercentile(50)
        p99 = histogram.valueAtPercentile(99)
        p999 = histogram.valueAtPercentile(99.9)
        max = histogram.max
    }

    init(count: UInt64, p50: UInt64, p99: UInt64, p999: UInt64, max: UInt64) {
        self.count = count
        self.p50 = p50
        self.p99 = p99
        self.p999 = p999
        self.max = max
    }
}

/// A consistent snapshot of the loop's timing so far.
public struct LoopStatistics: Sendable {
    public var ticks: UInt64
    /// Ticks that ran past the next deadline.
    public var overrunTicks: UInt64
    /// Periods skipped because of overruns.
    public var skippedPeriods: UInt64
    /// Timing samples lost because the collector fell a full ring behind (should stay 0).
    public var droppedSamples: Int
    /// Wake-up lateness: actual tick start minus its deadline.
    public var periodError: LatencySummary
    /// Time from wake-up to the end of the tick.
    public var tickDuration: LatencySummary
    public var phases: [(name: String, duration: LatencySummary)]
    /// Ticks per second between the first and the last tick's wake-up.
    public var achievedRateHz: Double
    public var elapsedSeconds: Double
}

/// Drains the loop's timing ring into HdrHistograms. Any thread may read; only the collector
/// thread and readers take the lock, never the loop.
public final class LoopStatisticsCollector: @unchecked Sendable {
    let ring: SPSCRing<TickTiming>
    private let state: Mutex<State>
    private let phaseNames: [String]

    struct State: ~Copyable {
        var periodError: Histogram<UInt64>
        var tickDuration: Histogram<UInt64>
        var phases: [Histogram<UInt64>]
        var ticks: UInt64 = 0
        var overrunTicks: UInt64 = 0
        var skippedPeriods: UInt64 = 0
        var firstWake: UInt64 = 0
        var lastWake: UInt64 = 0
    }

    init(periodNanoseconds: UInt64, phaseNames: [String], ringCapacity: Int) {
        self.ring = SPSCRing(capacity: ringCapacity)
        self.phaseNames = phaseNames
        // Track up to 10 s: anything longer is a stall, and it is still counted (clamped to the top).
        let top: UInt64 = 10_000_000_000
        func make() -> Histogram<UInt64> {
            Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: top, numberOfSignificantValueDigits: .three)
        }
        state = Mutex(State(periodError: make(), tickDuration: make(), phases: phaseNames.map { _ in make() }))
    }

    /// Moves queued samples into the histograms (single consumer: serialised by the lock).
    func collect() {
        state.withLock { state -> Void in
            ring.drain { timing in
                state.ticks += 1
                if state.firstWake == 0 { state.firstWake = timing.wake }
                state.lastWake = timing.wake
                _ = state.periodError.record(Self.clamp(timing.wake &- timing.deadline))
                _ = state.tickDuration.record(Self.clamp(timing.end &- timing.wake))
                if timing.skippedPeriods > 0 {
                    state.overrunTicks += 1
                    state.skippedPeriods += UInt64(timing.skippedPeriods)
                }
                var previous = timing.wake
                for index in 0..<min(Int(timing.phaseCount), state.phases.count) {
                    let end = timing.phaseEnd(index)
                    _ = state.phases[index].record(Self.clamp(end &- previous))
                    previous = end
                }
            }
        }
    }

    private static func clamp(_ value: UInt64) -> UInt64 {
        // A wake before the deadline cannot happen with TIMER_ABSTIME; guard the subtraction anyway.
        if value > 10_000_000_000 { return 10_000_000_000 }
        return max(value, 1)
    }

    public func snapshot() -> LoopStatistics {
        collect()
        return state.withLock { state in
            let elapsed = state.lastWake > state.firstWake ? Double(state.lastWake - state.firstWake) / 1e9 : 0
            return LoopStatistics(
                ticks: state.ticks, overrunTicks: state.overrunTicks, skippedPeriods: state.skippedPeriods,
                droppedSamples: ring.droppedCount,
                periodError: LatencySummary(state.periodError),
                tickDuration: LatencySummary(state.tickDuration),
                phases: zip(phaseNames, state.phases).map { ($0, LatencySummary($1)) },
                achievedRateHz: elapsed > 0 && state.ticks > 1 ? Double(state.ticks - 1) / elapsed : 0,
                elapsedSeconds: elapsed)
        }
    }
}
