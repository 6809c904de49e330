import Foundation
import ReinsConfig
import ReinsCore
import ReinsDrivers
import ReinsRuntime
import ReinsSimulators
import ReinsTestSupport
import ReinsTransport
import Testing

/// Key files as `reins keys new` writes them: the robot's pair, the runtime's pair (its public
/// certificate copied into the robot's allow-list folder), a stranger's pair on no list, and an
/// impostor's pair whose public key a runtime might wrongly take for the robot's.
struct CurveKeyFolder {
    let folder = TemporaryDirectory()
    var robotSecret: String { folder.file("robot/robot.key_secret") }
    var robotPublic: String { folder.file("robot/robot.key") }
    var allowList: String { folder.file("allowed") }
    var runtimeSecret: String { folder.file("runtime/runtime.key_secret") }
    var strangerSecret: String { folder.file("stranger/stranger.key_secret") }
    var impostorPublic: String { folder.file("impostor/impostor.key") }

    init() throws {
        for name in ["robot", "runtime", "stranger", "impostor"] {
            try FileManager.default.createDirectory(atPath: folder.file(name), withIntermediateDirectories: true)
            let made = runProcess(reinsExecutable, ["keys", "new", name, "--directory", folder.file(name)])
            #expect(made.status == 0, "\(made.standardError)")
        }
        try FileManager.default.createDirectory(atPath: allowList, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: folder.file("runtime/runtime.key"), toPath: allowList + "/runtime.key")
    }

    /// A one-joint arm behind the Reins robot protocol at `endpoint`, with `zmq` keys.
    func robot(at endpoint: String, serverKey: String, clientKey: String) throws -> RobotDescription {
        _ = folder.write("joint-calibration.yaml", "kind: arm\njoints:\n  joint: {id: 1, homing_offset: 0, direction: 1, range: [0, 4095]}\n")
        let path = folder.write("python-joint.yaml", """
            name: python-joint
            kind: arm
            driver: zmq
            link: zmq:\(endpoint)
            control_rate_hz: 100
            calibration: joint-calibration.yaml
            joints:
              - {name: joint, position: [-1.5, 1.5], velocity: 2.0, acceleration: 10.0}
            observation: [joint_position, target]
            action: joint_position
            safety: {watchdog_timeout_ms: 500, max_change_per_tick: 0.05, safe_stop: hold_then_torque_off, hold_seconds: 0.2}
            monitor: {sensor_noise_bound: 0.01, action_tolerance: 0.1}
            zmq: {server_key: \(serverKey), client_key: \(clientKey)}

            """)
        return try RobotDescription.load(path: path)
    }

    func publicKey(_ path: String) throws -> String { try CurveCertificate.read(path).publicKey }
}

/// The runtime's robot-protocol driver as a CURVE client of robots it did not write: a Python
/// robot served by Sources/Python/reins_robot.py (pyzmq's ZAP authenticator), and Reins' own
/// simulator. An allow-listed key drives the robot; a refused client key and a wrong server key
/// each get their own message.
@Suite(.serialized) struct RobotProtocolCurveTests {
    /// Starts the Python robot with CURVE and returns it with its endpoint.
    func pythonRobot(_ keys: CurveKeyFolder) throws -> (SpawnedProcess, String) {
        let peer = SpawnedProcess("python3", [packageRoot + "/Tests/Peers/python_robot_peer.py", "tcp://127.0.0.1:*", "30",
                                              keys.robotSecret, keys.allowList])
        let line = try #require(peer.waitForLine(containing: "listening"), "python3 with pyzmq is required: \(peer.standardError)")
        return (peer, String(line.split(separator: " ")[1]))
    }

    func connectError(_ robot: RobotDescription) -> (error: DeviceError?, seconds: Double) {
        let start = MonotonicClock.nowNanoseconds()
        do {
            _ = try RobotSession(robot)
            return (nil, 0)
        } catch {
            return (error, Double(MonotonicClock.nowNanoseconds() - start) / 1e9)
        }
    }

