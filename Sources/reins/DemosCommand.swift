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

    @Option(help: "How many episodes to record.")
    var episodes: Int

    @Option(help: "The MCAP file to write.")
    var out: String

    @Option(help: "DART noise: standard deviation added to the executed action, in action units.")
    var noise: Double = 0

    @Option(help: "Simulator only (link: sim): simulated seconds per real second.")
    var speed: Double = 1

    @Flag(help: "Print only the summary.")
    var quiet = false

    func validate() throws {
        guard episodes > 0 else { throw ValidationError("--episodes must be positive, e.g. --episodes 50") }
        guard noise >= 0 else { throw ValidationError("--noise is a standard deviation: 0 or more") }
        guard speed > 0, speed <= 50 else { throw ValidationError("--speed must be in (0, 50]") }
    }

    func run() throws {
        let robot = try options.loadRobot()
        if robot.link != .sim && speed != 1 { throw ValidationError("--speed applies only to simulated robots (link: sim)") }
        let run = PipelineRun(robot: robot, controller: .expert(noise: noise), options: options, rate: nil, speed: speed,
                              spin: 0, quiet: quiet, recordPath: out)
        try run.execute(tickLimit: nil, episodeLimit: UInt32(episodes))
    }
}
