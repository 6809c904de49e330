/// The leader arm's smoothing: per joint, an alpha-beta filter tracking position and speed from
/// timed readings. Pure (readings and their times in, estimates out): the leader arm's `poll` runs
/// it once per tick, and `reins bench operator` runs it on a step to report the lag it adds.
///
/// Its gains are per reading at `referenceRateHz` and scaled for faster reading, so its bandwidth
/// stays the same whatever the rate. A ramp (a hand moving steadily) is tracked without lag once
/// the speed has settled; a step or a change of speed is followed over a few readings.
public struct AlphaBetaTracker: Sendable {
    /// The newest estimate of each joint's position, and its speed per second.
    public private(set) var positions: [Double]
    public private(set) var speeds: [Double]
    /// When the estimate holds (CLOCK_MONOTONIC ns); 0 before the first reading.
    public private(set) var estimated: UInt64 = 0
    public let positionGain: Double
    public let speedGain: Double

    public static let referenceRateHz = 100.0
    /// Within 2 mrad of a hand moving 0.6 rad/s, and smooth enough for a follower's 15 rad/s² at 100 Hz.
    public static let referencePositionGain = 0.3
    public static let referenceSpeedGain = 0.05

    /// - Parameters:
    ///   - count: joints tracked.
    ///   - rateHz: how often readings come.
    public init(count: Int, rateHz: Double) {
        positions = [Double](repeating: 0, count: count)
        speeds = positions
        let scale = Self.referenceRateHz / rateHz
        positionGain = Self.referencePositionGain * scale
        speedGain = Self.referenceSpeedGain * scale * scale
    }

    /// Takes a reading measured at `time` (CLOCK_MONOTONIC ns); the first one is taken as it is.
    /// Allocates nothing.
    public mutating func update(_ readings: UnsafeBufferPointer<Double>, at time: UInt64) {
        if estimated == 0 {
            for i in positions.indices { positions[i] = readings[i] }
        } else {
            let dt = Double(time &- estimated) / 1e9
            for i in positions.indices {
                let predicted = positions[i] + speeds[i] * dt
                let residual = readings[i] - predicted
                positions[i] = predicted + positionGain * residual
                if dt > 0 { speeds[i] += speedGain * residual / dt }
            }
        }
        estimated = time
    }

    /// Readings after a unit step (at `rateHz`, from rest) until the estimate first reaches
    /// `fraction` of it: the lag the tracker adds to a sudden move of the hand.
    public static func readingsToReach(_ fraction: Double, ofAStepAt rateHz: Double) -> Int {
        var tracker = AlphaBetaTracker(count: 1, rateHz: rateHz)
        let period = UInt64(1e9 / rateHz)
        var time: UInt64 = period
        var reading = 0.0
        withUnsafePointer(to: &reading) { tracker.update(UnsafeBufferPointer(start: $0, count: 1), at: time) }
        reading = 1
        for count in 1...10_000 {
            time += period
            withUnsafePointer(to: &reading) { tracker.update(UnsafeBufferPointer(start: $0, count: 1), at: time) }
            if tracker.positions[0] >= fraction { return count }
        }
        return 10_000
    }
}
