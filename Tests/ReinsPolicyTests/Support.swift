import Foundation
import ReinsPolicy
import ReinsTestSupport
import Testing

/// What Tests/Peers/policy_peer.py wrote and computed with numpy.
struct PeerPolicy {
    var path: String
    var inputs: [[Double]]
    var actions: [[Double]]
    var logits: [[Double]]
    var productBound: Double
    var combettesPesquetBound: Double?
}

/// Writes a random MLP with the numpy/safetensors peer and returns numpy's forward pass and bounds.
func writePeerPolicy(_ folder: TemporaryDirectory, _ name: String, _ arguments: [String]) throws -> PeerPolicy {
    let path = folder.file(name + ".safetensors")
    let result = runProcess("python3", [packageRoot + "/Tests/Peers/policy_peer.py", path] + arguments)
    try #require(result.status == 0, "policy_peer.py failed: \(result.standardError)")
    let object = try #require(try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any])
    return PeerPolicy(
        path: path,
        inputs: try #require(object["inputs"] as? [[Double]]),
        actions: try #require(object["actions"] as? [[Double]]),
        logits: (object["logits"] as? [[Double]]) ?? [],
        productBound: try #require(object["product"] as? Double),
        combettesPesquetBound: object["combettes_pesquet"] as? Double)
}

/// |a - b| <= tolerance · max(1, |b|) for every entry.
func expectClose(_ actual: [Double], _ expected: [Double], tolerance: Double, _ comment: String = "",
                 sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(actual.count == expected.count, "\(comment) sizes differ", sourceLocation: sourceLocation)
    for (index, (a, b)) in zip(actual, expected).enumerated() {
        #expect(abs(a - b) <= tolerance * max(1, abs(b)), "\(comment) entry \(index): \(a) vs \(b)", sourceLocation: sourceLocation)
    }
}

func relativeDifference(_ a: Double, _ b: Double) -> Double {
    abs(a - b) / max(abs(a), abs(b), 1e-300)
}

/// A safetensors file with a header written by hand, for loader error tests.
func safetensorsBytes(header: String, data: [UInt8], declaredLength: UInt64? = nil) -> [UInt8] {
    let headerBytes = Array(header.utf8)
    var bytes: [UInt8] = []
    withUnsafeBytes(of: (declaredLength ?? UInt64(headerBytes.count)).littleEndian) { bytes.append(contentsOf: $0) }
    return bytes + headerBytes + data
}

func floatBytes(_ values: [Float]) -> [UInt8] {
    values.flatMap { value in withUnsafeBytes(of: value.bitPattern.littleEndian) { Array($0) } }
}

/// A small network built in Swift: sizes [in, hidden..., out], weights from a seed.
func smallNetwork(_ sizes: [Int], activation: Activation = .relu, seed: UInt64 = 3, normalized: Bool = false,
                  headBins: Int? = nil) throws -> PolicyNetwork {
    let base = PolicyNetwork.seededRandom(sizes: sizes, activation: activation, seed: seed)
    var random = SeededRandomSource(seed: seed &+ 99)
    let observation = normalized ? Normalization(mean: sizes.first.map { (0..<$0).map { _ in random.uniform(-1, 1) } }!,
                                                 std: (0..<sizes[0]).map { _ in random.uniform(0.5, 2) }) : nil
    let action = normalized ? Normalization(mean: (0..<sizes.last!).map { _ in random.uniform(-1, 1) },
                                            std: (0..<sizes.last!).map { _ in random.uniform(0.5, 2) }) : nil
    var head: ClassificationHead?
    if let bins = headBins {
        let inputs = sizes[sizes.count - 2], outputs = sizes.last! * bins
        head = ClassificationHead(
            layer: DenseLayer(name: "class_head.weight", inputs: inputs, outputs: outputs,
                              weights: (0..<(inputs * outputs)).map { _ in random.uniform(-2, 2) },
                              bias: (0..<outputs).map { _ in random.uniform(-1, 1) }),
            bins: bins, range: -1...1)
    }
    return try PolicyNetwork(layers: base.layers, activation: activation, observationNormalization: observation,
                             actionNormalization: action, classificationHead: head)
}

/// Test-side uniform numbers (kept apart from the library's generator on purpose).
struct SeededRandomSource {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return state
    }
    mutating func uniform(_ low: Double, _ high: Double) -> Double {
        low + (high - low) * Double(next() >> 11) / 9_007_199_254_740_992.0
    }
}
