import ReinsConfig
import ReinsCore
import ReinsTasks
import ReinsTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A state buffer for `robot` with the named entries set and every other entry at `filler`, so a
/// task that reads the wrong entry sees the filler.
func state(_ robot: RobotDescription, _ values: [String: Double], filler: Double = 0) -> [Double] {
    let names = robot.stateLayout.names
    for name in values.keys { precondition(names.contains(name), "no state entry \(name)") }
    return names.map { values[$0] ?? filler }
}

/// The tasks read the state by meaning, through the layout's views: each test sets the entries a
/// task should use, by name, and fills the rest with values that would change the answer.
@Suite struct TaskTests {
    @Test func theReachTaskJudgesJointPositionsNotVelocitiesOrEfforts() throws {
        let robot = try loadRobot("sim-arm")
        guard case .arm(let joints) = robot.body else { return }
        let task = ArmReachTask(joints: joints, controlRateHz: robot.controlRateHz)
        var random = SeededRandom(seed: 5)
        state(robot, [:]).withUnsafeBufferPointer { task.reset(state: $0, random: &random) }
        var onTarget: [String: Double] = [:]
        for (joint, target) in zip(joints, task.target) {
            onTarget[joint.name + ".pos"] = target
            onTarget[joint.name + ".vel"] = 3
            onTarget[joint.name + ".effort"] = -1
        }
        let arrived = state(robot, onTarget)
        arrived.withUnsafeBufferPointer { s in
            #expect(task.cost(state: s) == 0)
            var offsets = [Double](repeating: .nan, count: joints.count)
            offsets.withUnsafeMutableBufferPointer { task.write(.target, state: s, into: $0) }
            #expect(offsets == [Double](repeating: 0, count: joints.count))
            #expect(task.evaluate(state: s, elapsed: 1) == .running)
            #expect(task.evaluate(state: s, elapsed: 1 + task.holdSeconds) == .success)
            #expect(task.statusHeadline(state: s).isNaN && task.headlineField == nil)
        }
        // The elbow 0.2 rad short: the offset says so, and the cost is that error's RMS over six joints.
        onTarget["elbow_flex.pos"]! -= 0.2
        state(robot, onTarget).withUnsafeBufferPointer { s in
            var offsets = [Double](repeating: .nan, count: joints.count)
            offsets.withUnsafeMutableBufferPointer { task.write(.target, state: s, into: $0) }
            #expect(abs(offsets[2] - 0.2) < 1e-12 && offsets.enumerated().allSatisfy { $0.offset == 2 || $0.element == 0 })
            #expect(abs(task.cost(state: s) - (0.04 / 6).squareRoot()) < 1e-12)
        }
    }

    @Test func theLapTaskReadsTheCarsPoseAndShowsItsSpeed() throws {
        let robot = try loadRobot("sim-car")
        guard case .car(let limits) = robot.body else { return }
        let task = CarLapTask(track: .oval, limits: limits)
        // On the bottom straight (driving +x), 0.2 m left of the centre line, yawed 0.1 rad left.
        let car = state(robot, ["pose.x": 3, "pose.y": -2.3, "pose.yaw": 0.1, "speed": 1.5, "steering": -0.2], filler: 40)
        var random = SeededRandom(seed: 1)
        car.withUnsafeBufferPointer { s in
            task.reset(state: s, random: &random)
            var error = [Double](repeating: .nan, count: 2)
            error.withUnsafeMutableBufferPointer { task.write(.trackError, state: s, into: $0) }
            #expect(abs(error[0] - 0.2) < 1e-6 && abs(error[1] - 0.1) < 1e-6)
            #expect(abs(task.cost(state: s) - 0.2) < 1e-6)
            // The centre line half a metre ahead, in the car's frame.
            var ahead = [Double](repeating: .nan, count: 6)
            ahead.withUnsafeMutableBufferPointer { task.write(.trackAhead, state: s, into: $0) }
            let projection = Track.oval.project(x: 3, y: -2.3)
            let point = Track.oval.point(atArc: projection.arc + 0.5)
            let dx = point.x - 3, dy = point.y + 2.3
            #expect(abs(ahead[0] - (cos(0.1) * dx + sin(0.1) * dy)) < 1e-9 && abs(ahead[1] - (-sin(0.1) * dx + cos(0.1) * dy)) < 1e-9)
            #expect(task.evaluate(state: s, elapsed: 0.02) == .running)
            #expect(task.statusHeadline(state: s) == 1.5 && task.headlineField?.label == "speed")
        }
        // 0.7 m off the centre line is out of the 1.2 m lane.
        state(robot, ["pose.x": 3.1, "pose.y": -1.8, "pose.yaw": 0, "speed": 1.5]).withUnsafeBufferPointer { s in
            #expect(task.evaluate(state: s, elapsed: 0.04) == .failure)
        }
    }

