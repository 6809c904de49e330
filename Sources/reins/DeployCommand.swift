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

            With --operator a person (or the scripted operator) can take over at any tick: \
            recovery until "recovered", correction until hand-back, recorded as RaC segments with \
            the policy's own proposal kept beside the person's action on every human tick.

            Exit codes: 0 finished, 2 bad input, 3 policy refused, 4 faulted, 5 robot or operator device unavailable.
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

    @Option(name: .customLong("operator"), help: ArgumentHelp(OperatorDeviceSpec.help + ". The operator may take over from the policy."))
    var operatorDevice: String?

    @OptionGroup var remote: RemoteOperatorOptions

    @Flag(help: "With --operator: after a correction, hand control back to the policy instead of ending the episode.")
    var resumeAfterCorrection = false

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
        var plan = options.plan(robot, .policy(network, certificate: robustness, attack: attack))
        if resumeAfterCorrection && operatorDevice == nil { throw badInput("--resume-after-correction needs --operator") }
        if operatorDevice == nil && (remote.serverKey != nil || !remote.operatorKeys.isEmpty) {
            throw badInput("--server-key and --operator-keys need --operator zmq:tcp://HOST:PORT")
        }
        plan.operator = try operatorDevice.map {
            try OperatorDeviceSpec.parse($0, robot: robot, option: "--operator", remote: remote, simulators: options.leaderSimulators(speed: speed))
        }
        if let choice = plan.operator, !OperatorDeviceSpec.hasButtons(choice) {
            throw badInput("--operator \(operatorDevice ?? ""): the device has no takeover button; drive whole demonstrations with it in `reins teleop --device`")
        }
        plan.resumeAfterCorrection = resumeAfterCorrection
        plan.controlRateHz = rate
        plan.speed = speed
        plan.spinMicroseconds = spin
        plan.tickLimit = duration.map { UInt64(($0 * plan.rateHz).rounded()) }
        plan.episodeLimit = episodes.map(UInt32.init)
        try CommandLineRun(plan: plan, options: options, quiet: quiet, record: output).execute()
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

/// A run from the command line: the runtime's `Run` with what a person sees around it — the
/// robot and source lines, the live status, the summary — and the exit codes. `reins deploy`,
/// `reins demos` and `reins replay` differ only in the plan.
struct CommandLineRun {
    let plan: RunPlan
    let options: RobotOptions
    let quiet: Bool
    /// The recording's final name; it is written as `NAME.partial` until complete.
    let record: OutputFile?

    func execute() throws {
        guard plan.loopRateHz <= NumberRange.rateHz.upper else {
            throw badInput("the loop would run at \(fixed(plan.loopRateHz, 0)) Hz (rate \(fixed(plan.rateHz, 0)) Hz × speed \(plan.speed)); keep rate × --speed within \(NumberRange.rateHz.text)")
        }
        var simulatorOptions = try options.simulatorOptions()
        simulatorOptions.speed = plan.speed
        let run: Run
        do {
            run = try Run(plan, simulators: BuiltInSimulators(options: simulatorOptions))
        } catch {
            printError("cannot connect: \(error)")
            throw ExitCode(RunExit.unavailable)
        }
        defer { run.close() }
        let robot = plan.robot, session = run.session
        printDriverWarnings(session.driver)
        if !quiet {
            print("robot: \(robot.summary)")
            switch plan.source {
            case .policy(let network, let certificate, _):
                print("policy: \(network.sourcePath), \(network.layers.map { "\($0.inputs)" }.joined(separator: "→"))→\(network.actionCount) \(network.activation)"
                      + (certificate.map { ", \($0.summary)" } ?? ""))
            case .expert(let noise):
                print("expert: scripted \(robot.kind.rawValue) expert" + (noise > 0 ? ", DART noise σ \(noise) on the executed action" : ""))
            case .trajectory(let trajectory):
                print("trajectory: \(trajectory.actions.count) actions, through the safety filter after a ramp to the first")
            case .teleoperation:
                print("teleoperation: a person drives every episode (source human, segment demo)")
            }
            if let choice = plan.operator {
                let name: String
                switch choice {
                case .scripted: name = "scripted operator (RaC: takes over on a stall, a drift or the monitor's request)"
                case .device(let device): name = "\(device.deviceName) (\(device.operatorNames.joined(separator: ", ")))"
                }
                print("operator: \(name); silent for \(fixed(robot.safety.operatorTimeout * 1000, 0)) ms → \(robot.safety.safeStop.fallbackName)")
                if let instructions = OperatorDeviceSpec.instructions(choice, robot: robot) { print(instructions) }
            }
            if let simulator = session.launchedSimulator { print("simulator: " + simulator.connectionLines.joined(separator: "; ")) }
        }
        do {
            try run.activate()
        } catch {
            printError("cannot activate: \(error)")
            printError("safe stop: " + session.driver.safeStop(reason: "activation failed", progress: printSafeStopProgress).description)
            throw ExitCode(RunExit.unavailable)
        }
        if let record {
            do {
                try run.record(to: record.temporaryPath)
            } catch {
                printError("cannot record: \(error)")
                throw ExitCode(RunExit.badInput)
            }
        }
        StopSignal.install()
        let realtime: RealtimeReport
        do {
            realtime = try run.start(safeStopProgress: printSafeStopProgress)
        } catch {
            printError("cannot start the operator device: \(error)")
            printError("safe stop: " + session.driver.safeStop(reason: "operator device unavailable", progress: printSafeStopProgress).description)
            throw ExitCode(RunExit.unavailable)
        }
        guard let pipeline = run.pipeline, let loop = run.loop else { return }
        if !quiet { print("loop: \(fixed(plan.loopRateHz, 0)) Hz; \(realtime)") }
        let status = LiveStatus(pipeline: pipeline, loop: loop, quiet: quiet)
        let reason = run.wait(stopRequested: { StopSignal.received != nil }, poll: status.update)
        status.finish()
        let summary = RunSummary(pipeline: pipeline, statistics: loop.statistics.snapshot(), reason: reason, robot: robot)
        print(summary.text)
        if let failure = OperatorDeviceSpec.failure(plan.operator) { printError("operator device: \(failure)") }
        if let replay = pipeline.source as? TrajectorySource {
            print("replayed \(replay.index) of \(replay.trajectory.actions.count) actions on \(session.driver.deviceName)"
                  + " after \(replay.rampTicks) ticks reaching the first")
            print("state: " + zip(session.state.names, session.state.values).map { "\($0) \(fixed($1, 3))" }.joined(separator: ", "))
        }
        if let recorder = run.recorder, let record { closeRecorder(recorder, output: record) }
        if pipeline.fault != nil { throw ExitCode(RunExit.faulted) }
    }
}

extension RobotOptions {
    /// A plan for this robot and source with the shared options (seed, real-time request).
    func plan(_ robot: RobotDescription, _ source: RunSource) -> RunPlan {
        var plan = RunPlan(robot: robot, source: source)
        plan.seed = seed
        plan.realtime = realtime
        return plan
    }
}
