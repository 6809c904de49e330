import ArgumentParser
import ReinsConfig
import ReinsCore
import ReinsProtocols
import ReinsRuntime
import ReinsTransport
#if canImport(Glibc)
import Glibc
#endif

/// `reins operator`: the operator's end of a remote operator device. Runs on the person's machine,
/// reads a local device and forwards its commands to a robot run started with
/// `--operator zmq:...` (deploy) or `--device zmq:...` (teleop).
struct OperatorStationCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "operator",
        abstract: "Drive a robot on another machine: forward a local operator device over an authenticated ZeroMQ link.",
        discussion: """
            The robot's run binds with `--operator zmq:tcp://HOST:PORT` (deploy) or `--device \
            zmq:tcp://HOST:PORT` (teleop), its secret certificate (--server-key ROBOT.key_secret) and \
            the operators' public ones (--operator-keys). This command connects there as a CURVE \
            client with your secret certificate (--key NAME.key_secret, whose NAME.key is on the \
            robot's allow-list) and the robot's public one (--server-key ROBOT.key), and sends the \
            device's command 50 times a second and at once on every button. The robot records NAME on \
            every tick you drive. If the messages stop (this command ends, the network fails) the \
            robot applies its fallback after `operator_timeout_ms`.

            The robot description is needed only for the action layout and the keys. q sends the \
            stop button (the robot's safe stop, as q on the robot's own keyboard) and quits; Ctrl-C \
            quits without it, and the robot falls back when the messages stop.

            Exit codes: 0 finished, 2 bad input, 5 the device cannot be opened.
            """)

    @Option(help: "The robot's operator endpoint, e.g. tcp://192.168.1.20:5610.")
    var connect: String

    @Option(help: "Your secret certificate (NAME.key_secret from `reins keys new NAME`); NAME.key must be on the robot's allow-list.")
    var key: String

    @Option(help: "The robot's public certificate (ROBOT.key), the half of its --server-key.")
    var serverKey: String

    @Option(help: "Local operator device: `keyboard` (this terminal).")
    var device: String = "keyboard"

    @Option(help: "The robot's description (Robots/*.yaml): its action layout and kind choose the keys.")
    var robot: String

    /// Commands go out at the device's 50 Hz heartbeat; the loop looks for new ones this often.
    static let pollNanoseconds: UInt64 = 5_000_000

    func validate() throws {
        switch device {
        case "keyboard": break
        case "sim":
            throw ValidationError("--device sim: the scripted operator watches the robot's state, which only the robot has; run it there with --operator sim (deploy) or --device sim (teleop)")
        default:
            throw ValidationError("--device \(device): unknown local operator device; choose keyboard")
        }
        let endpoint = Self.endpoint(connect)
        guard endpoint.hasPrefix("tcp://") || endpoint.hasPrefix("ipc://") else {
            throw ValidationError("--connect \(connect): write the robot's endpoint, e.g. tcp://192.168.1.20:5610")
        }
    }

    /// `zmq:tcp://...` as the robot side writes it is accepted too.
    static func endpoint(_ text: String) -> String {
        text.hasPrefix("zmq:") ? String(text.dropFirst(4)) : text
    }

    func run() throws {
        let description = try loadRobot(robot, calibrationRequired: false, exitCode: RunExit.badInput)
        guard description.actionNames.count <= OperatorCommand.capacity else {
            throw badInput("\(description.name) has \(description.actionNames.count) action entries; an operator device drives at most \(OperatorCommand.capacity)")
        }
        let ownKeys: CurveKeyPair, server: CurveKeyPair
        do {
            ownKeys = try CurveCertificate.read(key)
            server = try CurveCertificate.read(serverKey)
        } catch {
            throw badInput(error.description)
        }
        guard ownKeys.secretKey != nil else { throw badInput("--key \(key) holds only a public key; pass your NAME.key_secret file") }
        let name = Self.certificateName(key)
        let endpoint = Self.endpoint(connect)

        let context = ZMQContext()
        let socket: ZMQSocket
        let monitor: ZMQSocketMonitor
        do {
            socket = try ZMQSocket(context, type: .push)
            try socket.makeCurveClient(serverPublicKey: server.publicKey, keys: ownKeys)
            // Only to a completed (authenticated) connection, and only a few queued: a command that
            // waited is stale, and the robot would not apply it anyway.
            try socket.setImmediate(true)
            try socket.setHighWaterMarks(send: 4, receive: 4)
            monitor = try ZMQSocketMonitor(socket, events: [.handshakeSucceeded, .handshakeFailedAuth, .handshakeFailedNoDetail,
                                                            .handshakeFailedProtocol, .disconnected])
            try socket.connect(endpoint)
        } catch {
            throw badInput("--connect \(connect): \(error)")
        }

        let keyboard = KeyboardOperator(fd: 0, operatorName: name)
        let none = UnsafeBufferPointer<Double>(start: nil, count: 0)
        do {
            try keyboard.start(robot: description, follower: none)
        } catch {
            printError("cannot open the operator device: \(error)")
            throw ExitCode(RunExit.unavailable)
        }
        StopSignal.install()
        print("operator \(name) → \(endpoint) (CURVE) for \(description.name); q stops the robot and quits, Ctrl-C quits\r")
        print("keys: " + KeyboardOperator.help(for: description) + "\r")

        let writer = ByteWriter(capacity: RemoteOperatorMessage.headerSize + 8 * RemoteOperatorMessage.maximumValues)
        var command = OperatorCommand()
        var lastTimestamp: UInt64 = 0
        var sequence: UInt32 = 0
        var sent: UInt64 = 0
        var unsent: OperatorButtons = []
        var link = "connecting"
        var lastStatus: UInt64 = 0
        var stopSent = false
        while StopSignal.received == nil && !stopSent {
            MonotonicClock.sleep(untilNanoseconds: MonotonicClock.nowNanoseconds() + Self.pollNanoseconds)
            while let event = monitor.next() { link = Self.linkState(event, keyFile: key) }
            let view = OperatorView(tick: 0, now: MonotonicClock.nowNanoseconds(), period: Self.pollNanoseconds, elapsed: 0, state: none, lastApplied: none,
                                    phase: .autonomous, takeoverRequested: false)
            // A new command is published every 20 ms and on every key; none new means the
            // terminal is gone, and the robot should hear silence.
            guard keyboard.poll(view, into: &command), command.timestamp != lastTimestamp else { continue }
            lastTimestamp = command.timestamp
            sequence &+= 1
            var values: [Double] = []
            for i in 0..<Int(command.count) { values.append(command[i]) }
            let buttons = command.buttons.union(unsent)
            let message = RemoteOperatorMessage(sequence: sequence, mode: command.mode == .offset ? .offset : .absolute,
                                                buttons: buttons.rawValue, values: values)
            RemoteOperatorMessage.encode(message, into: writer)
            if buttons.contains(.stop) { try? socket.setLinger(milliseconds: 1000) }
            let delivered = (try? socket.send(writer.bytes, wait: false)) == true
            if delivered {
                sent += 1
                unsent = []
                stopSent = buttons.contains(.stop)
            } else {
                // Not connected yet: the buttons go with the next message that leaves.
                unsent = buttons
            }
            if view.now &- lastStatus >= 100_000_000 || !buttons.isEmpty {
                lastStatus = view.now
                let shown = zip(description.actionNames, values).map { "\($0) \(fixed($1, 2))" }.joined(separator: " ")
                let status = "\r\u{1B}[K#\(sequence) \(link) · \(shown)" + (buttons.isEmpty ? "" : " · \(buttons)") + (delivered ? "" : " (not sent)")
                _ = status.utf8CString.withUnsafeBufferPointer { write(1, $0.baseAddress, $0.count - 1) }
            }
        }
        keyboard.stop()
        monitor.stop()
        socket.close()
        print("\r\nsent \(sent) commands" + (stopSent ? ", the last with stop" : ""))
    }

    /// NAME of NAME.key_secret, as the robot's allow-list names the public half.
    static func certificateName(_ path: String) -> String {
        var name = FilePath.lastComponent(path)
        for suffix in [".key_secret", ".key"] where name.hasSuffix(suffix) {
            name = String(name.dropLast(suffix.count))
            break
        }
        return name
    }

    static func linkState(_ event: ZMQSocketEvent, keyFile: String) -> String {
        switch event.kind {
        case .handshakeSucceeded: return "connected"
        case .handshakeFailedAuth: return "refused: the robot does not allow-list \(keyFile)"
        case .handshakeFailedNoDetail, .handshakeFailedProtocol: return "handshake failed: is --server-key the robot's key?"
        case .disconnected: return "disconnected, retrying"
        default: return "connecting"
        }
    }
}
