import CKernels
import ReinsCore
@testable import ReinsLearning
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The training kernels against plain Swift and against finite differences. Both instruction-set
/// paths are exercised through the kernels' `level` argument, never by switching the process-wide
/// setting other suites run under.
@Suite struct KernelTests {
    /// C = A·B computed naively in Double, with A and B given element-wise.
    func naiveProduct(m: Int, n: Int, k: Int, a: (Int, Int) -> Float, b: (Int, Int) -> Float) -> [Double] {
        var c = [Double](repeating: 0, count: m * n)
        for row in 0..<m {
            for column in 0..<n {
                var sum = 0.0
                for inner in 0..<k { sum += Double(a(row, inner)) * Double(b(inner, column)) }
                c[row * n + column] = sum
            }
        }
        return c
    }

    @Test(arguments: [(1, 1, 1), (5, 17, 3), (13, 33, 40), (64, 16, 18), (7, 66, 129)])
    func gemmMatchesTheNaiveProductOnBothPathsWithTransposesBiasAndAccumulation(_ dims: (Int, Int, Int)) {
        let (m, n, k) = dims
        var random = SeededRandom(seed: UInt64(m * 1000 + n * 10 + k))
        let a = (0..<(m * k)).map { _ in Float(random.uniform(-1...1)) }   // m × k row-major
        let b = (0..<(k * n)).map { _ in Float(random.uniform(-1...1)) }   // k × n row-major
        let bias = (0..<n).map { _ in Float(random.uniform(-1...1)) }
        let start = (0..<(m * n)).map { _ in Float(random.uniform(-1...1)) }
        let expected = naiveProduct(m: m, n: n, k: k, a: { a[$0 * k + $1] }, b: { b[$0 * n + $1] })
        let aTransposed = (0..<(k * m)).map { index in a[(index % m) * k + index / m] }  // k × m
        let bTransposed = (0..<(n * k)).map { index in b[(index % k) * n + index / k] }  // n × k
        for level: Int32 in [0, 2] {
            for (transposeA, transposeB) in [(false, false), (true, false), (false, true), (true, true)] {
                var panels = [Float](repeating: .nan, count: reins_packed_size(Int32(k), Int32(n)))
                if transposeB {
                    reins_pack_panels(bTransposed, 1, Int32(k), Int32(k), Int32(n), &panels)
                } else {
                    reins_pack_panels(b, Int32(n), 1, Int32(k), Int32(n), &panels)
                }
                var c = start
                // ldc = n: every store must stay inside its row.
                if transposeA {
                    reins_gemm(Int32(m), Int32(n), Int32(k), aTransposed, 1, Int32(m), panels, bias, &c, Int32(n), 1, 0, level)
                } else {
                    reins_gemm(Int32(m), Int32(n), Int32(k), a, Int32(k), 1, panels, bias, &c, Int32(n), 1, 0, level)
                }
                for index in 0..<(m * n) {
                    let want = expected[index] + Double(bias[index % n]) + Double(start[index])
                    #expect(abs(Double(c[index]) - want) < 1e-4 * Double(k), "level \(level) Aᵀ \(transposeA) Bᵀ \(transposeB) entry \(index)")
                }
                var relu = start
                reins_gemm(Int32(m), Int32(n), Int32(k), a, Int32(k), 1, panels, nil, &relu, Int32(n), 0, 1, level)
                for index in 0..<(m * n) {
                    #expect(abs(Double(relu[index]) - max(0, expected[index])) < 1e-4 * Double(k))
                }
            }
        }
    }

    func panelsFor(_ b: [Float], k: Int, n: Int, transposed: Bool) -> [Float] {
        var panels = [Float](repeating: 0, count: reins_packed_size(Int32(k), Int32(n)))
        if transposed { reins_pack_panels(b, 1, Int32(k), Int32(k), Int32(n), &panels) } else { reins_pack_panels(b, Int32(n), 1, Int32(k), Int32(n), &panels) }
        return panels
    }

    @Test func rowTilingDoesNotChangeTheResult() {
        // 13 rows go through tiles of 5, 4, 4; each row alone through a tile of 1: same bits.
        var random = SeededRandom(seed: 9)
        let m = 13, n = 20, k = 37
        let a = (0..<(m * k)).map { _ in Float(random.uniform(-1...1)) }
        let b = (0..<(k * n)).map { _ in Float(random.uniform(-1...1)) }
        let panels = panelsFor(b, k: k, n: n, transposed: false)
        var together = [Float](repeating: 0, count: m * n)
        reins_gemm(Int32(m), Int32(n), Int32(k), a, Int32(k), 1, panels, nil, &together, Int32(n), 0, 0, 2)
        for row in 0..<m {
            var alone = [Float](repeating: 0, count: n)
            Array(a[(row * k)..<((row + 1) * k)]).withUnsafeBufferPointer { x in
                reins_gemm(1, Int32(n), Int32(k), x.baseAddress!, Int32(k), 1, panels, nil, &alone, Int32(n), 0, 0, 2)
            }
            #expect(alone == Array(together[(row * n)..<((row + 1) * n)]), "row \(row)")
        }
    }

