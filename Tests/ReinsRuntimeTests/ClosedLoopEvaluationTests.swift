import ReinsConfig
import ReinsCore
import ReinsPolicy
import ReinsRuntime
import ReinsSimulators
import ReinsTestSupport
import Testing

@Suite struct ClosedLoopEvaluationTests {
    /// Experiments compare policies over equal horizons: every episode runs the task's full
    /// 8 s even after the shipped policy reaches the target in about two, and the success
    /// reached early still counts.
    @Test func episodesRunTheFullHorizonAndKeepTheirSuccess() throws {
        var robot = try RobotDescription.load(path: packageRoot + "/Robots/sim-arm.yaml")
        // This checks the horizon, not this machine's timing: a 400 Hz loop shared with other
        // tests may miss deadlines in a row.
        robot.safety.watchdogTimeout = 1
        robot.safety.maxConsecutiveOverruns = 10_000
        let network = try PolicyNetwork.load(path: packageRoot + "/Robots/policies/sim-arm.safetensors")
        var options = SimulatorOptions()
        options.speed = 4
        options.seed = 7
        let result = try ClosedLoopEvaluation.run(robot: robot, network: network, episodes: 2, speed: 4, seed: 7,
                                                  simulators: BuiltInSimulators(options: options))
        #expect(result.fault == nil)
        #expect(result.totals.episodes == 2)
        let ticksPerEpisode = UInt64(8 * robot.controlRateHz)
        #expect(result.totals.ticks >= 2 * ticksPerEpisode && result.totals.ticks <= 2 * ticksPerEpisode + 10, "\(result.totals.ticks) ticks")
        let successes = result.totals.outcomes[Int(EpisodeOutcome.success.rawValue)]
        let timeouts = result.totals.outcomes[Int(EpisodeOutcome.timeout.rawValue)]
        #expect(successes + timeouts == 2)
        #expect(successes >= 1, "the shipped policy reaches the target in 92% of episodes")
        #expect(result.largestAttackChange == 0)
    }
}
