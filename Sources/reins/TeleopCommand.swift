import ArgumentParser
import ReinsConfig
import ReinsCore
import ReinsRuntime

struct TeleopCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "teleop",
        abstract: "Drive a robot yourself through the safety filter, and record demonstrations.",
        discussion: """
            A person drives the robot through an operator device, through the same loop as \
            `reins deploy`: safety filter, watchdog, safe stop, recording. Every tick is recorded as \
            `source: human`, `segment: demo`, with the operator's name. Each episode starts when the \
            operator presses start (Enter on the keyboard); success (y), failure (n) and discard (x, \
            re-record) end it, or the task judges it as in any run. Between episodes the robot can \
            still be driven (to set the next scene up); those ticks are not recorded. A leader arm \
            (`--device leader:Robots/koch-leader.yaml`) has no buttons: its episodes start at once and \
            end by the task, --episodes or --duration; it refuses to start while it stands farther \
            from the follower than its `max_start_difference_rad`. A device silent \
            for longer than the description's `operator_timeout_ms` gives the robot kind's fallback \
            (hold, slow to a stop, hover), never the last command again.

            Exit codes: 0 finished, 2 bad input, 4 faulted, 5 robot or operator device unavailable.
            """)

    @OptionGroup var options: RobotOptions

    @Option(help: ArgumentHelp(OperatorDeviceSpec.help + "."))
    var device: String

    @OptionGroup var remote: RemoteOperatorOptions

    @Option(help: "Record every episode into this MCAP file.")
    var record: String?

    @Flag(help: "Replace an existing recording at --record.")
    var force = false

    @Option(parsing: .unconditional, help: NumberRange.episodes.help("Stop after this many episodes (discarded ones are re-recorded)."), transform: NumberRange.episodes.parse)
    var episodes: Int?

    @Option(parsing: .unconditional, help: NumberRange.runSeconds.help("Stop after this many seconds of control."), transform: NumberRange.runSeconds.parse)
    var duration: Double?

    @Option(parsing: .unconditional, help: NumberRange.simulationSpeed.help("Simulator only (link: sim): simulated seconds per real second; the loop runs that much faster too."),
            transform: NumberRange.simulationSpeed.parse)
    var speed: Double = 1

    @Flag(help: "Start each episode at once instead of waiting for the operator's start button.")
    var noWait = false

    @Flag(help: "Print only the summary.")
    var quiet = false

    func run() throws {
        let robot = try options.loadRobot()
        if robot.link != .sim && speed != 1 { throw badInput("--speed applies only to simulated robots (link: sim)") }
        let output = try record.map { try outputFile($0, kind: .mcap, option: "--record", inputs: robot.inputFiles, force: force) }
        var plan = options.plan(robot, .teleoperation)
        let choice = try OperatorDeviceSpec.parse(device, robot: robot, option: "--device", remote: remote,
                                                  simulators: options.leaderSimulators(speed: speed))
        plan.operator = choice
        // A device without a start button (a leader arm) could never start an episode.
        plan.waitForStart = !noWait && OperatorDeviceSpec.hasButtons(choice)
        plan.speed = speed
        plan.tickLimit = duration.map { UInt64(($0 * plan.rateHz).rounded()) }
        plan.episodeLimit = episodes.map(UInt32.init)
        try CommandLineRun(plan: plan, options: options, quiet: quiet, record: output).execute()
    }
}
