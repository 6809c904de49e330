import ArgumentParser
import ReinsConfig
import ReinsCore
import ReinsLearning
import ReinsPolicy
import ReinsRuntime

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

    @Option(help: "Bounds to try, comma-separated; 0 fits without the constraint.")
    var lipschitz: String = "2,5,10,20,0"

    @Option(help: "Size of the adversarial observation perturbation (L2, observation units).")
    var epsilon: Double

    @Option(help: "Episodes per evaluation.")
    var episodes: Int = 20

    @Option(help: "Simulated seconds per real second during evaluation.")
    var speed: Double = 5

    @Option(help: "Random seed for the fits and the evaluations.")
    var seed: UInt64 = 1

    @Option(help: "Hidden layer widths, comma-separated.")
    var hidden: String = "256,256"

    @Option(help: "Passes over the data per fit (default: automatic).")
    var epochs: Int?

    func validate() throws {
        guard !demos.isEmpty else { throw ValidationError("name the demonstration recordings, e.g. `reins tradeoff arm-demos.mcap --robot Robots/sim-arm.yaml --epsilon 0.05`") }
        guard lipschitz.split(separator: ",").allSatisfy({ Double($0) != nil && Double($0)! >= 0 }) else {
            throw ValidationError("--lipschitz takes comma-separated non-negative numbers, e.g. 2,5,10,0")
        }
        guard epsilon > 0 else { throw ValidationError("--epsilon must be positive") }
        guard episodes > 0 else { throw ValidationError("--episodes must be positive") }
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
        for bound in lipschitz.split(separator: ",").compactMap({ Double($0) }) {
            var configuration = FitConfiguration()
            configuration.hiddenSizes = hidden.split(separator: ",").compactMap { Int($0) }
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
                nominal = try ClosedLoopEvaluation.run(robot: description, network: fit.network, episodes: UInt32(episodes), speed: speed, seed: seed)
                attacked = try ClosedLoopEvaluation.run(robot: description, network: fit.network, episodes: UInt32(episodes), attack: epsilon, speed: speed, seed: seed)
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
