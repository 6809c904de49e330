import ReinsConfig
import ReinsCore
import ReinsProtocols
import ReinsTransport
import Synchronization

/// An operator station on another machine (`reins operator`) as an operator device: a ZeroMQ PULL
/// socket, a CURVE server with the robot's secret key, behind a ZAP handler that accepts only the
/// allow-listed operator keys. It fails closed: a client with an unknown key, or without CURVE,
/// never completes the handshake, and a message without the handler's User-Id is dropped, so
/// nothing it sends reaches the loop; the loop then sees a silent device and applies the fallback.
///
/// Messages (`RemoteOperatorMessage`) are received on the device's own thread. Each accepted one
/// becomes a command stamped with its arrival time (CLOCK_MONOTONIC), so a command that took longer
/// than `operator_timeout_ms` to be applied is never applied; the sender's clock is never trusted.
/// The latest sequence number wins: a message older than the newest already accepted from the same
/// operator (reordered or duplicated) is dropped with its buttons, and the station does not repeat
/// buttons. Who drives is the name of the authenticated key (the allow-list file's NAME).
public final class RemoteOperator: OperatorDevice, @unchecked Sendable {
    public let deviceName: String
    /// The allow-list's names, in its order (duplicates once).
    public let operatorNames: [String]
    public let endpoint: String
    private let serverSecretKey: String
    private let allowed: [ZAPAuthenticator.AllowedKey]
    private let channel = OperatorChannel()
    private let stopping = AtomicFlag()
    private var thread: PosixThread?
    private var context: ZMQContext?
    private var authenticator: ZAPAuthenticator?
    private var socket: ZMQSocket?
    /// The endpoint the socket really bound (a `*` port resolved), after `start`.
    public private(set) var boundEndpoint = ""
    private let tally = Tally()

    /// Shared with the receiving thread (atomics cannot be copied into its closure).
    private final class Tally: Sendable {
        let accepted = Atomic<UInt64>(0)
        let stale = Atomic<UInt64>(0)
        let rejected = Atomic<UInt64>(0)
    }

    /// What the device has received so far.
    public struct Counters: Sendable, Equatable {
        /// Messages turned into commands.
        public var accepted: UInt64
        /// Out of order or duplicated (a sequence number not newer than the operator's latest).
        public var stale: UInt64
        /// Malformed, NaN or infinite values, the wrong value count, or no authenticated name.
        public var rejected: UInt64
    }

    public var counters: Counters {
        Counters(accepted: tally.accepted.load(ordering: .relaxed), stale: tally.stale.load(ordering: .relaxed),
                 rejected: tally.rejected.load(ordering: .relaxed))
    }

    /// How long the receiving thread waits for a message before checking whether to stop.
    static let pollNanoseconds: UInt64 = 10_000_000

    /// - Parameters:
    ///   - endpoint: where to bind, e.g. `tcp://127.0.0.1:5610` (`tcp://0.0.0.0:5610` for every interface).
    ///   - serverSecretKey: the robot's CURVE secret key (Z85).
    ///   - allowed: the operators' public keys and names; an empty list lets nobody drive.
    public init(endpoint: String, serverSecretKey: String, allowed: [ZAPAuthenticator.AllowedKey]) {
        self.endpoint = endpoint
        self.serverSecretKey = serverSecretKey
        self.allowed = allowed
        var names: [String] = []
        for key in allowed where !names.contains(key.name) { names.append(key.name) }
        operatorNames = names
        deviceName = "zmq \(endpoint) (CURVE, \(names.count) operator key\(names.count == 1 ? "" : "s"))"
    }

    public func start(robot: RobotDescription, follower: UnsafeBufferPointer<Double>) throws(DeviceError) {
        guard operatorNames.count <= Int(UInt8.max) + 1 else {
            throw DeviceError(device: deviceName, problem: "\(operatorNames.count) operator names; at most 256 can be told apart",
                              suggestion: "allow-list fewer operators")
        }
        let context = ZMQContext()
        let socket: ZMQSocket
        let authenticator: ZAPAuthenticator
        do {
            // ZAP requires the handler before the server socket binds.
            authenticator = try ZAPAuthenticator(context: context, allowed: allowed)
            socket = try ZMQSocket(context, type: .pull)
            try socket.makeCurveServer(secretKey: serverSecretKey)
            try socket.setHighWaterMarks(send: 100, receive: 100)
            try socket.bind(endpoint)
        } catch {
            throw DeviceError(device: "zmq \(endpoint)", problem: error.description,
                              suggestion: "choose a free port and an address of this machine, e.g. zmq:tcp://127.0.0.1:5610",
                              failedAction: "cannot bind")
        }
        self.context = context
        self.authenticator = authenticator
        self.socket = socket
        boundEndpoint = socket.lastEndpoint

        let actionCount = min(robot.actionNames.count, OperatorCommand.capacity)
        let restartNanoseconds = UInt64(robot.safety.operatorTimeout * 1e9)
        let names = operatorNames, channel = self.channel, stopping = self.stopping
        let tally = self.tally
        thread = PosixThread {
            // Per operator: the latest accepted sequence number and when it arrived.
            var lastSequence = [UInt32?](repeating: nil, count: names.count)
            var lastArrival = [UInt64](repeating: 0, count: names.count)
            while !stopping.isSet {
                let deadline = MonotonicClock.nowNanoseconds() &+ Self.pollNanoseconds
                guard (try? socket.waitReadable(deadline: deadline)) == true else { continue }
                while let frame = try? socket.receiveFrame(wait: false) {
                    let now = MonotonicClock.nowNanoseconds()
                    // One frame per message: a multipart message is refused whole.
                    if frame.more {
                        while let rest = try? socket.receiveFrame(wait: true), rest.more {}
                        tally.rejected.add(1, ordering: .relaxed)
                        continue
                    }
                    guard let user = frame.userID, let index = names.firstIndex(of: user) else {
                        tally.rejected.add(1, ordering: .relaxed)
                        continue
                    }
                    let decoded = frame.bytes.withUnsafeBytes { raw in
                        Result { () throws(RemoteOperatorMessage.DecodeError) in try RemoteOperatorMessage.decode(raw) }
                    }
                    guard case .success(let message) = decoded, message.count == actionCount else {
                        tally.rejected.add(1, ordering: .relaxed)
                        continue
                    }
                    // A station silent for longer than the timeout may have restarted its count.
                    if let previous = lastSequence[index], now &- lastArrival[index] <= restartNanoseconds,
                       !RemoteOperatorMessage.isNewer(message.sequence, than: previous) {
                        tally.stale.add(1, ordering: .relaxed)
                        continue
                    }
                    lastSequence[index] = message.sequence
                    lastArrival[index] = now
                    var command = OperatorCommand()
                    for i in 0..<message.count { command[i] = message.values[i] }
                    command.count = UInt8(message.count)
                    command.mode = message.mode == .offset ? .offset : .absolute
                    command.buttons = OperatorButtons(rawValue: message.buttons)
                    command.timestamp = now
                    command.operatorIndex = UInt8(index)
                    channel.publish(command)
                    tally.accepted.add(1, ordering: .relaxed)
                }
            }
        }
    }

    public func poll(_ view: OperatorView, into command: inout OperatorCommand) -> Bool {
        channel.latest(into: &command)
    }

    public func stop() {
        stopping.set()
        thread?.join()
        thread = nil
        socket?.close()
        socket = nil
        authenticator?.stop()
        authenticator = nil
        context = nil
    }

    deinit { stop() }
}
