import ArgumentParser
import ReinsConfig
import ReinsCore
import ReinsPolicy

#if canImport(Glibc)
import Glibc
#endif

struct PolicyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy",
        abstract: "Inspect and evaluate learned policy files.",
        discussion: """
            A policy is a safetensors file of nn.Linear layers (`<prefix>N.weight` [out, in] and \
            `<prefix>N.bias`, as torch's save_file writes them), optionally with a config NAME.yaml \
            beside it (or JSON under __metadata__["reins"]) giving names, normalisation, the \
            activation and a CARIL classification head.
            """,
        subcommands: [Inspect.self, Eval.self])

    /// Loads a policy, printing the loader's messages and exiting 1 on failure.
    static func loadPolicy(_ path: String) throws -> PolicyNetwork {
        do {
            return try PolicyNetwork.load(path: path)
        } catch {
            for message in error.messages { printError(message) }
            throw ExitCode(1)
        }
    }

    static func loadRobot(_ path: String) throws -> RobotDescription {
        try reins.loadRobot(path, exitCode: 1)
    }

    /// Problems with using `network` on `robot`: sizes first, then names when the policy has them.
    static func mismatches(_ network: PolicyNetwork, _ robot: RobotDescription) -> [String] {
        var problems: [String] = []
        for (side, policyNames, robotNames, count) in [
            ("observation", network.observationNames, robot.observationNames, network.observationCount),
            ("action", network.actionNames, robot.actionNames, network.actionCount),
        ] {
            if count != robotNames.count {
                problems.append("\(side): the policy has \(count) entries but \(robot.name) has \(robotNames.count) (\(robotNames.joined(separator: ", ")))")
            } else if let policyNames, policyNames != robotNames {
                let index = zip(policyNames, robotNames).enumerated().first { $0.element.0 != $0.element.1 }!.offset
                problems.append("\(side) entry \(index): the policy calls it `\(policyNames[index])` but \(robot.name) gives `\(robotNames[index])`")
            }
        }
        return problems
    }

    struct Inspect: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a policy's layers, normalisation, classification head and Lipschitz bounds.",
            discussion: """
                Bounds are in physical units (action units per observation unit, L2), with the \
                normalisation folded in. With --robot, also checks the robustness certificate \
                L·ε <= action tolerance from the robot's monitor section and whether the policy's \
                observation and action entries match the robot; exits 1 if either fails.
                """)

        @Argument(help: "The policy file (.safetensors).", completion: .file(extensions: ["safetensors"]))
        var file: String

        @Option(help: "A robot description to check the policy against, e.g. Robots/sim-arm.yaml.", completion: .file(extensions: ["yaml"]))
        var robot: String?

        @Option(parsing: .unconditional, help: NumberRange.samples.help("Observations sampled for the empirical lower bound."), transform: NumberRange.samples.parse)
        var samples: Int = 256

        @Option(help: "Also evaluate the empirical lower bound at these observations (JSON lines, as for `policy eval`).", completion: .file())
        var observations: String?

        func run() throws {
            let network = try PolicyCommand.loadPolicy(file)
            let description = try robot.map(PolicyCommand.loadRobot)
            var extra: [[Double]] = []
            if let observations {
                let text: String
                do {
                    text = try FileBytes.readText(observations)
                } catch {
                    printError(error.description)
                    throw ExitCode(1)
                }
                for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
                where !line.allSatisfy({ $0 == " " || $0 == "\t" || $0 == "\r" }) {
                    switch Eval.parseObservation(String(line), count: network.observationCount) {
                    case .success(let values): extra.append(values)
                    case .failure(let problem):
                        printError("\(observations):\(index + 1): \(problem.message)")
                        throw ExitCode(1)
                    }
                }
            }
            let certificate = LipschitzCertificate.compute(for: network, samples: samples, observations: extra)

            print(file)
            let sizes = ([network.observationCount] + network.layers.map(\.outputs)).map(String.init).joined(separator: " → ")
            let names = network.layers.map { String($0.name.dropLast(".weight".count)) }.joined(separator: ", ")
            print("  layers           \(sizes)  (\(network.layers.count) linear: \(names); \(network.weightTypes.map(\.rawValue).joined(separator: "+")))")
            print("  activation       \(network.activation)")
            var normalisation: [String] = []
            if network.observationNormalization != nil { normalisation.append("observation mean/std") }
            if network.actionNormalization != nil { normalisation.append("action mean/std") }
            print("  normalisation    \(normalisation.isEmpty ? "none" : normalisation.joined(separator: ", "))")
            if let head = network.classificationHead {
                print("  CARIL head       \(head.bins) bins per action on [\(significant(head.range.lowerBound)), \(significant(head.range.upperBound))] (`\(head.layer.name)`, \(head.layer.outputs) logits)")
            } else {
                print("  CARIL head       none")
            }
            print("  names            \(network.observationNames == nil ? "none" : "observation and action names") (config: \(network.configSource))")
            print("  Lipschitz bounds (action units per observation unit)")
            print("    product of spectral norms   \(significant(certificate.productBound, digits: 5))")
            if let cp = certificate.combettesPesquetBound {
                print("    Combettes–Pesquet           \(significant(cp, digits: 5))")
            } else {
                print("    Combettes–Pesquet           not sound for \(network.activation.name) (slopes outside [0, 1]); product × sup|s'|^(m−1) used")
            }
            print("    certified bound             \(significant(certificate.certifiedLipschitzBound, digits: 5))")
            print("    empirical lower bound       \(significant(certificate.empiricalLowerBound, digits: 5))  (max ‖Jacobian‖ over \(certificate.empiricalSamples) sampled observations)")

            guard let description else { return }
            let robustness = certificate.robustness(against: description.monitor)
            let problems = PolicyCommand.mismatches(network, description)
            print("  robot            \(description.name) (\(robot!)): ε \(significant(description.monitor.sensorNoiseBound)), action tolerance \(significant(description.monitor.actionTolerance))")
            print("    certificate    \(robustness.isCertified ? "certified" : "NOT CERTIFIED"): \(robustness.summary)")
            if problems.isEmpty {
                let how = network.observationNames == nil ? "sizes match (the policy has no names to compare)" : "names and sizes match"
                print("    entries        \(how): \(network.observationCount) observations, \(network.actionCount) actions")
            }
            for problem in problems { print("    MISMATCH       \(problem)") }
            if !robustness.isCertified || !problems.isEmpty { throw ExitCode(1) }
        }
    }

    struct Eval: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run a policy on observations given as JSON lines.",
            discussion: """
                Each input line is a JSON array of numbers (one observation, in observation units). \
                Each output line is a JSON object: `action` (after correction and response), \
                `regression` (the network's output), `sensitivity` (the monitor's local estimate \
                with K probes of size ε), `response`, `innovation`, and with a classification head \
                per-action `confidence`, `entropy`, `class_bin`, `regression_bin`, `rule`, `corrected` and the `logits`. Lines \
                are ticks in order: the previous line's action is the last applied one. A bad line \
                gives {"line": N, "error": ...} (also on standard error) and exit status 1. \
                Without --robot no sensitivity limit applies unless --sensitivity-limit is given.
                """)

        @Argument(help: "The policy file (.safetensors).", completion: .file(extensions: ["safetensors"]))
        var file: String

        @Option(help: "A robot description: its monitor section sets ε, probes, limits and the response.", completion: .file(extensions: ["yaml"]))
        var robot: String?

        @Option(help: "Observations as JSON lines (default: standard input).", completion: .file())
        var input: String?

        @Option(parsing: .unconditional, help: NumberRange.observationEpsilon.help("ε, the sensor noise bound for the probes, when no --robot is given."),
                transform: NumberRange.observationEpsilon.parse)
        var epsilon: Double = 0.01

        @Option(parsing: .unconditional, help: NumberRange.sensitivityLimit.help("Sensitivity above which the response fires, when no --robot is given."),
                transform: NumberRange.sensitivityLimit.parse)
        var sensitivityLimit: Double?

        func run() throws {
            let network = try PolicyCommand.loadPolicy(file)
            var settings = MonitorSettings(sensorNoiseBound: epsilon, actionTolerance: .infinity, sensitivityLimit: sensitivityLimit ?? .infinity)
            if let robot {
                let description = try PolicyCommand.loadRobot(robot)
                let problems = PolicyCommand.mismatches(network, description)
                if !problems.isEmpty {
                    for problem in problems { printError("\(file): does not fit \(robot): \(problem)") }
                    throw ExitCode(1)
                }
                settings = description.monitor
            }
            let runner = PolicyRunner(network: network, settings: settings)
            var decision = PolicyDecision(for: network)
            var lastApplied: [Double]?
            var failures = 0
            let source = input ?? "stdin"

            var lines: [String] = []
            if let input {
                do {
                    lines = try FileBytes.readText(input).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
                } catch {
                    printError(error.description)
                    throw ExitCode(1)
                }
            }
            var lineNumber = 0
            while true {
                let line: String
                if input != nil {
                    guard lineNumber < lines.count else { break }
                    line = lines[lineNumber]
                } else {
                    guard let next = readLine(strippingNewline: true) else { break }
                    line = next
                }
                lineNumber += 1
                if line.allSatisfy({ $0 == " " || $0 == "\t" || $0 == "\r" }) { continue }
                let observation: [Double]
                switch Eval.parseObservation(line, count: network.observationCount) {
                case .success(let values): observation = values
                case .failure(let problem):
                    failures += 1
                    printError("\(source):\(lineNumber): \(problem.message)")
                    print("{\"line\":\(lineNumber),\"error\":\"\(problem.message.jsonEscaped)\"}")
                    fflush(nil)
                    continue
                }
                runner.step(observation, lastApplied: lastApplied ?? network.referenceForward(observation).action, into: &decision)
                lastApplied = decision.action
                print(Eval.json(decision, hasHead: network.classificationHead != nil))
                fflush(nil)
            }
            if failures > 0 { throw ExitCode(1) }
        }

        struct LineProblem: Error { var message: String }

        static func parseObservation(_ line: String, count: Int) -> Result<[Double], LineProblem> {
            let node: JSONNode
            do {
                node = try JSONParser.parse(Array(line.utf8))
            } catch {
                return .failure(LineProblem(message: "not valid JSON at column \(error.offset + 1): \(error.problem)"))
            }
            guard case .array(let items) = node.value else {
                return .failure(LineProblem(message: "expected a JSON array of \(count) numbers, found \(node.kindDescription)"))
            }
            guard items.count == count else {
                return .failure(LineProblem(message: "expected \(count) numbers (the policy's observation size), found \(items.count)"))
            }
            var values: [Double] = []
            for (index, item) in items.enumerated() {
                guard let value = item.double, value.isFinite else {
                    return .failure(LineProblem(message: "entry \(index) is \(item.kindDescription); expected a finite number"))
                }
                values.append(value)
            }
            return .success(values)
        }

        static func json(_ decision: PolicyDecision, hasHead: Bool) -> String {
            func number(_ value: Double) -> String { value.isFinite ? "\(value)" : "null" }
            func numbers(_ values: [Double]) -> String { "[" + values.map(number).joined(separator: ",") + "]" }
            let correction = decision.correction
            var fields = [
                "\"action\":\(numbers(correction.corrected))",
                "\"regression\":\(numbers(correction.regression))",
                "\"sensitivity\":\(number(decision.monitor.sensitivity))",
                "\"response\":\"\(correction.response)\"",
            ]
            if let fault = decision.monitor.innovation {
                fields.append("\"innovation\":{\"entry\":\(fault.entry),\"jump\":\(number(fault.jump)),\"allowed\":\(number(fault.allowed))}")
            } else {
                fields.append("\"innovation\":null")
            }
            if hasHead {
                fields.append("\"confidence\":\(numbers(correction.confidence))")
                fields.append("\"entropy\":\(numbers(correction.entropy))")
                fields.append("\"class_bin\":[\(correction.classBin.map(String.init).joined(separator: ","))]")
                fields.append("\"regression_bin\":[\(correction.regressionBin.map(String.init).joined(separator: ","))]")
                fields.append("\"rule\":[\(correction.rule.map { "\"\($0)\"" }.joined(separator: ","))]")
                fields.append("\"corrected\":\(numbers(correction.ruled))")
                fields.append("\"logits\":\(numbers(decision.output.logits))")
            }
            return "{" + fields.joined(separator: ",") + "}"
        }
    }
}
