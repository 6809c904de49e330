import Foundation
import ReinsConfig
import ReinsCore
import ReinsProtocols
import ReinsRecording
import ReinsTestSupport
import ReinsTransport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Keys as people make them with `reins keys new`: the robot's pair, an allow-list folder with
/// alice's public key (her secret stays beside it, as on her machine), and a stranger's pair on no list.
private struct OperatorKeys {
    let folder = TemporaryDirectory()
    var robotSecret: String { folder.file("robot.key_secret") }
    var robotPublic: String { folder.file("robot.key") }
    var allowList: String { folder.file("allowed") }
    var aliceSecret: String { folder.file("alice/alice.key_secret") }
    var strangerSecret: String { folder.file("stranger.key_secret") }

    init() throws {
        for (name, directory) in [("robot", folder.path), ("alice", folder.file("alice")), ("stranger", folder.path)] {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            _ = try CurveCertificate.write(try CurveKeyPair.generate(), name: name, directory: directory)
        }
        try FileManager.default.createDirectory(atPath: allowList, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: folder.file("alice/alice.key"), toPath: allowList + "/alice.key")
    }
}

/// A free loopback TCP port for the robot to bind.
private func freeTCPPort() -> UInt16 {
    let (fd, port) = loopbackTCPListener()
    close(fd)
    return port
}

/// An operator station written against the documented layout with the project's ZeroMQ wrapper:
/// a PUSH socket, CURVE with `keys` (or plain without), sending the car's speed and steering.
private final class TestStation {
    let context = ZMQContext()
    let socket: ZMQSocket
    private var sequence: UInt32 = 0
    private let writer = ByteWriter(capacity: 12 + 64)

    init(endpoint: String, keys: CurveKeyPair?, serverPublicKey: String) throws {
        socket = try ZMQSocket(context, type: .push)
        if let keys { try socket.makeCurveClient(serverPublicKey: serverPublicKey, keys: keys) }
        try socket.connect(endpoint)
    }

    func send(_ values: [Double], buttons: UInt16 = 0) {
        sequence &+= 1
        RemoteOperatorMessage.encode(RemoteOperatorMessage(sequence: sequence, mode: .absolute, buttons: buttons, values: values), into: writer)
        _ = try? socket.send(writer.bytes, wait: false)
    }

    /// Sends `values` at 50 Hz for `seconds`.
    func stream(_ values: [Double], seconds: Double) {
        let end = MonotonicClock.nowNanoseconds() + UInt64(seconds * 1e9)
        while MonotonicClock.nowNanoseconds() < end {
            send(values)
            usleep(20_000)
        }
    }
}

@Suite struct RemoteOperatorTests {
    /// `reins teleop` with a zmq operator device on a free port, started in the background.
    private func teleop(_ keys: OperatorKeys, port: UInt16, seconds: Int, record: String, robotPath: String) -> SpawnedProcess {
        SpawnedProcess(reinsExecutable, ["teleop", "--robot", robotPath, "--device", "zmq:tcp://127.0.0.1:\(port)",
                                         "--server-key", keys.robotSecret, "--operator-keys", keys.allowList,
                                         "--no-wait", "--duration", "\(seconds)", "--record", record, "--no-realtime"],
                       workingDirectory: packageRoot)
    }

    @Test func anAllowListedOperatorDrivesUnderTheirNameAndSilenceFallsBack() throws {
        let keys = try OperatorKeys()
        let (robotPath, robot) = try relaxedDescription("sim-car", in: keys.folder)
        let port = freeTCPPort(), record = keys.folder.file("drive.mcap")
        let run = teleop(keys, port: port, seconds: 5, record: record, robotPath: robotPath)
        #expect(run.waitForLine(containing: "loop:", timeout: 30) != nil, "\(run.standardError)")
        let station = try TestStation(endpoint: "tcp://127.0.0.1:\(port)", keys: try CurveCertificate.read(keys.aliceSecret),
                                      serverPublicKey: try CurveCertificate.read(keys.robotPublic).publicKey)
        station.stream([1.0, 0.1], seconds: 2)
        // Alice stops sending; the run goes on for a few more seconds.
        #expect(run.wait(timeout: 30) == 0, "\(run.standardOutput)\n\(run.standardError)")

        let recording = try RecordingReader.read(path: record)
        let ticks = recording.episodes.flatMap(\.ticks)
        #expect(ticks.count >= Int(4 * robot.controlRateHz))
        #expect(ticks.allSatisfy { $0.source == .human })
        let driven = ticks.filter { $0.applied[0] > 0.5 }
        #expect(driven.count >= 25, "speed followed the commands on \(driven.count) ticks")
        #expect(driven.allSatisfy { $0.operatorName == "alice" && $0.applied[0] <= 1.0 + 1e-9 })
        let lastDriven = try #require(driven.last)
        // Silence after the last command: operator_lost (timeout) and the car slows to a stop.
        let lost = recording.events.filter { $0.kind == .operatorLost && $0.t > lastDriven.t - 0.5 }
        #expect(lost.contains { $0.cause == .timeout }, "\(recording.events.map { "\($0.kind)@\($0.t)" })")
        let final = try #require(ticks.last)
        #expect(final.applied[0] < 0.25, "the car should be slowing to a stop: \(final.applied)")
        #expect(run.standardOutput.contains("remote operators (alice) connect with: reins operator --connect tcp://127.0.0.1:\(port)"))
    }

