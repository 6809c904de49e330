import CZMQ

/// One event libzmq's socket monitor reports about a socket's connections.
public struct ZMQSocketEvent: Sendable, Equatable {
    /// The ZMQ_EVENT_* numbers of zmq.h (libzmq ≥ 4.3 for the handshake events).
    public struct Kind: OptionSet, Sendable, Hashable {
        public var rawValue: UInt16
        public init(rawValue: UInt16) { self.rawValue = rawValue }

        public static let connected = Kind(rawValue: 0x0001)
        public static let connectDelayed = Kind(rawValue: 0x0002)
        public static let connectRetried = Kind(rawValue: 0x0004)
        public static let disconnected = Kind(rawValue: 0x0200)
        public static let monitorStopped = Kind(rawValue: 0x0400)
        /// The peer closed the connection during the handshake (value: errno). A CURVE client sees
        /// this when the server cannot read its HELLO, e.g. because it was encrypted to the wrong
        /// server key.
        public static let handshakeFailedNoDetail = Kind(rawValue: 0x0800)
        public static let handshakeSucceeded = Kind(rawValue: 0x1000)
        /// The handshake broke a ZMTP rule (value: a ZMQ_PROTOCOL_ERROR_* code).
        public static let handshakeFailedProtocol = Kind(rawValue: 0x2000)
        /// The server's ZAP handler refused this client (value: the ZAP status code, e.g. 400).
        public static let handshakeFailedAuth = Kind(rawValue: 0x4000)
    }

    /// ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC: a CURVE box did not open.
    public static let protocolErrorCryptographic: UInt32 = 0x1100_0001
    /// ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH: one side uses CURVE, the other does not.
    public static let protocolErrorMechanismMismatch: UInt32 = 0x1100_0002

    public var kind: Kind
    /// errno, ZAP status code or protocol error code, depending on `kind`.
    public var value: UInt32
    public var endpoint: String
}

/// Watches one socket's connection events through libzmq's socket monitor (an inproc PAIR in the
/// socket's context). For diagnosing a connection (which side refused what), not for the tick:
/// stop it once the connection is established.
public final class ZMQSocketMonitor: @unchecked Sendable {
    private let watched: ZMQSocket
    private let pair: ZMQSocket
    private var stopped = false

    /// Starts monitoring `socket` for `events`. Call before `connect` to see every event.
    public init(_ socket: ZMQSocket, events: ZMQSocketEvent.Kind) throws(ZMQError) {
        let handle = try socket.socket("zmq_socket_monitor")
        let endpoint = "inproc://reins.monitor.\(UInt(bitPattern: handle))"
        guard zmq_socket_monitor(handle, endpoint, Int32(events.rawValue)) == 0 else { throw ZMQError("zmq_socket_monitor") }
        watched = socket
        pair = try ZMQSocket(socket.context, type: .pair)
        try pair.connect(endpoint)
    }

    deinit { stop() }

    /// The next event waiting, or nil.
    public func next() -> ZMQSocketEvent? {
        guard !stopped, let first = try? pair.receiveFrame(wait: false) else { return nil }
        // Frame 1: u16 event and u32 value in host byte order; frame 2: the endpoint.
        let endpoint = first.more ? (try? pair.receiveFrame(wait: true)).map { String(decoding: $0.bytes, as: UTF8.self) } ?? "" : ""
        guard first.bytes.count >= 6 else { return nil }
        let kind = first.bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 0, as: UInt16.self) }
        let value = first.bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 2, as: UInt32.self) }
        return ZMQSocketEvent(kind: ZMQSocketEvent.Kind(rawValue: kind), value: value, endpoint: endpoint)
    }

    /// Every event waiting.
    public func drain() -> [ZMQSocketEvent] {
        var events: [ZMQSocketEvent] = []
        while let event = next() { events.append(event) }
        return events
    }

    /// Ends monitoring; the watched socket carries on.
    public func stop() {
        guard !stopped else { return }
        stopped = true
        if let handle = try? watched.socket("zmq_socket_monitor") { zmq_socket_monitor(handle, nil, 0) }
        pair.close()
    }
}
