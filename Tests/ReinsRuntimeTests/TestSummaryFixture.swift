import Foundation
@testable import ReinsRuntime

/// Summaries of a closed-loop test as `reins test` would write them, made from formulas so every
/// run of the tests draws the same report: a passing nominal condition and a sensor-fault
/// condition where one episode breaks an invariant (with its trajectory kept) and one times out.
enum TestSummaryFixture {
    static let episodes = 8
    static let brokenEpisode = 3

    static func summary(kind: String = "arm") -> TestSummary {
        let invariants = invariantNames(kind)
        let nominal = condition(name: "nominal", faults: nil, kind: kind, invariants: invariants, breaks: false)
        let faults = condition(name: "sensor faults", faults: "noise=0.02,drop=0.05", kind: kind, invariants: invariants, breaks: true)
        return TestSummary(
            file: "Robots/tests/sim-\(kind).yaml", name: "sim-\(kind) release gate", robot: "Robots/sim-\(kind).yaml",
            robotName: "sim-\(kind)", robotKind: kind, link: "sim", policy: "Robots/policies/sim-\(kind).safetensors",
            episodesPerCondition: episodes, seed: 1, speed: 5, controlRateHz: 400, verdict: "fail", exitCode: 1,
            preflight: [
                TestSummary.Check(name: "description", passed: true, message: "Robots/sim-\(kind).yaml is valid"),
                TestSummary.Check(name: "policy_matches_robot", passed: true, message: "12 observation and 6 action entries match"),
                TestSummary.Check(name: "certificate", passed: true, measured: 0.21, bound: 0.5, unit: "",
                                  message: "L·ε 0.21 within the action tolerance 0.5"),
            ],
            certificate: TestSummary.Certificate(lipschitzBound: 4.2, noiseBound: 0.05, worstActionChange: 0.21,
                                                 actionTolerance: 0.5, certified: true),
            conditions: [nominal, faults], startedAt: "2026-12-04T09:30:00Z", wallSeconds: 41.7, reinsVersion: "0.9.0")
    }

    /// A summary refused at preflight: nothing ran.
    static func refused() -> TestSummary {
        var summary = summary()
        summary.verdict = "refused"
        summary.exitCode = 3
        summary.conditions = []
        summary.certificate = nil
        summary.preflight[1] = TestSummary.Check(name: "policy_matches_robot", passed: false, measured: 10, bound: 12, unit: "entries",
                                                 message: "the policy takes 10 observation entries; sim-arm gives 12")
        return summary
    }

    static func invariantNames(_ kind: String) -> [(name: String, unit: String, bound: Double)] {
        switch kind {
        case "car": return [("lane", "m", 0.3), ("speed", "m/s", 2.5)]
        case "drone": return [("geofence", "m", 20), ("altitude_band", "m", 1.5), ("tilt", "rad", 0.5)]
        default: return [("joint_position", "rad", 0.1), ("joint_speed", "rad/s", 2), ("workspace", "m", 0.05)]
        }
    }

