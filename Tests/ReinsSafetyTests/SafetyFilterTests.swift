import ReinsConfig
import ReinsCore
import ReinsSafety
import ReinsTestSupport
import Testing

private func robot(_ name: String) throws -> RobotDescription {
    try RobotDescription.load(path: packageRoot + "/Robots/\(name).yaml")
}

/// Runs one filter step and returns (output, clamp reasons).
private func step(_ filter: SafetyFilter, _ action: [Double], state: [Double], fresh: Bool = true) -> ([Double], Set<ClampReason>) {
    var output = [Double](repeating: 0, count: action.count)
    let mask = action.withUnsafeBufferPointer { a in
        state.withUnsafeBufferPointer { s in output.withUnsafeMutableBufferPointer { filter.filter(a, state: s, stateFresh: fresh, into: $0) } }
    }
    return (output, Set(ClampReason.allCases.filter { mask & $0.bit != 0 }))
}

@Suite struct ArmSafetyFilterTests {
    let arm: RobotDescription
    let filter: SafetyFilter
    let rest = [Double](repeating: 0, count: 18)

    init() throws {
        arm = try robot("sim-arm")
        filter = SafetyFilter(robot: arm)
        rest.withUnsafeBufferPointer { filter.reset(state: $0) }
    }

    @Test func aSmallStepPassesUntouched() {
        let (output, reasons) = step(filter, [0.001, 0, 0, 0, 0, 0], state: rest)
        #expect(reasons.isEmpty)
        #expect(output[0] == 0.001)
    }

    @Test func velocityAndAccelerationLimitTheStepAndPositionLimitsHold() {
        // A jump to 1 rad is limited by acceleration (15 rad/s² → 0.0015 rad step growth per tick at 100 Hz).
        var (output, reasons) = step(filter, [1, 0, 0, 0, 0, 0], state: rest)
        #expect(reasons.contains(.jointAcceleration))
        #expect(abs(output[0] - 0.0015) < 1e-12)
        // Keep asking: the step grows until the velocity limit (3 rad/s → 0.03 rad per tick) caps it.
        for _ in 0..<40 { (output, reasons) = step(filter, [1, 0, 0, 0, 0, 0], state: rest) }
        #expect(reasons.contains(.jointVelocity))
        // Beyond the joint limit the goal stops at the limit.
        for _ in 0..<200 { (output, reasons) = step(filter, [5, 0, 0, 0, 0, 0], state: rest) }
        #expect(output[0] == 1.9)
        #expect(reasons.contains(.jointPosition))
        #expect(filter.count(of: .jointPosition) > 0)
    }

    @Test func nonFiniteActionsAndStaleStateFallBackToHold() {
        _ = step(filter, [0.001, 0, 0, 0, 0, 0], state: rest)
        var (output, reasons) = step(filter, [.nan, 0.1, 0, 0, 0, 0], state: rest)
        #expect(reasons == [.nonFinite])
        #expect(output == [0.001, 0, 0, 0, 0, 0])
        (output, reasons) = step(filter, [0.1, 0, 0, 0, 0, 0], state: rest, fresh: false)
        #expect(reasons == [.staleState])
        #expect(output == [0.001, 0, 0, 0, 0, 0])
        #expect(filter.count(of: .nonFinite) == 1 && filter.count(of: .staleState) == 1)
    }
}

@Suite struct CarSafetyFilterTests {
    @Test func speedSteeringAndTheirRatesAreLimited() throws {
        let car = try robot("sim-car")
        let filter = SafetyFilter(robot: car)
        let state: [Double] = [0, 0, 0, 0, 0]
        state.withUnsafeBufferPointer { filter.reset(state: $0) }
        var (output, reasons) = step(filter, [9, 1], state: state)
        // Speed capped at 3 m/s, then by acceleration 3 m/s² (0.06 per tick at 50 Hz); steering by
        // its 0.26 rad lock and then its 3 rad/s rate (0.06 per tick).
        #expect(reasons.isSuperset(of: [.speed, .acceleration, .steering, .steeringRate]))
        #expect(abs(output[0] - 0.06) < 1e-12 && abs(output[1] - 0.06) < 1e-12)
        for _ in 0..<100 { (output, reasons) = step(filter, [9, 1], state: state) }
        #expect(output == [3, 0.26])
        // The fallback slows the car down at the acceleration limit, steering held.
        (output, reasons) = step(filter, [.infinity, 0], state: state)
        #expect(reasons.contains(.nonFinite))
        #expect(abs(output[0] - 2.94) < 1e-12 && output[1] == 0.26)
    }
}

@Suite struct DroneSafetyFilterTests {
    let drone: RobotDescription
    let filter: SafetyFilter

    init() throws {
        drone = try robot("sim-drone")
        filter = SafetyFilter(robot: drone)
        let hover: [Double] = [0, 0, -2, 0, 0, 0, 0, 0, 0]
        hover.withUnsafeBufferPointer { filter.reset(state: $0) }
    }

    /// Walks the filter to a steady output for `action`.
    func settle(_ action: [Double], state: [Double]) -> ([Double], Set<ClampReason>) {
        var result = step(filter, action, state: state)
        for _ in 0..<100 { result = step(filter, action, state: state) }
        return result
    }

    @Test func horizontalSpeedIsCappedAsANorm() {
        let (output, reasons) = settle([3, 3, 0], state: [0, 0, -2, 0, 0, 0, 0, 0, 0])
        #expect(reasons.contains(.horizontalVelocity))
        #expect(abs((output[0] * output[0] + output[1] * output[1]).squareRoot() - 2) < 1e-9)
    }

    @Test func theAltitudeBandStopsClimbsAndDescentsAtItsEdges() {
        // 0.7 m altitude, band starts at 0.5 m: descending faster than 0.2 m/s would leave it within 1 s.
        var (output, reasons) = settle([0, 0, 1], state: [0, 0, -0.7, 0, 0, 0, 0, 0, 0])
        #expect(reasons.contains(.altitude))
        #expect(abs(output[2] - 0.2) < 1e-9)
        (output, reasons) = settle([0, 0, -1], state: [0, 0, -10, 0, 0, 0, 0, 0, 0])
        #expect(reasons.contains(.altitude) && output[2] == 0)
    }

    @Test func theGeofenceRemovesOutwardMotionNearTheFence() {
        // 19.5 m north of home, fence at 20 m: north speed is cut to 0.5 m/s, east is untouched.
        let (output, reasons) = settle([1.9, 0.5, 0], state: [19.5, 0, -2, 0, 0, 0, 0, 0, 0])
        #expect(reasons.contains(.geofence))
        #expect(abs(output[0] - 0.5) < 1e-9 && abs(output[1] - 0.5) < 1e-9)
    }
}
