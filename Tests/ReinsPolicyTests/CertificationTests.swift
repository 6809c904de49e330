import ReinsConfig
import ReinsPolicy
import Testing

@Suite struct CertificationTests {
    @Test func spectralNormOfKnownMatrices() {
        // diag(3, -5, 2) padded to 3×4: the largest singular value is 5.
        var diagonal = Matrix(rows: 3, columns: 4, entries: Array(repeating: 0, count: 12))
        diagonal[0, 0] = 3; diagonal[1, 1] = -5; diagonal[2, 2] = 2
        #expect(abs(diagonal.spectralNorm - 5) < 1e-12)
        // Rank one u vᵀ: ‖u‖‖v‖.
        let u = [1.0, 2, 2], v = [3.0, 4]
        let rankOne = Matrix(rows: 3, columns: 2, entries: u.flatMap { a in v.map { a * $0 } })
        #expect(abs(rankOne.spectralNorm - 15) < 1e-12)
        // [[2, 1], [1, 2]] has eigenvalues 3 and 1.
        #expect(abs(Matrix(rows: 2, columns: 2, entries: [2, 1, 1, 2]).spectralNorm - 3) < 1e-12)
        // The upper estimate never falls below the true value.
        #expect(Matrix(rows: 1, columns: 1, entries: [-7]).spectralNorm >= 7)
    }

    @Test func singleLinearLayerMakesAllThreeBoundsCoincide() throws {
        let network = try smallNetwork([6, 4], normalized: true)
        let certificate = LipschitzCertificate.compute(for: network, samples: 8)
        #expect(relativeDifference(certificate.productBound, certificate.empiricalLowerBound) < 1e-9)
        let cp = try #require(certificate.combettesPesquetBound)
        #expect(relativeDifference(cp, certificate.productBound) < 1e-12)
        #expect(certificate.certifiedLipschitzBound >= certificate.empiricalLowerBound)
    }

    @Test func alwaysActiveReluLayerWithAlignedWeightsIsTight() throws {
        // W1 = 2·I with a large bias keeps every ReLU active on the samples, so the map is linear and
        // ‖W2 W1‖ = ‖W2‖‖W1‖: product, Combettes–Pesquet and the Jacobian all equal 2‖W2‖.
        let w1 = DenseLayer(name: "0.weight", inputs: 3, outputs: 3, weights: [2, 0, 0, 0, 2, 0, 0, 0, 2], bias: [100, 100, 100])
        let w2 = DenseLayer(name: "1.weight", inputs: 3, outputs: 2, weights: [1, -2, 0.5, 0.3, 0.7, -1], bias: [0, 0])
        let network = try PolicyNetwork(layers: [w1, w2])
        let certificate = LipschitzCertificate.compute(for: network, samples: 16)
        let expected = 2 * Matrix(w2).spectralNorm
        #expect(relativeDifference(certificate.productBound, expected) < 1e-12)
        #expect(relativeDifference(try #require(certificate.combettesPesquetBound), expected) < 1e-12)
        #expect(relativeDifference(certificate.empiricalLowerBound, expected) < 1e-9)
    }

    @Test func combettesPesquetIsTighterThanTheProductOnRandomReluNets() throws {
        for seed in UInt64(1)...4 {
            let network = try smallNetwork([10, 40, 40, 40, 4], seed: seed, normalized: true)
            let certificate = LipschitzCertificate.compute(for: network, samples: 32, seed: seed)
            let cp = try #require(certificate.combettesPesquetBound)
            #expect(cp < certificate.productBound)
            #expect(cp >= certificate.empiricalLowerBound)
            #expect(certificate.certifiedLipschitzBound == cp)
        }
    }

    @Test func normalisationIsFoldedIntoThePhysicalBound() throws {
        // Scaling the observation std by 10 divides the map's slope by 10; the action std multiplies it.
        let plain = try smallNetwork([3, 2])
        let layer = plain.layers[0]
        let scaled = try PolicyNetwork(layers: [layer], observationNormalization: Normalization(mean: [0, 0, 0], std: [10, 10, 10]),
                                       actionNormalization: Normalization(mean: [5, 5], std: [3, 3]))
        let a = LipschitzCertificate.compute(for: plain, samples: 4), b = LipschitzCertificate.compute(for: scaled, samples: 4)
        #expect(relativeDifference(b.certifiedLipschitzBound, a.certifiedLipschitzBound * 0.3) < 1e-12)
    }

    @Test func geluUsesTheProductTimesTheActivationsLipschitzConstant() throws {
        let network = try smallNetwork([5, 16, 16, 2], activation: .gelu)
        let certificate = LipschitzCertificate.compute(for: network, samples: 16)
        #expect(certificate.combettesPesquetBound == nil)
        let expected = certificate.layerNorms.reduce(1, *) * 1.1289041451851548 * 1.1289041451851548
        #expect(relativeDifference(certificate.productBound, expected) < 1e-14)
        #expect(certificate.certifiedLipschitzBound >= certificate.empiricalLowerBound)
    }

    @Test func activationConstantsAreTheSupremumOfTheirSlopes() {
        for activation in [Activation.gelu, .silu] {
            var largest = 0.0
            var x = -10.0
            while x < 10 {
                largest = max(largest, abs(activation.derivative(x)))
                x += 1e-4
            }
            #expect(largest <= activation.lipschitzConstant)
            #expect(activation.lipschitzConstant - largest < 1e-8)
        }
    }

    @Test func robustnessCertificatePassesOrSaysByHowMuchItFails() {
        let failing = RobustnessCertificate(lipschitzBound: 41.2, noiseBound: 0.01, actionTolerance: 0.1)
        #expect(!failing.isCertified)
        #expect(failing.summary == "certified bound 41.2 × ε 0.01 = 0.412 exceeds the action tolerance 0.1 by 4.1×; retrain with `reins fit --lipschitz 10` or pass --accept-uncertified")
        let passing = RobustnessCertificate(lipschitzBound: 4.12, noiseBound: 0.01, actionTolerance: 0.1)
        #expect(passing.isCertified)
        #expect(passing.summary == "certified bound 4.12 × ε 0.01 = 0.0412 is within the action tolerance 0.1 (2.4× margin)")
    }

    @Test func certificateUsesTheRobotsMonitorSettings() throws {
        let network = try smallNetwork([4, 8, 2])
        let certificate = LipschitzCertificate.compute(for: network, samples: 4)
        let settings = MonitorSettings(sensorNoiseBound: 0.02, actionTolerance: 1)
        let robustness = certificate.robustness(against: settings)
        #expect(robustness.lipschitzBound == certificate.certifiedLipschitzBound)
        #expect(robustness.isCertified == (certificate.certifiedLipschitzBound * 0.02 <= 1))
    }

    @Test func significantDigitsFormatting() {
        #expect(significant(41.234) == "41.2")
        #expect(significant(0.41234) == "0.412")
        #expect(significant(4.1, digits: 2) == "4.1")
        #expect(significant(41234) == "41200")
        #expect(significant(1e-9) == "1e-9")
        #expect(significant(-2.5) == "-2.5")
        #expect(significant(0.09999) == "0.1")
    }
}