    @Test func aStrangerOrAPlainClientMovesNothing() throws {
        let keys = try OperatorKeys()
        let (robotPath, _) = try relaxedDescription("sim-car", in: keys.folder)
        let port = freeTCPPort(), record = keys.folder.file("stranger.mcap")
        let run = teleop(keys, port: port, seconds: 3, record: record, robotPath: robotPath)
        #expect(run.waitForLine(containing: "loop:", timeout: 30) != nil, "\(run.standardError)")
        let endpoint = "tcp://127.0.0.1:\(port)", serverKey = try CurveCertificate.read(keys.robotPublic).publicKey
        let stranger = try TestStation(endpoint: endpoint, keys: try CurveCertificate.read(keys.strangerSecret), serverPublicKey: serverKey)
        let plain = try TestStation(endpoint: endpoint, keys: nil, serverPublicKey: serverKey)
        // Alice's own key, but encrypted to a server key that is not the robot's.
        let wrongServer = try TestStation(endpoint: endpoint, keys: try CurveCertificate.read(keys.aliceSecret),
                                          serverPublicKey: try CurveCertificate.read(keys.strangerSecret).publicKey)
        let end = MonotonicClock.nowNanoseconds() + 2_000_000_000
        while MonotonicClock.nowNanoseconds() < end {
            for station in [stranger, plain, wrongServer] { station.send([2.0, 0.2], buttons: 1 << 3) }
            usleep(20_000)
        }
        #expect(run.wait(timeout: 30) == 0, "\(run.standardOutput)\n\(run.standardError)")
        let recording = try RecordingReader.read(path: record)
        let ticks = recording.episodes.flatMap(\.ticks)
        #expect(ticks.count >= 100)
        // The car holds what it started with (speed 0, the steering where the simulator's servo sat).
        let start = try #require(ticks.first).applied
        #expect(start[0] == 0 && abs(start[1]) < 0.01)
        #expect(ticks.allSatisfy { $0.applied == start }, "\(ticks.map(\.applied).filter { $0 != start }.prefix(3))")
        #expect(recording.events.contains { $0.kind == .operatorLost && $0.cause == .timeout })
        #expect(run.standardOutput.contains("OPERATOR SILENT"))
    }

