import Foundation
import ReinsConfig
import ReinsCore
import ReinsDrivers
import ReinsRuntime
import ReinsSimulators
import ReinsTasks
import ReinsTestSupport
import Testing

func loadRobot(_ name: String) throws -> RobotDescription {
    try RobotDescription.load(path: packageRoot + "/Robots/\(name).yaml")
}

/// A pipeline that replays `actions` through the safety filter and the session's driver, as `reins replay` does.
func replayPipeline(_ session: RobotSession, _ actions: [[Double]]) -> (pipeline: ControlPipeline, source: TrajectorySource) {
    let source = TrajectorySource(Trajectory(actions: actions), robot: session.robot)
    let pipeline = ControlPipeline(session: session, source: source, task: TaskFactory.make(for: session.robot), recorder: nil, seed: 1)
    pipeline.judgesEpisodes = false
    pipeline.warmUp()
    return (pipeline, source)
}

/// Replays `actions` through the robot's driver against its built-in simulator.
func replay(_ robot: RobotDescription, _ actions: [[Double]], options: SimulatorOptions = SimulatorOptions())
    throws -> (session: RobotSession, task: ControlPipeline, source: TrajectorySource, reason: LoopStopReason, seconds: Double)
{
    let session = try RobotSession(robot, simulatorOptions: options)
    try session.activate()
    let (pipeline, source) = replayPipeline(session, actions)
    let loop = ControlLoop(configuration: LoopConfiguration(rateHz: robot.controlRateHz, realtime: .none,
                                                            maxConsecutiveOverruns: 50, phaseNames: ControlPipeline.phaseNames), task: pipeline)
    let start = MonotonicClock.nowNanoseconds()
    let reason = loop.run()
    return (session, pipeline, source, reason, Double(MonotonicClock.nowNanoseconds() - start) / 1e9)
}

@Suite(.serialized) struct DriverReplayTests {
    @Test(arguments: ["sim-arm", "sim-so101-arm", "sim-zmq-arm"])
    func armDriversReplayAndTheSimulatedJointsFollow(_ name: String) throws {
        var robot = try loadRobot(name)
        // This checks the protocol path, not how promptly a busy machine runs the simulator's thread.
        robot.safety.watchdogTimeout = 1
        let goals = [0.5, -0.3, 0.4, 0.2, -0.6, 0.8]
        let actions = (0..<250).map { i in goals.map { $0 * min(1, Double(i) / 150) } }
        let (session, task, source, reason, _) = try replay(robot, actions)
        defer { session.close() }
        #expect(reason == .finished)
        #expect(task.fault == nil)
        #expect(source.index == 250)
        #expect(task.totals.ticks == UInt64(250 + source.rampTicks))
        // The simulator runs on its own thread; a loaded machine pauses it now and then, so a few
        // reads find nothing new. A tenth of the ticks stale would be a protocol problem.
        #expect(task.totals.staleTicks <= task.totals.ticks / 10)
        // What the driver read back through the protocol, and the simulated joints themselves.
        for i in 0..<6 {
            #expect(abs(session.state.values[i] - goals[i]) < 0.03, "\(name) joint \(i): \(session.state.values[i])")
        }
        // Safe stop at the end: torque off on every servo.
        #expect(session.simulator?.arm?.joints.allSatisfy { !$0.torqueEnabled } == true)
    }

    @Test func carDriverReplaysAndTheSimulatedCarDrivesThenBrakes() throws {
        let robot = try loadRobot("sim-car")
        let (session, task, _, reason, _) = try replay(robot, Array(repeating: [1.2, 0.15], count: 150))
        defer { session.close() }
        #expect(reason == .finished && task.fault == nil)
        let car = try #require(session.simulator?.car)
        #expect(abs(session.state["speed"]! - 1.2) < 0.05)
        #expect(abs(session.state["steering"]! - 0.15) < 0.002)
        // Three seconds at 1.2 m/s on a left-hand curve: the pose stream moved and the car turned.
        let start = Track.oval.points[0]
        #expect(hypot(car.body.x - start.x, car.body.y - start.y) > 2.5)
        #expect(car.body.yaw > 0.3)
        // Brake and centre.
        #expect(abs(car.body.speed) < 0.05)
        #expect(abs(car.servoPosition - 0.5304) < 1e-3)
    }

