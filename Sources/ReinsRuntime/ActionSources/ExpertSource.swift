import ReinsCore
import ReinsTasks

/// A scripted expert recording demonstrations, optionally with DART noise: the robot executes
/// the expert's action plus Gaussian noise, while the recorded proposal (the label) stays clean.
public final class ExpertSource: ActionSource, @unchecked Sendable {
    public let expert: any Expert
    public let noise: Double
    private var random: SeededRandom

    public init(_ expert: any Expert, noise: Double, seed: UInt64) {
        self.expert = expert
        self.noise = noise
        random = SeededRandom(seed: seed ^ 0xda27)
    }

    public func propose(_ input: ActionInput, into proposal: inout Proposal, sample: inout TickSample) {
        expert.act(state: input.state, into: proposal.proposed)
        for i in 0..<proposal.corrected.count {
            proposal.corrected[i] = proposal.proposed[i] + (noise > 0 ? noise * random.gaussian() : 0)
        }
        sample.source = .expert
        sample.segment = .demo
    }
}
