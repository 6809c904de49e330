import ReinsPolicy
import Testing

@Suite(.serialized) struct EngineTests {
    static let activations: [Activation] = [.relu, .leakyReLU(negativeSlope: 0.1), .tanh, .elu(alpha: 0.8), .gelu, .silu]

    @Test(arguments: activations)
    func float32ForwardMatchesTheFloat64Reference(_ activation: Activation) throws {
        let network = try smallNetwork([10, 40, 33, 5], activation: activation, normalized: true, headBins: 7)
        let engine = PolicyEngine(network: network)
        var output = PolicyOutput(for: network)
        var random = SeededRandomSource(seed: 5)
        for _ in 0..<20 {
            let x = (0..<10).map { _ in random.uniform(-3, 3) }
            engine.forward(x, into: &output)
            let reference = network.referenceForward(x)
            expectClose(output.action, reference.action, tolerance: 1e-5)
            expectClose(output.logits, reference.logits, tolerance: 1e-5)
        }
    }

    @Test func batchedForwardEqualsSingleForwardsForEveryTileSize() throws {
        let network = try smallNetwork([7, 50, 50, 3], normalized: true)
        let engine = PolicyEngine(network: network, maximumRows: 13)
        var random = SeededRandomSource(seed: 9)
        for rows in 1...13 {
            let observations = (0..<(rows * 7)).map { _ in random.uniform(-2, 2) }
            var actions = [Double](repeating: 0, count: rows * 3)
            observations.withUnsafeBufferPointer { x in
                actions.withUnsafeMutableBufferPointer { engine.forward(batch: x, rows: rows, actions: $0) }
            }
            var output = PolicyOutput(for: network)
            for row in 0..<rows {
                engine.forward(Array(observations[(row * 7)..<((row + 1) * 7)]), into: &output)
                expectClose(Array(actions[(row * 3)..<((row + 1) * 3)]), output.action, tolerance: 1e-6, "rows \(rows) row \(row)")
            }
        }
    }

    @Test func portableKernelsAgreeWithTheVectorKernels() throws {
        let network = try smallNetwork([64, 256, 256, 8], normalized: true)
        let engine = PolicyEngine(network: network, maximumRows: 9)
        let x = (0..<64).map { Double($0 % 7) / 3 - 1 }
        var fast = PolicyOutput(for: network), portable = PolicyOutput(for: network)
        let best = PolicyEngine.useKernels(portable: false)
        engine.forward(x, into: &fast)
        #expect(PolicyEngine.useKernels(portable: true) == "portable")
        engine.forward(x, into: &portable)
        #expect(PolicyEngine.useKernels(portable: false) == best)
        expectClose(portable.action, fast.action, tolerance: 1e-5)
        expectClose(fast.action, network.referenceForward(x).action, tolerance: 1e-5)
    }

    @Test func nanObservationPropagatesThroughReluInsteadOfBecomingZero() throws {
        let network = try smallNetwork([3, 8, 2])
        let engine = PolicyEngine(network: network)
        var output = PolicyOutput(for: network)
        engine.forward([.nan, 0, 0], into: &output)
        #expect(output.action.allSatisfy { $0.isNaN })
    }
}
