import ArgumentParser
import ReinsConfig
import ReinsCore
import ReinsPolicy

#if canImport(Glibc)
import Glibc
#endif

struct BenchPolicyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy",
        abstract: "Time policy inference and the per-tick robustness monitor.",
        discussion: """
            Without FILE, times a seeded random 64→256→256→8 ReLU MLP. Reports the median and p99 \
            of single forward passes, of monitor ticks (the observation plus K probes in one \
            batched pass, then the sensitivity), of the corrector alone and of a whole policy step \
            (monitor tick + corrector), each call timed on its own. The four are measured \
            interleaved, every round timing each once in rotating order, so a change in the \
            machine's load during the run affects them alike. With \
            --compare-onnxruntime the same weights are exported to ONNX by a Python script and \
            timed in onnxruntime (single-threaded session, per session.run call, measured from \
            Python; the Python loop overhead of a no-op call is printed so it can be subtracted).
            """)

    @Argument(help: "A policy file; omit for the seeded random 64→256→256→8 ReLU MLP.", completion: .file(extensions: ["safetensors"]))
    var file: String?

    @Option(parsing: .unconditional, help: NumberRange.probes.help("K, the perturbation probes per monitor tick."), transform: NumberRange.probes.parse)
    var probes: Int = 8

    @Option(parsing: .unconditional, help: NumberRange.iterations.help("Timed calls per measurement."), transform: NumberRange.iterations.parse)
    var iterations: Int = 20000

    @Flag(help: "Also time the same network in onnxruntime (needs python3 with numpy, safetensors, onnx, onnxruntime).")
    var compareOnnxruntime = false

    @Flag(help: "Use the portable C kernels even when the CPU has AVX2+FMA.")
    var portable = false

    func run() throws {
        let network: PolicyNetwork
        if let file {
            network = try PolicyCommand.loadPolicy(file)
        } else {
            network = PolicyNetwork.seededRandom(sizes: [64, 256, 256, 8], seed: 1)
        }
        if portable { PolicyEngine.useKernels(portable: true) }
        let settings = MonitorSettings(sensorNoiseBound: 0.01, actionTolerance: .infinity, probes: probes, sensitivityLimit: .infinity)
        let runner = PolicyRunner(network: network, settings: settings)
        let engine = runner.engine

        // A fixed set of observations, cycled, so no call sees exactly the previous input.
        var random = SeededRandom(seed: 7)
        let observations: [[Double]] = (0..<64).map { _ in
            (0..<network.observationCount).map { index in
                let z = random.gaussian()
                guard let normalization = network.observationNormalization else { return z }
                return normalization.mean[index] + normalization.std[index] * z
            }
        }
        var output = PolicyOutput(for: network)
        var decision = PolicyDecision(for: network)
        let lastApplied = [Double](repeating: 0, count: network.actionCount)
        var correction = CorrectionReport(for: network)
        let report = runner.monitor.check(observations[0], engine: engine, output: &output)

        // Interleaved, so drift in the machine's load (other processes, frequency, caches) lands on
        // every measurement alike: measured one after another in blocks, the step (monitor +
        // corrector) came out faster than the monitor tick alone on a busy machine.
        let bodies: [(Int) -> Void] = [
            { _ in },
            { index in engine.forward(observations[index & 63], into: &output) },
            { index in _ = runner.monitor.check(observations[index & 63], engine: engine, output: &output) },
            { _ in runner.corrector.correct(output, monitor: report, lastApplied: lastApplied, into: &correction) },
            { index in runner.step(observations[index & 63], lastApplied: lastApplied, into: &decision) },
        ]
        var samples = [[UInt64]](repeating: [UInt64](repeating: 0, count: iterations), count: bodies.count)
        for index in 0..<min(iterations, 2000) {  // warm caches and branch predictors
            for body in bodies { body(index) }
        }
        for index in 0..<iterations {
            for offset in 0..<bodies.count {
                let which = (index + offset) % bodies.count
                let start = MonotonicClock.nowNanoseconds()
                bodies[which](index)
                samples[which][index] = MonotonicClock.nowNanoseconds() &- start
            }
        }
        let results = samples.map { measured -> (median: UInt64, p99: UInt64) in
            let sorted = measured.sorted()
            return (sorted[iterations / 2], sorted[min(iterations - 1, iterations * 99 / 100)])
        }
        let (timer, forward, monitor, corrector, step) = (results[0], results[1], results[2], results[3], results[4])

        let sizes = ([network.observationCount] + network.layers.map(\.outputs)).map(String.init).joined(separator: "→")
        let label = file.map { "\($0), \(sizes)" } ?? network.sourcePath
        print("policy: \(label), \(network.activation.name)\(network.classificationHead == nil ? "" : " + CARIL head")")
        print("kernels: \(PolicyEngine.kernelName); \(iterations) timed calls each, interleaved; timer overhead median \(timer.median) ns (included below)")
        print(BenchPolicyCommand.line("forward (1 observation)", forward))
        print(BenchPolicyCommand.line("monitor tick (1 + \(probes) probes, one batched pass)", monitor))
        print(BenchPolicyCommand.line(network.classificationHead == nil ? "corrector (no CARIL head: response only)" : "corrector (CARIL rules on the head)", corrector))
        print(BenchPolicyCommand.line("policy step (monitor tick + corrector)", step))

        guard compareOnnxruntime else { return }
        let comparison = try OnnxRuntimeComparison.run(network: network, observation: observations[0], iterations: iterations)
        print("onnxruntime \(comparison.version) (measured from Python, per session.run call, single-threaded session: intra_op_num_threads=1)")
        print("  session.run             median \(comparison.medianNanoseconds) ns, p99 \(comparison.p99Nanoseconds) ns")
        print("  Python no-op call loop  median \(comparison.noopMedianNanoseconds) ns (subtract it for onnxruntime's own time)")
        let net = max(1, Int(comparison.medianNanoseconds) - Int(comparison.noopMedianNanoseconds))
        print("  Reins forward vs session.run: \(BenchPolicyCommand.speed(Double(comparison.medianNanoseconds), Double(forward.median))) "
              + "(\(BenchPolicyCommand.speed(Double(net), Double(forward.median))) after subtracting the Python loop overhead)")
        print("  outputs agree to \(significant(comparison.maximumDifference, digits: 2)) (max |Reins − onnxruntime| on one observation)")
    }

    static func line(_ label: String, _ result: (median: UInt64, p99: UInt64)) -> String {
        let padded = label + String(repeating: " ", count: max(1, 52 - label.count))
        return "\(padded)median \(result.median) ns (\(microseconds(result.median))), p99 \(result.p99) ns (\(microseconds(result.p99)))"
    }

    /// "3.2× faster" or "1.5× slower": how Reins' time compares with the other's.
    static func speed(_ other: Double, _ reins: Double) -> String {
        let ratio = other / max(reins, 1)
        return ratio >= 1 ? "\(significant(ratio))× faster" : "\(significant(1 / ratio))× slower"
    }
}
