import ReinsConfig
import ReinsCore
import ReinsDrivers
import ReinsPolicy
import ReinsProtocols
import ReinsRecording
import ReinsTasks
import ReinsTransport

/// What drives a run.
public enum RunSource {
    /// A learned policy with its monitor and corrector; `attack` perturbs every observation by an
    /// adversarial offset of that L2 size (robustness experiments).
    case policy(PolicyNetwork, certificate: RobustnessCertificate?, attack: Double?)
    /// A scripted expert recording demonstrations, with DART noise on the executed action.
    case expert(noise: Double)
    /// A trajectory replayed through the safety filter after a ramp to its first row.
    case trajectory(Trajectory)
    /// A person drives whole demonstrations through the plan's operator device (teleoperation).
    case teleoperation
}

/// Who may intervene in a run.
public enum OperatorChoice {
    /// The scripted operator (`--operator sim`), built for the run's task and seed.
    case scripted
    /// A person's device (keyboard, gamepad, leader arm, remote).
    case device(any OperatorDevice)

    public var names: [String] {
        switch self {
        case .scripted: return ["scripted"]
        case .device(let device): return device.operatorNames
        }
    }
}

/// Everything a run needs to know before anything moves.
public struct RunPlan {
    public var robot: RobotDescription
    public var source: RunSource
    /// Control rate in the robot's (simulated) time; nil for the description's.
    public var controlRateHz: Double?
    /// Simulated seconds per real second (`link: sim` only); the loop runs that much faster.
    public var speed: Double = 1
    public var spinMicroseconds: Double = 0
    public var realtime = RealtimeRequest()
    /// Seed of the task's goals and the expert's noise.
    public var seed: UInt64 = 1
    public var tickLimit: UInt64?
    public var episodeLimit: UInt32?
    /// Run every episode for the task's full time (experiments compare costs over equal horizons).
    public var fixedHorizon = false
    /// The operator who may take over from the policy, or who drives a teleoperation.
    public var `operator`: OperatorChoice?
    /// After a correction, hand control back to the policy instead of ending the episode.
    public var resumeAfterCorrection = false
    /// Teleoperation: each episode waits for the operator's start button.
    public var waitForStart = true

    public init(robot: RobotDescription, source: RunSource) {
        self.robot = robot
        self.source = source
    }

    public var rateHz: Double { controlRateHz ?? robot.controlRateHz }
    /// The loop's rate in real time.
    public var loopRateHz: Double { rateHz * speed }
}

/// One run on a robot, wired the same way for every command that drives one (deploy, demos,
/// replay, evaluation; next teleoperation and closed-loop tests): the robot session, the action
/// source, the pipeline with its command port (safety filter) and recorder, and the loop.
/// Commands parse, print and call this; the wiring lives here once.
///
/// `init` connects (starting a `link: sim` robot's simulator through `simulators`); `activate`
/// makes the robot obey; `start` builds the pipeline and starts the loop; `wait` returns when the
/// run ends (its own end, a fault, or a stop request), after the safe stop.
public final class Run {
    public let plan: RunPlan
    public let session: RobotSession
    public private(set) var pipeline: ControlPipeline?
    public private(set) var loop: ControlLoop?
    public private(set) var recorder: Recorder?
    /// The operator's device once started (stopped by `close`).
    public private(set) var device: (any OperatorDevice)?

    public init(_ plan: RunPlan, simulators: (any SimulatorLauncher)?) throws(DeviceError) {
        self.plan = plan
        session = try RobotSession(plan.robot, simulators: simulators)
    }

    /// Makes the robot obey commands (torque on, arm and take off).
    public func activate() throws(DeviceError) {
        try session.activate()
    }

    /// The action source the plan names, for this robot and task.
    private func makeSource(task: any RobotTask) -> any ActionSource {
        let robot = plan.robot
        let device = plan.operator.map { choice -> any OperatorDevice in
            switch choice {
            case .scripted: return ScriptedOperator(robot: robot, task: task, seed: plan.seed, rateHz: plan.rateHz)
            case .device(let device): return device
            }
        }
        self.device = device
        switch plan.source {
        case .policy(let network, _, _):
            let policy = PolicySource(network: network, robot: robot, rateHz: plan.rateHz)
            guard let device else { return policy }
            return InterventionArbiter(policy: policy, device: device, robot: robot, rateHz: plan.rateHz,
                                       resumeAfterCorrection: plan.resumeAfterCorrection)
        case .expert(let noise): return ExpertSource(ExpertFactory.make(for: robot, task: task), noise: noise, seed: plan.seed)
        case .trajectory(let trajectory): return TrajectorySource(trajectory, robot: robot, rateHz: plan.rateHz)
        case .teleoperation:
            precondition(device != nil, "a teleoperation plan names its operator")
            return OperatorSource(device: device!, robot: robot, rateHz: plan.rateHz, waitsForStart: plan.waitForStart)
        }
    }

