import Foundation
import ReinsTestSupport
import Testing

/// `reins bench operator`: what it prints, never how fast (benchmarks, not tests, judge speed).
@Suite(.serialized) struct BenchOperatorTests {
    /// The number after `name ` in `line` ("median 11.78 ms" → 11.78).
    private func figure(_ name: String, in line: String) -> Double? {
        guard let range = line.range(of: " \(name) ") else { return nil }
        return Double(line[range.upperBound...].prefix { $0.isNumber || $0 == "." })
    }

    @Test func everyDevicePrintsALineOfFiniteFiguresAndTheSummaryTableListsThemAll() throws {
        let folder = TemporaryDirectory()
        // A loaded machine may stall the loop for longer than the robots' watchdogs.
        let (car, _) = try relaxedDescription("sim-car", in: folder)
        let (arm, _) = try relaxedDescription("sim-arm", in: folder)
        let (leader, _) = try relaxedDescription("sim-leader", in: folder)
        let result = runProcess(reinsExecutable, ["bench", "operator", "--device", "all", "--samples", "5", "--no-realtime",
                                                  "--robot", car, "--arm", arm, "--leader", leader], workingDirectory: packageRoot)
        #expect(result.status == 0, "\(result.standardOutput)\n\(result.standardError)")
        let lines = result.standardOutput.components(separatedBy: "\n")
        let labels = ["keyboard through a pty", "gamepad through a FIFO", "remote through ZeroMQ+CURVE on loopback", "leader arm through the simulator"]
        for label in labels {
            let line = try #require(lines.first { $0.hasPrefix(label + " → ") }, "no line for \(label): \(result.standardOutput)")
            let counted = line.range(of: "): ").flatMap { Int(line[$0.upperBound...].prefix { $0.isNumber }) }
            let samples = try #require(counted, "no sample count in \(line)")
            #expect((1...5).contains(samples), "\(line)")
            for name in ["median", "p99", "max", "median/period"] {
                let value = try #require(figure(name, in: line), "no \(name) in \(line)")
                #expect(value.isFinite && value > 0, "\(name) \(value) in \(line)")
            }
        }
        let leaderLine = lines.first { $0.hasPrefix("leader arm") } ?? ""
        #expect(leaderLine.contains("smoothing filter: half a step after"), "\(leaderLine)")
        // The share of ticks the safety filter clamped while the hand moved the leader: a figure, not a verdict.
        let clampRate = try #require(figure("clamp rate", in: leaderLine), "no clamp rate in \(leaderLine)")
        #expect((0...100).contains(clampRate), "\(leaderLine)")
        let header = try #require(lines.firstIndex { $0.hasPrefix("device ") }, "no summary table: \(result.standardOutput)")
        #expect(lines[header].contains("median/period"))
        for label in labels { #expect(lines[(header + 1)...].contains { $0.hasPrefix(label + "  ") }, "\(label) missing from the table") }
    }

    @Test func anUnknownDeviceIsRefusedWithExitTwoListingTheChoices() {
        let result = runProcess(reinsExecutable, ["bench", "operator", "--device", "joystick"], workingDirectory: packageRoot)
        #expect(result.status == 2)
        #expect(result.standardError.contains("choose keyboard, gamepad, remote, leader or all"), "\(result.standardError)")
    }
}
