import ArgumentParser
import ReinsConfig
import ReinsCore

struct DemosCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demos",
        abstract: "Record expert demonstrations through the normal runtime path.",
        discussion: """
            A scripted expert solves the robot's task episode after episode — arm: joint-space PD \
            to the target; car: pure pursuit on the track; drone: position control to the waypoint \
            — through the same driver, safety filter and recorder a deployed policy uses. With \
            --noise the robot executes the expert's action plus Gaussian noise of that standard \
            deviation (DART), while the recording keeps the expert's clean action as the label, so \
            the demonstrations also cover the states a slightly wrong policy visits. Simulated \
            robots can run faster than real time with --speed.
            """)

    @OptionGroup var options: RobotOptions

    @Option(parsing: .unconditional, help: NumberRange.episodes.help("How many episodes to record."), transform: NumberRange.episodes.parse)
    var episodes: Int

    @Option(help: "The MCAP file to write.")
    var out: String

    @Option(parsing: .unconditional, help: NumberRange.noiseSigma.help("DART noise: standard deviation added to the executed action, in action units."),
            transform: NumberRange.noiseSigma.parse)
    var noise: Double = 0

    @Option(parsing: .unconditional, help: NumberRange.simulationSpeed.help("Simulator only (link: sim): simulated seconds per real second."),
            transform: NumberRange.simulationSpeed.parse)
    var speed: Double = 1

    @Flag(help: "Replace an existing recording at --out.")
    var force = false

    @Flag(help: "Print only the summary.")
    var quiet = false

    func run() throws {
        let robot = try options.loadRobot()
        if robot.link != .sim && speed != 1 { throw ValidationError("--speed applies only to simulated robots (link: sim)") }
        let output = try outputFile(out, kind: .mcap, option: "--out", inputs: robot.inputFiles, force: force)
        var plan = options.plan(robot, .expert(noise: noise))
        plan.speed = speed
        plan.episodeLimit = UInt32(episodes)
        try CommandLineRun(plan: plan, options: options, quiet: quiet, record: output).execute()
    }
}
