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

    @Option(parsing: .unconditional, help: NumberRange.seed.help("Simulator only (link: sim): random seed for faults and noise."), transform: NumberRange.seed.parse)
    var seed: UInt64 = 1

    @Option(help: "Simulator only (link: sim): faults to inject, e.g. drop=0.01,disconnect=5s.")
    var faults: String?

    @Flag(help: "Do not ask for SCHED_FIFO and memory locking.")
    var noRealtime = false

    func loadRobot() throws -> RobotDescription {
        let description = try reins.loadRobot(robot, exitCode: 2)
        if description.role == .leader {
            throw badInput("\(robot): \(description.name) is a leader arm (role: leader), moved by hand and never driven; "
                           + "drive its follower with it instead: --robot FOLLOWER.yaml --device leader:\(robot)")
        }
        return description
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
}

struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Send a recorded or written sequence of actions to the robot through the safety filter.",
        discussion: """
            Actions go out one per tick at the robot's control rate (or --rate), through the same \
            safety filter as a deployed policy, with the watchdog on. The robot first moves to the \
            first row at its own velocity, acceleration and per-tick limits (however far it is), then \
            follows the rows; a row the limits do not allow is clamped and counted, as in deploy. At \
            the end, or on a fault, the robot performs its safe stop (arm: hold then torque off; car: \
            brake and centre; drone: hover then land). TRAJECTORY is CSV (optional header naming the \
            action columns, e.g. shoulder_pan.goal), JSON lines (an array per line, or an object keyed \
            by action name), or an MCAP recording, whose applied actions are replayed (--episode picks \
            one). Values outside the robot's position, speed or altitude limits are refused before \
            anything moves.
            """)

    @OptionGroup var options: RobotOptions

    @Option(help: "CSV or JSON-lines file of actions, or an MCAP recording (its applied actions).")
    var trajectory: String

    @Option(parsing: .unconditional, help: NumberRange.episodeIndex.help("For a recording: the episode to replay (default: all, in order)."),
            transform: NumberRange.episodeIndex.parse)
    var episode: UInt32?

    @Option(parsing: .unconditional, help: NumberRange.rateHz.help("Loop rate in Hz (default: the robot's control rate)."), transform: NumberRange.rateHz.parse)
    var rate: Double?

    @Option(help: "Record every tick into this MCAP file.")
    var record: String?

    @Flag(help: "Replace an existing recording at --record.")
    var force = false

    @Flag(help: "Print only the summary.")
    var quiet = false

    func run() throws {
        let robot = try options.loadRobot()
        let actions: Trajectory
        do {
            actions = try Trajectory.load(path: trajectory, robot: robot, episode: episode)
        } catch {
            printError(error.description)
            throw ExitCode(RunExit.badInput)
        }
        let output = try record.map { try outputFile($0, kind: .mcap, option: "--record", inputs: robot.inputFiles + [trajectory], force: force) }
        var plan = options.plan(robot, .trajectory(actions))
        plan.controlRateHz = rate
        try CommandLineRun(plan: plan, options: options, quiet: quiet, record: output).execute()
    }
}
