import ReinsCore

/// Simulated time that runs `speed` times faster than the monotonic clock (1 = real time), so tests
/// and demonstration runs can go faster than the robot would.
public struct SimulationClock: Sendable {
    public let speed: Double
    private let startNanoseconds: UInt64

    public init(speed: Double = 1, start: UInt64 = MonotonicClock.nowNanoseconds()) {
        precondition(speed > 0, "simulation speed must be positive")
        self.speed = speed
        startNanoseconds = start
    }

    /// Simulated seconds since start.
    public func now(_ monotonic: UInt64 = MonotonicClock.nowNanoseconds()) -> Double {
        Double(monotonic &- startNanoseconds) * 1e-9 * speed
    }

    /// The monotonic instant at which simulated time reaches `seconds`.
    public func monotonic(atSimulated seconds: Double) -> UInt64 {
        startNanoseconds &+ UInt64(max(0, seconds / speed) * 1e9)
    }
}
