import ArgumentParser
import ReinsConfig
import ReinsCore
import ReinsLearning
import ReinsPolicy
import ReinsRuntime
import ReinsSimulators

struct TradeoffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tradeoff",
        abstract: "The Lipschitz trade-off: fit policies for several bounds and measure them in closed loop, nominal and under attack.",
        discussion: """
            For each bound L (0 means unconstrained) fits a policy to the DEMOS, then runs it on the \
            robot's simulator for --episodes episodes twice: nominally, and with a bounded adversary \
            that perturbs every observation by an offset of L2 size --epsilon chosen each tick to move \
            the action as far as it can (a black-box search over random directions, refined). Every \
            episode runs the task's full time. Prints one table row per bound: the certified bound, the \
            validation error, success rate and mean task cost (over the full horizon) nominal and \
            under attack, and the largest action change the adversary found. \
            Small L cannot fit the expert; large L amplifies the attack (Al Makdah, Krishnan and \
            Pasqualetti, 2022).
            """)

    @Argument(help: "Demonstration recordings (reins demos).")
    var demos: [String]

    @Option(help: "A simulated robot description (link: sim).")
    var robot: String

    @Option(parsing: .unconditional, help: NumberRange.lipschitzBounds.help("Bounds to try, comma-separated; 0 fits without the constraint (default 2,5,10,20,0)."),
            transform: NumberRange.lipschitzBounds.parseRealList)
    var lipschitz: [Double] = [2, 5, 10, 20, 0]

    @Option(parsing: .unconditional, help: NumberRange.observationEpsilon.help("Size of the adversarial observation perturbation (L2, observation units)."),
            transform: NumberRange.observationEpsilon.parse)
    var epsilon: Double

    @Option(parsing: .unconditional, help: NumberRange.episodes.help("Episodes per evaluation."), transform: NumberRange.episodes.parse)
    var episodes: Int = 20

    @Option(parsing: .unconditional, help: NumberRange.simulationSpeed.help("Simulated seconds per real second during evaluation."),
            transform: NumberRange.simulationSpeed.parse)
    var speed: Double = 5

    @Option(parsing: .unconditional, help: NumberRange.seed.help("Random seed for the fits and the evaluations."), transform: NumberRange.seed.parse)
    var seed: UInt64 = 1

    @Option(parsing: .unconditional, help: NumberRange.hiddenWidth.help("Hidden layer widths, comma-separated (default 256,256)."), transform: NumberRange.hiddenWidth.parseList)
    var hidden: [Int] = [256, 256]

    @Option(parsing: .unconditional, help: NumberRange.epochs.help("Passes over the data per fit (default: automatic)."), transform: NumberRange.epochs.parse)
    var epochs: Int?

    func validate() throws {
        guard !demos.isEmpty else { throw ValidationError("name the demonstration recordings, e.g. `reins tradeoff arm-demos.mcap --robot Robots/sim-arm.yaml --epsilon 0.05`") }
    }

    func run() throws {
        let description = try loadRobot(robot, exitCode: 2)
        guard description.link == .sim else { throw ValidationError("\(robot) is not simulated (link: sim); the trade-off runs on simulators only") }
        let dataset = try FitCommand.dataset(from: demos, robot: description)
        let costUnit = description.kind == .arm ? "rad" : "m"
        print("robot \(description.name), ε \(epsilon), \(episodes) episodes per evaluation, \(dataset.episodes.count) demonstration episodes")
        let header = "| L requested | certified L | validation error | success | cost (\(costUnit)) | success under attack | cost under attack | largest action change |"
        print(header)
        print("|---|---|---|---|---|---|---|---|")
        var simulatorOptions = SimulatorOptions()
        simulatorOptions.speed = speed
        simulatorOptions.seed = seed
        let simulators = BuiltInSimulators(options: simulatorOptions)
        for bound in lipschitz {
            var configuration = FitConfiguration()
            configuration.hiddenSizes = hidden
            configuration.lipschitzBound = bound > 0 ? bound : nil
            configuration.epochs = epochs
            configuration.seed = seed
            let fit: FitResult
            do {
                fit = try PolicyFitter(configuration: configuration).fit(dataset: dataset)
            } catch {
                printError("L \(bound): \(error)")
                throw ExitCode(1)
            }
            let nominal: ClosedLoopEvaluation.Result, attacked: ClosedLoopEvaluation.Result
            do {
                nominal = try ClosedLoopEvaluation.run(robot: description, network: fit.network, episodes: UInt32(episodes), speed: speed, seed: seed,
                                                       simulators: simulators)
                attacked = try ClosedLoopEvaluation.run(robot: description, network: fit.network, episodes: UInt32(episodes), attack: epsilon, speed: speed,
                                                        seed: seed, simulators: simulators)
            } catch {
                printError("cannot run the simulator: \(error)")
                throw ExitCode(5)
            }
            let validation = fit.final.validation?.actionError ?? fit.final.training.actionError
            let row = "| \(bound > 0 ? fixed(bound, 1) : "none") | \(fixed(fit.certificate.certifiedLipschitzBound, 2)) | \(fixed(validation, 4)) | "
                + "\(fixed(nominal.successRate * 100, 0))% | \(fixed(nominal.totals.meanCost, 3)) | \(fixed(attacked.successRate * 100, 0))% | "
                + "\(fixed(attacked.totals.meanCost, 3)) | \(fixed(attacked.largestAttackChange, 3)) |"
            print(row)
            if nominal.fault != nil || attacked.fault != nil {
                printError("note: a run ended in a fault (\(String(describing: nominal.fault ?? attacked.fault))); its episodes so far are counted")
            }
        }
    }
}