    @Test func droneDriverTakesOffFliesTheVelocitiesAndLands() throws {
        let robot = try loadRobot("sim-drone")
        let (session, task, _, reason, _) = try replay(robot, Array(repeating: [0.8, -0.4, 0], count: 100))
        defer { session.close() }
        #expect(reason == .finished && task.fault == nil)
        #expect(abs(session.state["velocity.north"]! - 0.8) < 0.1)
        #expect(abs(session.state["velocity.east"]! + 0.4) < 0.1)
        #expect(session.state["position.north"]! > 0.8)
        #expect(-session.state["position.down"]! > 1.5)
        let drone = try #require(session.simulator?.drone)
        #expect(drone.events.contains("landed: disarmed"))
        #expect(drone.body.altitude < 0.05 && !drone.armed)
    }
}

@Suite(.serialized) struct DriverFaultTests {
    @Test(arguments: ["sim-arm", "sim-so101-arm", "sim-car", "sim-drone", "sim-zmq-arm"])
    func disconnectMidRunEndsInASafeStopWithinTheWatchdogTimeout(_ name: String) throws {
        var robot = try loadRobot(name)
        // At least 0.2 s, so a test machine busy with other tests does not trip the watchdog before the cut.
        robot.safety.watchdogTimeout = max(robot.safety.watchdogTimeout, 0.2)
        let hold: [Double] = robot.kind == .arm ? [0.2, 0, 0, 0, 0, 0] : robot.kind == .car ? [0.5, 0] : [0.3, 0, 0]
        let session = try RobotSession(robot)
        defer { session.close() }
        try session.activate()
        let host = session.simulator!.host
        // The device vanishes one second into the run.
        host.scheduleDisconnect(atSimulatedTime: host.simulatedTime + 1)
        let task = replayPipeline(session, Array(repeating: hold, count: Int(robot.controlRateHz * 30))).pipeline
        let loop = ControlLoop(configuration: LoopConfiguration(rateHz: robot.controlRateHz, realtime: .none), task: task)
        loop.start()
        while task.stopReason == nil { usleep(1000) }
        let detected = MonotonicClock.nowNanoseconds()
        let reason = loop.wait()
        #expect(reason == .fault)
        #expect(task.safeStopped)
        let fault = try #require(task.fault)
        let message = fault.message(driver: session.driver)
        #expect(message.hasPrefix(session.driver.deviceName))
        // Detected within the watchdog timeout of the cut, plus two ticks, plus 0.2 s for a test
        // process that shares two cores with other tests (the loop runs without real-time priority here).
        let cut = try #require(host.disconnectedAt, "\(name): the run faulted before the cut: \(message)")
        let latency = Double(detected - cut) / 1e9
        #expect(latency <= robot.safety.watchdogTimeout + 2 / robot.controlRateHz + 0.2, "\(name): fault \(latency) s after the cut: \(message)")
    }

    @Test func silentServosTripTheWatchdog() throws {
        let robot = try loadRobot("sim-arm")
        let session = try RobotSession(robot)
        defer { session.close() }
        try session.activate()
        // From now on every reply is lost: reads go stale and the watchdog must fire.
        session.simulator?.host.mute(true)
        let task = replayPipeline(session, Array(repeating: [0.1, 0, 0, 0, 0, 0], count: 500)).pipeline
        let loop = ControlLoop(configuration: LoopConfiguration(rateHz: robot.controlRateHz, realtime: .none), task: task)
        #expect(loop.run() == .fault)
        guard case .watchdog(let stale)? = task.fault else { Issue.record("expected a watchdog fault, got \(String(describing: task.fault))"); return }
        #expect(Double(stale) / 1e9 > robot.safety.watchdogTimeout)
        #expect(Double(stale) / 1e9 < robot.safety.watchdogTimeout + 0.05)
        // Torque-off commands still reach the servos even though their replies are lost.
        #expect(session.simulator?.arm?.joints.allSatisfy { !$0.torqueEnabled } == true)
    }
}

