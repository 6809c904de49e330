import ArgumentParser
import ReinsConfig
import ReinsCore
import ReinsRuntime

/// The operator devices `--operator` (deploy) and `--device` (teleop) accept, by name.
enum OperatorDeviceSpec {
    static let help = """
        Operator device: `keyboard` (this terminal), `gamepad:PATH[,map=FILE]` (a pad's \
        /dev/input node; map default: gamepads/xbox.yaml beside the robot description, else \
        Robots/gamepads/xbox.yaml), `sim` (the scripted operator, for simulators and experiments)
        """

    /// The shipped mapping, relative to a description's folder (Robots/) or the package root.
    static let defaultGamepadMap = "gamepads/xbox.yaml"

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
        case _ where spec.hasPrefix("gamepad:"):
            return .device(try gamepad(String(spec.dropFirst("gamepad:".count)), robot: robot, option: option))
        default:
            throw badInput("\(option) \(spec): unknown operator device; choose keyboard, gamepad:PATH or sim")
        }
    }

    /// `gamepad:PATH[,map=FILE]`: the device node and the mapping file, checked against the robot
    /// before anything is opened.
    static func gamepad(_ text: String, robot: RobotDescription, option: String) throws -> GamepadOperator {
        var parts = text.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        let path = parts.removeFirst()
        guard !path.isEmpty else {
            throw badInput("\(option) gamepad: needs the device's path, e.g. \(option) gamepad:/dev/input/by-id/usb-Microsoft_Controller-event-joystick (see `ls /dev/input/by-id`)")
        }
        var map: String?
        for part in parts {
            guard part.hasPrefix("map="), part.count > 4 else {
                throw badInput("\(option) gamepad:\(text): unknown setting `\(part)`; the only one is map=FILE (a gamepad mapping, e.g. map=Robots/gamepads/xbox.yaml)")
            }
            map = String(part.dropFirst(4))
        }
        if map == nil {
            let beside = FilePath.resolve(defaultGamepadMap, besideFile: robot.sourcePath)
            map = FileBytes.exists(beside) ? beside : "Robots/" + defaultGamepadMap
        }
        do {
            return GamepadOperator(path: path, mapping: try GamepadMapping(path: map!, robot: robot))
        } catch {
            throw badInput("\(option) gamepad:\(text): bad mapping file\n\(error)")
        }
    }

    /// What the operator's keys or buttons are, printed when the run starts.
    static func instructions(_ choice: OperatorChoice, robot: RobotDescription) -> String? {
        guard case .device(let device) = choice else { return nil }
        if device is KeyboardOperator { return "keys: " + KeyboardOperator.help(for: robot) }
        if let gamepad = device as? GamepadOperator { return gamepad.mapping.help }
        return nil
    }
}
