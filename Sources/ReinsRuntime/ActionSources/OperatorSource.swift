import ReinsConfig
import ReinsCore

/// Teleoperation: a person drives the robot through an operator device for whole demonstrations
/// (`source: human`, `segment: demo`). Between episodes the person may still drive (to set the
/// next scene up); those ticks are not part of an episode, and the next one starts with the start
/// button. The success, failure and discard buttons end an episode with that outcome; otherwise
/// the task judges it as in any run.
public final class OperatorSource: ActionSource, @unchecked Sendable {
    public let input: OperatorInput
    /// Whether episodes wait for the start button (false: back to back, as `--episodes` without a person).
    public let waitsForStart: Bool
    private var inEpisode = false
    private var startPressed = false
    private var episodeBegan = false

    public init(device: any OperatorDevice, robot: RobotDescription, rateHz: Double, waitsForStart: Bool = true) {
        input = OperatorInput(device: device, robot: robot, rateHz: rateHz)
        self.waitsForStart = waitsForStart
    }

    public var readyForEpisode: Bool { !waitsForStart || startPressed }

    public func warmUp(_ input: ActionInput) {
        self.input.begin(lastApplied: input.lastApplied)
    }

    public func episodeStarted() {
        inEpisode = true
        startPressed = false
        episodeBegan = true
    }

    public func propose(_ input: ActionInput, into proposal: inout Proposal, sample: inout TickSample) {
        let view = OperatorView(tick: input.tick, now: input.now, period: input.period, elapsed: input.elapsed, state: input.state,
                                lastApplied: input.lastApplied, phase: inEpisode ? .demonstration : .waiting, takeoverRequested: false)
        if episodeBegan {
            self.input.device.episodeStarted(view)
            episodeBegan = false
        }
        let buttons = self.input.poll(view)
        sample.segment = .demo
        self.input.drive(lastApplied: input.lastApplied, into: &proposal, sample: &sample)
        for i in 0..<proposal.proposed.count { proposal.proposed[i] = proposal.corrected[i] }
        if buttons.contains(.stop) { proposal.stopRun = true }
        if inEpisode {
            proposal.endEpisode = buttons.episodeEnd
            if proposal.endEpisode != nil { inEpisode = false }
        } else if buttons.contains(.startEpisode) {
            startPressed = true
        }
    }

    /// The pipeline ended the episode (the task judged it, or the operator marked it).
    public func episodeEnded() {
        inEpisode = false
    }
}