    /// Opens a recording of the run at `path` with the robot's (and the policy's) identity.
    public func record(to path: String) throws(RecorderError) {
        var identity: PolicyIdentity?
        if case .policy(let network, let certificate, _) = plan.source {
            identity = PolicyIdentity(network: network, certificate: certificate)
        }
        var metadata: [String: [String: String]] = [:]
        if let choice = plan.operator {
            var entries = ["names": "[" + choice.names.map(\.jsonQuoted).joined(separator: ",") + "]"]
            switch choice {
            case .scripted: entries["device"] = "scripted operator"
            case .device(let device): entries["device"] = device.deviceName
            }
            if case .policy = plan.source { entries["after_correction"] = plan.resumeAfterCorrection ? "resume" : "end_episode" }
            metadata["operator"] = entries
        }
        recorder = try Recorder(path: path, robot: plan.robot, policy: identity, metadata: metadata, operators: plan.operator?.names ?? [])
    }

    /// Builds the pipeline, warms it up and starts the loop on its own thread.
    /// - Parameter safeStopProgress: hears what the safe stop waits for (on the loop thread).
    /// Starts the operator's device first (it may refuse: a leader arm far from the follower).
    @discardableResult
    /// - Parameter prepare: sees the pipeline before its loop starts (a benchmark's write hook).
    public func start(safeStopProgress: @escaping (String) -> Void = { _ in },
                      prepare: (ControlPipeline) -> Void = { _ in }) throws(DeviceError) -> RealtimeReport {
        let task = TaskFactory.make(for: plan.robot)
        let source = makeSource(task: task)
        if let device {
            _ = session.driver.read(into: session.state, deadline: MonotonicClock.deadline(in: 0.1))
            try device.start(robot: plan.robot, follower: UnsafeBufferPointer(session.state.values))
        }
        let pipeline = ControlPipeline(session: session, source: source, task: task, recorder: recorder,
                                       seed: plan.seed, rateHz: plan.rateHz)
        pipeline.tickLimit = plan.tickLimit
        pipeline.episodeLimit = plan.episodeLimit
        pipeline.fixedHorizon = plan.fixedHorizon
        pipeline.safeStopProgress = safeStopProgress
        switch plan.source {
        case .policy(let network, _, let epsilon?): pipeline.attack = ObservationAttack(network: network, epsilon: epsilon, seed: plan.seed)
        case .trajectory: pipeline.judgesEpisodes = false
        default: break
        }
        pipeline.warmUp()
        prepare(pipeline)
        // Simulated time runs `speed` times faster, and so does the loop: each tick is still one
        // control period of the robot's time.
        let loop = ControlLoop(configuration: LoopConfiguration(
            rateHz: plan.loopRateHz, spinNanoseconds: UInt64(plan.spinMicroseconds * 1000), realtime: plan.realtime,
            maxConsecutiveOverruns: plan.robot.safety.maxConsecutiveOverruns, phaseNames: ControlPipeline.phaseNames), task: pipeline)
        self.pipeline = pipeline
        self.loop = loop
        return loop.start()
    }

    /// Waits for the run to end. `poll` runs on the calling thread every `interval` seconds (a
    /// status line); `stopRequested` is asked as often and ends the run with the safe stop.
    public func wait(interval: Double = 0.02, stopRequested: () -> Bool = { false }, poll: () -> Void = {}) -> LoopStopReason {
        guard let loop, let pipeline else { return .requested }
        while pipeline.stopReason == nil {
            if stopRequested() {
                loop.requestStop()
                break
            }
            MonotonicClock.sleep(untilNanoseconds: MonotonicClock.deadline(in: interval))
            poll()
        }
        return loop.wait()
    }

    /// Stops the operator's device, disconnects the robot and stops its simulator (after the safe stop).
    public func close() {
        device?.stop()
        session.close()
    }
}

extension PolicyIdentity {
    /// The identity a recording stores for `network`: its weights' SHA-256, its certificate, its config file.
    public init(network: PolicyNetwork, certificate: RobustnessCertificate?) {
        var hash = ""
        if let bytes = try? FileBytes.read(network.sourcePath) {
            hash = SHA256.hash(bytes).map { byte in (byte < 16 ? "0" : "") + String(byte, radix: 16) }.joined()
        }
        let yaml = PolicyNetwork.companionConfigPath(for: network.sourcePath)
        self.init(path: network.sourcePath, weightsSHA256: hash, certifiedLipschitzBound: certificate?.lipschitzBound,
                  actionTolerance: certificate?.actionTolerance, certified: certificate?.isCertified,
                  configPath: FileBytes.exists(yaml) ? yaml : nil)
    }
}
