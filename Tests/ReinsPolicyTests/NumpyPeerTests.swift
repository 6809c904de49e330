import Foundation
import ReinsPolicy
import ReinsTestSupport
import Testing

/// numpy and Python's safetensors as the independent reference: the peer writes the file, numpy
/// computes the forward pass and the bounds, Reins must agree.
@Suite struct NumpyPeerTests {
    struct Variant: CustomTestStringConvertible, Sendable {
        var label: String
        var arguments: [String]
        var testDescription: String { label }
    }

    static let variants: [Variant] = [
        Variant(label: "no prefix, relu, bare", arguments: ["--sizes", "5,16,3", "--prefix", ""]),
        Variant(label: "net. with nn.Sequential indices 0,2,4", arguments: ["--sizes", "6,32,32,3", "--prefix", "net.", "--indices", "0,2,4"]),
        Variant(label: "layers. with indices 1,4,9", arguments: ["--sizes", "4,8,8,2", "--prefix", "layers.", "--indices", "1,4,9"]),
        Variant(label: "fc1..fc3 (no dot)", arguments: ["--sizes", "4,8,8,2", "--prefix", "fc", "--indices", "1,2,3"]),
        Variant(label: "leaky_relu from YAML", arguments: ["--sizes", "6,24,24,3", "--activation", "leaky_relu", "--slope", "0.2", "--config", "yaml"]),
        Variant(label: "tanh from YAML", arguments: ["--sizes", "6,24,24,3", "--activation", "tanh", "--config", "yaml"]),
        Variant(label: "elu from metadata", arguments: ["--sizes", "6,24,24,3", "--activation", "elu", "--alpha", "0.7", "--config", "metadata"]),
        Variant(label: "gelu from metadata", arguments: ["--sizes", "6,24,24,3", "--activation", "gelu", "--config", "metadata"]),
        Variant(label: "silu from YAML", arguments: ["--sizes", "6,24,24,3", "--activation", "silu", "--config", "yaml"]),
        Variant(label: "relu, normalisation from YAML, CARIL head", arguments: ["--sizes", "7,20,20,3", "--config", "yaml", "--head", "11"]),
        Variant(label: "relu, normalisation from metadata, CARIL head", arguments: ["--sizes", "7,20,3", "--config", "metadata", "--head", "5"]),
        Variant(label: "F16 weights", arguments: ["--sizes", "6,32,32,3", "--dtype", "F16", "--config", "yaml"]),
        Variant(label: "BF16 weights", arguments: ["--sizes", "6,32,32,3", "--dtype", "BF16", "--config", "metadata"]),
        Variant(label: "F64 weights", arguments: ["--sizes", "6,32,32,3", "--dtype", "F64", "--config", "yaml"]),
        Variant(label: "64→256→256→8", arguments: ["--sizes", "64,256,256,8", "--config", "yaml"]),
    ]

    @Test(arguments: variants)
    func reinsPolicyEvalMatchesNumpysForwardPass(_ variant: Variant) throws {
        let folder = TemporaryDirectory()
        let peer = try writePeerPolicy(folder, "policy", variant.arguments + ["--seed", "\(variant.label.utf8.reduce(0) { $0 + Int($1) })", "--inputs", "6"])
        let lines = peer.inputs.map { "[" + $0.map { "\($0)" }.joined(separator: ", ") + "]" }.joined(separator: "\n") + "\n"
        let result = runProcess(reinsExecutable, ["policy", "eval", peer.path], standardInput: lines)
        #expect(result.status == 0, "\(result.standardError)")
        let outputs = result.standardOutput.split(separator: "\n")
        try #require(outputs.count == peer.inputs.count, "\(result.standardOutput)")
        for (index, line) in outputs.enumerated() {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let regression = try #require(object["regression"] as? [Double])
            expectClose(regression, peer.actions[index], tolerance: 1e-5, "line \(index + 1)")
            #expect(object["sensitivity"] as? Double != nil)
            if !peer.logits.isEmpty {
                let logits = try #require(object["logits"] as? [Double])
                expectClose(logits, peer.logits[index], tolerance: 1e-5, "logits line \(index + 1)")
                #expect((object["confidence"] as? [Double])?.count == peer.actions[index].count)
                #expect((object["rule"] as? [String])?.count == peer.actions[index].count)
            } else {
                // No head and no sensitivity limit: nothing may change the network's action.
                #expect(object["action"] as? [Double] == regression)
            }
        }
    }

    @Test(arguments: [
        ["--sizes", "5,12,3", "--seed", "11"],
        ["--sizes", "6,16,16,2", "--seed", "12", "--config", "yaml"],
        ["--sizes", "4,10,10,10,3", "--seed", "13", "--config", "metadata", "--weight-scale", "2"],
        ["--sizes", "8,32,32,4", "--seed", "14", "--activation", "tanh", "--config", "yaml"],
        ["--sizes", "8,32,32,4", "--seed", "15", "--activation", "leaky_relu", "--slope", "0.3", "--config", "yaml"],
        ["--sizes", "8,32,32,4", "--seed", "16", "--activation", "gelu", "--config", "yaml"],
        ["--sizes", "8,32,32,4", "--seed", "17", "--activation", "silu", "--config", "metadata"],
        ["--sizes", "8,32,32,4", "--seed", "18", "--activation", "elu", "--alpha", "1.0", "--config", "yaml"],
    ])
    func certifiedBoundsMatchNumpyAndStayAboveTheEmpiricalBound(_ arguments: [String]) throws {
        let folder = TemporaryDirectory()
        let peer = try writePeerPolicy(folder, "policy", arguments)
        let network = try PolicyNetwork.load(path: peer.path)
        let certificate = LipschitzCertificate.compute(for: network, samples: 48, observations: peer.inputs)
        #expect(relativeDifference(certificate.productBound, peer.productBound) < 1e-4,
                "product \(certificate.productBound) vs numpy \(peer.productBound)")
        if let expected = peer.combettesPesquetBound {
            let cp = try #require(certificate.combettesPesquetBound)
            #expect(relativeDifference(cp, expected) < 1e-4, "Combettes–Pesquet \(cp) vs numpy \(expected)")
            #expect(cp <= certificate.productBound * (1 + 1e-12))
        } else {
            #expect(certificate.combettesPesquetBound == nil)
        }
        #expect(certificate.certifiedLipschitzBound >= certificate.empiricalLowerBound)
        #expect(certificate.empiricalLowerBound > 0)
    }
}
