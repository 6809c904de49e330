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

    @Option(parsing: .unconditional, help: NumberRange.rateHz.help("Loop rate in Hz (default: the robot's control rate)."), transform: NumberRange.rateHz.parse)
    var rate: Double?

    @Option(parsing: .unconditional, help: NumberRange.runSeconds.help("Stop after this many seconds of control."), transform: NumberRange.runSeconds.parse)
    var duration: Double?

    @Option(parsing: .unconditional, help: NumberRange.episodes.help("Stop after this many episodes of the robot's task."), transform: NumberRange.episodes.parse)
    var episodes: Int?

    @Option(help: "Record every tick into this MCAP file.")
    var record: String?

    @Flag(help: "Replace an existing recording at --record.")
    var force = false

    @Flag(help: "Deploy even if the Lipschitz certificate exceeds the action tolerance.")
    var acceptUncertified = false

    @Option(parsing: .unconditional, help: NumberRange.simulationSpeed.help("Simulator only (link: sim): simulated seconds per real second; the loop runs that much faster too."),
            transform: NumberRange.simulationSpeed.parse)
    var speed: Double = 1

    @Option(parsing: .unconditional, help: NumberRange.tickMicroseconds.help("Spin this many microseconds before each deadline for lower jitter."),
            transform: NumberRange.tickMicroseconds.parse)
    var spin: Double = 0

    @Flag(help: "Print only the summary.")
    var quiet = false

    @Option(parsing: .unconditional,
            help: NumberRange.observationEpsilon.help("Robustness experiments: perturb every measured observation by an adversarial offset of this L2 size each tick."),
            transform: NumberRange.observationEpsilon.parse)
    var attack: Double?

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
        let inputs = robot.inputFiles + [policy, PolicyNetwork.companionConfigPath(for: policy)]
        let output = try record.map { try outputFile($0, kind: .mcap, option: "--record", inputs: inputs, force: force) }
        let run = PipelineRun(robot: robot, controller: .policy(network, robustness, attack: attack), options: options, rate: rate,
                              speed: speed, spin: spin, quiet: quiet, record: output)
        let controlRate = rate ?? robot.controlRateHz
        try run.execute(tickLimit: duration.map { UInt64(($0 * controlRate).rounded()) }, episodeLimit: episodes.map(UInt32.init))
    }
}

/// Opens a recording for a policy run, with the policy's identity (weights hash, certificate).
func openPolicyRecorder(_ output: OutputFile, robot: RobotDescription, network: PolicyNetwork, certificate: RobustnessCertificate?) throws -> Recorder {
    var hash = ""
    if let bytes = try? FileBytes.read(network.sourcePath) {
        hash = SHA256.hash(bytes).map { byte in (byte < 16 ? "0" : "") + String(byte, radix: 16) }.joined()
    }
    let yaml = PolicyNetwork.companionConfigPath(for: network.sourcePath)
    let identity = PolicyIdentity(path: network.sourcePath, weightsSHA256: hash, certifiedLipschitzBound: certificate?.lipschitzBound,
                                  actionTolerance: certificate?.actionTolerance, certified: certificate?.isCertified,
                                  configPath: FileBytes.exists(yaml) ? yaml : nil)
    return try openRecorder(output, robot: robot, policy: identity)
}

/// Opens a recording under the output's temporary name (`NAME.mcap.partial`); `closeRecorder`
/// gives it its real name once it is complete, so a killed run leaves the `.partial` file
/// (readable, and completed by `reins record repair`) and never a half file under the real name.
func openRecorder(_ output: OutputFile, robot: RobotDescription, policy: PolicyIdentity? = nil) throws -> Recorder {
    do {
        return try Recorder(path: output.temporaryPath, robot: robot, policy: policy)
    } catch {
        printError("cannot record: \(error)")
        throw ExitCode(RunExit.badInput)
    }
}