/// A seized elbow (`--faults stuck=2`) under a replayed move to 0.5 rad: the two ways the arm
/// drivers notice it, each on its own (the other made lenient), on the Dynamixel and Feetech buses.
@Suite(.serialized) struct SeizedJointTests {
    /// The elbow ramps to 0.5 rad in 0.2 s and holds; the other joints stay at zero.
    static let elbowMove = (0..<300).map { i in [0, 0, 0.5 * min(1, Double(i) / 20), 0, 0, 0] }

    /// Replays `elbowMove` with joint 2 seized; returns the session, the task, and the seconds from
    /// the first tick to the read that reported the fault.
    static func replaySeized(_ name: String, safety: (inout SafetySettings) -> Void) throws -> (RobotSession, ControlPipeline, Double) {
        var robot = try loadRobot(name)
        robot.safety.watchdogTimeout = 1  // a loaded test machine must not trip the watchdog first
        safety(&robot.safety)
        var options = SimulatorOptions()
        options.faults = try FaultSpec.parse("stuck=2")
        let session = try RobotSession(robot, simulatorOptions: options)
        try session.activate()
        let task = replayPipeline(session, elbowMove).pipeline
        let loop = ControlLoop(configuration: LoopConfiguration(rateHz: robot.controlRateHz, realtime: .none,
                                                                maxConsecutiveOverruns: 50, phaseNames: ControlPipeline.phaseNames), task: task)
        let start = MonotonicClock.nowNanoseconds()
        #expect(loop.run() == .fault)
        return (session, task, Double(session.state.timestamp &- start) / 1e9)
    }

    @Test(arguments: ["sim-arm", "sim-so101-arm"])
    func aSeizedJointIsATrackingErrorOnceTheToleratedTimeHasPassed(_ name: String) throws {
        let (session, task, seconds) = try Self.replaySeized(name) { _ in }
        defer { session.close() }
        guard case .driver(.trackingError(let joint, let error))? = task.fault else {
            Issue.record("\(name): expected a tracking error, got \(String(describing: task.fault))")
            return
        }
        #expect(joint == 2)
        #expect(error > 0.1)
        // The goal passes the 0.1 rad tolerance 4 ticks in; the fault follows 0.5 s later (the
        // defaults), well before the servo's own overload trip at about 1 s.
        #expect(seconds > 0.5 && seconds < 0.9, "\(name): fault \(seconds) s into the move")
        let message = task.fault!.message(driver: session.driver)
        #expect(message.contains("joint elbow_flex (servo 3) stayed"), "\(message)")
        #expect(message.contains("the default tracking_error_rad 0.1"), "\(message)")
        // The arm's safe stop ran: every servo's torque is off.
        #expect(task.safeStopped)
        #expect(session.simulator?.arm?.joints.allSatisfy { !$0.torqueEnabled } == true)
    }

    @Test(arguments: ["sim-arm", "sim-so101-arm"])
    func aSeizedJointTripsTheServosOverloadAndTheDriverNamesIt(_ name: String) throws {
        let (session, task, seconds) = try Self.replaySeized(name) { $0.trackingErrorSeconds = 30 }
        defer { session.close() }
        // Read through the protocol: Dynamixel's alert bit and Hardware Error Status, Feetech's status byte.
        #expect(task.fault == .driver(.hardwareError(id: 3, code: 0x20)), "\(name): \(String(describing: task.fault))")
        #expect(seconds > 1 && seconds < 2, "\(name): overload \(seconds) s into the move")
        let message = task.fault!.message(driver: session.driver)
        #expect(message.contains("servo 3 (joint elbow_flex) reports overload"), "\(message)")
        #expect(message.contains(name == "sim-arm" ? "Hardware Error Status, register 70 = 0x20" : "register 65 = 0x20"), "\(message)")
        #expect(session.simulator?.arm?.joints.allSatisfy { !$0.torqueEnabled } == true)
    }
}
