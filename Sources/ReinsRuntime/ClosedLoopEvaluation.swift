import ReinsConfig
import ReinsCore
import ReinsDrivers
import ReinsPolicy
import ReinsTransport
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
    ///   - speed: simulated seconds per real second (the caller's `simulators` run that fast).
    public static func run(robot: RobotDescription, network: PolicyNetwork, episodes: UInt32, attack: Double? = nil,
                           speed: Double = 1, seed: UInt64 = 1, realtime: RealtimeRequest = .none,
                           simulators: any SimulatorLauncher) throws(DeviceError) -> Result {
        var plan = RunPlan(robot: robot, source: .policy(network, certificate: nil, attack: attack))
        plan.speed = speed
        plan.seed = seed
        plan.realtime = realtime
        plan.episodeLimit = episodes
        plan.fixedHorizon = true
        let run = try Run(plan, simulators: simulators)
        defer { run.close() }
        try run.activate()
        try run.start()
        _ = run.wait()
        let pipeline = run.pipeline!
        return Result(totals: pipeline.totals, fault: pipeline.fault, largestAttackChange: pipeline.attack?.largestActionChange ?? 0)
    }
}
