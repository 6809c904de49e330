import ReinsRuntime
import Testing

@Suite struct AlphaBetaTrackerTests {
    @Test func aSteadyRampIsTrackedWithoutLagOnceTheSpeedHasSettled() {
        var tracker = AlphaBetaTracker(count: 1, rateHz: 100)
        var reading = 0.0
        for n in 0..<300 {
            reading = 0.6 * Double(n) / 100   // a hand moving 0.6 rad/s
            withUnsafePointer(to: &reading) { tracker.update(UnsafeBufferPointer(start: $0, count: 1), at: UInt64(n + 1) * 10_000_000) }
        }
        #expect(abs(tracker.positions[0] - reading) < 1e-6)
        #expect(abs(tracker.speeds[0] - 0.6) < 1e-6)
    }

    @Test func aStepIsFollowedWithinAFewReadingsAtAnyRate() {
        let half = AlphaBetaTracker.readingsToReach(0.5, ofAStepAt: 100)
        let most = AlphaBetaTracker.readingsToReach(0.9, ofAStepAt: 100)
        #expect((1...4).contains(half) && half < most && most <= 10, "half after \(half), 90 % after \(most)")
        // The gains scale with the rate, so the lag in time stays about the same.
        let fasterHalf = AlphaBetaTracker.readingsToReach(0.5, ofAStepAt: 200)
        #expect(abs(Double(fasterHalf) / 200 - Double(half) / 100) <= 0.01, "\(fasterHalf) readings at 200 Hz, \(half) at 100 Hz")
    }
}
