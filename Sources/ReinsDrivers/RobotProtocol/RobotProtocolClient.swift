import ReinsConfig
import ReinsCore
import ReinsProtocols
import ReinsTransport

/// The runtime side of the Reins robot protocol: a DEALER that asks for the robot's layout, then
/// sends ACTIONs and keeps the newest STATE. Shared by the ZeroMQ robot driver and the car's pose
/// stream. With keys it is a CURVE client.
///
/// libzmq allocates a buffer for every message longer than 33 bytes, so unlike the serial
/// drivers this path is not allocation-free inside a tick; everything Reins itself does is.
public final class RobotProtocolClient: @unchecked Sendable {
    public let endpoint: String
    public private(set) var layout: RobotLayout?
    private let context = ZMQContext()
    private let socket: ZMQSocket
    private let security: ZMQSecuritySettings?
    /// This runtime's public key, when it is a CURVE client (for messages).
    private var clientPublicKey: String?
    /// Connection events until HELLO arrives, to tell a refused key from a wrong server key.
    private var monitor: ZMQSocketMonitor?
    private let writer = ByteWriter(capacity: RobotMessage.headerSize + 8 * RobotMessage.maximumValues)
    private let receiveBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: RobotMessage.headerSize + 8 * RobotMessage.maximumValues + 64, alignment: 8)
    private var sequence: UInt32 = 0
    /// When this client last sent anything; a listen-only client (a pose stream) re-sends
    /// HELLO_REQUEST every second so the robot keeps it subscribed.
    private var lastSent: UInt64 = 0
    /// The newest STATE values, in the robot's layout order.
    public private(set) var stateValues: [Double] = []
    public private(set) var stateFlags: RobotMessage.Flags = []
    /// When the newest STATE arrived (CLOCK_MONOTONIC ns); 0 before the first.
    public private(set) var stateReceivedAt: UInt64 = 0
    public private(set) var statesReceived: UInt64 = 0
    public private(set) var malformedMessages: UInt64 = 0

    public init(endpoint: String, security: ZMQSecuritySettings?) throws(DeviceError) {
        self.endpoint = endpoint
        self.security = security
        do {
            socket = try ZMQSocket(context, type: .dealer)
            try socket.setHighWaterMarks(send: 16, receive: 64)
            if let security {
                let server: CurveKeyPair, client: CurveKeyPair
                do {
                    server = try CurveCertificate.read(security.serverKeyPath)
                    client = try CurveCertificate.read(security.clientKeyPath)
                } catch {
                    throw DeviceError(device: endpoint, problem: error.description, suggestion: "create keys with `reins keys new NAME`")
                }
                guard client.secretKey != nil else {
                    throw DeviceError(device: endpoint, problem: "\(security.clientKeyPath) has no secret key",
                                      suggestion: "point `zmq.client_key` at NAME.key_secret, not NAME.key")
                }
                try socket.makeCurveClient(serverPublicKey: server.publicKey, keys: client)
                clientPublicKey = client.publicKey
            }
            monitor = try ZMQSocketMonitor(socket, events: [.connected, .handshakeSucceeded, .handshakeFailedNoDetail,
                                                            .handshakeFailedProtocol, .handshakeFailedAuth])
            try socket.connect(endpoint)
        } catch let error as DeviceError {
            throw error
        } catch {
            throw DeviceError(device: endpoint, problem: "\(error)")
        }
    }

    deinit {
        monitor?.stop()
        socket.close()
        receiveBuffer.deallocate()
    }

    /// Asks for the layout and waits for it. Without one, says which side is wrong: nothing
    /// listening, a robot that refused this runtime's key, a server key that does not match the
    /// robot, or a robot that connected but never answered.
    public func hello(timeout: Double) throws(DeviceError) -> RobotLayout {
        // The monitor is for the handshake only; nothing of it remains for the tick.
        defer {
            monitor?.stop()
            monitor = nil
        }
        var connection = ConnectionEvents()
        let end = MonotonicClock.nowNanoseconds() + UInt64(timeout * 1e9)
        var nextRequest: UInt64 = 0
        while MonotonicClock.nowNanoseconds() < end {
            if MonotonicClock.nowNanoseconds() >= nextRequest {
                // Repeated: the first request can be lost while the connection (or CURVE handshake) settles.
                nextRequest = MonotonicClock.nowNanoseconds() + 500_000_000
                sendHelloRequest()
            }
            for event in monitor?.drain() ?? [] { connection.note(event) }
            // A ZAP refusal is final: libzmq does not retry it, so neither does the wait.
            if let status = connection.authenticationStatus { throw refusedKeyError(status: status) }
            let slice = MonotonicClock.nowNanoseconds() + 50_000_000
            guard (try? socket.waitReadable(deadline: min(end, nextRequest, slice))) == true else { continue }
            while let size = try? socket.receive(into: receiveBuffer, wait: false), size <= receiveBuffer.count {
                let message = UnsafeRawBufferPointer(rebasing: receiveBuffer[0..<size])
                guard let header = try? RobotMessage.decodeHeader(message) else { malformedMessages &+= 1; continue }
                if header.kind == .hello {
                    do {
                        let parsed = try RobotLayout.parse(RobotMessage.helloText(message))
                        layout = parsed
                        stateValues = [Double](repeating: 0, count: parsed.state.count)
                        return parsed
                    } catch {
                        throw DeviceError(device: endpoint, problem: error.description)
                    }
                }
            }
        }
        for event in monitor?.drain() ?? [] { connection.note(event) }
        if let status = connection.authenticationStatus { throw refusedKeyError(status: status) }
        throw silentRobotError(connection, timeout: timeout)
    }

    /// What the socket monitor said about the connection while waiting for HELLO.
    private struct ConnectionEvents {
        var connected = false
        var handshakes = 0
        var handshakeFailures = 0
        var authenticationStatus: UInt32?
        var mechanismMismatch = false

        mutating func note(_ event: ZMQSocketEvent) {
            switch event.kind {
            case .connected: connected = true
            case .handshakeSucceeded: handshakes += 1
            case .handshakeFailedAuth: authenticationStatus = event.value
            case .handshakeFailedProtocol:
                if event.value == ZMQSocketEvent.protocolErrorMechanismMismatch { mechanismMismatch = true } else { handshakeFailures += 1 }
            case .handshakeFailedNoDetail: handshakeFailures += 1
            default: break
            }
        }
    }

    /// The robot's ZAP handler refused this runtime's key (libzmq reports the ZAP status code).
    private func refusedKeyError(status: UInt32) -> DeviceError {
        let clientFile = security?.clientKeyPath ?? "this runtime's key"
        let publicFile = clientFile.hasSuffix(".key_secret") ? String(clientFile.dropLast("_secret".count)) : clientFile
        return DeviceError(device: endpoint,
                           problem: "the robot refused this runtime's key (ZAP status \(status)): the public key \(clientPublicKey ?? "?") of \(clientFile) is not on its allow-list",
                           suggestion: "put \(publicFile) on the robot's allow-list (for reins_robot.py: copy it into the allowed_keys_dir folder and restart the robot), or point `zmq.client_key` at a key that is on it; if it is on the list already, the robot's ZAP handler does not serve its socket's ZAP domain")
    }

    /// No HELLO and no refusal: tells apart nothing listening, a server key that does not match
    /// the robot, CURVE on one side only, and a robot that connected but never answered.
    private func silentRobotError(_ connection: ConnectionEvents, timeout: Double) -> DeviceError {
        let seconds = "\(timeout) s"
        if connection.mechanismMismatch {
            return security == nil
                ? DeviceError(device: endpoint, problem: "the robot requires CURVE but this runtime connects without keys",
                              suggestion: "add `zmq: {server_key: ROBOT.key, client_key: RUNTIME.key_secret}` to the robot description")
                : DeviceError(device: endpoint, problem: "the robot does not use CURVE but this runtime connects with keys",
                              suggestion: "start the robot with its secret certificate and an allow-list, or remove `zmq` from the description on a trusted network")
        }
        if connection.handshakeFailures > 0 && connection.handshakes == 0 {
            if let security {
                return DeviceError(device: endpoint,
                                   problem: "the CURVE handshake failed \(connection.handshakeFailures) times in \(seconds): the robot does not hold the secret key of `zmq.server_key` \(security.serverKeyPath)",
                                   suggestion: "point `zmq.server_key` at the robot's own public certificate (`reins keys show` on the robot's NAME.key_secret prints the public key it must contain)")
            }
            return DeviceError(device: endpoint, problem: "the ZeroMQ handshake failed \(connection.handshakeFailures) times in \(seconds)",
                               suggestion: "is a Reins robot-protocol server bound there?")
        }
        if !connection.connected {
            return DeviceError(device: endpoint, problem: "nothing accepted a connection within \(seconds)",
                               suggestion: "is the robot process running and bound to \(endpoint)?")
        }
        return DeviceError(device: endpoint, problem: "connected, but no HELLO from the robot within \(seconds)",
                           suggestion: "is the program bound there a Reins robot-protocol server (Sources/Python/reins_robot.py, `reins sim --link zmq:...`)?")
    }

    /// Reads every waiting message and keeps the newest STATE; waits until `deadline` only if none
    /// is waiting. Returns true when a new STATE arrived.
    @discardableResult
    public func poll(deadline: UInt64) -> Bool {
        if MonotonicClock.nowNanoseconds() &- lastSent > 1_000_000_000 { sendHelloRequest() }
        var fresh = drain()
        if !fresh, (try? socket.waitReadable(deadline: deadline)) == true {
            fresh = drain()
        }
        return fresh
    }

    private func drain() -> Bool {
        var fresh = false
        while let size = try? socket.receive(into: receiveBuffer, wait: false) {
            guard size <= receiveBuffer.count else { malformedMessages &+= 1; continue }
            let message = UnsafeRawBufferPointer(rebasing: receiveBuffer[0..<size])
            guard let header = try? RobotMessage.decodeHeader(message) else { malformedMessages &+= 1; continue }
            guard header.kind == .state, header.count == stateValues.count else { continue }
            stateValues.withUnsafeMutableBufferPointer { _ = RobotMessage.decodeValues(message, header: header, into: $0) }
            stateFlags = header.flags
            fresh = true
        }
        if fresh {
            stateReceivedAt = MonotonicClock.nowNanoseconds()
            statesReceived &+= 1
        }
        return fresh
    }

    private func sendHelloRequest() {
        sequence &+= 1
        RobotMessage.encode(.init(kind: .helloRequest, sequence: sequence, timestampNanoseconds: MonotonicClock.nowNanoseconds(), count: 0),
                            values: UnsafeBufferPointer(start: nil, count: 0), into: writer)
        _ = try? socket.send(writer.bytes, wait: false)
        lastSent = MonotonicClock.nowNanoseconds()
    }

    /// Sends an ACTION without waiting (a full queue drops it; the next tick sends a newer one).
    @discardableResult
    public func sendAction(_ values: UnsafeBufferPointer<Double>, flags: RobotMessage.Flags = []) -> Bool {
        sequence &+= 1
        RobotMessage.encode(.init(kind: .action, sequence: sequence, timestampNanoseconds: MonotonicClock.nowNanoseconds(),
                                  count: values.count, flags: flags), values: values, into: writer)
        let sent = (try? socket.send(writer.bytes, wait: false)) == true
        if sent { lastSent = MonotonicClock.nowNanoseconds() }
        return sent
    }

    /// Index of each of `names` in the robot's STATE layout.
    public func stateIndices(of names: [String]) throws(DeviceError) -> [Int] {
        guard let layout else { throw DeviceError(device: endpoint, problem: "no layout yet (HELLO first)") }
        var indices: [Int] = []
        var missing: [String] = []
        for name in names {
            if let index = layout.state.firstIndex(of: name) { indices.append(index) } else { missing.append(name) }
        }
        guard missing.isEmpty else {
            throw DeviceError(device: endpoint, problem: "the robot \"\(layout.robot)\" does not report \(missing.joined(separator: ", "))",
                              suggestion: "its STATE has: \(layout.state.joined(separator: ", "))")
        }
        return indices
    }
}
