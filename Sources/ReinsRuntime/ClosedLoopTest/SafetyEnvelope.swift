import ReinsConfig
import ReinsCore
import ReinsSafety
import ReinsTasks

/// One invariant of a closed-loop test's safety envelope.
public enum EnvelopeInvariant: Int, Sendable, CaseIterable, CustomStringConvertible {
    case jointPosition = 0
    case workspace = 1
    case jointSpeed = 2
    case lane = 3
    case speed = 4
    case geofence = 5
    case altitudeBand = 6
    case tilt = 7
    /// An action that is not finite reached the driver.
    case nonFiniteAction = 8
    /// No fresh state for longer than the watchdog timeout (the run faulted).
    case watchdog = 9
    case periodErrorP99 = 10
    case overruns = 11

    public var description: String {
        switch self {
        case .jointPosition: return "joint_position"
        case .workspace: return "workspace"
        case .jointSpeed: return "joint_speed"
        case .lane: return "lane"
        case .speed: return "speed"
        case .geofence: return "geofence"
        case .altitudeBand: return "altitude_band"
        case .tilt: return "tilt"
        case .nonFiniteAction: return "finite_action"
        case .watchdog: return "watchdog"
        case .periodErrorP99: return "period_error_p99"
        case .overruns: return "overruns"
        }
    }

    /// The unit its measured value and bound are in.
    public var unit: String {
        switch self {
        case .jointPosition, .tilt: return "rad"
        case .jointSpeed: return "rad/s"
        case .workspace, .lane, .geofence, .altitudeBand: return "m"
        case .speed: return "m/s"
        case .nonFiniteAction, .overruns: return ""
        case .watchdog, .periodErrorP99: return "s"
        }
    }

    /// Checked every tick by `SafetyEnvelope` (the others are judged on the run's statistics or faults).
    public var isPerTick: Bool { rawValue <= EnvelopeInvariant.nonFiniteAction.rawValue }
}

/// The invariant that broke, on which joint or entry, what was measured and the bound.
public struct EnvelopeViolation: Sendable, Equatable {
    public var invariant: EnvelopeInvariant
    /// The joint (arm) or action entry it concerns; -1 when none.
    public var index: Int
    /// Name of that joint or entry ("" when none).
    public var subject: String
    public var value: Double
    public var bound: Double

    public var description: String {
        let what = subject.isEmpty ? invariant.description : "\(invariant.description) (\(subject))"
        let unit = invariant.unit.isEmpty ? "" : " " + invariant.unit
        switch invariant {
        case .jointPosition:
            return value < 0 ? "\(what): \(fixed(-value, 3))\(unit) past its limit (the envelope keeps it \(fixed(bound, 3))\(unit) inside)"
                : "\(what): \(fixed(value, 3))\(unit) inside its limit, less than the envelope's \(fixed(bound, 3))\(unit) margin"
        case .workspace, .geofence, .altitudeBand, .lane:
            return "\(what): \(fixed(value, 3))\(unit) outside (allowed \(fixed(bound, 3))\(unit))"
        case .nonFiniteAction:
            return "\(what): a non-finite action reached the driver"
        default:
            return "\(what): measured \(fixed(value, 3))\(unit), bound \(fixed(bound, 3))\(unit)"
        }
    }
}

/// The per-tick invariants of a closed-loop test's envelope, checked on the measured state and the
/// action the driver applied, every tick. Everything is preallocated: `check` does not allocate.
///
/// `margins(state:applied:into:)` gives each active invariant's margin (bound minus measured,
/// negative once broken) so a report can plot how close a run came.
public final class SafetyEnvelope: @unchecked Sendable {
    public let envelope: ClosedLoopTestFile.Envelope
    public let robot: RobotDescription
    /// The per-tick invariants this envelope checks, in `margins` order.
    public let invariants: [EnvelopeInvariant]
    private let kinematics: ArmKinematics?
    private let track: Track?
    private let angles: UnsafeMutableBufferPointer<Double>
    private let jointLimits: [ClosedRange<Double>]
    private let jointNames: [String]
    private let actionNames: [String]
    private var trackHint: Int?
    /// Whether each invariant has held once this run (see `check`).
    private var armed: [Bool]

    public init(_ envelope: ClosedLoopTestFile.Envelope, robot: RobotDescription, task: any RobotTask) {
        self.envelope = envelope
        self.robot = robot
        var invariants: [EnvelopeInvariant] = []
        switch robot.body {
        case .arm(let joints):
            jointLimits = joints.map(\.position)
            jointNames = joints.map(\.name)
            if envelope.jointMargin != nil { invariants.append(.jointPosition) }
            if envelope.workspace && robot.workspace != nil { invariants.append(.workspace) }
            if envelope.jointSpeed != nil { invariants.append(.jointSpeed) }
        case .car:
            jointLimits = []
            jointNames = []
            if envelope.lane { invariants.append(.lane) }
            if envelope.speed != nil { invariants.append(.speed) }
        case .drone:
            jointLimits = []
            jointNames = []
            if envelope.geofence { invariants.append(.geofence) }
            if envelope.altitudeBand { invariants.append(.altitudeBand) }
            if envelope.tilt != nil { invariants.append(.tilt) }
            if envelope.speed != nil { invariants.append(.speed) }
        }
        invariants.append(.nonFiniteAction)
        self.invariants = invariants
        armed = invariants.map { $0 == .nonFiniteAction }
        kinematics = envelope.workspace ? robot.workspace.map(ArmKinematics.init) : nil
        track = (task as? CarLapTask)?.track
        actionNames = robot.actionNames
        angles = .allocate(capacity: max(1, jointLimits.count))
        angles.initialize(repeating: 0)
    }