/// Checks an output path before anything runs (see `OutputFile`); a refusal exits 2.
func outputFile(_ path: String, kind: FileKind, option: String, inputs: [String], force: Bool) throws -> OutputFile {
    do {
        return try OutputFile(path, kind: kind, option: option, inputs: inputs, force: force)
    } catch {
        throw badInput(error.description)
    }
}

/// Finishes a recording, gives it its real name and says what it holds.
func closeRecorder(_ recorder: Recorder, output: OutputFile) {
    do {
        let report = try recorder.close()
        try output.commit()
        print("recording: \(output.path), \(report.ticks) ticks, \(report.episodeRecords / 2) episodes, \(report.fileBytes / 1024) KiB"
              + (report.droppedRecords > 0 ? ", \(report.droppedRecords) records dropped" : ""))
    } catch {
        printError("recording \(recorder.path) did not close cleanly: \(error); `reins record repair \(recorder.path)` can complete it")
    }
}

/// What drives a run: a policy (deploy), a scripted expert (demonstrations) or a trajectory (replay).
enum RunController {
    case policy(PolicyNetwork, RobustnessCertificate, attack: Double?)
    case expert(noise: Double)
    case trajectory(Trajectory)
}

/// One run on a robot: session, pipeline, loop, live status, summary and recording. `reins deploy`,
/// `reins demos` and `reins replay` differ only in the controller.
struct PipelineRun {
    let robot: RobotDescription
    let controller: RunController
    let options: RobotOptions
    let rate: Double?
    let speed: Double
    let spin: Double
    let quiet: Bool
    let record: OutputFile?

    func execute(tickLimit: UInt64?, episodeLimit: UInt32?) throws {
        let controlRate = rate ?? robot.controlRateHz
        guard controlRate * speed <= NumberRange.rateHz.upper else {
            throw badInput("the loop would run at \(fixed(controlRate * speed, 0)) Hz (rate \(fixed(controlRate, 0)) Hz × speed \(speed)); keep rate × --speed within \(NumberRange.rateHz.text)")
        }
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
            case .trajectory(let trajectory):
                print("trajectory: \(trajectory.actions.count) actions, through the safety filter after a ramp to the first")
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
        let task = TaskFactory.make(for: robot)
        let source: any ActionSource
        let recorder: Recorder?
        var attack: ObservationAttack?
        switch controller {
        case .policy(let network, let certificate, let epsilon):
            source = PolicySource(network: network, robot: robot, rateHz: controlRate)
            recorder = try record.map { try openPolicyRecorder($0, robot: robot, network: network, certificate: certificate) }
            if let epsilon {
                attack = ObservationAttack(network: network, epsilon: epsilon, seed: options.seed)
            }
        case .expert(let noise):
            source = ExpertSource(ExpertFactory.make(for: robot, task: task), noise: noise, seed: options.seed)
            recorder = try record.map { try openRecorder($0, robot: robot) }
        case .trajectory(let trajectory):
            source = TrajectorySource(trajectory, robot: robot, rateHz: controlRate)
            recorder = try record.map { try openRecorder($0, robot: robot) }
        }
        let pipeline = ControlPipeline(session: session, source: source, task: task, recorder: recorder, seed: options.seed, rateHz: controlRate)
        pipeline.tickLimit = tickLimit
        pipeline.episodeLimit = episodeLimit
        pipeline.attack = attack
        if case .trajectory = controller { pipeline.judgesEpisodes = false }
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
        if let replay = pipeline.source as? TrajectorySource {
            print("replayed \(replay.index) of \(replay.trajectory.actions.count) actions on \(session.driver.deviceName)"
                  + " after \(replay.rampTicks) ticks reaching the first")
            print("state: " + zip(session.state.names, session.state.values).map { "\($0) \(fixed($1, 3))" }.joined(separator: ", "))
        }
        if let recorder, let record { closeRecorder(recorder, output: record) }
        if pipeline.fault != nil { throw ExitCode(RunExit.faulted) }
    }
}
