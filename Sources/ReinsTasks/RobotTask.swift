import ReinsConfig
import ReinsCore

/// How an episode stands after a tick.
public enum TaskStatus: Sendable, Equatable {
    case running
    case success
    case failure
}

/// What a robot is asked to do in each episode: it supplies the task part of the observation
/// (an arm's target, the car's position on its track, a drone's waypoint) and judges the episode.
/// State values arrive by index in `RobotState.names` order; the task never allocates per tick.
public protocol RobotTask: AnyObject {
    /// Longest episode, in simulated (control) seconds.
    var episodeSeconds: Double { get }
    /// Starts an episode from the current state: samples the goal.
    func reset(state: UnsafeBufferPointer<Double>, random: inout SeededRandom)
    /// Writes the entries of `feature` (as many as `ObservationFeature.entryNames` gives).
    func write(_ feature: ObservationFeature, state: UnsafeBufferPointer<Double>, into entries: UnsafeMutableBufferPointer<Double>)
    /// Judges the episode `elapsed` seconds in.
    func evaluate(state: UnsafeBufferPointer<Double>, elapsed: Double) -> TaskStatus
    /// How far the robot is from doing the task well right now (task units, lower is better): the
    /// closed-loop cost experiments average.
    func cost(state: UnsafeBufferPointer<Double>) -> Double
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