    @Test func theWaypointTaskReadsTheDronesPositionAndAltitude() throws {
        let robot = try loadRobot("sim-drone")
        guard case .drone(let limits) = robot.body else { return }
        let task = DroneWaypointTask(limits: limits)
        // Velocity and attitude entries far off: only the position matters.
        let hovering = state(robot, ["position.north": 1, "position.east": -2, "position.down": -3], filler: 50)
        var random = SeededRandom(seed: 2)
        hovering.withUnsafeBufferPointer { s in
            task.reset(state: s, random: &random)
            let waypoint = task.waypoint
            var offset = [Double](repeating: .nan, count: 3)
            offset.withUnsafeMutableBufferPointer { task.write(.target, state: s, into: $0) }
            #expect(offset == [waypoint.north - 1, waypoint.east + 2, waypoint.down + 3])
            let distance = ((waypoint.north - 1) * (waypoint.north - 1) + (waypoint.east + 2) * (waypoint.east + 2)
                            + (waypoint.down + 3) * (waypoint.down + 3)).squareRoot()
            #expect(abs(task.cost(state: s) - distance) < 1e-12)
            #expect(task.evaluate(state: s, elapsed: 0.02) == .running)
            #expect(task.statusHeadline(state: s) == 3 && task.headlineField?.label == "altitude")
        }
        // More than a metre above the band fails the episode; so does leaving the geofence.
        let ceiling = limits.altitude.upperBound
        state(robot, ["position.down": -(ceiling + 1.5)]).withUnsafeBufferPointer { s in
            #expect(task.evaluate(state: s, elapsed: 0.04) == .failure)
        }
        state(robot, ["position.north": limits.geofenceRadius + 1.5, "position.down": -3]).withUnsafeBufferPointer { s in
            #expect(task.evaluate(state: s, elapsed: 0.06) == .failure)
        }
    }

    @Test func eachExpertActsOnTheMeaningOfTheState() throws {
        // The arm expert heads from each joint's measured position toward its target.
        let arm = try loadRobot("sim-arm")
        guard case .arm(let joints) = arm.body else { return }
        let reach = ArmReachTask(joints: joints, controlRateHz: arm.controlRateHz)
        var random = SeededRandom(seed: 7)
        state(arm, [:]).withUnsafeBufferPointer { reach.reset(state: $0, random: &random) }
        let armExpert = ExpertFactory.make(for: arm, task: reach)
        var onTarget: [String: Double] = [:]
        for (joint, target) in zip(joints, reach.target) { onTarget[joint.name + ".pos"] = target }
        var goals = [Double](repeating: .nan, count: joints.count)
        state(arm, onTarget, filler: 2).withUnsafeBufferPointer { s in
            goals.withUnsafeMutableBufferPointer { armExpert.act(state: s, into: $0) }
        }
        #expect(goals == reach.target)
        // The drone expert flies toward the waypoint from where the drone is, whatever its attitude.
        let drone = try loadRobot("sim-drone")
        guard case .drone(let limits) = drone.body else { return }
        let waypoints = DroneWaypointTask(limits: limits)
        state(drone, ["position.down": -3]).withUnsafeBufferPointer { waypoints.reset(state: $0, random: &random) }
        let droneExpert = ExpertFactory.make(for: drone, task: waypoints)
        let w = waypoints.waypoint
        var velocity = [Double](repeating: .nan, count: 3)
        state(drone, ["position.north": w.north, "position.east": w.east, "position.down": w.down], filler: 9).withUnsafeBufferPointer { s in
            velocity.withUnsafeMutableBufferPointer { droneExpert.act(state: s, into: $0) }
        }
        #expect(velocity == [0, 0, 0])
    }
}

@Suite struct DroneWaypointResetTests {
    /// An episode can start wherever the last one left the drone; far from home no waypoint fits
    /// the 1.5–4 m draw inside the 4 m disc, and the search must end (it runs on the loop thread).
    @Test(arguments: [15.0, 9.0, .nan])
    func aDroneFarFromHomeGetsAWaypointTowardHome(_ north: Double) throws {
        let robot = try loadRobot("sim-drone")
        guard case .drone(let limits) = robot.body else { return }
        let task = DroneWaypointTask(limits: limits)
        var random = SeededRandom(seed: 9)
        let far = state(robot, ["position.north": north, "position.east": 2, "position.down": -3])
        far.withUnsafeBufferPointer { task.reset(state: $0, random: &random) }
        let waypoint = task.waypoint
        let fromHome = (waypoint.north * waypoint.north + waypoint.east * waypoint.east).squareRoot()
        #expect(fromHome <= min(limits.geofenceRadius * 0.6, 4.0) + 1e-9, "waypoint \(waypoint)")
        if north.isFinite { #expect(waypoint.north > 0, "toward the drone's side of home") }
    }
}
