import Foundation
import ReinsCore
import ReinsLearning
import ReinsPolicy
import ReinsTestSupport
import Testing

/// The written policy file: what Python's safetensors reads from it, the two copies of the config,
/// and the training provenance.
@Suite struct PolicyFileTests {
    static func fitted(bins: Int? = 4) throws -> FitResult {
        let expert = SmoothExpert(observations: 3, actions: 2, seed: 61)
        var configuration = smallConfiguration(hidden: [12, 10], epochs: 5)
        configuration.lipschitzBound = 4
        configuration.classificationBins = bins
        return try PolicyFitter(configuration: configuration).fit(dataset: expert.dataset(episodes: 5, ticks: 40, seed: 62))
    }

    /// numpy and safetensors.numpy as the independent reader: tensor names, dtypes and shapes, and a
    /// forward pass computed from the tensors and the JSON config in the metadata.
    @Test func pythonSafetensorsReadsTheFileAndNumpyReproducesTheForwardPass() throws {
        let result = try Self.fitted()
        let folder = TemporaryDirectory()
        let path = folder.file("policy.safetensors")
        try result.write(to: path)
        var random = SeededRandom(seed: 63)
        let observations = (0..<5).map { _ in (0..<3).map { _ in random.uniform(-3...3) } }
        let script = """
            import json, sys
            import numpy as np
            from safetensors import safe_open
            from safetensors.numpy import load_file
            path, observations = sys.argv[1], json.loads(sys.argv[2])
            tensors = load_file(path)
            with safe_open(path, "np") as f:
                metadata = f.metadata()
            config = json.loads(metadata["reins"])
            fit = json.loads(metadata["reins_fit"])
            chain = sorted({int(name.split(".")[1]) for name in tensors if name.startswith("net.")})
            actions, logits = [], []
            for x in observations:
                h = (np.array(x) - config["observation"]["mean"]) / np.array(config["observation"]["std"])
                for i, index in enumerate(chain):
                    if i == len(chain) - 1:
                        z = tensors["class_head.weight"].astype(np.float64) @ h + tensors["class_head.bias"]
                    h = tensors[f"net.{index}.weight"].astype(np.float64) @ h + tensors[f"net.{index}.bias"]
                    if i < len(chain) - 1:
                        h = np.maximum(h, 0.0)
                actions.append(list(config["action"]["mean"] + np.array(config["action"]["std"]) * h))
                logits.append(list(z))
            print(json.dumps({
                "tensors": {name: [str(t.dtype), list(t.shape)] for name, t in tensors.items()},
                "actions": actions, "logits": logits, "activation": config["activation"],
                "head": config["classification_head"], "names": config["observation"]["names"],
                "fit": fit,
            }))
            """
        let arguments = "[" + observations.map { "[" + $0.map { "\($0)" }.joined(separator: ",") + "]" }.joined(separator: ",") + "]"
        let run = runProcess("python3", ["-c", script, path, arguments])
        try #require(run.status == 0, "python failed: \(run.standardError)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(run.standardOutput.utf8)) as? [String: Any])
        let tensors = try #require(object["tensors"] as? [String: [Any]])
        #expect(Set(tensors.keys) == ["net.0.weight", "net.0.bias", "net.2.weight", "net.2.bias", "net.4.weight", "net.4.bias",
                                      "class_head.weight", "class_head.bias"])
        #expect(tensors.values.allSatisfy { $0.first as? String == "float32" })
        #expect(tensors["net.0.weight"]?.last as? [Int] == [12, 3])
        #expect(tensors["net.4.weight"]?.last as? [Int] == [2, 10])
        #expect(tensors["class_head.weight"]?.last as? [Int] == [8, 10])
        #expect(object["activation"] as? String == "relu")
        #expect(object["names"] as? [String] == ["joint0.pos", "joint1.pos", "joint2.pos"])
        let head = try #require(object["head"] as? [String: Any])
        #expect(head["bins"] as? Int == 4)
        let numpyActions = try #require(object["actions"] as? [[Double]])
        let numpyLogits = try #require(object["logits"] as? [[Double]])
        for (index, x) in observations.enumerated() {
            let reins = result.network.referenceForward(x)
            for (a, b) in zip(reins.action, numpyActions[index]) { #expect(abs(a - b) < 1e-9 * max(1, abs(b))) }
            for (a, b) in zip(reins.logits, numpyLogits[index]) { #expect(abs(a - b) < 1e-9 * max(1, abs(b))) }
        }

        // Provenance: data, sizes, bound, settings and final losses.
        let fit = try #require(object["fit"] as? [String: Any])
        #expect(fit["data_files"] as? [String] == ["synthetic-62.mcap"])
        let samples = try #require(fit["samples"] as? [String: Int])
        #expect(samples["training"]! + samples["validation"]! == 200)
        #expect(fit["lipschitz_bound"] as? Double == 4)
        #expect(try #require(fit["certified_lipschitz_bound"] as? Double) <= 4)
        #expect(fit["epochs"] as? Int == 5)
        #expect(fit["seed"] as? Int == 1)
        #expect(fit["hidden_sizes"] as? [Int] == [12, 10])
        let final = try #require(fit["final"] as? [String: Any])
        let training = try #require(final["training"] as? [String: Any])
        #expect(training["loss"] as? Double == result.final.training.loss)
        #expect((fit["ticks_used"] as? [String: Int])?["demo"] == 200)
    }

    @Test func yamlAndMetadataCarryTheSameConfigAndAnEditedYAMLIsRefused() throws {
        let result = try Self.fitted(bins: nil)
        let folder = TemporaryDirectory()
        let path = folder.file("arm.safetensors")
        try result.write(to: path)
        let yaml = try FileBytes.readText(folder.file("arm.yaml"))
        #expect(yaml.hasPrefix("# Written by reins fit from synthetic-62.mcap\n"))
        #expect(yaml.contains("\nactivation: relu\n"))
        #expect(yaml.contains("  names: [\"joint0.goal\", \"joint1.goal\"]\n"))
        let both = try PolicyNetwork.load(path: path)
        #expect(both.configSource == folder.file("arm.yaml"))

        // Without the YAML the metadata alone gives the same policy.
        let bytes = try FileBytes.read(path)
        let metadataOnly = try PolicyNetwork.load(bytes: bytes, path: path)
        #expect(metadataOnly.configSource == "__metadata__[\"reins\"]")
        #expect(metadataOnly.observationNormalization == both.observationNormalization)
        #expect(metadataOnly.actionNormalization == both.actionNormalization)
        #expect(metadataOnly.actionNames == both.actionNames)

        // A hand-edited YAML that now disagrees with the file is ambiguous.
        folder.write("arm.yaml", yaml.replacingOccurrences(of: "activation: relu", with: "activation: tanh"))
        do {
            _ = try PolicyNetwork.load(path: path)
            Issue.record("a YAML contradicting the metadata loaded")
        } catch {
            #expect(error.description.contains("configure the policy and they disagree on activation"))
        }
    }

    @Test func configTextRoundTripsExactly() throws {
        var config = PolicyConfig()
        config.observationNames = ["a \"quoted\" name", "tab\there", "ünïcode"]
        config.observationMean = [0.1, -1e-300, 12345.678901234567]
        config.observationStd = [1e-7, 3, 0.30000000000000004]
        config.activation = .leakyReLU(negativeSlope: 0.2)
        config.classificationHeadRequested = true
        config.classificationBins = 7
        config.classificationRange = -2.5...2.5
        let layer = DenseLayer(name: "net.0.weight", inputs: 3, outputs: 1, weights: [1, 2, 3], bias: [0])
        let head = DenseLayer(name: "class_head.weight", inputs: 3, outputs: 7, weights: Array(repeating: 0.5, count: 21), bias: Array(repeating: 0, count: 7))
        let entries = try PolicyNetwork(layers: [layer], classificationHead: ClassificationHead(layer: head, bins: 7, range: -2.5...2.5)).tensorEntries()
        let fromYAML = try PolicyNetwork.load(bytes: SafetensorsFile.serialize(entries), path: "p.safetensors", configYAML: config.yamlText, configPath: "p.yaml")
        let fromJSON = try PolicyNetwork.load(bytes: SafetensorsFile.serialize(entries, metadata: ["reins": config.jsonText]), path: "p.safetensors")
        for network in [fromYAML, fromJSON] {
            #expect(network.config.firstDifference(from: config) == nil, "\(network.configSource)")
            #expect(network.observationNames == config.observationNames)
            #expect(network.observationNormalization?.mean == config.observationMean)
            #expect(network.observationNormalization?.std == config.observationStd)
        }
    }
}