    deinit { angles.deallocate() }

    /// The first invariant the tick breaks, or nil. An invariant on the measured state is
    /// enforced from the first tick it holds: a robot that starts outside it (an arm resting
    /// against an end stop when its torque came on) is first brought inside by the safety filter.
    /// Whether a non-finite action reached the driver is checked from the first tick.
    public func check(state: UnsafeBufferPointer<Double>, applied: UnsafeBufferPointer<Double>) -> EnvelopeViolation? {
        for (slot, invariant) in invariants.enumerated() {
            let (margin, index, value, bound) = measure(invariant, state: state, applied: applied)
            if !armed[slot] {
                if margin >= 0 { armed[slot] = true }
                continue
            }
            if margin < 0 || margin.isNaN {
                let subject = index < 0 ? "" : (invariant == .nonFiniteAction ? actionNames[index] : jointNames[index])
                return EnvelopeViolation(invariant: invariant, index: index, subject: subject, value: value, bound: bound)
            }
        }
        return nil
    }

    /// Each active invariant's margin (bound minus measured, in its unit), in `invariants` order.
    public func margins(state: UnsafeBufferPointer<Double>, applied: UnsafeBufferPointer<Double>,
                        into margins: UnsafeMutableBufferPointer<Double>) {
        for (slot, invariant) in invariants.enumerated() where slot < margins.count {
            margins[slot] = measure(invariant, state: state, applied: applied).margin
        }
    }

    /// Margin, the entry concerned, the measured value and the bound it is held to.
    private func measure(_ invariant: EnvelopeInvariant, state: UnsafeBufferPointer<Double>,
                         applied: UnsafeBufferPointer<Double>) -> (margin: Double, index: Int, value: Double, bound: Double) {
        switch invariant {
        case .jointPosition:
            let arm = ArmStateView(state, jointCount: jointLimits.count)
            let margin = envelope.jointMargin ?? 0
            var worst = (margin: Double.infinity, index: -1, value: 0.0, bound: margin)
            for i in jointLimits.indices {
                let position = arm.position(i)
                let inside = min(position - jointLimits[i].lowerBound, jointLimits[i].upperBound - position)
                // Measured: how far inside its limit the joint is, against the margin.
                if !(inside - margin >= worst.margin) { worst = (inside - margin, i, inside, margin) }
            }
            return worst
        case .workspace:
            guard let kinematics else { return (.infinity, -1, 0, 0) }
            let arm = ArmStateView(state, jointCount: jointLimits.count)
            for i in jointLimits.indices { angles[i] = arm.position(i) }
            let outside = kinematics.distanceOutside(kinematics.toolPoint(UnsafeBufferPointer(angles)))
            return (-outside, -1, outside, 0)
        case .jointSpeed:
            let arm = ArmStateView(state, jointCount: jointLimits.count)
            let bound = envelope.jointSpeed ?? .infinity
            var worst = (margin: Double.infinity, index: -1, value: 0.0, bound: bound)
            for i in jointLimits.indices {
                let speed = abs(arm.velocity(i))
                if !(bound - speed >= worst.margin) { worst = (bound - speed, i, speed, bound) }
            }
            return worst
        case .lane:
            guard let track else { return (.infinity, -1, 0, 0) }
            let car = CarStateView(state)
            let projection = track.project(x: car.x, y: car.y, hint: trackHint)
            trackHint = projection.index
            let outside = abs(projection.lateralError) - track.laneWidth / 2
            return (-outside, -1, max(0, outside), 0)
        case .speed:
            let bound = envelope.speed ?? .infinity
            let speed: Double
            if robot.kind == .car {
                speed = abs(CarStateView(state).speed)
            } else {
                let v = DroneStateView(state).velocity
                speed = (v.north * v.north + v.east * v.east + v.down * v.down).squareRoot()
            }
            return (bound - speed, -1, speed, bound)
        case .geofence:
            guard case .drone(let limits) = robot.body else { return (.infinity, -1, 0, 0) }
            let p = DroneStateView(state).position
            let outside = (p.north * p.north + p.east * p.east).squareRoot() - limits.geofenceRadius
            return (-outside, -1, max(0, outside), 0)
        case .altitudeBand:
            guard case .drone(let limits) = robot.body else { return (.infinity, -1, 0, 0) }
            let altitude = DroneStateView(state).altitude
            let outside = max(limits.altitude.lowerBound - altitude, altitude - limits.altitude.upperBound)
            return (-outside, -1, max(0, outside), 0)
        case .tilt:
            let bound = envelope.tilt ?? .infinity
            let attitude = DroneStateView(state).attitude
            let tilt = max(abs(attitude.roll), abs(attitude.pitch))
            return (bound - tilt, -1, tilt, bound)
        case .nonFiniteAction:
            for i in applied.indices where !applied[i].isFinite { return (-1, i, applied[i], 0) }
            return (1, -1, 0, 0)
        case .watchdog, .periodErrorP99, .overruns:
            return (.infinity, -1, 0, 0)
        }
    }
}
