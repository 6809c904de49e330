import ReinsConfig
import ReinsCore

/// A person's commands turned into the robot's actions, one tick at a time: polls the device,
/// notices when it goes silent, anchors offset commands where the robot is when the person takes
/// control, and engages absolute commands gently: an arm closes on a leader arm's pose at no more
/// than a quarter of each joint's speed limit, braking at half its acceleration limit so it
/// arrives without overshoot, before it mirrors the pose, instead of jumping.
///
/// Used on the loop thread by the teleoperation source and the intervention arbiter; nothing here
/// allocates after `init`.
public final class OperatorInput: @unchecked Sendable {
    public let device: any OperatorDevice
    public let timeoutNanoseconds: UInt64
    /// The device's latest command (after `poll`).
    public private(set) var command = OperatorCommand()
    /// Whether the latest command is recent enough to act on.
    public private(set) var fresh = false
    /// How old the latest command was at the last poll, ns (`UInt64.max`: never heard from).
    public private(set) var silenceNanoseconds: UInt64 = .max
    /// An absolute command is still being approached (see `engageStep`).
    public private(set) var engaging = false

    private let actionCount: Int
    private let anchor: UnsafeMutableBufferPointer<Double>
    private let anchorValues: UnsafeMutableBufferPointer<Double>
    /// Largest change per tick while engaging, per action entry (arm joints only; 0: none), and
    /// the braking deceleration in action units per tick².
    private let engageStep: UnsafeMutableBufferPointer<Double>
    private let engageBraking: UnsafeMutableBufferPointer<Double>
    private var anchored = false
    /// The device's current silence has been recorded.
    private var lost = false

    /// Fraction of a joint's speed limit at which an arm approaches a leader's pose.
    public static let engageSpeedFraction = 0.25

    public init(device: any OperatorDevice, robot: RobotDescription, rateHz: Double) {
        self.device = device
        timeoutNanoseconds = UInt64(robot.safety.operatorTimeout * 1e9)
        actionCount = min(robot.actionNames.count, OperatorCommand.capacity)
        anchor = .allocate(capacity: max(1, actionCount))
        anchor.initialize(repeating: 0)
        anchorValues = .allocate(capacity: max(1, actionCount))
        anchorValues.initialize(repeating: 0)
        engageStep = .allocate(capacity: max(1, actionCount))
        engageStep.initialize(repeating: 0)
        engageBraking = .allocate(capacity: max(1, actionCount))
        engageBraking.initialize(repeating: 0)
        if case .arm(let joints) = robot.body, robot.action == .jointPosition {
            for (i, joint) in joints.prefix(actionCount).enumerated() {
                engageStep[i] = joint.velocity * Self.engageSpeedFraction / rateHz
                engageBraking[i] = 0.5 * joint.acceleration / (rateHz * rateHz)
            }
        }
    }

    deinit {
        anchor.deallocate()
        anchorValues.deallocate()
        engageStep.deallocate()
        engageBraking.deallocate()
    }

    /// Reads the device; returns the buttons pressed since the previous poll.
    public func poll(_ view: OperatorView) -> OperatorButtons {
        var next = command
        guard device.poll(view, into: &next) else {
            fresh = false
            silenceNanoseconds = .max
            return []
        }
        command = next
        silenceNanoseconds = view.now &- min(view.now, next.timestamp)
        fresh = silenceNanoseconds <= timeoutNanoseconds && Int(next.count) >= actionCount
        return next.buttons
    }

    /// The person takes control now, with the robot at `lastApplied`: offsets count from here and
    /// an absolute command is approached at a limited rate.
    public func begin(lastApplied: UnsafeBufferPointer<Double>) {
        for i in 0..<actionCount { anchor[i] = lastApplied[i] }
        anchored = false
        engaging = true
        lost = false
    }

    /// The person's action this tick into `action`; false when the device is silent (the caller
    /// applies the kind's fallback and never repeats the last command).
    public func action(lastApplied: UnsafeBufferPointer<Double>, into action: UnsafeMutableBufferPointer<Double>) -> Bool {
        guard fresh else {
            // When the device speaks again, offsets restart from where the robot then is.
            anchored = false
            for i in 0..<actionCount { anchor[i] = lastApplied[i] }
            return false
        }
        switch command.mode {
        case .offset:
            if !anchored {
                for i in 0..<actionCount { anchorValues[i] = command[i] }
                anchored = true
            }
            for i in 0..<actionCount { action[i] = anchor[i] + (command[i] - anchorValues[i]) }
            engaging = false
        case .absolute:
            var far = false
            for i in 0..<actionCount {
                let target = command[i]
                let step = engageStep[i]
                let error = target - lastApplied[i]
                // The speed from which braking stops exactly on the target: √(2·a·d).
                let speed = min(step, (2 * engageBraking[i] * abs(error)).squareRoot())
                if engaging && step > 0 && abs(error) > speed {
                    action[i] = lastApplied[i] + (error > 0 ? speed : -speed)
                    far = true
                } else {
                    action[i] = target
                }
            }
            engaging = far
        }
        return true
    }

    /// The person drives this tick: their action into `proposal.corrected`, or, while the device
    /// is silent, the kind's fallback (holding what was applied) with one `operator_lost` event per
    /// silence, and the operator's index in `sample`.
    public func drive(lastApplied: UnsafeBufferPointer<Double>, into proposal: inout Proposal, sample: inout TickSample) {
        sample.source = .human
        sample.operatorIndex = operatorIndex
        if action(lastApplied: lastApplied, into: proposal.corrected) {
            proposal.fallback = false
            lost = false
            return
        }
        for i in 0..<proposal.corrected.count { proposal.corrected[i] = lastApplied[i] }
        proposal.fallback = true
        if !lost && sample.intervention == nil {
            lost = true
            sample.intervention = .operatorLost
            sample.interventionCause = .timeout
        }
    }

    /// The name of the operator who sent the latest command.
    public var operatorIndex: UInt8 { command.operatorIndex }
}
