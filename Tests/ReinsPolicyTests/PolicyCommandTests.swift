import Foundation
import ReinsConfig
import ReinsCore
import ReinsPolicy
import ReinsTestSupport
import Testing

/// `reins policy inspect`, `reins policy eval` and `reins bench policy`, run as a user would.
@Suite struct PolicyCommandTests {
    static let simArm = packageRoot + "/Robots/sim-arm.yaml"

    /// A 12 → 16 → 6 ReLU policy for the sim arm, with its entry names under __metadata__; weights
    /// scaled by `scale` (the certified bound grows with scale²).
    static func armPolicy(_ folder: TemporaryDirectory, scale: Double, names: Bool = true) throws -> String {
        let robot = try RobotDescription.load(path: simArm)
        let base = PolicyNetwork.seededRandom(sizes: [robot.observationNames.count, 16, robot.actionNames.count], seed: 4)
        var entries: [SafetensorsFile.Entry] = []
        for (index, layer) in base.layers.enumerated() {
            entries.append(.init(name: "net.\(2 * index).weight", shape: [layer.outputs, layer.inputs], values: layer.weights.map { $0 * scale }))
            entries.append(.init(name: "net.\(2 * index).bias", shape: [layer.outputs], values: layer.bias))
        }
        func list(_ items: [String]) -> String { "[" + items.map { "\"\($0)\"" }.joined(separator: ",") + "]" }
        let config = names ? "{\"observation\":{\"names\":\(list(robot.observationNames))},\"action\":{\"names\":\(list(robot.actionNames))}}" : "{}"
        let path = folder.file("arm.safetensors")
        try FileBytes.write(SafetensorsFile.serialize(entries, metadata: ["reins": config]), to: path)
        return path
    }

    @Test func inspectShowsLayersBoundsAndTheCertificateAgainstARobot() throws {
        let folder = TemporaryDirectory()
        let path = try Self.armPolicy(folder, scale: 0.5)
        let result = runProcess(reinsExecutable, ["policy", "inspect", path, "--robot", Self.simArm, "--samples", "32"])
        #expect(result.status == 0, "\(result.standardOutput)\(result.standardError)")
        let text = result.standardOutput
        #expect(text.contains("layers           12 → 16 → 6  (2 linear: net.0, net.2; F32)"))
        #expect(text.contains("activation       relu"))
        #expect(text.contains("normalisation    none"))
        #expect(text.contains("CARIL head       none"))
        #expect(text.contains("product of spectral norms"))
        #expect(text.contains("Combettes–Pesquet"))
        #expect(text.contains("empirical lower bound"))
        #expect(text.contains("certificate    certified: certified bound"))
        #expect(text.contains("is within the action tolerance 0.1"))
        #expect(text.contains("entries        names and sizes match: 12 observations, 6 actions"))
    }

    @Test func inspectRefusesAnUncertifiedPolicyAndSaysByHowMuch() throws {
        let folder = TemporaryDirectory()
        let path = try Self.armPolicy(folder, scale: 40)
        let network = try PolicyNetwork.load(path: path)
        let bound = LipschitzCertificate.compute(for: network, samples: 4).certifiedLipschitzBound
        let result = runProcess(reinsExecutable, ["policy", "inspect", path, "--robot", Self.simArm, "--samples", "8"])
        #expect(result.status == 1)
        let expected = RobustnessCertificate(lipschitzBound: bound, noiseBound: 0.01, actionTolerance: 0.1).summary
        #expect(expected.contains("exceeds the action tolerance 0.1 by") && expected.contains("reins fit --lipschitz 10"))
        #expect(result.standardOutput.contains("NOT CERTIFIED: " + expected), "\(result.standardOutput)")
    }

    @Test func inspectReportsEntriesThatDoNotMatchTheRobot() throws {
        let folder = TemporaryDirectory()
        let peer = try writePeerPolicy(folder, "car", ["--sizes", "12,8,6", "--config", "yaml"])
        let result = runProcess(reinsExecutable, ["policy", "inspect", peer.path, "--robot", Self.simArm, "--samples", "4"])
        #expect(result.status == 1)
        #expect(result.standardOutput.contains("MISMATCH       observation entry 0: the policy calls it `o0` but sim-arm gives `shoulder_pan.pos`"))
        let small = try writePeerPolicy(folder, "small", ["--sizes", "5,8,2"])
        let sizes = runProcess(reinsExecutable, ["policy", "inspect", small.path, "--robot", Self.simArm, "--samples", "4"])
        #expect(sizes.status == 1)
        #expect(sizes.standardOutput.contains("MISMATCH       observation: the policy has 5 entries but sim-arm has 12"))
        #expect(sizes.standardOutput.contains("MISMATCH       action: the policy has 2 entries but sim-arm has 6"))
    }

