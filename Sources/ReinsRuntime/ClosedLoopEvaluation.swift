import ReinsConfig
import ReinsCore
import ReinsDrivers
import ReinsPolicy
import ReinsSimulators
import ReinsTasks

/// Runs a policy on a robot (its simulator for `link: sim`) for a number of episodes and returns
/// the pipeline's totals: success rate, mean task cost, monitor and filter counts. The same loop as
/// `reins deploy`, without live output; for experiments such as the Lipschitz trade-off. Every
/// episode runs its task's full time (success is kept when reached), so the mean task cost compares
/// policies over equal horizons.
public enum ClosedLoopEvaluation {
    public struct Result: Sendable {
        public var totals: PipelineTotals
        public var fault: RunFault?
        /// Largest action change the adversary achieved (0 without an attack).
        public var largestAttackChange: Double

        public var successRate: Double {
            totals.episodes > 0 ? Double(totals.outcomes[Int(EpisodeOutcome.success.rawValue)]) / Double(totals.episodes) : 0
        }
    }

    /// - Parameters:
    ///   - attack: L2 size ε of the adversarial observation perturbation (nil: nominal).
    ///   - speed: simulated seconds per real second.
    public static func run(robot: RobotDescription, network: PolicyNetwork, episodes: UInt32, attack: Double? = nil,
                           speed: Double = 1, seed: UInt64 = 1, realtime: RealtimeRequest = .none) throws(DeviceError) -> Result {
        var options = SimulatorOptions()
        options.speed = speed
        options.seed = seed
        let session = try RobotSession(robot, simulatorOptions: options)
        defer { session.close() }
        try session.activate()
        let pipeline = ControlPipeline(session: session, source: PolicySource(network: network, robot: robot), task: TaskFactory.make(for: robot),
                                       recorder: nil, seed: seed)
        pipeline.episodeLimit = episodes
        pipeline.fixedHorizon = true
        if let attack { pipeline.attack = ObservationAttack(network: network, epsilon: attack, seed: seed) }
        pipeline.warmUp()
        let loop = ControlLoop(configuration: LoopConfiguration(rateHz: robot.controlRateHz * speed, realtime: realtime,
                                                                maxConsecutiveOverruns: robot.safety.maxConsecutiveOverruns), task: pipeline)
        _ = loop.run()
        return Result(totals: pipeline.totals, fault: pipeline.fault, largestAttackChange: pipeline.attack?.largestActionChange ?? 0)
    }
}