    static func condition(name: String, faults: String?, kind: String, invariants: [(name: String, unit: String, bound: Double)],
                          breaks: Bool) -> TestSummary.Condition {
        var episodeList: [TestSummary.Episode] = []
        var margins: [TestSummary.Series] = []
        for index in 0..<episodes {
            let broken = breaks && index == brokenEpisode
            let timedOut = breaks && index == 5
            let seconds = broken ? 2.6 : 4
            let t = stride(from: 0.0, through: seconds, by: 0.025).map { $0 }
            for (number, invariant) in invariants.enumerated() {
                let phase = Double(index) * 0.7 + Double(number)
                var values = t.map { invariant.bound * (0.55 + 0.3 * cos(1.7 * $0 + phase)) + (breaks ? -0.1 * invariant.bound * $0 / 4 : 0) }
                if broken && number == 0 {
                    // The margin falls through the boundary and the episode stops at once.
                    values = t.map { invariant.bound * (0.8 - 0.85 * pow($0 / seconds, 2)) }
                }
                margins.append(TestSummary.Series(name: invariant.name, unit: invariant.unit, episode: index, t: t, values: values))
            }
            let outcome = broken ? "safety_stop" : timedOut ? "timeout" : "success"
            episodeList.append(TestSummary.Episode(
                index: index, seed: UInt64(1 + index), outcome: outcome, ticks: Int(seconds * 400), seconds: seconds,
                meanCost: 0.02 + 0.004 * Double(index % 3) + (breaks ? 0.03 : 0), maximumSensitivity: 1.1 + 0.05 * Double(index),
                minimumConfidence: 0.6 + 0.03 * Double(index), clampedTicks: breaks ? 12 : 0, takeovers: 0, humanSeconds: 0,
                violation: broken ? invariants[0].name : nil, invariant: broken ? invariants[0].name : nil,
                measured: broken ? invariants[0].bound * 1.05 : nil, bound: broken ? invariants[0].bound : nil,
                recording: outcome == "success" ? nil : "recordings/\(name.replacingOccurrences(of: " ", with: "-"))-\(index).mcap",
                trajectory: broken ? trajectory(kind: kind, t: t) : nil))
        }
        let successes = episodeList.filter { $0.outcome == "success" }.count
        let interval = TestSummary.wilson(successes: successes, trials: episodes)
        let meanCost = episodeList.compactMap(\.meanCost).reduce(0, +) / Double(episodes)
        let checks = invariants.map { invariant in
            let broke = breaks && invariant.name == invariants[0].name
            return TestSummary.Check(name: invariant.name, passed: !broke, measured: broke ? invariant.bound * 1.05 : invariant.bound * 0.4,
                                     bound: invariant.bound, unit: invariant.unit,
                                     message: broke ? "episode \(brokenEpisode) went past the bound" : "held in every episode")
        }
        let requirements = [
            TestSummary.Check(name: "success_rate", passed: interval.low >= 0.5, measured: interval.low, bound: 0.5,
                              message: "lower end of the 95 % Wilson interval of \(successes)/\(episodes)"),
            TestSummary.Check(name: "mean_cost", passed: meanCost <= 0.04, measured: meanCost, bound: 0.04, unit: "rad",
                              message: "mean final distance to the target"),
            TestSummary.Check(name: "safety_stops", passed: !breaks, measured: breaks ? 1 : 0, bound: 0,
                              message: breaks ? "1 episode ended in a safety stop" : "no safety stop"),
        ]
        let sensitivityEdges = stride(from: 0.0, through: 2.0, by: 0.1).map { $0 }
        let sensitivityCounts = (0..<20).map { bin in Int(900 * exp(-pow((Double(bin) - (breaks ? 11 : 9)) / 2.5, 2))) }
        let confidenceEdges = stride(from: 0.0, through: 1.0, by: 0.1).map { $0 }
        let confidenceCounts = (0..<10).map { bin in Int(1200 * exp(-pow((Double(bin) - (breaks ? 6 : 8)) / 1.6, 2))) }
        return TestSummary.Condition(
            name: name, faults: faults, attack: nil, scriptedOperator: false, episodes: episodeList, successes: successes,
            successRate: Double(successes) / Double(episodes), wilsonLow: interval.low, wilsonHigh: interval.high, meanCost: meanCost,
            costMeaning: "final distance to the target (rad)", safetyStops: breaks ? 1 : 0,
            maximumSensitivity: episodeList.compactMap(\.maximumSensitivity).max(), sensitivityLimit: 1.8,
            minimumConfidence: episodeList.compactMap(\.minimumConfidence).min(),
            sensitivityHistogram: TestSummary.Histogram(edges: sensitivityEdges, counts: sensitivityCounts),
            confidenceHistogram: TestSummary.Histogram(edges: confidenceEdges, counts: confidenceCounts),
            largestAttackChange: nil, attackBound: nil, periodErrorP99Seconds: 0.00018, overruns: 0,
            ticks: episodeList.reduce(0) { $0 + $1.ticks }, clampedTicks: breaks ? 12 : 0, takeovers: 0, humanSeconds: 0,
            invariants: checks, requirements: requirements, margins: margins,
            recordings: episodeList.compactMap(\.recording), wallSeconds: 19.4, passed: !breaks)
    }

    /// What the robot's state did until the safety stop, in its kind's state names.
    static func trajectory(kind: String, t: [Double]) -> TestSummary.Trajectory {
        switch kind {
        case "car":
            return TestSummary.Trajectory(names: ["pose.x", "pose.y", "pose.yaw", "speed", "steering"], t: t, rows: t.map { time in
                let radius = 5 + 0.4 * time * time
                return [radius * cos(0.5 * time), radius * sin(0.5 * time), 0.5 * time + .pi / 2, 2 + 0.2 * time, 0.1]
            })
        case "drone":
            return TestSummary.Trajectory(
                names: ["position.north", "position.east", "position.down", "velocity.north", "velocity.east", "velocity.down"], t: t,
                rows: t.map { time in [3 * time, 1.5 * time * time, -min(2, time) - 0.3 * sin(3 * time), 3, 3 * time, -1] })
        default:
            let joints = (1...6).map { "joint\($0)" }
            return TestSummary.Trajectory(names: joints.map { "\($0).pos" } + joints.map { "\($0).vel" }, t: t, rows: t.map { time in
                let positions = (0..<6).map { joint in 0.4 * sin(0.9 * time + Double(joint)) + (joint == 1 ? 0.25 * time * time : 0) }
                return positions + positions.map { $0 * 0.5 }
            })
        }
    }
}
