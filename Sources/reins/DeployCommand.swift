import ArgumentParser
import ReinsConfig
import ReinsCore
import ReinsDrivers
import ReinsPolicy
import ReinsProtocols
import ReinsRecording
import ReinsRuntime
import ReinsSimulators
import ReinsTasks

/// Exit codes of `reins deploy` and the commands built on its loop.
enum RunExit {
    static let success: Int32 = 0
    /// Bad command line, robot description or policy file.
    static let badInput: Int32 = 2
    /// The policy was refused: uncertified, or it does not fit the robot.
    static let refused: Int32 = 3
    /// The run ended in a fault (after the safe stop).
    static let faulted: Int32 = 4
    /// The robot could not be connected or activated.
    static let unavailable: Int32 = 5
}

struct DeployCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deploy",
        abstract: "Run a learned policy on a robot under the monitor, corrector and safety filter.",
        discussion: """
            Loads and validates the robot and the policy, certifies the policy's Lipschitz bound \
            against the robot's sensor-noise bound and action tolerance (refused unless \
            --accept-uncertified), connects and activates the robot (for `link: sim` the built-in \
            simulator starts inside reins), then runs the fixed-rate loop: read, observe, policy, \
            robustness monitor, confidence-aware correction, safety filter, write, record. It stops \
            on Ctrl-C, after --duration or --episodes, or on a fault, always with the robot kind's \
            safe stop, and prints a summary.

            Exit codes: 0 finished, 2 bad input, 3 policy refused, 4 faulted, 5 robot unavailable.
            """)

    @OptionGroup var options: RobotOptions

    @Option(help: "Policy file (.safetensors, with its .yaml beside it or config in its metadata).")
    var policy: String

    @Option(help: "Loop rate in Hz (default: the robot's control rate).")
    var rate: Double?

    @Option(help: "Stop after this many seconds of control.")
    var duration: Double?

    @Option(help: "Stop after this many episodes of the robot's task.")
    var episodes: Int?

    @Option(help: "Record every tick into this MCAP file.")
    var record: String?

    @Flag(help: "Deploy even if the Lipschitz certificate exceeds the action tolerance.")
    var acceptUncertified = false

    @Option(help: "Simulator only (link: sim): simulated seconds per real second; the loop runs that much faster too.")
    var speed: Double = 1

    @Option(help: "Spin this many microseconds before each deadline for lower jitter.")
    var spin: Double = 0

    @Flag(help: "Print only the summary.")
    var quiet = false

    @Option(help: "Robustness experiments: perturb every measured observation by an adversarial offset of this L2 size each tick.")
    var attack: Double?

    func validate() throws {
        if let duration, duration <= 0 { throw ValidationError("--duration must be positive, e.g. --duration 10") }
        if let episodes, episodes <= 0 { throw ValidationError("--episodes must be positive") }
        guard speed > 0, speed <= 50 else { throw ValidationError("--speed must be in (0, 50]") }
    }

    func run() throws {
        let robot = try options.loadRobot()
        let network: PolicyNetwork
        do {
            network = try PolicyNetwork.load(path: policy)
        } catch {
            printError(error.description)
            throw ExitCode(RunExit.badInput)
        }
        let problems = PolicyCommand.mismatches(network, robot)
        if !problems.isEmpty {
            for problem in problems { printError("\(policy): \(problem)") }
            printError("refused: the policy was not trained for \(robot.name)")
            throw ExitCode(RunExit.refused)
        }
        let certificate = LipschitzCertificate.compute(for: network)
        let robustness = certificate.robustness(against: robot.monitor)
        if !robustness.isCertified && !acceptUncertified {
            printError("refused: \(robustness.summary)")
            throw ExitCode(RunExit.refused)
        }
        if robot.link != .sim && speed != 1 { throw ValidationError("--speed applies only to simulated robots (link: sim)") }
        let run = PipelineRun(robot: robot, controller: .policy(network, robustness, attack: attack), options: options, rate: rate,
                              speed: speed, spin: spin, quiet: quiet, recordPath: record)
        let controlRate = rate ?? robot.controlRateHz
        try run.execute(tickLimit: duration.map { UInt64(($0 * controlRate).rounded()) }, episodeLimit: episodes.map(UInt32.init))
    }
}

/// Opens a recording for a policy run, with the policy's identity (weights hash, certificate).
func openPolicyRecorder(_ path: String, robot: RobotDescription, network: PolicyNetwork, certificate: RobustnessCertificate?) throws -> Recorder {
    var hash = ""
    if let bytes = try? FileBytes.read(network.sourcePath) {
        hash = SHA256.hash(bytes).map { byte in (byte < 16 ? "0" : "") + String(byte, radix: 16) }.joined()
    }
    let yaml = PolicyNetwork.companionConfigPath(for: network.sourcePath)
    let identity = PolicyIdentity(path: network.sourcePath, weightsSHA256: hash, certifiedLipschitzBound: certificate?.lipschitzBound,
                                  actionTolerance: certificate?.actionTolerance, certified: certificate?.isCertified,
                                  configPath: FileBytes.exists(yaml) ? yaml : nil)
    return try openRecorder(path, robot: robot, policy: identity)
}

