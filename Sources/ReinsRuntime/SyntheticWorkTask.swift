import ReinsCore

/// A tick that busy-waits a fixed time in two phases: the load `reins bench loop --work` measures
/// the loop under, with no I/O and no allocation.
public final class SyntheticWorkTask: ControlTask {
    public let workNanoseconds: UInt64
    public let tickLimit: UInt64

    public init(workMicroseconds: Double, ticks: UInt64) {
        self.workNanoseconds = UInt64(max(0, workMicroseconds) * 1000)
        self.tickLimit = ticks
    }

    public static let phaseNames = ["compute", "publish"]

    public func tick(_ clock: inout TickClock) -> TickOutcome {
        let start = MonotonicClock.nowNanoseconds()
        let half = start &+ workNanoseconds / 2
        while MonotonicClock.nowNanoseconds() < half {}
        clock.markPhase()
        let end = start &+ workNanoseconds
        while MonotonicClock.nowNanoseconds() < end {}
        clock.markPhase()
        return clock.tick + 1 >= tickLimit ? .finished : .proceed
    }
}
