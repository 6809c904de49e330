import Foundation
import ReinsTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// An option of some subcommand, read from `reins --experimental-dump-help` (the parser's own
/// description of every command), so a new option is attacked without anyone listing it here.
struct CommandLineOption {
    let command: [String]
    let name: String
    /// The allowed range printed in its help, `(LOW < value ≤ HIGH)`; nil for a non-numeric option.
    let range: (lower: Double, lowerIncluded: Bool, upper: Double)?
}

/// Options whose value is not a number: paths, fault and link specs, names.
let nonNumericOptions: Set<String> = [
    "robot", "policy", "record", "out", "trajectory", "faults", "link", "localization", "signing-key", "directory", "input",
    "observations", "invert", "zero-pose", "operator", "device", "server-key", "operator-keys", "connect", "key", "arm", "leader", "keep", "shard",
]

/// Every subcommand's options, with the values that make each command parse up to them.
func commandLineOptions() throws -> (options: [CommandLineOption], required: [[String]: [String]]) {
    let dump = runProcess(reinsExecutable, ["--experimental-dump-help"])
    let root = try #require(try JSONSerialization.jsonObject(with: Data(dump.standardOutput.utf8)) as? [String: Any])
    let pattern = try NSRegularExpression(pattern: #"\((-?[0-9.e+]+) (<|≤) value ≤ (-?[0-9.e+]+)"#)
    var options: [CommandLineOption] = []
    var required: [[String]: [String]] = [:]
    // Syntactically valid stand-ins: parsing fails on the hostile value before any file is opened.
    let standIns = ["robot": "Robots/sim-arm.yaml", "policy": "Robots/policies/sim-arm.safetensors", "trajectory": "t.csv", "out": "o.safetensors",
                    "epsilon": "0.1", "episodes": "1", "device": "sim"]
    func walk(_ command: [String: Any], path: [String]) {
        var needed: [String] = []
        for argument in command["arguments"] as? [[String: Any]] ?? [] {
            let kind = argument["kind"] as? String
            let names = (argument["names"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
            let optional = argument["isOptional"] as? Bool ?? true
            if kind == "positional" && !optional {
                needed.append(path.last == "sim" ? "arm" : "x.mcap")
            }
            guard kind == "option", let name = names.first(where: { $0.count > 1 }) else { continue }
            if !optional { needed += ["--\(name)", standIns[name] ?? "1"] }
            let help = argument["abstract"] as? String ?? ""
            var range: (Double, Bool, Double)?
            if let match = pattern.firstMatch(in: help, range: NSRange(help.startIndex..., in: help)),
               let low = Double(help[Range(match.range(at: 1), in: help)!]), let high = Double(help[Range(match.range(at: 3), in: help)!]) {
                range = (low, help[Range(match.range(at: 2), in: help)!] == "≤", high)
            }
            options.append(CommandLineOption(command: path, name: name, range: range))
        }
        required[path] = needed
        for sub in command["subcommands"] as? [[String: Any]] ?? [] {
            if let name = sub["commandName"] as? String { walk(sub, path: path + [name]) }
        }
    }
    walk(try #require(root["command"] as? [String: Any]), path: [])
    return (options, required)
}

@Suite struct HostileInputTests {
    @Test func everyOptionIsEitherRangeCheckedOrKnownNotToBeANumber() throws {
        let (options, _) = try commandLineOptions()
        let numeric = options.filter { $0.range != nil }
        #expect(numeric.count >= 40, "found \(numeric.count) range-checked options")
        for option in options where option.range == nil {
            #expect(nonNumericOptions.contains(option.name),
                    "reins \(option.command.joined(separator: " ")) --\(option.name) has no range: declare it with a NumberRange, or list it here if it is not a number")
        }
    }

    @Test func everyNumericOptionRefusesHostileValuesWithExitTwoNamingTheOption() throws {
        let (options, required) = try commandLineOptions()
        var attacked = 0
        for option in options {
            guard let range = option.range else { continue }
            for value in ["0", "-1", "nan", "inf", "-inf", "1e300", "0x", ""] {
                // Only values outside the range: an allowed value would start the command for real.
                if let number = Double(value), number.isFinite,
                   (range.lowerIncluded ? number >= range.lower : number > range.lower) && number <= range.upper {
                    continue
                }
                let arguments = option.command + (required[option.command] ?? []) + ["--\(option.name)", value]
                let result = runProcess(reinsExecutable, arguments, workingDirectory: packageRoot)
                let invocation = "reins " + arguments.joined(separator: " ")
                #expect(result.status == 2, "\(invocation) exited \(result.status): \(result.standardError)")
                #expect(result.standardError.contains("--\(option.name)"), "\(invocation): \(result.standardError)")
                for crash in ["Fatal error", "Swift runtime failure", "Backtrace", "Illegal instruction"] {
                    #expect(!result.standardError.contains(crash), "\(invocation) crashed: \(result.standardError)")
                }
                attacked += 1
            }
        }
        #expect(attacked > 200)
    }

    @Test(arguments: ["drop=nan", "drop=2", "delay=1e300", "delay=-1ms", "disconnect=inf", "noise=1e300", "bias=nan", "stuck=-1", "stuck=1e9"])
    func hostileFaultSpecsAreRefusedBeforeAnythingStarts(_ spec: String) {
        for arguments in [["sim", "arm", "--duration", "1"], ["deploy", "--robot", "Robots/sim-arm.yaml", "--policy", "Robots/policies/sim-arm.safetensors", "--duration", "1"]] {
            let result = runProcess(reinsExecutable, arguments + ["--faults", spec], workingDirectory: packageRoot)
            #expect(result.status == 2, "\(arguments.first!) --faults \(spec): \(result.standardOutput) \(result.standardError)")
            #expect(result.standardError.contains("--faults `\(spec)`"), "\(result.standardError)")
            #expect(!result.standardOutput.contains("ready") && !result.standardOutput.contains("loop:"))
        }
    }

    @Test func usageErrorsExitTwo() {
        for arguments in [["deploy"], ["deploy", "--robot"], ["bench", "loop", "--no-such-option"], ["sim", "boat"], ["nonsense"]] {
            let result = runProcess(reinsExecutable, arguments, workingDirectory: packageRoot)
            #expect(result.status == 2, "reins \(arguments.joined(separator: " ")) exited \(result.status)")
            #expect(result.standardError.contains("Usage:") || result.standardError.contains("Error:"))
        }
    }

    @Test func aLoopFasterThanTenKilohertzIsRefusedBeforeTheRobotStarts() {
        let result = runProcess(reinsExecutable, ["deploy", "--robot", "Robots/sim-arm.yaml", "--policy", "Robots/policies/sim-arm.safetensors",
                                                  "--rate", "1000", "--speed", "100"], workingDirectory: packageRoot)
        #expect(result.status == 2)
        #expect(result.standardError.contains("the loop would run at 100000 Hz"))
        #expect(!result.standardOutput.contains("simulator:"))
    }

    @Test func versionIsPrinted() {
        let result = runProcess(reinsExecutable, ["--version"])
        #expect(result.status == 0)
        #expect(result.standardOutput.split(separator: ".").count == 3)
    }

    @Test(arguments: ["arm", "car", "drone"])
    func aSimulatorWithoutDurationRunsUntilCtrlC(_ kind: String) {
        let simulator = SpawnedProcess(reinsExecutable, ["sim", kind], workingDirectory: packageRoot)
        #expect(simulator.waitForLine(containing: "ready", timeout: 30) != nil, "\(simulator.standardError)")
        usleep(700_000)
        simulator.signal(SIGINT)
        #expect(simulator.wait(timeout: 10) == 0, "\(simulator.standardError)")
        #expect(simulator.standardOutput.contains("stopped after"))
        #expect(!simulator.standardError.contains("Fatal error"))
    }
}
