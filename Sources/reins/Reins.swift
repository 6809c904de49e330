import ArgumentParser
import CPlatform
import ReinsRecording
#if canImport(Glibc)
import Glibc
#endif

@main
struct Reins: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reins",
        abstract: "Run learned robot policies on real and simulated robots.",
        discussion: """
            Reins runs a fixed-rate control loop between a policy file and a robot: it reads the robot's \
            state, runs the policy, watches it, filters the action and sends it to the hardware.
            Start with `reins check Robots/*.yaml` to validate robot descriptions.

            Exit status 2 means the command line, a robot description or a policy file is wrong; \
            the message says what to type instead.
            """,
        // The version recordings carry in their header's library and `reins` metadata record.
        version: RecordingFormat.reinsVersion,
        subcommands: [CheckCommand.self, BenchCommand.self, PortsCommand.self, KeysCommand.self, SimCommand.self, ReplayCommand.self, CalibrateCommand.self, PolicyCommand.self, DeployCommand.self, TeleopCommand.self, OperatorStationCommand.self, DemosCommand.self, FitCommand.self, TradeoffCommand.self, TestCommand.self, RecordCommand.self])

    static func main() {
        reins_line_buffer_stdout()
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            // A usage error (unknown option, a value out of range, a failed `validate()`) exits 2,
            // as every other kind of bad input does; ArgumentParser's own code would be 64.
            if exitCode(for: error) == .validationFailure {
                printError(fullMessage(for: error))
                Glibc.exit(RunExit.badInput)
            }
            exit(withError: error)
        }
    }
}
