import ReinsConfig
import ReinsCore
import ReinsRuntime
import ReinsSimulators
import ReinsTasks
import ReinsTestSupport
import Testing

func loadRobot(_ name: String) throws -> RobotDescription {
    try RobotDescription.load(path: packageRoot + "/Robots/\(name).yaml")
}

/// Runs a scripted expert through the full pipeline (driver, simulator, safety filter) for some
/// episodes, faster than real time, and returns the pipeline's totals.
func runExpert(_ name: String, episodes: UInt32, speed: Double, noise: Double = 0, seed: UInt64 = 3) throws -> PipelineTotals {
    var robot = try loadRobot(name)
    // Faster than real time the shared test machine lags more: give the watchdog room.
    robot.safety.watchdogTimeout = 1
    var options = SimulatorOptions()
    options.speed = speed
    let session = try RobotSession(robot, simulatorOptions: options)
    defer { session.close() }
    try session.activate()
    let task = TaskFactory.make(for: robot)
    let pipeline = ControlPipeline(session: session, source: ExpertSource(ExpertFactory.make(for: robot, task: task), noise: noise, seed: seed),
                                   task: task, recorder: nil, seed: seed)
    pipeline.episodeLimit = episodes
    pipeline.warmUp()
    let loop = ControlLoop(configuration: LoopConfiguration(rateHz: robot.controlRateHz * speed, realtime: .none,
                                                            maxConsecutiveOverruns: 1000), task: pipeline)
    #expect(loop.run() == .finished)
    #expect(pipeline.fault == nil)
    return pipeline.totals
}

@Suite(.serialized) struct ExpertTests {
    @Test func theArmExpertReachesItsTargets() throws {
        let totals = try runExpert("sim-arm", episodes: 6, speed: 3)
        #expect(totals.outcomes[Int(EpisodeOutcome.success.rawValue)] == 6)
    }

    @Test func theCarExpertDrivesLaps() throws {
        let totals = try runExpert("sim-car", episodes: 2, speed: 5)
        #expect(totals.outcomes[Int(EpisodeOutcome.success.rawValue)] == 2)
    }

    @Test func theDroneExpertReachesWaypoints() throws {
        let totals = try runExpert("sim-drone", episodes: 4, speed: 3)
        #expect(totals.outcomes[Int(EpisodeOutcome.success.rawValue)] == 4)
    }
}