    @Test func inspectEvaluatesTheEmpiricalBoundAtGivenObservations() throws {
        // A single linear layer: the Jacobian is the same everywhere, so one given observation and
        // no samples reach the certified bound.
        let folder = TemporaryDirectory()
        let peer = try writePeerPolicy(folder, "linear", ["--sizes", "4,3", "--inputs", "1"])
        let observations = folder.write("x.jsonl", "[1, 2, 3, 4]\n")
        let result = runProcess(reinsExecutable, ["policy", "inspect", peer.path, "--samples", "1", "--observations", observations])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput.contains("(max ‖Jacobian‖ over 2 sampled observations)"))
        let bad = folder.write("bad.jsonl", "[1, 2, 3, 4]\n[1]\n")
        let refused = runProcess(reinsExecutable, ["policy", "inspect", peer.path, "--observations", bad])
        #expect(refused.status == 1 && refused.standardError.contains("bad.jsonl:2: expected 4 numbers"))
    }

    @Test func inspectOfABrokenFileNamesTheProblem() {
        let folder = TemporaryDirectory()
        let path = folder.write("broken.safetensors", "abc")
        let result = runProcess(reinsExecutable, ["policy", "inspect", path])
        #expect(result.status == 1)
        #expect(result.standardError == "\(path): the file is 3 bytes; a safetensors file starts with an 8-byte header length\n")
    }

    @Test func evalReportsBadLinesByNumberAndKeepsGoing() throws {
        let folder = TemporaryDirectory()
        let peer = try writePeerPolicy(folder, "policy", ["--sizes", "3,8,2", "--inputs", "2"])
        let good = "[" + peer.inputs[0].map { "\($0)" }.joined(separator: ",") + "]"
        let input = [good, "[1, 2", "{\"x\": 1}", "[1, 2]", "[1, \"two\", 3]", "", good].joined(separator: "\n") + "\n"
        let result = runProcess(reinsExecutable, ["policy", "eval", peer.path], standardInput: input)
        #expect(result.status == 1)
        let errors = result.standardError.split(separator: "\n").map(String.init)
        #expect(errors == [
            "stdin:2: not valid JSON at column 6: expected `,` or `]`, found the end of the text",
            "stdin:3: expected a JSON array of 3 numbers, found an object",
            "stdin:4: expected 3 numbers (the policy's observation size), found 2",
            "stdin:5: entry 1 is the string \"two\"; expected a finite number",
        ])
        let lines = result.standardOutput.split(separator: "\n")
        #expect(lines.count == 6)
        #expect(lines[1].hasPrefix("{\"line\":2,\"error\":\"not valid JSON"))
        let last = try #require(try JSONSerialization.jsonObject(with: Data(lines[5].utf8)) as? [String: Any])
        expectClose(try #require(last["action"] as? [Double]), peer.actions[0], tolerance: 1e-5)
    }

    @Test func evalReadsAFileAndUsesTheRobotsMonitorSettings() throws {
        let folder = TemporaryDirectory()
        let path = try Self.armPolicy(folder, scale: 40)
        let observation = "[" + (0..<12).map { "\(Double($0) / 20)" }.joined(separator: ",") + "]"
        let inputPath = folder.write("observations.jsonl", observation + "\n" + observation + "\n")
        let result = runProcess(reinsExecutable, ["policy", "eval", path, "--robot", Self.simArm, "--input", inputPath])
        #expect(result.status == 0, "\(result.standardError)")
        let objects = try result.standardOutput.split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        try #require(objects.count == 2)
        // Weights scaled by 40 make the local slope far above sim-arm's limit of 0.1 / 0.01 = 10,
        // and sim-arm's response is `slow`.
        let sensitivity = try #require(objects[1]["sensitivity"] as? Double)
        #expect(sensitivity > 10)
        #expect(objects[1]["response"] as? String == "slow")
        #expect(objects[0]["innovation"] is NSNull)

        let unmatched = try writePeerPolicy(folder, "small", ["--sizes", "5,8,2"])
        let refused = runProcess(reinsExecutable, ["policy", "eval", unmatched.path, "--robot", Self.simArm], standardInput: "")
        #expect(refused.status == 1)
        #expect(refused.standardError.contains("does not fit \(Self.simArm): observation: the policy has 5 entries but sim-arm has 12"))
    }

    @Test func benchPolicyReportsForwardAndMonitorPercentiles() throws {
        let result = runProcess(reinsExecutable, ["bench", "policy", "--iterations", "200", "--probes", "4"])
        #expect(result.status == 0, "\(result.standardError)")
        let lines = result.standardOutput.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("policy: seeded random MLP 64→256→256→8") == true)
        var medians: [Int] = []
        for label in ["forward (1 observation)", "monitor tick (1 + 4 probes, one batched pass)", "corrector (no CARIL head: response only)",
                      "policy step (monitor tick + corrector)"] {
            let line = try #require(lines.first { $0.hasPrefix(label) }, "no line for \(label)")
            #expect(line.contains("median ") && line.contains("p99 "))
            let median = line.components(separatedBy: "median ").last?.split(separator: " ").first.flatMap { Int($0) }
            medians.append(try #require(median, "\(line)"))
        }
        #expect(lines.contains { $0.contains("timed calls each, interleaved") })
        // The random MLP has no head, so the corrector only checks the response: the step costs a
        // monitor tick plus that, and the monitor's batched pass costs more than one forward pass.
        #expect(medians[2] < medians[1] && medians[0] < medians[1], "\(medians)")
        let invalid = runProcess(reinsExecutable, ["bench", "policy", "--probes", "0"])
        #expect(invalid.status == 2 && invalid.standardError.contains("The value '0' is invalid for '--probes <probes>': out of range: 1 ≤ value ≤ 64"))
    }
}
