import ArgumentParser
import ReinsConfig
import ReinsCore
import ReinsProtocols
import ReinsSimulators
import ReinsTransport

struct SimCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sim",
        abstract: "Run a simulated arm, car or drone that speaks the real wire protocol.",
        discussion: """
            The arm is a bus of Dynamixel (or, with a feetech description, Feetech STS) servos on a \
            pseudo-terminal; vendor tools such as dynamixel_sdk open it like a U2D2 adapter. The car \
            is a VESC on a pty plus a pose stream (Reins robot protocol on ZeroMQ), as a real car's \
            localisation would publish it. The drone is a PX4-like MAVLink 2 vehicle on a pty or UDP. \
            With --link zmq:ENDPOINT any robot is served over the Reins robot protocol instead.

            Faults (--faults): drop=P, corrupt=P, delay=5ms, jitter=2ms, disconnect=10s, noise=S, \
            bias=B, stuck=N, comma-separated; deterministic for a given --seed.
            """)

    @Argument(help: "arm, car or drone.")
    var kind: RobotKind

    @Option(help: "Robot description to simulate (default Robots/sim-KIND.yaml).")
    var robot: String?

    @Option(help: "pty:PATH, udp:HOST:PORT (drone listens), udpout:HOST:PORT (drone sends, like PX4 SITL) or zmq:ENDPOINT.")
    var link: String?

    @Option(help: "Car only: ZeroMQ endpoint for the pose stream, e.g. zmq:tcp://127.0.0.1:5601.")
    var localization: String?

    @Option(parsing: .unconditional, help: NumberRange.seed.help("Random seed for faults and noise."), transform: NumberRange.seed.parse)
    var seed: UInt64 = 1

    @Option(help: "Faults to inject, e.g. drop=0.01,delay=5ms,noise=0.002.")
    var faults: String?

    @Option(parsing: .unconditional, help: NumberRange.simulationSpeed.help("Simulated seconds per real second."), transform: NumberRange.simulationSpeed.parse)
    var speed: Double = 1

    @Option(parsing: .unconditional, help: NumberRange.runSeconds.help("Stop after this many seconds (default: until Ctrl-C)."), transform: NumberRange.runSeconds.parse)
    var duration: Double?

    @Option(parsing: .unconditional, help: NumberRange.telemetryRateHz.help("Drone telemetry rate in Hz."), transform: NumberRange.telemetryRateHz.parse)
    var telemetryRate: Double = 50

    @Option(help: "MAVLink signing key file (64 hex characters) the drone requires.")
    var signingKey: String?

    func validate() throws {
        if let faults {
            do { _ = try FaultSpec.parse(faults) } catch { throw ValidationError(error.description) }
        }
        if let link {
            do { _ = try LinkSpec.parse(link) } catch { throw ValidationError("--link: \(error)") }
        }
    }

    func run() throws {
        let path = robot ?? "Robots/sim-\(kind.rawValue).yaml"
        let description = try loadRobot(path, exitCode: 1, hint: robot == nil ? "run from the Reins folder, or pass --robot FILE" : nil)
        guard description.kind == kind else {
            printError("\(path) describes \(description.kind.withArticle), not \(kind.withArticle)")
            throw ExitCode(1)
        }
        var options = SimulatorOptions()
        options.link = try link.map { try LinkSpec.parse($0) }
        options.localization = try localization.map { try LinkSpec.parse($0) }
        options.seed = seed
        options.faults = try faults.map { try FaultSpec.parse($0) } ?? .none
        options.speed = speed
        options.telemetryRateHz = telemetryRate
        if let signingKey { options.signingKey = try MAVLinkKeyFile.read(signingKey) }

        StopSignal.install()
        let simulator = try SimulatorFactory.start(description, options: options)
        print("simulating \(description.kind.withArticle) \"\(description.name)\" (seed \(seed), speed \(speed)x\(options.faults.isEmpty ? "" : ", faults \(faults!)"))")
        for line in simulator.connectionLines { print(line) }
        print("connect with: link: \(simulator.driverLink)" + (simulator.localization.map { ", localization: \($0)" } ?? ""))
        print("ready")
        _ = StopSignal.wait(seconds: duration ?? .infinity)
        simulator.stop()
        print("stopped after \(fixed(simulator.host.simulatedTime, 1)) simulated seconds")
    }
}

extension RobotKind: ExpressibleByArgument {}
