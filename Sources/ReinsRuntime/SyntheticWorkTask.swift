import ReinsCore

/// A tick that busy-waits a fixed time in two phases: the load `reins bench loop --work` measures
/// the loop under, with no I/O and no allocation.
///
/// It runs for a number of periods of the loop's grid, not a number of ticks: a tick that overruns
/// makes the loop skip periods, and those count against the run, so `--seconds 3` ticks for 3 s
/// whatever the overruns (the ticks run are the periods minus the skipped ones).
public final class SyntheticWorkTask: ControlTask {
    public let workNanoseconds: UInt64
    public let periods: UInt64
    /// Deadline of the first tick and end of the latest (CLOCK_MONOTONIC ns); 0 before the first.
    public private(set) var firstDeadline: UInt64 = 0
    public private(set) var lastEnd: UInt64 = 0

    public init(workMicroseconds: Double, periods: UInt64) {
        self.workNanoseconds = UInt64(max(0, workMicroseconds) * 1000)
        self.periods = max(1, periods)
    }

    public static let phaseNames = ["compute", "publish"]

    public func tick(_ clock: inout TickClock) -> TickOutcome {
        let start = MonotonicClock.nowNanoseconds()
        if clock.tick == 0 { firstDeadline = clock.deadline }
        let half = start &+ workNanoseconds / 2
        while MonotonicClock.nowNanoseconds() < half {}
        clock.markPhase()
        let end = start &+ workNanoseconds
        while MonotonicClock.nowNanoseconds() < end {}
        clock.markPhase()
        // The next tick starts at the next deadline, or after an overrun at the first grid deadline
        // after now: either way outside the window once this tick is in, or ends past, its last period.
        let lastPeriod = firstDeadline &+ (periods &- 1) &* clock.period
        lastEnd = MonotonicClock.nowNanoseconds()
        return clock.deadline >= lastPeriod || lastEnd > lastPeriod ? .finished : .proceed
    }

    /// From the start of the grid (one period before the first deadline) to the end of the last
    /// tick, in seconds: the run's length, `periods` periods plus the last tick's lateness and work.
    public func runSeconds(periodNanoseconds: UInt64) -> Double {
        firstDeadline == 0 ? 0 : Double(lastEnd &- (firstDeadline &- periodNanoseconds)) / 1e9
    }
}
