import Foundation
import ReinsConfig
import ReinsCore
import ReinsProtocols
import ReinsSimulators
import ReinsTestSupport
import ReinsTransport
import Testing

/// A minimal runtime-side client for the tests: DEALER, HELLO, ACTION, STATE.
final class ProtocolTestClient {
    let context = ZMQContext()
    let socket: ZMQSocket
    var sequence: UInt32 = 0

    init(endpoint: String, keys: (server: String, client: CurveKeyPair)? = nil) throws {
        socket = try ZMQSocket(context, type: .dealer)
        if let keys { try socket.makeCurveClient(serverPublicKey: keys.server, keys: keys.client) }
        try socket.connect(endpoint)
    }

    func hello(timeout: Double = 3) throws -> RobotLayout? {
        let writer = ByteWriter(capacity: 64)
        sequence += 1
        [Double]().withUnsafeBufferPointer {
            RobotMessage.encode(.init(kind: .helloRequest, sequence: sequence, timestampNanoseconds: 0, count: 0), values: $0, into: writer)
        }
        try socket.send(writer.array)
        let end = MonotonicClock.nowNanoseconds() + UInt64(timeout * 1e9)
        while try socket.waitReadable(deadline: end), let frame = try socket.receiveFrame() {
            let layout: RobotLayout? = frame.bytes.withUnsafeBytes { raw in
                guard let header = try? RobotMessage.decodeHeader(raw), header.kind == .hello else { return nil }
                return try? RobotLayout.parse(RobotMessage.helloText(raw))
            }
            if let layout { return layout }
        }
        return nil
    }

    func sendAction(_ values: [Double], flags: RobotMessage.Flags = []) throws {
        let writer = ByteWriter(capacity: 20 + 8 * values.count)
        sequence += 1
        values.withUnsafeBufferPointer {
            RobotMessage.encode(.init(kind: .action, sequence: sequence, timestampNanoseconds: 0, count: values.count, flags: flags), values: $0, into: writer)
        }
        try socket.send(writer.array)
    }

    /// The newest STATE waiting (or arriving before the deadline).
    func latestState(timeout: Double = 1) throws -> [Double]? {
        var latest: [Double]?
        let end = MonotonicClock.nowNanoseconds() + UInt64(timeout * 1e9)
        guard try socket.waitReadable(deadline: end) else { return nil }
        while let frame = try socket.receiveFrame(wait: false) {
            frame.bytes.withUnsafeBytes { raw in
                guard let header = try? RobotMessage.decodeHeader(raw), header.kind == .state else { return }
                var values = [Double](repeating: 0, count: header.count)
                _ = values.withUnsafeMutableBufferPointer { RobotMessage.decodeValues(raw, header: header, into: $0) }
                latest = values
            }
        }
        return latest
    }
}

@Suite(.serialized) struct RobotProtocolSimulatorTests {
    @Test func simulatedArmAnswersHelloAndFollowsActions() throws {
        let robot = try RobotDescription.load(path: packageRoot + "/Robots/sim-arm.yaml")
        let body = ArmProtocolBody(arm: SimulatedArm(description: robot), name: "sim-arm", rateHz: 100)
        let simulator = try RobotProtocolSimulator(body: body, endpoint: "tcp://127.0.0.1:*", faults: FaultInjector(spec: .none, seed: 1))
        let host = SimulatorHost(frontEnd: simulator, speed: 2)
        host.start()
        defer { host.stop() }

        let client = try ProtocolTestClient(endpoint: simulator.endpoint)
        let layout = try #require(try client.hello())
        #expect(layout.state.count == 18 && layout.state[0] == "shoulder_pan.pos")
        #expect(layout.action == robot.actionNames.map { $0 })
        let goals = [0.3, -0.2, 0.4, 0.1, -0.5, 0.6]
        var state: [Double] = []
        for _ in 0..<150 {
            try client.sendAction(goals)
            if let latest = try client.latestState(timeout: 0.05) { state = latest }
        }
        #expect(state.count == 18)
        for i in 0..<6 { #expect(abs(state[i] - goals[i]) < 0.05, "joint \(i) at \(state[i])") }
        try client.sendAction(goals, flags: .safeStop)
        usleep(100_000)
        #expect(body.arm.joints.allSatisfy { !$0.torqueEnabled })
    }

    @Test func curveSimulatorRefusesUnknownClients() throws {
        let robot = try RobotDescription.load(path: packageRoot + "/Robots/sim-arm.yaml")
        let serverKeys = try CurveKeyPair.generate(), runtimeKeys = try CurveKeyPair.generate()
        let simulator = try RobotProtocolSimulator(
            body: ArmProtocolBody(arm: SimulatedArm(description: robot), name: "sim-arm", rateHz: 100),
            endpoint: "tcp://127.0.0.1:*",
            curve: (serverKeys.secretKey!, [.init(name: "runtime", publicKey: runtimeKeys.publicKey)]),
            faults: FaultInjector(spec: .none, seed: 1))
        let host = SimulatorHost(frontEnd: simulator)
        host.start()
        defer { host.stop() }
        let allowed = try ProtocolTestClient(endpoint: simulator.endpoint, keys: (serverKeys.publicKey, runtimeKeys))
        #expect(try allowed.hello()?.robot == "sim-arm")
        let stranger = try ProtocolTestClient(endpoint: simulator.endpoint, keys: (serverKeys.publicKey, try CurveKeyPair.generate()))
        #expect(try stranger.hello(timeout: 0.5) == nil)
    }

    @Test func pythonRobotModuleSpeaksTheSameProtocol() throws {
        let peer = SpawnedProcess("python3", [packageRoot + "/Tests/Peers/python_robot_peer.py", "tcp://127.0.0.1:*", "3"])
        let line = try #require(peer.waitForLine(containing: "listening"), "python3 with pyzmq is required: \(peer.standardError)")
        let endpoint = String(line.split(separator: " ")[1])
        let client = try ProtocolTestClient(endpoint: endpoint)
        let layout = try #require(try client.hello())
        #expect(layout == RobotLayout(robot: "python-joint", kind: "arm", state: ["joint.pos", "joint.vel", "joint.effort"], action: ["joint.goal"], rateHz: 100))
        var state: [Double] = []
        // The joint turns at 1 rad/s: 1.5 s of actions is ample to reach 0.5 rad.
        let end = MonotonicClock.nowNanoseconds() + 1_500_000_000
        while MonotonicClock.nowNanoseconds() < end {
            try client.sendAction([0.5])
            if let latest = try client.latestState(timeout: 0.02) { state = latest }
            usleep(10_000)
        }
        #expect(state.count == 3)
        #expect(abs(state[0] - 0.5) < 1e-6)
        #expect(peer.wait(timeout: 10) == 0)
        #expect(peer.standardOutput.contains("\"last_goal\": 0.5"))
    }
}
