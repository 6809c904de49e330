import ArgumentParser
import ReinsConfig
import ReinsCore
import ReinsRuntime

/// The operator devices `--operator` (deploy) and `--device` (teleop) accept, by name.
enum OperatorDeviceSpec {
    static let help = """
        Operator device: `keyboard` (this terminal), `sim` (the scripted operator, for simulators \
        and experiments)
        """

    /// The operator a spec names, for `robot`.
    static func parse(_ spec: String, robot: RobotDescription, option: String) throws -> OperatorChoice {
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
        default:
            throw badInput("\(option) \(spec): unknown operator device; choose keyboard or sim")
        }
    }

    /// What the operator's keys or buttons are, printed when the run starts.
    static func instructions(_ choice: OperatorChoice, robot: RobotDescription) -> String? {
        guard case .device(let device) = choice else { return nil }
        if device is KeyboardOperator { return "keys: " + KeyboardOperator.help(for: robot) }
        return nil
    }
}
