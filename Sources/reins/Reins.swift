import ArgumentParser
import CPlatform
import ReinsRecording

@main
struct Reins: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reins",
        abstract: "Run learned robot policies on real and simulated robots.",
        discussion: """
            Reins runs a fixed-rate control loop between a policy file and a robot: it reads the robot's \
            state, runs the policy, watches it, filters the action and sends it to the hardware.
            Start with `reins check Robots/*.yaml` to validate robot descriptions.
            """,
        // The version recordings carry in their header's library and `reins` metadata record.
        version: RecordingFormat.reinsVersion,
        subcommands: [CheckCommand.self, BenchCommand.self, PortsCommand.self, KeysCommand.self, SimCommand.self, ReplayCommand.self, CalibrateCommand.self, PolicyCommand.self, DeployCommand.self, DemosCommand.self, FitCommand.self, TradeoffCommand.self, RecordCommand.self])

    static func main() {
        reins_line_buffer_stdout()
        main(nil)
    }
}
