import ArgumentParser
import ReinsConfig
import ReinsCore
import ReinsLearning
import ReinsPolicy
import ReinsRecording

struct FitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fit",
        abstract: "Fit a policy to recorded demonstrations and corrections (behaviour cloning).",
        discussion: """
            Reads every episode of the RECORDINGS (made by `reins demos`, `reins deploy --record` or \
            teleoperation), composes the training set by the RaC rules — demonstrations in, every \
            human recovery and correction segment in, fully autonomous episodes only if they \
            succeeded, the autonomous prefix before an intervention out — and fits an MLP with Adam \
            on normalised observations and actions. With --lipschitz L every layer is projected after \
            each step (norms estimated by power iteration, which trails them in the first epochs: \
            the epoch lines print that estimate, a lower bound of the product of norms) and exactly \
            after the last, so the certified Lipschitz bound of the written policy (what `reins \
            policy inspect` reports, in physical units) is at most L. With --bins K a CARIL \
            classification head is trained \
            jointly. The labels are the expert's or operator's own actions (before noise and the \
            safety filter), and for autonomous ticks the action the robot applied. Writes POLICY \
            (safetensors) and its config beside it.
            """)

    @Argument(help: "MCAP recordings to learn from.")
    var recordings: [String]

    @Option(help: "Robot description the policy is for (its observation and action layout must match the recordings).")
    var robot: String

    @Option(help: "Output policy file (.safetensors); the config goes beside it as .yaml.")
    var out: String

    @Option(help: "Certified Lipschitz bound to enforce (action units per observation unit).")
    var lipschitz: Double?

    @Option(help: "Hidden layer widths, comma-separated.")
    var hidden: String = "256,256"

    @Option(help: "CARIL classification head: bins per action dimension (the paper uses 11).")
    var bins: Int?

    @Option(help: "Passes over the data (default: enough for about 10 000 optimiser steps).")
    var epochs: Int?

    @Option(help: "Random seed (split, initial weights, batches).")
    var seed: UInt64 = 0

    @Option(help: "Adam learning rate.")
    var learningRate: Double = 3e-3

    @Flag(help: "Print only the result.")
    var quiet = false

    func validate() throws {
        guard !recordings.isEmpty else { throw ValidationError("name at least one recording, e.g. `reins fit demos.mcap --robot ... --out policy.safetensors`") }
        guard out.hasSuffix(".safetensors") else { throw ValidationError("--out must end in .safetensors, e.g. --out Robots/policies/arm.safetensors") }
        guard hidden.split(separator: ",").allSatisfy({ Int($0) != nil }) else { throw ValidationError("--hidden takes comma-separated widths, e.g. --hidden 256,256") }
    }

    func run() throws {
        let description = try loadRobot(robot, exitCode: 2)
        let dataset = try FitCommand.dataset(from: recordings, robot: description)
        var configuration = FitConfiguration()
        configuration.hiddenSizes = hidden.split(separator: ",").compactMap { Int($0) }
        configuration.lipschitzBound = lipschitz
        configuration.classificationBins = bins
        configuration.epochs = epochs
        configuration.seed = seed
        configuration.learningRate = learningRate
        let result: FitResult
        do {
            result = try PolicyFitter(configuration: configuration).fit(dataset: dataset) { report in
                if !quiet { print(report.description) }
            }
        } catch {
            printError(error.description)
            throw ExitCode(1)
        }
        do {
            try result.write(to: out)
        } catch {
            printError(error.description)
            throw ExitCode(1)
        }
        print(result.description)
        print("wrote \(out) and \(PolicyNetwork.companionConfigPath(for: out)); check it with `reins policy inspect \(out) --robot \(robot)`")
    }

    /// Episodes of the recordings as training episodes, checked against the robot's layout.
    static func dataset(from paths: [String], robot: RobotDescription) throws -> Dataset {
        var dataset = Dataset(observationNames: robot.observationNames, actionNames: robot.actionNames, sourceFiles: paths)
        for path in paths {
            let recording: Recording
            do {
                recording = try RecordingReader.read(path: path)
            } catch {
                printError("\(path): \(error)")
                throw ExitCode(2)
            }
            if let recorded = recording.robot {
                if recorded.observationNames != robot.observationNames || recorded.actionNames != robot.actionNames {
                    printError("\(path): recorded on \(recorded.name) with \(recorded.observationNames.count) observations and \(recorded.actionNames.count) actions, which do not match \(robot.name)'s layout")
                    throw ExitCode(2)
                }
            }
            if !recording.isComplete { printError("warning: \(path) is truncated (\(recording.problem ?? "no summary")); using what it holds") }
            for episode in recording.episodes where !episode.ticks.isEmpty {
                var training = TrainingEpisode(label: "\(path) episode \(episode.episode)", outcome: episode.outcome ?? .aborted,
                                               observationCount: robot.observationNames.count, actionCount: robot.actionNames.count)
                for tick in episode.ticks {
                    // The teacher's intent is the label: the expert's clean action (before DART noise
                    // and the safety filter) or the operator's command; for the policy's own ticks,
                    // what the robot did.
                    let label = tick.source == .policy ? tick.applied : tick.proposed
                    guard tick.observation.count == robot.observationNames.count, label.count == robot.actionNames.count else { continue }
                    training.append(observation: tick.observation, action: label, source: tick.source, segment: tick.segment)
                }
                dataset.episodes.append(training)
            }
        }
        return dataset
    }
}
