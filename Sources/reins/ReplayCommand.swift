import ArgumentParser
import ReinsConfig
import ReinsCore
import ReinsDrivers
import ReinsRuntime
import ReinsSimulators

/// Options every command that drives a robot shares.
struct RobotOptions: ParsableArguments {
    @Option(help: "Robot description (Robots/*.yaml).")
    var robot: String

    @Option(help: "Simulator only (link: sim): random seed for faults and noise.")
    var seed: UInt64 = 1

    @Option(help: "Simulator only (link: sim): faults to inject, e.g. drop=0.01,disconnect=5s.")
    var faults: String?

    @Flag(help: "Do not ask for SCHED_FIFO and memory locking.")
    var noRealtime = false

    func loadRobot() throws -> RobotDescription {
        try reins.loadRobot(robot, exitCode: 2)
    }

    func simulatorOptions() throws -> SimulatorOptions {
        var options = SimulatorOptions()
        options.seed = seed
        if let faults {
            do { options.faults = try FaultSpec.parse(faults) } catch { throw ValidationError(error.description) }
        }
        return options
    }

    var realtime: RealtimeRequest { noRealtime ? .none : RealtimeRequest() }

    /// Opens the robot (starting its simulator for `link: sim`), reporting driver errors plainly.
    func openSession(_ robot: RobotDescription) throws -> RobotSession {
        do {
            return try RobotSession(robot, simulatorOptions: try simulatorOptions())
        } catch let error as DriverError {
            printError("cannot connect: \(error)")
            throw ExitCode(3)
        }
    }
}

struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Send a recorded or written sequence of actions through the robot's driver.",
        discussion: """
            Actions go out one per tick at the robot's control rate (or --rate), with the driver's \
            watchdog on; at the end, or on a fault, the robot performs its safe stop (arm: hold then \
            torque off; car: brake and centre; drone: hover then land). TRAJECTORY is CSV (optional \
            header naming the action columns), JSON lines (an array per line, or an object keyed by \
            action name), or an MCAP recording, whose applied actions are replayed (--episode picks \
            one). Values outside the robot's limits are refused before anything moves.
            """)

    @OptionGroup var options: RobotOptions

    @Option(help: "CSV or JSON-lines file of actions, or an MCAP recording (its applied actions).")
    var trajectory: String

    @Option(help: "For a recording: the episode to replay (default: all, in order).")
    var episode: UInt32?

    @Option(help: "Loop rate in Hz (default: the robot's control rate).")
    var rate: Double?

    func run() throws {
        let robot = try options.loadRobot()
        let actions: Trajectory
        do {
            actions = try Trajectory.load(path: trajectory, robot: robot, episode: episode)
        } catch {
            printError(error.description)
            throw ExitCode(2)
        }
        let session = try options.openSession(robot)
        defer { session.close() }
        do {
            try session.activate()
        } catch {
            printError("cannot activate: \(error)")
            session.driver.safeStop(reason: "activation failed")
            throw ExitCode(3)
        }
        let task = ReplayTask(session: session, trajectory: actions)
        let loop = ControlLoop(configuration: LoopConfiguration(
            rateHz: rate ?? robot.controlRateHz, realtime: options.realtime,
            maxConsecutiveOverruns: robot.safety.maxConsecutiveOverruns, phaseNames: ReplayTask.phaseNames), task: task)
        StopSignal.install()
        let report = loop.start()
        while !StopSignal.wait(seconds: 0.05) {
            if task.stopReason != nil { break }
        }
        if StopSignal.received != nil { loop.requestStop() }
        let reason = loop.wait()
        let stats = loop.statistics.snapshot()
        print("replayed \(task.ticks) of \(actions.actions.count) actions on \(session.driver.deviceName) at \(fixed(stats.achievedRateHz, 1)) Hz (\(report.scheduling))")
        print("period error p50 \(microseconds(stats.periodError.p50)), p99 \(microseconds(stats.periodError.p99)); overruns \(stats.overrunTicks)")
        print("state: " + zip(session.state.names, session.state.values).map { "\($0) \(fixed($1, 3))" }.joined(separator: ", "))
        print("safe stop: \(robot.kind.safeStopSummary)")
        if let fault = task.fault {
            printError("fault: \(fault.message(driver: session.driver))")
            throw ExitCode(4)
        }
        if reason == .requested { print("stopped by signal") }
    }
}
