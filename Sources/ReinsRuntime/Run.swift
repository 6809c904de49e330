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
        switch plan.source {
        case .policy(let network, _, _): return PolicySource(network: network, robot: robot, rateHz: plan.rateHz)
        case .expert(let noise): return ExpertSource(ExpertFactory.make(for: robot, task: task), noise: noise, seed: plan.seed)
        case .trajectory(let trajectory): return TrajectorySource(trajectory, robot: robot, rateHz: plan.rateHz)
        }
    }

    /// Opens a recording of the run at `path` with the robot's (and the policy's) identity.
    public func record(to path: String) throws(RecorderError) {
        var identity: PolicyIdentity?
        if case .policy(let network, let certificate, _) = plan.source {
            identity = PolicyIdentity(network: network, certificate: certificate)
        }
        recorder = try Recorder(path: path, robot: plan.robot, policy: identity)
    }

    /// Builds the pipeline, warms it up and starts the loop on its own thread.
    /// - Parameter safeStopProgress: hears what the safe stop waits for (on the loop thread).
    @discardableResult
    public func start(safeStopProgress: @escaping (String) -> Void = { _ in }) -> RealtimeReport {
        let task = TaskFactory.make(for: plan.robot)
        let pipeline = ControlPipeline(session: session, source: makeSource(task: task), task: task, recorder: recorder,
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

    /// Disconnects the robot and stops its simulator (after the safe stop).
    public func close() {
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
