import ReinsConfig
import ReinsCore

/// The measured state of a robot, filled in place by its driver every tick.
///
/// Values are named the same way on every path (drivers, simulators, the robot protocol, the
/// recorder): an arm reports `J.pos`, `J.vel`, `J.effort` per joint (rad, rad/s, A); a car
/// `pose.x`, `pose.y`, `pose.yaw`, `speed`, `steering` (m, rad, m/s); a drone `position.*`,
/// `velocity.*` (north, east, down; m, m/s) and `attitude.roll/pitch/yaw` (rad).
public final class RobotState: @unchecked Sendable {
    public let names: [String]
    public let values: UnsafeMutableBufferPointer<Double>
    /// CLOCK_MONOTONIC time the values were measured (or received), ns; 0 before the first read.
    public var timestamp: UInt64 = 0
    /// Counts successful reads; the watchdog compares it between ticks.
    public var sequence: UInt64 = 0

    public init(names: [String]) {
        self.names = names
        values = .allocate(capacity: max(names.count, 1))
        values.initialize(repeating: 0)
    }

    deinit { values.deallocate() }

    public func index(of name: String) -> Int? { names.firstIndex(of: name) }

    public subscript(name: String) -> Double? {
        index(of: name).map { values[$0] }
    }

    /// The state names a robot of this description reports.
    public static func names(for robot: RobotDescription) -> [String] {
        switch robot.body {
        case .arm(let joints):
            let n = joints.map(\.name)
            return n.map { "\($0).pos" } + n.map { "\($0).vel" } + n.map { "\($0).effort" }
        case .car:
            return ["pose.x", "pose.y", "pose.yaw", "speed", "steering"]
        case .drone:
            let axes = ["north", "east", "down"]
            return axes.map { "position.\($0)" } + axes.map { "velocity.\($0)" } + ["attitude.roll", "attitude.pitch", "attitude.yaw"]
        }
    }
}
