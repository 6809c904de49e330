import ReinsConfig
import ReinsCore

/// Deploy with an operator: the policy drives until a person takes over, and the RaC protocol
/// labels what follows (methods.md §3).
///
/// - The takeover button hands control to the person within the tick: `recovery` until they press
///   "recovered", then `correction` until they hand back. By default hand-back ends the episode
///   (RaC), judged by the task as the robot then stands; with `resumeAfterCorrection` the policy
///   drives again and the safety filter's rate limits make the transfer bumpless.
/// - While the person drives, the policy keeps running in shadow: every human tick records the
///   policy's `proposed` action beside the person's (`corrected`, then `applied`).
/// - When the monitor asks for a takeover, the robot holds (the kind's fallback) until the
///   person takes over, or for `takeover_wait_ms`, after which the episode ends as a failure.
/// - A device silent for longer than `operator_timeout_ms` while the person drives gives the
///   kind's fallback, never the last command again; control stays with the person, who resumes
///   when the device speaks again.
/// - Success, failure and discard end the episode with that outcome at any time; stop stops the run.
public final class InterventionArbiter: ActionSource, @unchecked Sendable {
    public let policy: PolicySource
    public let input: OperatorInput
    public let resumeAfterCorrection: Bool
    public private(set) var phase: InterventionPhase = .autonomous
    private let takeoverWaitTicks: UInt64
    private var awaitingSince: UInt64 = 0
    private var episodeBegan = false
    private var episodeOver = false

    public init(policy: PolicySource, device: any OperatorDevice, robot: RobotDescription, rateHz: Double, resumeAfterCorrection: Bool) {
        self.policy = policy
        input = OperatorInput(device: device, robot: robot, rateHz: rateHz)
        self.resumeAfterCorrection = resumeAfterCorrection
        takeoverWaitTicks = UInt64((robot.safety.takeoverWait * rateHz).rounded())
    }

    public func warmUp(_ input: ActionInput) {
        policy.warmUp(input)
    }

    public func episodeStarted() {
        policy.episodeStarted()
        phase = .autonomous
        episodeBegan = true
        episodeOver = false
    }

    public func episodeEnded() {
        phase = .autonomous
        episodeOver = true
    }

    public func propose(_ input: ActionInput, into proposal: inout Proposal, sample: inout TickSample) {
        // The policy always runs: it drives, or it proposes in shadow while the person drives.
        policy.propose(input, into: &proposal, sample: &sample)
        let requested = policy.holdingForTakeover
        if phase == .autonomous && requested && !episodeOver {
            phase = .awaitingOperator
            awaitingSince = input.tick
        }
        let view = OperatorView(tick: input.tick, now: input.now, period: input.period, elapsed: input.elapsed, state: input.state,
                                lastApplied: input.lastApplied, phase: phase, takeoverRequested: phase == .awaitingOperator)
        if episodeBegan {
            self.input.device.episodeStarted(view)
            episodeBegan = false
        }
        let buttons = self.input.poll(view)
        if buttons.contains(.stop) { proposal.stopRun = true }

        switch phase {
        case .autonomous:
            if buttons.contains(.takeover) && !episodeOver { beginHuman(input, cause: .operatorDecision, sample: &sample) }
        case .awaitingOperator:
            if buttons.contains(.takeover) {
                beginHuman(input, cause: .monitorRequest, sample: &sample)
            } else if input.tick &- awaitingSince >= takeoverWaitTicks {
                proposal.endEpisode = .outcome(.failure)
            }
        case .recovery:
            if buttons.contains(.handback) {
                handBack(&proposal, sample: &sample)
            } else if buttons.contains(.recovered) {
                phase = .correction
                sample.intervention = .recovered
                sample.interventionCause = .operatorDecision
            }
        case .correction:
            if buttons.contains(.handback) { handBack(&proposal, sample: &sample) }
        case .demonstration, .waiting:
            break
        }
        if !episodeOver, let marked = buttons.episodeEnd { proposal.endEpisode = marked }

        guard phase == .recovery || phase == .correction else { return }
        sample.segment = phase == .recovery ? .recovery : .correction
        // The monitor's readings stay (of the shadow policy); its response does not apply.
        sample.response = .none
        self.input.drive(lastApplied: input.lastApplied, into: &proposal, sample: &sample)
    }

    private func beginHuman(_ input: ActionInput, cause: InterventionCause, sample: inout TickSample) {
        phase = .recovery
        self.input.begin(lastApplied: input.lastApplied)
        sample.intervention = .takeover
        sample.interventionCause = cause
    }

    private func handBack(_ proposal: inout Proposal, sample: inout TickSample) {
        sample.intervention = .handback
        sample.interventionCause = .operatorDecision
        if resumeAfterCorrection {
            phase = .autonomous
            policy.resume()
        } else {
            proposal.endEpisode = .judged
            episodeOver = true
        }
    }
}
