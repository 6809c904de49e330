import ReinsConfig
import ReinsCore

/// How an episode stands after a tick.
public enum TaskStatus: Sendable, Equatable {
    case running
    case success
    case failure
}

/// A number the live status line shows: what it is, its unit and how many decimals it gets
/// ("speed 1.52 m/s").
public struct StatusField: Sendable, Equatable {
    public var label: String
    public var unit: String
    public var decimals: Int

    public init(_ label: String, unit: String, decimals: Int) {
        self.label = label
        self.unit = unit
        self.decimals = decimals
    }
}

/// What a robot is asked to do in each episode: it supplies the task part of the observation
/// (an arm's target, the car's position on its track, a drone's waypoint), judges the episode and
/// says what the live status shows about it. The state arrives as the driver filled it, in the
/// robot's `StateLayout` order; a task reads it through the kind's view (`ArmStateView`,
/// `CarStateView`, `DroneStateView`). Nothing called per tick allocates.
public protocol RobotTask: AnyObject {
    /// Longest episode, in simulated (control) seconds.
    var episodeSeconds: Double { get }
    /// Starts an episode from the current state: samples the goal.
    func reset(state: UnsafeBufferPointer<Double>, random: inout SeededRandom)
    /// Writes the entries of `feature` (as many as `ObservationFeature.entryNames` gives).
    func write(_ feature: ObservationFeature, state: UnsafeBufferPointer<Double>, into entries: UnsafeMutableBufferPointer<Double>)
    /// Judges the episode `elapsed` seconds in.
    func evaluate(state: UnsafeBufferPointer<Double>, elapsed: Double) -> TaskStatus
    /// Whether the goal is reached now, without the hold time `evaluate` also asks for (an
    /// operator handing back after a correction is judged by this).
    func goalReached(state: UnsafeBufferPointer<Double>) -> Bool
    /// How far the robot is from doing the task well right now (task units, lower is better): the
    /// closed-loop cost experiments average.
    func cost(state: UnsafeBufferPointer<Double>) -> Double
    /// How the live status line shows `cost` ("to target 0.012 rad").
    var costField: StatusField { get }
    /// What `cost` measures and its unit, for the run summary ("rms joint error, rad").
    var costMeaning: String { get }
    /// The state value the live status line shows ahead of the cost, also when episodes are not
    /// judged (a replay): the car's speed, the drone's altitude; nil when the task has none (an
    /// arm's cost says where it is).
    var headlineField: StatusField? { get }
    /// The headline's value now, in `headlineField`'s unit; NaN when the task has no headline.
    /// Called every tick.
    func statusHeadline(state: UnsafeBufferPointer<Double>) -> Double
    /// A one-line description of the current goal, for logs.
    var goalDescription: String { get }
}

public enum TaskFactory {
    /// The task that fits a robot kind: reach for arms, laps for cars, waypoints for drones.
    public static func make(for robot: RobotDescription) -> any RobotTask {
        switch robot.body {
        case .arm(let joints): return ArmReachTask(joints: joints, controlRateHz: robot.controlRateHz)
        case .car(let limits): return CarLapTask(track: .oval, limits: limits)
        case .drone(let limits): return DroneWaypointTask(limits: limits)
        }
    }
}