func openRecorder(_ path: String, robot: RobotDescription, policy: PolicyIdentity? = nil) throws -> Recorder {
    do {
        return try Recorder(path: path, robot: robot, policy: policy)
    } catch {
        printError("cannot record: \(error)")
        throw ExitCode(RunExit.badInput)
    }
}

/// Finishes a recording and says what it holds.
func closeRecorder(_ recorder: Recorder) {
    do {
        let report = try recorder.close()
        print("recording: \(recorder.path), \(report.ticks) ticks, \(report.episodeRecords / 2) episodes, \(report.fileBytes / 1024) KiB"
              + (report.droppedRecords > 0 ? ", \(report.droppedRecords) records dropped" : ""))
    } catch {
        printError("recording \(recorder.path) did not close cleanly: \(error); `reins record repair` can complete it")
    }
}

/// What drives a run: a policy (deploy) or a scripted expert (demonstrations).
enum RunController {
    case policy(PolicyNetwork, RobustnessCertificate, attack: Double?)
    case expert(noise: Double)
}

/// One run on a robot: session, pipeline, loop, live status, summary and recording. `reins deploy`
/// and `reins demos` differ only in the controller.
struct PipelineRun {
    let robot: RobotDescription
    let controller: RunController
    let options: RobotOptions
    let rate: Double?
    let speed: Double
    let spin: Double
    let quiet: Bool
    let recordPath: String?

    func execute(tickLimit: UInt64?, episodeLimit: UInt32?) throws {
        var simulatorOptions = try options.simulatorOptions()
        simulatorOptions.speed = speed
        let session: RobotSession
        do {
            session = try RobotSession(robot, simulatorOptions: simulatorOptions)
        } catch {
            printError("cannot connect: \(error)")
            throw ExitCode(RunExit.unavailable)
        }
        defer { session.close() }
        printDriverWarnings(session.driver)
        if !quiet {
            print("robot: \(robot.summary)")
            switch controller {
            case .policy(let network, let certificate, _):
                print("policy: \(network.sourcePath), \(network.layers.map { "\($0.inputs)" }.joined(separator: "→"))→\(network.actionCount) \(network.activation), \(certificate.summary)")
            case .expert(let noise):
                print("expert: scripted \(robot.kind.rawValue) expert" + (noise > 0 ? ", DART noise σ \(noise) on the executed action" : ""))
            }
            if let simulator = session.simulator { print("simulator: " + simulator.connectionLines.joined(separator: "; ")) }
        }
        do {
            try session.activate()
        } catch {
            printError("cannot activate: \(error)")
            printError("safe stop: " + session.driver.safeStop(reason: "activation failed", progress: printSafeStopProgress).description)
            throw ExitCode(RunExit.unavailable)
        }
        let controlRate = rate ?? robot.controlRateHz
        let task = TaskFactory.make(for: robot)
        let source: ActionSource
        let recorder: Recorder?
        var attack: ObservationAttack?
        switch controller {
        case .policy(let network, let certificate, let epsilon):
            source = .policy(PolicyRunner(network: network, settings: robot.monitor,
                                          innovationBounds: ObservationBuilder.innovationBounds(robot: robot, rateHz: controlRate)))
            recorder = try recordPath.map { try openPolicyRecorder($0, robot: robot, network: network, certificate: certificate) }
            if let epsilon {
                attack = ObservationAttack(network: network, epsilon: epsilon, seed: options.seed)
            }
        case .expert(let noise):
            source = .expert(ExpertFactory.make(for: robot, task: task), noise: noise)
            recorder = try recordPath.map { try openRecorder($0, robot: robot) }
        }
        let pipeline = ControlPipeline(session: session, source: source, task: task, recorder: recorder, seed: options.seed, rateHz: controlRate)
        pipeline.tickLimit = tickLimit
        pipeline.episodeLimit = episodeLimit
        pipeline.attack = attack
        pipeline.safeStopProgress = printSafeStopProgress
        pipeline.warmUp()
        // Simulated time runs `speed` times faster, and so does the loop: each tick is still one
        // control period of the robot's time.
        let loopRate = controlRate * speed
        let loop = ControlLoop(configuration: LoopConfiguration(
            rateHz: loopRate, spinNanoseconds: UInt64(spin * 1000), realtime: options.realtime,
            maxConsecutiveOverruns: robot.safety.maxConsecutiveOverruns, phaseNames: ControlPipeline.phaseNames), task: pipeline)
        StopSignal.install()
        let realtime = loop.start()
        if !quiet { print("loop: \(fixed(loopRate, 0)) Hz; \(realtime)") }
        let status = LiveStatus(pipeline: pipeline, loop: loop, quiet: quiet)
        while pipeline.stopReason == nil {
            if StopSignal.wait(seconds: 0.02) {
                loop.requestStop()
                break
            }
            status.update()
        }
        let reason = loop.wait()
        status.finish()
        let summary = RunSummary(pipeline: pipeline, statistics: loop.statistics.snapshot(), reason: reason, robot: robot)
        print(summary.text)
        if let recorder { closeRecorder(recorder) }
        if pipeline.fault != nil { throw ExitCode(RunExit.faulted) }
    }
}
