import ReinsConfig
import ReinsPolicy
import Testing

@Suite struct MonitorTests {
    /// y = 0.1·relu(x + 10) + 100·relu(x − 1): slope 0.1 for x < 1, 100.1 above.
    static func steepNetwork() throws -> PolicyNetwork {
        let hidden = DenseLayer(name: "0.weight", inputs: 1, outputs: 2, weights: [1, 1], bias: [10, -1])
        let output = DenseLayer(name: "2.weight", inputs: 2, outputs: 1, weights: [0.1, 100], bias: [0])
        return try PolicyNetwork(layers: [hidden, output])
    }

    func settings(limit: Double, probes: Int = 8) -> MonitorSettings {
        MonitorSettings(sensorNoiseBound: 0.01, actionTolerance: 0.1, probes: probes, sensitivityLimit: limit)
    }

    @Test func sensitivityIsLowInTheFlatRegionAndFlaggedInTheSteepOne() throws {
        let network = try Self.steepNetwork()
        let monitor = RobustnessMonitor(network: network, settings: settings(limit: 10))
        let engine = PolicyEngine(network: network, maximumRows: 9)
        var output = PolicyOutput(for: network)

        let flat = monitor.check([0], engine: engine, output: &output)
        #expect(abs(flat.sensitivity - 0.1) < 1e-3)
        #expect(!flat.sensitivityExceeded && !flat.isAlarm)
        #expect(abs(output.action[0] - 1.0) < 1e-5)

        monitor.reset()
        let steep = monitor.check([2], engine: engine, output: &output)
        #expect(abs(steep.sensitivity - 100.1) < 0.05)
        #expect(steep.sensitivityExceeded && steep.isAlarm)

        // Within ε of the kink, one probe reaches into the steep region.
        monitor.reset()
        let edge = monitor.check([0.995], engine: engine, output: &output)
        #expect(edge.sensitivity > 10 && edge.sensitivity < 100)
    }

    @Test func probesArePlusMinusPairsOfSizeEpsilon() throws {
        let network = try smallNetwork([5, 8, 2], normalized: true)
        let monitor = RobustnessMonitor(network: network, settings: settings(limit: 1, probes: 7))
        let n = 5
        for k in 0..<7 {
            let probe = monitor.probeOffsets[(k * n)..<((k + 1) * n)]
            #expect(abs(probe.reduce(0) { $0 + $1 * $1 }.squareRoot() - 0.01) < 1e-12)
            if k % 2 == 1 {
                #expect(zip(probe, monitor.probeOffsets[((k - 1) * n)..<(k * n)]).allSatisfy { $0 == -$1 })
            }
        }
        // The same seed gives the same probes.
        #expect(RobustnessMonitor(network: network, settings: settings(limit: 1, probes: 7)).probeOffsets == monitor.probeOffsets)
    }

    @Test(arguments: [
        ([6, 24, 24, 3], Activation.relu), ([6, 3], .relu), ([6, 20, 3], .tanh), ([6, 20, 20, 3], .gelu),
        ([6, 40, 3], .leakyReLU(negativeSlope: 0.2)),
    ])
    func batchedMonitorMatchesSingleForwardPassesOnTheProbes(_ sizes: [Int], _ activation: Activation) throws {
        let network = try smallNetwork(sizes, activation: activation, normalized: true)
        let monitor = RobustnessMonitor(network: network, settings: settings(limit: 100))
        let engine = PolicyEngine(network: network, maximumRows: 9)
        let x = [0.3, -0.2, 1.1, 0.0, 0.5, -0.7]
        var output = PolicyOutput(for: network)
        let report = monitor.check(x, engine: engine, output: &output)
        var largest = 0.0
        let base = network.referenceForward(x).action
        for k in 0..<8 {
            let probed = zip(x, monitor.probeOffsets[(k * 6)..<((k + 1) * 6)]).map { $0 + $1 }
            let change = zip(network.referenceForward(probed).action, base).map { ($0 - $1) * ($0 - $1) }.reduce(0, +).squareRoot()
            largest = max(largest, change / 0.01)
        }
        #expect(abs(report.sensitivity - largest) < 1e-3 * max(1, largest))
        expectClose(output.action, base, tolerance: 1e-5)
    }

    @Test func innovationFlagsAJumpTheLimitsCannotExplain() throws {
        let network = try smallNetwork([3, 4, 1])
        let monitor = RobustnessMonitor(network: network, settings: settings(limit: .infinity), innovationBounds: [0.1, 0.1, .infinity])
        let engine = PolicyEngine(network: network, maximumRows: 9)
        var output = PolicyOutput(for: network)

        #expect(monitor.check([0, 0, 0], engine: engine, output: &output).innovation == nil)
        #expect(monitor.check([0.1, -0.05, 50], engine: engine, output: &output).innovation == nil)
        // Entry 1 moves 0.45 in one tick; at most 0.1 + 2ε = 0.12 is possible.
        let fault = try #require(monitor.check([0.15, 0.4, 51], engine: engine, output: &output).innovation)
        #expect(fault.entry == 1)
        #expect(abs(fault.jump - 0.45) < 1e-12)
        #expect(abs(fault.allowed - 0.12) < 1e-12)
        // The faulty reading is not accepted: two ticks after the last good one, 0.22 is allowed.
        #expect(monitor.check([0.2, 0.1, 0], engine: engine, output: &output).innovation == nil)
        // A NaN reading is an innovation fault on its entry, and the sensitivity alarm fires too.
        let nan = monitor.check([0.2, .nan, 0], engine: engine, output: &output)
        #expect(nan.innovation?.entry == 1 && nan.innovation!.jump.isNaN)
        #expect(nan.sensitivityExceeded)
        // After reset the next reading is accepted as a new start.
        monitor.reset()
        #expect(monitor.check([9, 9, 9], engine: engine, output: &output).innovation == nil)
    }

    @Test func runnerCombinesMonitorAndCorrector() throws {
        let network = try Self.steepNetwork()
        let runner = PolicyRunner(network: network, settings: MonitorSettings(
            sensorNoiseBound: 0.01, actionTolerance: 0.1, sensitivityLimit: 10, response: .hold), innovationBounds: [1])
        var decision = PolicyDecision(for: network)
        runner.step([0], lastApplied: [0.9], into: &decision)
        #expect(decision.correction.response == .none)
        #expect(abs(decision.action[0] - 1.0) < 1e-5)
        runner.step([0.4], lastApplied: [1.0], into: &decision)
        #expect(decision.monitor.innovation == nil && decision.correction.response == .none)
        // Into the steep region in one allowed step: sensitivity alarm, hold.
        runner.step([1.2], lastApplied: [1.04], into: &decision)
        #expect(decision.monitor.innovation == nil)
        #expect(decision.monitor.sensitivityExceeded)
        #expect(decision.correction.response == .hold && decision.action == [1.04])
    }
}
