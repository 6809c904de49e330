import ArgumentParser
import ReinsConfig
import ReinsCore
import ReinsRuntime
import ReinsSimulators
import ReinsTransport

/// The operator devices `--operator` (deploy) and `--device` (teleop) accept, by name.
enum OperatorDeviceSpec {
    static let help = """
        Operator device: `keyboard` (this terminal), `sim` (the scripted operator, for simulators \
        and experiments), `leader:FILE` (a leader arm moved by hand, e.g. leader:Robots/koch-leader.yaml)
        """

    /// The operator a spec names, for `robot`; `simulators` starts a simulated leader arm.
    static func parse(_ spec: String, robot: RobotDescription, option: String, simulators: any SimulatorLauncher) throws -> OperatorChoice {
        guard robot.actionNames.count <= OperatorCommand.capacity else {
            throw badInput("\(robot.name) has \(robot.actionNames.count) action entries; an operator device drives at most \(OperatorCommand.capacity)")
        }
        switch spec {
        case "sim":
            guard robot.link == .sim else {
                throw badInput("\(option) sim: the scripted operator drives simulated robots only (link: sim); \(robot.name) is on \(robot.link)")
            }
            return .scripted
        case "keyboard":
            return .device(KeyboardOperator())
        case _ where spec.hasPrefix("leader:"):
            return .device(try leaderArm(String(spec.dropFirst("leader:".count)), robot: robot, option: option, simulators: simulators))
        default:
            throw badInput("\(option) \(spec): unknown operator device; choose keyboard, sim or leader:FILE")
        }
    }

    /// A leader arm for `robot`, refused before anything connects when its description is not a
    /// leader's or its joints do not pair with the follower's.
    private static func leaderArm(_ path: String, robot: RobotDescription, option: String, simulators: any SimulatorLauncher) throws -> LeaderArmOperator {
        guard !path.isEmpty else { throw badInput("\(option) leader: name the leader arm's description, e.g. leader:Robots/koch-leader.yaml") }
        let leader = try loadRobot(path, exitCode: RunExit.badInput)
        guard leader.role == .leader else {
            throw badInput("\(option) leader:\(path): \(leader.name) is not a leader arm; a leader's description says `role: leader` (see Robots/koch-leader.yaml)")
        }
        do {
            _ = try LeaderArmOperator.followerJoints(leader: leader, follower: robot)
        } catch {
            throw badInput("\(option) leader:\(path): \(error)")
        }
        return LeaderArmOperator(leader: leader, simulators: simulators)
    }

    /// Whether the device has buttons (start, success, takeover); a leader arm has none.
    static func hasButtons(_ choice: OperatorChoice) -> Bool {
        guard case .device(let device) = choice else { return true }
        return !(device is LeaderArmOperator)
    }

    /// What the device said about why it went silent during the run, if it did.
    static func failure(_ choice: OperatorChoice?) -> String? {
        guard case .device(let device as LeaderArmOperator)? = choice else { return nil }
        return device.failure
    }

    /// What the operator's keys or buttons are, printed when the run starts.
    static func instructions(_ choice: OperatorChoice, robot: RobotDescription) -> String? {
        guard case .device(let device) = choice else { return nil }
        if device is KeyboardOperator { return "keys: " + KeyboardOperator.help(for: robot) }
        if let leader = device as? LeaderArmOperator {
            return "leader arm \(leader.leader.name): move it by hand; the follower first moves to its pose at a quarter of its joint speed limits, "
                + "then mirrors it. It has no buttons: episodes start at once and end by the task, --episodes or --duration"
        }
        return nil
    }
}

extension RobotOptions {
    /// Starts a simulated leader arm: the follower's seed and speed, none of its faults.
    func leaderSimulators(speed: Double) -> BuiltInSimulators {
        var options = SimulatorOptions()
        options.seed = seed
        options.speed = speed
        return BuiltInSimulators(options: options)
    }
}
