import ArgumentParser
import ReinsConfig
import ReinsCore
import ReinsRuntime
import ReinsSimulators
import ReinsTransport

/// The operator devices `--operator` (deploy) and `--device` (teleop) accept, by name.
enum OperatorDeviceSpec {
    static let help = """
        Operator device: `keyboard` (this terminal), `gamepad:PATH[,map=FILE]` (a pad's \
        /dev/input node; map default: gamepads/xbox.yaml beside the robot description, else \
        Robots/gamepads/xbox.yaml), `leader:FILE` (a leader arm moved \
        by hand, e.g. leader:Robots/koch-leader.yaml), `zmq:tcp://HOST:PORT` (bind there for `reins operator` on \
        another machine; needs --server-key and --operator-keys), `sim` (the scripted operator, for \
        simulators and experiments)
        """

    /// The shipped mapping, relative to a description's folder (Robots/) or the package root.
    static let defaultGamepadMap = "gamepads/xbox.yaml"

    /// The operator a spec names, for `robot`.
    /// `simulators` starts a simulated leader arm.
    static func parse(_ spec: String, robot: RobotDescription, option: String, remote: RemoteOperatorOptions,
                      simulators: any SimulatorLauncher) throws -> OperatorChoice {
        guard robot.actionNames.count <= OperatorCommand.capacity else {
            throw badInput("\(robot.name) has \(robot.actionNames.count) action entries; an operator device drives at most \(OperatorCommand.capacity)")
        }
        if !spec.hasPrefix("zmq:") && (remote.serverKey != nil || !remote.operatorKeys.isEmpty) {
            throw badInput("--server-key and --operator-keys belong to a remote operator; write \(option) zmq:tcp://127.0.0.1:5610")
        }
        switch spec {
        case "sim":
            guard robot.link == .sim else {
                throw badInput("\(option) sim: the scripted operator drives simulated robots only (link: sim); \(robot.name) is on \(robot.link)")
            }
            return .scripted
        case "keyboard":
            return .device(KeyboardOperator())
        case _ where spec.hasPrefix("zmq:"):
            return .device(try remote.device(spec: spec, option: option))
        case _ where spec.hasPrefix("gamepad:"):
            return .device(try gamepad(String(spec.dropFirst("gamepad:".count)), robot: robot, option: option))
        case _ where spec.hasPrefix("leader:"):
            return .device(try leaderArm(String(spec.dropFirst("leader:".count)), robot: robot, option: option, simulators: simulators))
        default:
            throw badInput("\(option) \(spec): unknown operator device; choose keyboard, gamepad:PATH, leader:FILE, zmq:tcp://HOST:PORT or sim")
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

    /// A leader arm for `robot`, refused before anything connects when its description is not a
    /// leader's or its joints do not pair with the follower's.
    static func leaderArm(_ path: String, robot: RobotDescription, option: String, simulators: any SimulatorLauncher) throws -> LeaderArmOperator {
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
        if let remote = device as? RemoteOperator {
            return "remote operators (\(remote.operatorNames.joined(separator: ", "))) connect with: reins operator --connect \(remote.endpoint) --key NAME.key_secret --server-key ROBOT.key --robot \(robot.sourcePath)"
        }
        if let gamepad = device as? GamepadOperator { return gamepad.mapping.help }
        if let leader = device as? LeaderArmOperator {
            return "leader arm \(leader.leader.name): move it by hand; the follower first moves to its pose at a quarter of its joint speed limits, "
                + "then mirrors it. It has no buttons: episodes start at once and end by the task, --episodes or --duration"
        }
        return nil
    }
}

/// The keys of a remote operator device (`zmq:ENDPOINT`): the robot's own secret certificate and
/// the operators' public ones, the same `reins keys new` files the robot-protocol driver uses.
struct RemoteOperatorOptions: ParsableArguments {
    @Option(help: "With a zmq: operator device: this robot's secret certificate (ROBOT.key_secret from `reins keys new ROBOT`); operators connect with its ROBOT.key.")
    var serverKey: String?

    @Option(help: "With a zmq: operator device: who may drive, a NAME.key file or a folder of them (repeatable); NAME is recorded on every tick they drive.")
    var operatorKeys: [String] = []

    /// The remote operator a `zmq:ENDPOINT` spec names. Keys are required on every address, loopback
    /// included: without them any local process could drive the robot.
    func device(spec: String, option: String) throws -> RemoteOperator {
        let endpoint: String
        do {
            guard case .zmq(let parsed) = try LinkSpec.parse(spec), parsed.hasPrefix("tcp://") || parsed.hasPrefix("ipc://") else {
                throw badInput("\(option) \(spec): write zmq:tcp://127.0.0.1:5610 (or zmq:tcp://0.0.0.0:5610 to listen on every interface)")
            }
            endpoint = parsed
        } catch let error as LinkSpec.ParseError {
            throw badInput("\(option) \(spec): \(error)")
        }
        guard let serverKey else {
            throw badInput("\(option) \(spec) needs --server-key ROBOT.key_secret: the robot's secret certificate (`reins keys new ROBOT` writes one)")
        }
        guard !operatorKeys.isEmpty else {
            throw badInput("\(option) \(spec) needs --operator-keys: the NAME.key files (or a folder of them) of the operators allowed to drive; nobody else can")
        }
        let server: CurveKeyPair
        let allowed: [ZAPAuthenticator.AllowedKey]
        do {
            server = try CurveCertificate.read(serverKey)
            allowed = try ZAPAuthenticator.allowList(fromFiles: operatorKeys)
        } catch {
            throw badInput("\(error.description)")
        }
        guard let secret = server.secretKey else {
            throw badInput("--server-key \(serverKey) holds only a public key; pass the robot's NAME.key_secret file")
        }
        guard allowed.count <= 256 else { throw badInput("--operator-keys: \(allowed.count) keys; at most 256 operators") }
        return RemoteOperator(endpoint: endpoint, serverSecretKey: secret, allowed: allowed)
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