    @Test func adamMatchesTheTextbookUpdateOnBothPaths() {
        let count = 19
        var random = SeededRandom(seed: 4)
        let gradients = (0..<count).map { _ in Float(random.uniform(-1...1)) }
        for level: Int32 in [0, 2] {
            var p = [Float](repeating: 1, count: count), m = [Float](repeating: 0, count: count), v = [Float](repeating: 0, count: count)
            var expected = [Double](repeating: 1, count: count), em = [Double](repeating: 0, count: count), ev = [Double](repeating: 0, count: count)
            for step in 1...3 {
                reins_adam_step(&p, gradients, &m, &v, count, 0.01, 0.9, 0.999, 1e-8, Int32(step), level)
                for index in 0..<count {
                    let g = Double(gradients[index])
                    em[index] = 0.9 * em[index] + 0.1 * g
                    ev[index] = 0.999 * ev[index] + 0.001 * g * g
                    let mHat = em[index] / (1 - pow(0.9, Double(step))), vHat = ev[index] / (1 - pow(0.999, Double(step)))
                    expected[index] -= 0.01 * mHat / (vHat.squareRoot() + 1e-8)
                }
            }
            for index in 0..<count { #expect(abs(Double(p[index]) - expected[index]) < 1e-5, "level \(level) entry \(index)") }
        }
    }

    @Test func reluBackwardMasksWhereTheActivationIsNotPositiveOnBothPaths() {
        let activation: [Float] = (0..<21).map { [0, 1.5, -0, 0.25][$0 % 4] }
        for level: Int32 in [0, 2] {
            var gradient: [Float] = (0..<21).map { Float($0) - 10 }
            reins_relu_backward(&gradient, activation, 21, level)
            #expect(gradient == (0..<21).map { activation[$0] > 0 ? Float($0) - 10 : 0 }, "level \(level)")
        }
    }

    @Test func powerIterationFindsTheFoldedSpectralNorm() {
        // diag(2, 1) · [[3, 0, 0], [0, 1, 0]] · diag(1, 10, 1): singular values 6 and 10.
        let w: [Float] = [3, 0, 0, 0, 1, 0]
        let rowScale: [Float] = [2, 1], columnScale: [Float] = [1, 10, 1]
        var u: [Float] = [0.6, 0.6, 0.529_150_3]
        var v = [Float](repeating: 0, count: 2)
        let estimate = reins_power_iteration(w, 2, 3, rowScale, columnScale, &u, &v, 60)
        #expect(abs(estimate - 10) < 1e-4)
        var fromZero: [Float] = [0, 0, 1]  // in the null space: restarts
        #expect(abs(reins_power_iteration(w, 2, 3, nil, nil, &fromZero, &v, 60) - 3) < 1e-4)
    }

    /// The analytic gradient of the CARIL loss (0.5 MSE + 0.5 CE) of a tiny 3 → 5 → 4 → 2 network
    /// with a 3-bin head, against central differences of the loss computed by the same forward pass.
    @Test func backwardPassMatchesFiniteDifferences() {
        let rows = 7
        let trainer = MLPTrainer(sizes: [3, 5, 4, 2], bins: 3, halfCapacity: 4)
        var random = SeededRandom(seed: 5)
        trainer.initialize(random: &random)
        // Biases away from zero so no ReLU sits on its kink within the finite-difference step.
        for index in trainer.allLayers {
            let shape = trainer.shape(index)
            for entry in 0..<shape.outputs { trainer.bias(index)[entry] = Float(random.uniform(-0.5...0.5)) }
        }
        let x = (0..<(rows * 3)).map { _ in Float(random.uniform(-1.5...1.5)) }
        let t = (0..<(rows * 2)).map { _ in Float(random.uniform(-1...1)) }
        let bins = (0..<(rows * 2)).map { _ in Int32(random.next() % 3) }
        func loss() -> Double {
            x.withUnsafeBufferPointer { x in
                t.withUnsafeBufferPointer { t in
                    bins.withUnsafeBufferPointer { b in
                        trainer.computeGradients(input: x.baseAddress!, targets: t.baseAddress!, binTargets: b.baseAddress!, rows: rows, helper: nil)
                            .loss(actions: 2, hasHead: true)
                    }
                }
            }
        }
        _ = loss()
        let analytic = (0..<trainer.parameterCount).map { Double(trainer.gradients[$0]) }
        var checked = 0
        for index in 0..<trainer.parameterCount {
            let original = trainer.parameters[index]
            let step: Float = 1e-3
            trainer.parameters[index] = original + step
            let up = loss()
            trainer.parameters[index] = original - step
            let down = loss()
            trainer.parameters[index] = original
            let numeric = (up - down) / Double(2 * step)
            let error = abs(numeric - analytic[index])
            #expect(error < 2e-4 + 1e-2 * abs(analytic[index]), "parameter \(index): numeric \(numeric) vs analytic \(analytic[index])")
            checked += 1
        }
        #expect(checked == 3 * 5 + 5 + 5 * 4 + 4 + 4 * 2 + 2 + 4 * 6 + 6)
        // The gradient is not trivially zero.
        #expect(analytic.filter { abs($0) > 1e-3 }.count > trainer.parameterCount / 2)
    }

    @Test func twoThreadsGiveTheSameGradientAsOne() {
        let trainer = MLPTrainer(sizes: [6, 16, 16, 3], bins: 5, halfCapacity: 9)
        var random = SeededRandom(seed: 6)
        trainer.initialize(random: &random)
        let rows = 17
        let x = (0..<(rows * 6)).map { _ in Float(random.uniform(-2...2)) }
        let t = (0..<(rows * 3)).map { _ in Float(random.uniform(-1...1)) }
        let bins = (0..<(rows * 3)).map { _ in Int32(random.next() % 5) }
        func gradient(_ helper: HalfBatchThread?) -> ([Float], Double) {
            let loss = trainer.computeGradients(input: x, targets: t, binTargets: bins, rows: rows, helper: helper)
            return ((0..<trainer.parameterCount).map { trainer.gradients[$0] }, loss.loss(actions: 3, hasHead: true))
        }
        let single = gradient(nil)
        let helper = HalfBatchThread()
        defer { helper.stop() }
        let double = gradient(helper)
        #expect(single.0 == double.0)
        #expect(single.1 == double.1)
    }
}
