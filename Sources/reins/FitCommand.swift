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

    @Option(parsing: .unconditional, help: NumberRange.lipschitzBound.help("Certified Lipschitz bound to enforce (action units per observation unit)."),
            transform: NumberRange.lipschitzBound.parse)
    var lipschitz: Double?

    @Option(parsing: .unconditional, help: NumberRange.hiddenWidth.help("Hidden layer widths, comma-separated (default 256,256)."), transform: NumberRange.hiddenWidth.parseList)
    var hidden: [Int] = [256, 256]

    @Option(parsing: .unconditional, help: NumberRange.classificationBins.help("CARIL classification head: bins per action dimension (the paper uses 11)."),
            transform: NumberRange.classificationBins.parse)
    var bins: Int?

    @Option(parsing: .unconditional, help: NumberRange.epochs.help("Passes over the data (default: enough for about 10 000 optimiser steps)."),
            transform: NumberRange.epochs.parse)
    var epochs: Int?

    @Option(parsing: .unconditional, help: NumberRange.seed.help("Random seed (split, initial weights, batches)."), transform: NumberRange.seed.parse)
    var seed: UInt64 = 0

    @Option(parsing: .unconditional, help: NumberRange.learningRate.help("Adam learning rate."), transform: NumberRange.learningRate.parse)
    var learningRate: Double = 3e-3

    @Flag(help: "Replace an existing policy (and its config) at --out.")
    var force = false

    @Flag(help: "Print only the result.")
    var quiet = false

    func validate() throws {
        guard !recordings.isEmpty else { throw ValidationError("name at least one recording, e.g. `reins fit demos.mcap --robot ... --out policy.safetensors`") }
        guard out.hasSuffix(".safetensors") else { throw ValidationError("--out must end in .safetensors, e.g. --out Robots/policies/arm.safetensors") }
    }

    func run() throws {
        let description = try loadRobot(robot, exitCode: 2)
        // Both outputs are checked before the fit: a policy over a recording, or its config over
        // the robot description beside it, is refused before minutes of training, not after.
        let inputs = recordings + description.inputFiles
        let policyOutput = try outputFile(out, kind: .safetensors, option: "--out", inputs: inputs, force: force)
        let configPath = PolicyNetwork.companionConfigPath(for: out)
        _ = try outputFile(configPath, kind: .policyConfig, option: "--out (its config)", inputs: inputs, force: force)
        let dataset = try FitCommand.dataset(from: recordings, robot: description)
        if dataset.discardedEpisodes > 0 && !quiet { print("left out \(dataset.discardedEpisodes) episodes the operator discarded") }
        var configuration = FitConfiguration()
        configuration.hiddenSizes = hidden
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
            try result.write(to: policyOutput.path)
        } catch {
            printError(error.description)
            throw ExitCode(1)
        }
        print(result.description)
        print("wrote \(out) and \(PolicyNetwork.companionConfigPath(for: out)); check it with `reins policy inspect \(out) --robot \(robot)`")
    }

    /// The action a tick teaches: the teacher's intent. An expert's clean action (`proposed`, before
    /// DART noise and the safety filter); a person's command (`corrected`: on a human tick
    /// `proposed` holds the shadow policy's action); a replayed row; for the policy's own ticks,
    /// what the robot did.
    static func label(_ tick: RecordedTick) -> [Double] {
        switch tick.source {
        case .policy: return tick.applied
        case .human: return tick.corrected
        case .expert, .replay: return tick.proposed
        }
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
                // The operator threw it away (re-record): never training data.
                if episode.outcome == .discarded {
                    dataset.discardedEpisodes += 1
                    continue
                }
                var training = TrainingEpisode(label: "\(path) episode \(episode.episode)", outcome: episode.outcome ?? .aborted,
                                               observationCount: robot.observationNames.count, actionCount: robot.actionNames.count)
                for tick in episode.ticks {
                    let label = Self.label(tick)
                    guard tick.observation.count == robot.observationNames.count, label.count == robot.actionNames.count else { continue }
                    training.append(observation: tick.observation, action: label, source: tick.source, segment: tick.segment)
                }
                dataset.episodes.append(training)
            }
        }
        return dataset
    }
}