    @Test func anAllowListedRuntimeDrivesAPythonRobotOverCurveAndAStrangerIsRefused() throws {
        let keys = try CurveKeyFolder()
        let (peer, endpoint) = try pythonRobot(keys)
        defer {
            peer.signal(SIGTERM)
            peer.wait(timeout: 5)
        }
        let robot = try keys.robot(at: endpoint, serverKey: keys.robotPublic, clientKey: keys.runtimeSecret)
        let session = try RobotSession(robot)
        try session.activate()
        let task = replayPipeline(session, Array(repeating: [0.3], count: 100)).pipeline
        let loop = ControlLoop(configuration: LoopConfiguration(rateHz: robot.controlRateHz, realtime: .none), task: task)
        #expect(loop.run() == .finished)
        #expect(task.fault == nil)
        // The joint turns at 1 rad/s: a second of goals at 0.3 rad reaches them.
        #expect(abs(session.state["joint.pos"]! - 0.3) < 0.01, "\(session.state.values)")
        session.close()

        let stranger = try keys.robot(at: endpoint, serverKey: keys.robotPublic, clientKey: keys.strangerSecret)
        let (error, seconds) = connectError(stranger)
        let refused = try #require(error)
        #expect(refused.problem == "the robot refused this runtime's key (ZAP status 400): the public key \(try keys.publicKey(keys.strangerSecret)) of \(keys.strangerSecret) is not on its allow-list",
                "\(refused)")
        #expect(refused.suggestion?.contains("put \(keys.folder.file("stranger/stranger.key")) on the robot's allow-list") == true, "\(refused)")
        // The refusal is reported as soon as it comes, not after the HELLO timeout.
        #expect(seconds < 2, "refused after \(seconds) s")
    }

    @Test func aWrongServerKeyIsToldApartFromARefusedClientKey() throws {
        let keys = try CurveKeyFolder()
        let (peer, endpoint) = try pythonRobot(keys)
        defer {
            peer.signal(SIGTERM)
            peer.wait(timeout: 5)
        }
        let robot = try keys.robot(at: endpoint, serverKey: keys.impostorPublic, clientKey: keys.runtimeSecret)
        let wrongServer = try #require(connectError(robot).error)
        #expect(wrongServer.problem.hasPrefix("the CURVE handshake failed "), "\(wrongServer)")
        #expect(wrongServer.problem.hasSuffix("the robot does not hold the secret key of `zmq.server_key` \(keys.impostorPublic)"), "\(wrongServer)")
        #expect(wrongServer.suggestion?.contains("point `zmq.server_key` at the robot's own public certificate") == true)
        #expect(!wrongServer.problem.contains("allow-list"))
    }

    @Test func reinsOwnCurveSimulatorGivesTheSameTwoMessages() throws {
        let keys = try CurveKeyFolder()
        let simulatedArm = try loadRobot("sim-zmq-arm")
        let simulator = try RobotProtocolSimulator(
            body: ArmProtocolBody(arm: SimulatedArm(description: simulatedArm), name: "sim-zmq-arm", rateHz: 100),
            endpoint: "tcp://127.0.0.1:*",
            curve: (try CurveCertificate.read(keys.robotSecret).secretKey!, try ZAPAuthenticator.allowList(fromFiles: [keys.allowList + "/runtime.key"])),
            faults: FaultInjector(spec: .none, seed: 1))
        let host = SimulatorHost(frontEnd: simulator)
        host.start()
        defer { host.stop() }
        let security = { (server: String, client: String) in ZMQSecuritySettings(serverKeyPath: server, clientKeyPath: client) }

        let allowed = try RobotProtocolClient(endpoint: simulator.endpoint, security: security(keys.robotPublic, keys.runtimeSecret))
        #expect(try allowed.hello(timeout: 3).robot == "sim-zmq-arm")

        let stranger = try RobotProtocolClient(endpoint: simulator.endpoint, security: security(keys.robotPublic, keys.strangerSecret))
        do {
            _ = try stranger.hello(timeout: 3)
            Issue.record("expected the stranger's key to be refused")
        } catch {
            #expect(error.problem.hasPrefix("the robot refused this runtime's key (ZAP status 400)"), "\(error)")
        }
        let misled = try RobotProtocolClient(endpoint: simulator.endpoint, security: security(keys.impostorPublic, keys.runtimeSecret))
        do {
            _ = try misled.hello(timeout: 2)
            Issue.record("expected a handshake failure")
        } catch {
            #expect(error.problem.hasPrefix("the CURVE handshake failed "), "\(error)")
        }
    }
}
