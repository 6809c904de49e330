import Foundation
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

@Suite struct WorkspaceTests {
    /// Rotation matrices written out by hand (row-major), independent of ArmKinematics' column form.
    typealias Matrix = [[Double]]
    static func multiply(_ a: Matrix, _ b: Matrix) -> Matrix {
        (0..<3).map { i in (0..<3).map { j in (0..<3).reduce(0) { $0 + a[i][$1] * b[$1][j] } } }
    }
    static func apply(_ m: Matrix, _ v: [Double]) -> [Double] { (0..<3).map { i in (0..<3).reduce(0) { $0 + m[i][$1] * v[$1] } } }
    static func rx(_ a: Double) -> Matrix { [[1, 0, 0], [0, cos(a), -sin(a)], [0, sin(a), cos(a)]] }
    static func ry(_ a: Double) -> Matrix { [[cos(a), 0, sin(a)], [0, 1, 0], [-sin(a), 0, cos(a)]] }
    static func rz(_ a: Double) -> Matrix { [[cos(a), -sin(a), 0], [sin(a), cos(a), 0], [0, 0, 1]] }

    /// URDF forward kinematics for links whose axes are x, y or z.
    static func reference(_ workspace: ArmWorkspace, _ q: [Double]) -> [Double] {
        var rotation: Matrix = [[1, 0, 0], [0, 1, 0], [0, 0, 1]]
        var position = [0.0, 0, 0]
        for link in workspace.chain {
            let offset = apply(rotation, [link.xyz.x, link.xyz.y, link.xyz.z])
            position = (0..<3).map { position[$0] + offset[$0] }
            rotation = multiply(rotation, multiply(rz(link.rpy.z), multiply(ry(link.rpy.y), rx(link.rpy.x))))
            let angle = q[link.joint]
            let joint = link.axis.x == 1 ? rx(angle) : link.axis.y == 1 ? ry(angle) : rz(angle)
            rotation = multiply(rotation, joint)
        }
        let tool = apply(rotation, [workspace.tool.x, workspace.tool.y, workspace.tool.z])
        return (0..<3).map { position[$0] + tool[$0] }
    }

    @Test func toolPointMatchesAHandWrittenURDFChainOnTheSO101() throws {
        let robot = try RobotDescription.load(path: packageRoot + "/Robots/so101-arm.yaml")
        let workspace = try #require(robot.workspace)
        let kinematics = ArmKinematics(workspace)
        var random = SeededRandom(seed: 3)
        for _ in 0..<50 {
            let q = (0..<6).map { _ in random.uniform(-1.5...1.5) }
            let point = kinematics.toolPoint(q)
            let expected = Self.reference(workspace, q)
            #expect(abs(point.x - expected[0]) < 1e-12 && abs(point.y - expected[1]) < 1e-12 && abs(point.z - expected[2]) < 1e-12)
        }
        // At the zero pose the SO-101's gripper is in front of and above its base, inside the shipped box.
        let zero = kinematics.toolPoint([Double](repeating: 0, count: 6))
        #expect(kinematics.distanceOutside(zero) == 0, "\(zero)")
        // A reversed axis turns the other way: axis -z at +θ is axis z at -θ.
        var reversed = workspace
        reversed.chain[0].axis = SIMD3(0, 0, -1)
        let pose = [0.4, 0.2, -0.3, 0.1, 0.5, 0]
        let turned = ArmKinematics(reversed).toolPoint(pose)
        let mirrored = kinematics.toolPoint([-0.4] + pose.dropFirst())
        #expect(abs(turned.x - mirrored.x) < 1e-12 && abs(turned.y - mirrored.y) < 1e-12 && abs(turned.z - mirrored.z) < 1e-12)
    }

    /// A planar two-link arm (0.3 m and 0.2 m, both about z) on the sim arm's first two joints,
    /// with a wall at y = -0.25.
    static func planarArm() throws -> RobotDescription {
        var robot = try RobotDescription.load(path: packageRoot + "/Robots/sim-arm.yaml")
        robot.workspace = ArmWorkspace(
            chain: [.init(joint: 0, xyz: .zero, axis: SIMD3(0, 0, 1)), .init(joint: 1, xyz: SIMD3(0.3, 0, 0), axis: SIMD3(0, 0, 1))],
            tool: SIMD3(0.2, 0, 0), x: -1...1, y: -0.25...1, z: -1...1)
        return robot
    }

    @Test func theArmStopsAtTheWallAndSlidesNoFurther() throws {
        let robot = try Self.planarArm()
        let filter = SafetyFilter(robot: robot)
        let kinematics = try #require(filter.kinematics)
        let rest = [Double](repeating: 0, count: 18)
        rest.withUnsafeBufferPointer { filter.reset(state: $0) }
        var output: [Double] = []
        var reasons = Set<ClampReason>()
        for _ in 0..<300 {
            (output, reasons) = step(filter, [-1.5, 0, 0, 0, 0, 0], state: rest)
            #expect(kinematics.toolPoint(output).y >= -0.25 - 1e-12)
        }
        // 0.5 sin(q) = -0.25 at q = -π/6: the goal rests against the wall, within the bisection's resolution.
        #expect(reasons.contains(.workspace))
        #expect(abs(output[0] + Double.pi / 6) < 1e-3, "\(output[0])")
        #expect(filter.count(of: .workspace) > 0)
        // Moving away from the wall is free (a step the acceleration limit allows from rest).
        (output, reasons) = step(filter, [output[0] + 0.001, 0, 0, 0, 0, 0], state: rest)
        #expect(reasons.isEmpty)
    }

    @Test func anArmStartedOutsideMayOnlyMoveBackTowardTheBox() throws {
        let filter = SafetyFilter(robot: try Self.planarArm())
        var state = [Double](repeating: 0, count: 18)
        state[0] = -1.0   // tool at y = 0.5 sin(-1) = -0.42, outside
        state.withUnsafeBufferPointer { filter.reset(state: $0) }
        var (output, reasons) = step(filter, [-1.001, 0, 0, 0, 0, 0], state: state)
        #expect(reasons == [.workspace])
        #expect(output[0] == -1.0)
        (output, reasons) = step(filter, [-0.999, 0, 0, 0, 0, 0], state: state)
        #expect(reasons.isEmpty)
        #expect(output[0] == -0.999)
    }
}
