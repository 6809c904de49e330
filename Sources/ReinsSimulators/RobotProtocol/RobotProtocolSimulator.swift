import ReinsCore
import ReinsProtocols
import ReinsTransport

/// Serves a simulated robot over the Reins robot protocol on a ZeroMQ ROUTER: answers HELLO
/// requests with the body's layout, applies ACTIONs, and sends STATE to every client at the
/// layout's rate. With keys, the socket is a CURVE server that accepts only allow-listed clients.
public final class RobotProtocolSimulator: SimulatorFrontEnd, @unchecked Sendable {
    public let body: any RobotProtocolBody
    public let endpoint: String
    private let context: ZMQContext
    private let socket: ZMQSocket
    private let authenticator: ZAPAuthenticator?
    private var clients: [[UInt8]: Double] = [:]
    private var sequence: UInt32 = 0
    private var nextStateTime = 0.0
    private let output: DelayedOutput
    private var faults: FaultInjector
    private let writer = ByteWriter(capacity: RobotMessage.headerSize + 8 * RobotMessage.maximumValues + 4096)
    private var stateValues: [Double]
    private var actionValues: [Double]
    private var receiveBuffer = [UInt8](repeating: 0, count: RobotMessage.headerSize + 8 * RobotMessage.maximumValues)
    private var cut = false
    /// A client that has sent nothing for this long stops receiving state.
    public let clientTimeout = 5.0

    /// - Parameters:
    ///   - curve: the server's secret key and the allowed client keys; nil for a plain socket.
    public init(body: any RobotProtocolBody, endpoint: String, curve: (secretKey: String, allowed: [ZAPAuthenticator.AllowedKey])? = nil,
                faults: FaultInjector) throws(ZMQError) {
        self.body = body
        context = ZMQContext()
        if let curve {
            authenticator = try ZAPAuthenticator(context: context, allowed: curve.allowed)
        } else {
            authenticator = nil
        }
        socket = try ZMQSocket(context, type: .router)
        if let curve { try socket.makeCurveServer(secretKey: curve.secretKey) }
        try socket.bind(endpoint)
        self.endpoint = socket.lastEndpoint
        self.faults = faults
        output = DelayedOutput(faults: faults)
        stateValues = [Double](repeating: 0, count: body.layout.state.count)
        actionValues = [Double](repeating: 0, count: body.layout.action.count)
    }

    deinit {
        socket.close()
        authenticator?.stop()
    }

    public var connectionDescription: String {
        "zmq \(endpoint) (Reins robot protocol v1\(authenticator == nil ? "" : ", CURVE"))"
    }

    public func serviceInput(until deadline: UInt64, simulatedTime: Double) {
        guard !cut else {
            MonotonicClock.sleep(untilNanoseconds: deadline)
            return
        }
        guard (try? socket.waitReadable(deadline: deadline)) == true else { return }
        while let parts = try? socket.receiveMultipart(wait: false) {
            guard parts.count == 2 else { continue }
            handle(client: parts[0].bytes, message: parts[1].bytes, at: simulatedTime)
        }
    }

    private func handle(client: [UInt8], message: [UInt8], at time: Double) {
        message.withUnsafeBytes { raw in
            guard let header = try? RobotMessage.decodeHeader(raw) else { return }
            clients[client] = time
            switch header.kind {
            case .helloRequest:
                sequence &+= 1
                RobotMessage.encodeHello(sequence: sequence, timestampNanoseconds: UInt64(time * 1e9), json: body.layout.json(), into: writer)
                try? socket.send(parts: [client, writer.array])
            case .action where header.count == actionValues.count:
                actionValues.withUnsafeMutableBufferPointer { values in
                    _ = RobotMessage.decodeValues(raw, header: header, into: values)
                }
                actionValues.withUnsafeBufferPointer { body.apply(action: $0, flags: header.flags, at: time) }
            default:
                break
            }
        }
    }

    public func step(_ dt: Double, simulatedTime: Double) {
        body.step(dt, at: simulatedTime)
    }

    public func flushOutput(simulatedTime: Double) {
        guard !cut else { return }
        if simulatedTime >= nextStateTime {
            nextStateTime = max(nextStateTime + 1 / body.layout.rateHz, simulatedTime)
            clients = clients.filter { simulatedTime - $0.value < clientTimeout }
            if !clients.isEmpty {
                let flags = stateValues.withUnsafeMutableBufferPointer { body.readState(into: $0) }
                for i in stateValues.indices { stateValues[i] = faults.measure(stateValues[i]) }
                sequence &+= 1
                let header = RobotMessage.Header(kind: .state, sequence: sequence, timestampNanoseconds: UInt64(simulatedTime * 1e9),
                                                 count: stateValues.count, flags: flags)
                stateValues.withUnsafeBufferPointer { RobotMessage.encode(header, values: $0, into: writer) }
                output.enqueue(writer.array, at: simulatedTime)
            }
        }
        output.release(upTo: simulatedTime) { message in
            for client in clients.keys { try? socket.send(parts: [client, message]) }
        }
    }

    public func disconnect() {
        cut = true
        socket.close()
    }
}