    /// `reins operator` on a pseudo-terminal: keys become messages signed by the key's name, q
    /// sends the stop button and quits, and the terminal's mode comes back.
    @Test func reinsOperatorForwardsTerminalKeysAsAuthenticatedMessages() throws {
        let keys = try OperatorKeys()
        let server = try CurveCertificate.read(keys.robotSecret)
        let context = ZMQContext()
        let authenticator = try ZAPAuthenticator(context: context, allowed: try ZAPAuthenticator.allowList(fromFiles: [keys.allowList]))
        defer { authenticator.stop() }
        let robotSocket = try ZMQSocket(context, type: .pull)
        try robotSocket.makeCurveServer(secretKey: server.secretKey!)
        try robotSocket.bind("tcp://127.0.0.1:*")
        let terminal = try PseudoTerminal()
        // A person's terminal is canonical with echo (the pair shares one mode on Linux).
        var cooked = termios()
        tcgetattr(terminal.master.fd, &cooked)
        cooked.c_lflag |= tcflag_t(ICANON | ECHO)
        tcsetattr(terminal.master.fd, TCSANOW, &cooked)
        let station = SpawnedProcess(reinsExecutable, ["operator", "--connect", robotSocket.lastEndpoint, "--key", keys.aliceSecret,
                                                       "--server-key", keys.robotPublic, "--robot", "Robots/sim-car.yaml"],
                                     workingDirectory: packageRoot, standardInput: terminal.slavePath)
        #expect(station.waitForLine(containing: "keys:", timeout: 30) != nil, "\(station.standardError)")

        func receive(until done: (RemoteOperatorMessage) -> Bool) -> [RemoteOperatorMessage] {
            var messages: [RemoteOperatorMessage] = []
            let deadline = MonotonicClock.nowNanoseconds() + 20_000_000_000
            while MonotonicClock.nowNanoseconds() < deadline {
                guard (try? robotSocket.waitReadable(deadline: MonotonicClock.nowNanoseconds() + 100_000_000)) == true,
                      let frame = try? robotSocket.receiveFrame(wait: false) else { continue }
                #expect(frame.userID == "alice")
                guard let message = frame.bytes.withUnsafeBytes({ try? RemoteOperatorMessage.decode($0) }) else {
                    Issue.record("undecodable message \(frame.bytes)")
                    continue
                }
                messages.append(message)
                if done(message) { break }
            }
            return messages
        }
        // The device publishes every 20 ms without a key, so messages flow before any key.
        let idle = receive { _ in true }
        #expect(idle.first.map { $0.count == 2 && $0.values[0] == 0 } == true)
        _ = "ww".withCString { write(terminal.master.fd, $0, 2) }
        let moving = receive { $0.values[0] > 0.3 }
        let fastest = try #require(moving.last)
        #expect(fastest.values[0] > 0.3 && fastest.values[0] <= 3.0 && fastest.mode == .absolute)
        #expect(zip(moving, moving.dropFirst()).allSatisfy { RemoteOperatorMessage.isNewer($1.sequence, than: $0.sequence) })
        _ = "q".withCString { write(terminal.master.fd, $0, 1) }
        let stopping = receive { $0.buttons & (1 << 7) != 0 }
        #expect(stopping.last.map { $0.buttons & (1 << 7) != 0 } == true, "no message carried the stop button")
        #expect(station.wait(timeout: 10) == 0, "\(station.standardError)")
        #expect(station.standardOutput.contains("the last with stop"), "\(station.standardOutput)")
        // Raw mode was undone on the way out: canonical input and echo are back.
        var mode = termios()
        tcgetattr(terminal.master.fd, &mode)
        #expect(mode.c_lflag & tcflag_t(ICANON | ECHO) == tcflag_t(ICANON | ECHO))
    }

    @Test func aRemoteOperatorWithoutKeysIsRefusedBeforeAnythingStarts() throws {
        let keys = try OperatorKeys()
        try FileManager.default.createDirectory(atPath: keys.folder.file("empty"), withIntermediateDirectories: true)
        let base = ["teleop", "--robot", "Robots/sim-car.yaml", "--device", "zmq:tcp://127.0.0.1:5610", "--no-wait", "--duration", "1"]
        let cases: [([String], String)] = [
            (base + ["--operator-keys", keys.allowList], "needs --server-key"),
            (base + ["--server-key", keys.robotSecret], "needs --operator-keys"),
            (base + ["--server-key", keys.robotPublic, "--operator-keys", keys.allowList], "holds only a public key"),
            (base + ["--server-key", keys.robotSecret, "--operator-keys", keys.folder.file("empty")], "holds no NAME.key files"),
            (["teleop", "--robot", "Robots/sim-car.yaml", "--device", "keyboard", "--server-key", keys.robotSecret], "belong to a remote operator"),
            (["operator", "--connect", "tcp://127.0.0.1:5610", "--key", keys.aliceSecret, "--server-key", keys.robotPublic,
              "--robot", "Robots/sim-car.yaml", "--device", "sim"], "only the robot has"),
        ]
        for (arguments, message) in cases {
            let result = runProcess(reinsExecutable, arguments, workingDirectory: packageRoot)
            #expect(result.status == 2, "reins \(arguments.joined(separator: " ")): \(result.standardError)")
            #expect(result.standardError.contains(message), "reins \(arguments.joined(separator: " ")): \(result.standardError)")
            #expect(!result.standardOutput.contains("loop:"))
        }
    }
}
