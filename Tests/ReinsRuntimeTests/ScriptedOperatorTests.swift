import Foundation
import ReinsConfig
import ReinsCore
import ReinsRuntime
import ReinsTasks
import ReinsTestSupport
import Testing

/// The scripted operator (`--operator sim`) judged on its own, tick by tick, with the arbiter's
/// phase changes played by the test: when does it take over?
@Suite struct ScriptedOperatorTests {
    /// Plays `seconds` of ticks: `state` fills the state for each tick's elapsed time, and the
    /// buttons move the phase as the arbiter would (takeover → recovery → correction → hand-back to
    /// the policy). Returns the elapsed times of every takeover and hand-back.
    static func play(_ device: ScriptedOperator, robot: RobotDescription, seconds: Double,
                     state fill: (Double, UnsafeMutableBufferPointer<Double>) -> Void) -> (takeovers: [Double], handbacks: [Double]) {
        let rate = robot.controlRateHz
        let state = UnsafeMutableBufferPointer<Double>.allocate(capacity: robot.stateLayout.count)
        state.initialize(repeating: 0)
        let applied = UnsafeMutableBufferPointer<Double>.allocate(capacity: robot.actionNames.count)
        applied.initialize(repeating: 0)
        defer { state.deallocate(); applied.deallocate() }
        var phase = InterventionPhase.autonomous
        var takeovers: [Double] = [], handbacks: [Double] = []
        var command = OperatorCommand()
        for tick in 0..<UInt64((seconds * rate).rounded()) {
            let elapsed = Double(tick) / rate
            fill(elapsed, state)
            let view = OperatorView(tick: tick, now: tick * 1_000_000, period: UInt64(1e9 / rate), elapsed: elapsed, state: UnsafeBufferPointer(state),
                                    lastApplied: UnsafeBufferPointer(applied), phase: phase, takeoverRequested: false)
            if tick == 0 { device.episodeStarted(view) }
            _ = device.poll(view, into: &command)
            switch phase {
            case .autonomous where command.buttons.contains(.takeover):
                phase = .recovery
                takeovers.append(elapsed)
            case .recovery where command.buttons.contains(.recovered):
                phase = .correction
            case .correction where command.buttons.contains(.handback):
                phase = .autonomous
                handbacks.append(elapsed)
            default:
                break
            }
        }
        return (takeovers, handbacks)
    }

    @Test func aCarDrivingWellAlongTheCentreLineIsNeverTakenOver() throws {
        let robot = try RobotDescription.load(path: packageRoot + "/Robots/sim-car.yaml")
        let task = TaskFactory.make(for: robot) as! CarLapTask
        let device = ScriptedOperator(robot: robot, task: task, seed: 7)
        let track = task.track
        // A lap at 1.3 m/s, 2 cm left of the centre line all the way: its cost (distance from the
        // centre line) never improves, and it needs not to.
        let result = Self.play(device, robot: robot, seconds: track.length / 1.3) { elapsed, state in
            let point = track.point(atArc: 1.3 * elapsed)
            let projection = track.project(x: point.x, y: point.y)
            state[0] = point.x - 0.02 * sin(projection.heading)
            state[1] = point.y + 0.02 * cos(projection.heading)
            state[2] = projection.heading
            state[3] = 1.3
        }
        #expect(result.takeovers.isEmpty, "took over at \(result.takeovers) s")
    }

    @Test func aCarThatDriftsOffTheLineIsTakenOver() throws {
        let robot = try RobotDescription.load(path: packageRoot + "/Robots/sim-car.yaml")
        let task = TaskFactory.make(for: robot) as! CarLapTask
        let device = ScriptedOperator(robot: robot, task: task, seed: 7)
        let result = Self.play(device, robot: robot, seconds: 3) { elapsed, state in
            // Along the first straight (y = −2.5, heading east), drifting left at 0.2 m/s.
            state[0] = 1.0 + 1.3 * elapsed
            state[1] = -2.5 + 0.2 * elapsed
            state[3] = 1.3
        }
        // 0.3 m off after 1.5 s, plus a reaction time of at most 0.4 s.
        try #require(!result.takeovers.isEmpty)
        #expect(result.takeovers[0] >= 1.5 && result.takeovers[0] <= 1.95, "\(result.takeovers)")
    }

    @Test func afterAHandBackThePolicyGetsAFreshStallWindow() throws {
        let robot = try RobotDescription.load(path: packageRoot + "/Robots/sim-arm.yaml")
        let task = TaskFactory.make(for: robot)
        var random = SeededRandom(seed: 3)
        let rest = [Double](repeating: 0, count: robot.stateLayout.count)
        rest.withUnsafeBufferPointer { task.reset(state: $0, random: &random) }
        let device = ScriptedOperator(robot: robot, task: task, seed: 7)
        // An arm that never moves: the cost never improves, so the policy stalls, again and again.
        let result = Self.play(device, robot: robot, seconds: 12) { _, _ in }
        try #require(result.takeovers.count >= 2 && !result.handbacks.isEmpty, "\(result)")
        // Each takeover after a hand-back waits for a whole stall window (1 s) and a reaction time.
        for (handback, takeover) in zip(result.handbacks, result.takeovers.dropFirst()) {
            #expect(takeover - handback > device.stallSeconds, "hand-back at \(handback) s, takeover again at \(takeover) s")
        }
    }
}
