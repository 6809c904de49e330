import ReinsConfig

/// Everything one tick of the policy produced: the network's answer, the monitor's findings and
/// the corrector's decision. `action` is what goes on to the safety filter.
public struct PolicyDecision: Sendable, Equatable {
    public var output: PolicyOutput
    public var monitor: MonitorReport
    public var correction: CorrectionReport

    public init(for network: PolicyNetwork) {
        output = PolicyOutput(for: network)
        monitor = MonitorReport()
        correction = CorrectionReport(for: network)
    }

    /// The proposed action after correction and response, in action units.
    public var action: [Double] { correction.corrected }
}

/// The policy stage of a control tick: one batched forward pass (observation plus K probes), the
/// robustness monitor, then the confidence-aware corrector. Build it at load; `step` never allocates.
public final class PolicyRunner: @unchecked Sendable {
    public let network: PolicyNetwork
    public let settings: MonitorSettings
    public let engine: PolicyEngine
    public let monitor: RobustnessMonitor
    public let corrector: ConfidenceCorrector

    /// - Parameter innovationBounds: per observation entry, the largest change in one tick (from
    ///   the robot's velocity limits); nil or ∞ for unbounded entries.
    public init(network: PolicyNetwork, settings: MonitorSettings, innovationBounds: [Double]? = nil, probeSeed: UInt64 = 0x9a0be5) {
        self.network = network
        self.settings = settings
        engine = PolicyEngine(network: network, maximumRows: settings.probes + 1)
        monitor = RobustnessMonitor(network: network, settings: settings, innovationBounds: innovationBounds, seed: probeSeed, engine: engine)
        corrector = ConfidenceCorrector(network: network, settings: settings)
    }

    /// Runs the policy on `observation` and decides the action, given the action the robot really
    /// applied last tick.
    public func step(_ observation: [Double], lastApplied: [Double], into decision: inout PolicyDecision) {
        decision.monitor = monitor.check(observation, engine: engine, output: &decision.output)
        corrector.correct(decision.output, monitor: decision.monitor, lastApplied: lastApplied, into: &decision.correction)
    }

    /// After a restart or a hold: the monitor forgets the previous observation.
    public func reset() {
        monitor.reset()
    }
}
