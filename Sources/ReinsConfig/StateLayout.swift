import ReinsCore

/// The order of a robot's measured state: the one place that knows which value sits where.
///
/// Drivers fill the state in this order, simulators and the robot protocol name it with `names`,
/// the recorder writes them as `state_names`, and everything that reads a value by its meaning
/// (the safety filter, tasks, experts, the observation builder, the status line) reads it through
/// a typed view: `ArmStateView`, `CarStateView`, `DroneStateView`. The views hold only the buffer
/// (and an arm's joint count) and read at fixed offsets, so they cost nothing in the tick.
///
/// An arm reports `J.pos`, `J.vel`, `J.effort` per joint (rad, rad/s, A), all positions first,
/// then all velocities, then all efforts; a car `pose.x`, `pose.y`, `pose.yaw`, `speed`, `steering`
/// (m, rad, m/s); a drone `position.*` and `velocity.*` (north, east, down; m, m/s) and
/// `attitude.roll/pitch/yaw` (rad).
public struct StateLayout: Sendable, Equatable {
    public let kind: RobotKind
    /// Every entry's name, in order.
    public let names: [String]
    /// Arms: how many joints (each reading is a run of this length); 0 for other kinds.
    public let jointCount: Int

    /// The layout of a robot kind; `jointNames` are an arm's joints, in order (empty otherwise).
    public init(kind: RobotKind, jointNames: [String] = []) {
        precondition(kind == .arm || jointNames.isEmpty, "only arms have joints")
        self.kind = kind
        jointCount = jointNames.count
        switch kind {
        case .arm: names = ArmStateView.names(joints: jointNames)
        case .car: names = CarStateView.names
        case .drone: names = DroneStateView.names
        }
    }

    /// The layout of a robot with this body.
    public init(body: RobotBody) {
        switch body {
        case .arm(let joints): self.init(kind: .arm, jointNames: joints.map(\.name))
        case .car: self.init(kind: .car)
        case .drone: self.init(kind: .drone)
        }
    }

    public var count: Int { names.count }

    /// Where the state holds an observation feature's entries as they are (an arm's joint readings,
    /// the car's pose, speed and steering, the drone's position, velocity and attitude), in the
    /// order `ObservationFeature.entryNames` gives; nil for the features a task computes (targets,
    /// the track) and for features of another kind.
    public func entries(of feature: ObservationFeature) -> Range<Int>? {
        switch (kind, feature) {
        case (.arm, .jointPosition): return ArmStateView.positions(jointCount: jointCount)
        case (.arm, .jointVelocity): return ArmStateView.velocities(jointCount: jointCount)
        case (.arm, .jointEffort): return ArmStateView.efforts(jointCount: jointCount)
        case (.car, .pose): return CarStateView.Offset.x..<(CarStateView.Offset.yaw + 1)
        case (.car, .speed): return CarStateView.Offset.speed..<(CarStateView.Offset.speed + 1)
        case (.car, .steering): return CarStateView.Offset.steering..<(CarStateView.Offset.steering + 1)
        case (.drone, .position): return DroneStateView.Offset.position..<(DroneStateView.Offset.position + 3)
        case (.drone, .velocity): return DroneStateView.Offset.velocity..<(DroneStateView.Offset.velocity + 3)
        case (.drone, .attitude): return DroneStateView.Offset.attitude..<(DroneStateView.Offset.attitude + 3)
        default: return nil
        }
    }
}

extension RobotDescription {
    /// The state this robot reports (built on each access: keep it where it is used every tick).
    public var stateLayout: StateLayout { StateLayout(body: body) }
}

/// An arm's measured state, per joint in the description's order: position (rad), velocity
/// (rad/s) and effort (the servo's current, A).
public struct ArmStateView {
    @usableFromInline let values: UnsafeBufferPointer<Double>
    public let jointCount: Int

    @inlinable
    public init(_ values: UnsafeBufferPointer<Double>, jointCount: Int) {
        self.values = values
        self.jointCount = jointCount
    }

    @inlinable public func position(_ joint: Int) -> Double { values[joint] }
    @inlinable public func velocity(_ joint: Int) -> Double { values[jointCount &+ joint] }
    @inlinable public func effort(_ joint: Int) -> Double { values[2 &* jointCount &+ joint] }

    static func positions(jointCount: Int) -> Range<Int> { 0..<jointCount }
    static func velocities(jointCount: Int) -> Range<Int> { jointCount..<(2 * jointCount) }
    static func efforts(jointCount: Int) -> Range<Int> { (2 * jointCount)..<(3 * jointCount) }

    static func names(joints: [String]) -> [String] {
        joints.map { "\($0).pos" } + joints.map { "\($0).vel" } + joints.map { "\($0).effort" }
    }
}

/// A car's measured state: its pose from localisation (x, y in m; yaw in rad, anticlockwise
/// from x), its speed (m/s) and steering angle (rad, positive left).
public struct CarStateView {
    /// The entries, in order; the offsets below index this list.
    static let names = ["pose.x", "pose.y", "pose.yaw", "speed", "steering"]
    @usableFromInline enum Offset {
        @usableFromInline static let x = 0, y = 1, yaw = 2, speed = 3, steering = 4
    }

    @usableFromInline let values: UnsafeBufferPointer<Double>

    @inlinable
    public init(_ values: UnsafeBufferPointer<Double>) {
        self.values = values
    }

    @inlinable public var x: Double { values[Offset.x] }
    @inlinable public var y: Double { values[Offset.y] }
    @inlinable public var yaw: Double { values[Offset.yaw] }
    @inlinable public var speed: Double { values[Offset.speed] }
    @inlinable public var steering: Double { values[Offset.steering] }
}

/// A drone's measured state in the runtime's local NED frame: position (m) and velocity (m/s)
/// north, east, down from the take-off point, attitude (rad), and the altitude (m, positive up).
public struct DroneStateView {
    /// The entries, in order; the offsets below index this list.
    static let names = ["position.north", "position.east", "position.down",
                               "velocity.north", "velocity.east", "velocity.down",
                               "attitude.roll", "attitude.pitch", "attitude.yaw"]
    /// Where each run of three starts.
    @usableFromInline enum Offset {
        @usableFromInline static let position = 0, velocity = 3, attitude = 6
    }

    @usableFromInline let values: UnsafeBufferPointer<Double>

    @inlinable
    public init(_ values: UnsafeBufferPointer<Double>) {
        self.values = values
    }

    @inlinable public var position: (north: Double, east: Double, down: Double) {
        (values[Offset.position], values[Offset.position &+ 1], values[Offset.position &+ 2])
    }

    @inlinable public var velocity: (north: Double, east: Double, down: Double) {
        (values[Offset.velocity], values[Offset.velocity &+ 1], values[Offset.velocity &+ 2])
    }

    @inlinable public var attitude: (roll: Double, pitch: Double, yaw: Double) {
        (values[Offset.attitude], values[Offset.attitude &+ 1], values[Offset.attitude &+ 2])
    }

    /// Height above the take-off point, m: minus the position's down.
    @inlinable public var altitude: Double { -values[Offset.position &+ 2] }

    /// Horizontal distance from the take-off point (the geofence's centre), m.
    @inlinable public var horizontalDistance: Double {
        let north = values[Offset.position], east = values[Offset.position &+ 1]
        return (north * north + east * east).squareRoot()
    }
}
