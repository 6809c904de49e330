import ReinsConfig
import ReinsCore
import ReinsPolicy

/// A learned policy: one batched pass for the action and its probes, the robustness monitor, and
/// the CARIL corrector with the configured response.
///
/// A `takeover` response asks an operator to take over. Until an operator channel is attached,
/// the request holds the robot (the kind's fallback) for the rest of the episode: a policy that
/// asked for help does not quietly resume. The request is counted and recorded once, when it is
/// made, not on every tick it stays in force.
public final class PolicySource: ActionSource, @unchecked Sendable {
    public let runner: PolicyRunner
    private var decision: PolicyDecision
    private var observation: [Double]
    private var lastApplied: [Double]
    /// A takeover was requested in this episode and nobody took over: hold until the episode ends.
    public private(set) var holdingForTakeover = false

    public init(runner: PolicyRunner, actionCount: Int) {
        self.runner = runner
        decision = PolicyDecision(for: runner.network)
        observation = [Double](repeating: 0, count: runner.network.observationCount)
        lastApplied = [Double](repeating: 0, count: actionCount)
    }

    /// The policy with the robot's monitor settings and the innovation bounds its limits give at
    /// `rateHz` (control time; default the robot's rate).
    public convenience init(network: PolicyNetwork, robot: RobotDescription, rateHz: Double? = nil) {
        let runner = PolicyRunner(network: network, settings: robot.monitor,
                                  innovationBounds: ObservationBuilder.innovationBounds(robot: robot, rateHz: rateHz))
        self.init(runner: runner, actionCount: robot.actionNames.count)
    }

    public var network: PolicyNetwork { runner.network }

    private func copyInput(_ input: ActionInput) {
        for i in 0..<observation.count { observation[i] = input.observation[i] }
        for i in 0..<lastApplied.count { lastApplied[i] = input.lastApplied[i] }
    }

    public func warmUp(_ input: ActionInput) {
        copyInput(input)
        runner.step(observation, lastApplied: lastApplied, into: &decision)
        runner.reset()
    }

    public func episodeStarted() {
        holdingForTakeover = false
    }

    /// The operator handed control back: the policy drives again (a request made before the
    /// takeover was answered by it).
    public func resume() {
        holdingForTakeover = false
    }

    public func propose(_ input: ActionInput, into proposal: inout Proposal, sample: inout TickSample) {
        copyInput(input)
        runner.step(observation, lastApplied: lastApplied, into: &decision)
        let report = decision.correction
        for i in 0..<proposal.proposed.count {
            proposal.proposed[i] = decision.output.action[i]
            proposal.corrected[i] = report.corrected[i]
        }
        let monitor = decision.monitor
        sample.sensitivity = monitor.sensitivity
        if let innovation = monitor.innovation {
            sample.innovationEntry = Int32(innovation.entry)
            sample.innovationJump = innovation.jump
        }
        var confidence = Double.infinity, entropy = -Double.infinity
        var rule: UInt8 = 0
        for j in 0..<report.rule.count {
            if report.confidence[j].isFinite { confidence = min(confidence, report.confidence[j]) }
            if report.entropy[j].isFinite { entropy = max(entropy, report.entropy[j]) }
            let fired = UInt8(report.rule[j].rawValue)
            if rule == 0 && fired != 0 { rule = fired }
        }
        sample.confidence = confidence.isFinite ? confidence : .nan
        sample.entropy = entropy.isFinite ? entropy : .nan
        sample.rule = rule
        sample.response = report.response
        // A new request is one that arrives while the robot is not already holding for one.
        sample.takeoverRequested = report.takeoverRequested && !holdingForTakeover
        if report.takeoverRequested { holdingForTakeover = true }
        if holdingForTakeover {
            proposal.fallback = true
            sample.response = .takeover
        }
        sample.source = .policy
        sample.segment = .autonomous
    }
}
