import CPlatform
import CZMQ
import ReinsCore

/// The ZeroMQ patterns Reins uses.
public enum ZMQSocketType: Int32, Sendable {
    case pair = 0
    case publish = 1
    case subscribe = 2
    case request = 3
    case reply = 4
    case dealer = 5
    case router = 6
    case pull = 7
    case push = 8
}

/// One received frame with its metadata.
public struct ZMQFrame: Sendable, Equatable {
    public var bytes: [UInt8]
    /// More frames of the same multipart message follow.
    public var more: Bool
    /// For messages on a CURVE socket authenticated by a ZAP handler: the name the handler gave
    /// the client's key (libzmq's "User-Id" property).
    public var userID: String?
}

/// A libzmq socket. Not thread-safe (libzmq sockets never are): use each from one thread.
public final class ZMQSocket: @unchecked Sendable {
    public let type: ZMQSocketType
    private var handle: UnsafeMutableRawPointer?
    // Keeps the context alive as long as the socket.
    let context: ZMQContext

    public init(_ context: ZMQContext, type: ZMQSocketType) throws(ZMQError) {
        guard let socket = zmq_socket(context.handle, type.rawValue) else { throw ZMQError("zmq_socket") }
        self.context = context
        self.type = type
        self.handle = socket
        // Never let unsent messages hold up shutdown: a robot link that is gone is gone.
        try setOption(ZMQSocket.linger, 0)
    }

    deinit { close() }

    public func close() {
        if let handle { zmq_close(handle) }
        handle = nil
    }

    func socket(_ operation: String) throws(ZMQError) -> UnsafeMutableRawPointer {
        guard let handle else { throw ZMQError(operation, code: ENOTSOCK) }
        return handle
    }

    // MARK: Options

    static let routingID: Int32 = 5
    static let subscribeOption: Int32 = 6
    static let receiveMore: Int32 = 13
    static let fileDescriptor: Int32 = 14
    static let events: Int32 = 15
    static let linger: Int32 = 17
    static let sendHighWaterMark: Int32 = 23
    static let receiveHighWaterMark: Int32 = 24
    static let lastEndpoint: Int32 = 32
    static let immediate: Int32 = 39
    static let curveServer: Int32 = 47
    static let curvePublicKey: Int32 = 48
    static let curveSecretKey: Int32 = 49
    static let curveServerKey: Int32 = 50
    static let conflateOption: Int32 = 54
    static let zapDomain: Int32 = 55
    /// ZMQ_ZAP_ENFORCE_DOMAIN is behind ZMQ_BUILD_DRAFT_API in zmq.h; the number is stable.
    static let zapEnforceDomain: Int32 = 93

    public func setOption(_ option: Int32, _ value: Int32) throws(ZMQError) {
        var v = value
        guard zmq_setsockopt(try socket("zmq_setsockopt"), option, &v, MemoryLayout<Int32>.size) == 0 else {
            throw ZMQError("zmq_setsockopt(\(option))")
        }
    }

    public func setOption(_ option: Int32, bytes: [UInt8]) throws(ZMQError) {
        let handle = try socket("zmq_setsockopt")
        let status = bytes.withUnsafeBytes { zmq_setsockopt(handle, option, $0.baseAddress, $0.count) }
        guard status == 0 else { throw ZMQError("zmq_setsockopt(\(option))") }
    }

    public func setOption(_ option: Int32, string: String) throws(ZMQError) {
        try setOption(option, bytes: Array(string.utf8))
    }

    func intOption(_ option: Int32) throws(ZMQError) -> Int32 {
        var value: Int32 = 0
        var size = MemoryLayout<Int32>.size
        guard zmq_getsockopt(try socket("zmq_getsockopt"), option, &value, &size) == 0 else { throw ZMQError("zmq_getsockopt(\(option))") }
        return value
    }

    /// Keep only the newest message (latest-value streams such as robot state). Single-part only.
    public func setConflate(_ on: Bool) throws(ZMQError) { try setOption(ZMQSocket.conflateOption, on ? 1 : 0) }

    public func setHighWaterMarks(send: Int32, receive: Int32) throws(ZMQError) {
        try setOption(ZMQSocket.sendHighWaterMark, send)
        try setOption(ZMQSocket.receiveHighWaterMark, receive)
    }

    /// Queue messages only to completed connections (a PUSH to a robot that is not there fails
    /// instead of queueing stale commands).
    public func setImmediate(_ on: Bool) throws(ZMQError) { try setOption(ZMQSocket.immediate, on ? 1 : 0) }

    /// How long `close` may keep sending what is still queued (0, the default here: drop it).
    /// A last message that must arrive, such as an operator's stop, needs a short linger.
    public func setLinger(milliseconds: Int32) throws(ZMQError) { try setOption(ZMQSocket.linger, milliseconds) }

    public func subscribe(_ prefix: [UInt8] = []) throws(ZMQError) { try setOption(ZMQSocket.subscribeOption, bytes: prefix) }

    public func setRoutingID(_ id: [UInt8]) throws(ZMQError) { try setOption(ZMQSocket.routingID, bytes: id) }

    // MARK: Endpoints

    public func bind(_ endpoint: String) throws(ZMQError) {
        guard zmq_bind(try socket("zmq_bind"), endpoint) == 0 else { throw ZMQError("bind \(endpoint)") }
    }

    public func connect(_ endpoint: String) throws(ZMQError) {
        guard zmq_connect(try socket("zmq_connect"), endpoint) == 0 else { throw ZMQError("connect \(endpoint)") }
    }

    /// The endpoint actually bound (resolves `tcp://127.0.0.1:*` to the chosen port).
    public var lastEndpoint: String {
        guard let handle else { return "" }
        var buffer = [CChar](repeating: 0, count: 256)
        var size = buffer.count
        guard zmq_getsockopt(handle, ZMQSocket.lastEndpoint, &buffer, &size) == 0 else { return "" }
        return String(nulTerminated: buffer)
    }

    // MARK: Sending

    /// Sends one frame. Returns false if it would block and `wait` is false.
    @discardableResult
    public func send(_ bytes: UnsafeRawBufferPointer, more: Bool = false, wait: Bool = true) throws(ZMQError) -> Bool {
        let handle = try socket("zmq_send")
        let flags = (more ? 2 : 0) | (wait ? 0 : 1)
        while true {
            if zmq_send(handle, bytes.baseAddress, bytes.count, Int32(flags)) >= 0 { return true }
            let code = zmq_errno()
            if code == EINTR { continue }
            if code == EAGAIN { return false }
            throw ZMQError("zmq_send", code: code)
        }
    }

    @discardableResult
    public func send(_ bytes: [UInt8], more: Bool = false, wait: Bool = true) throws(ZMQError) -> Bool {
        try bytes.withUnsafeBytes { raw in
            Result { () throws(ZMQError) in try send(raw, more: more, wait: wait) }
        }.get()
    }

    /// Sends a multipart message.
    public func send(parts: [[UInt8]]) throws(ZMQError) {
        for (index, part) in parts.enumerated() {
            try send(part, more: index < parts.count - 1)
        }
    }

    // MARK: Receiving

    /// Receives one frame into a preallocated buffer without allocating. Returns the frame's full
    /// size (larger than the buffer means it was truncated) or nil when nothing is waiting and
    /// `wait` is false.
    public func receive(into buffer: UnsafeMutableRawBufferPointer, wait: Bool = true) throws(ZMQError) -> Int? {
        let handle = try socket("zmq_recv")
        while true {
            let n = zmq_recv(handle, buffer.baseAddress, buffer.count, wait ? 0 : 1)
            if n >= 0 { return Int(n) }
            let code = zmq_errno()
            if code == EINTR { continue }
            if code == EAGAIN { return nil }
            throw ZMQError("zmq_recv", code: code)
        }
    }

    /// Receives one frame with its metadata (allocates; for non-real-time code).
    public func receiveFrame(wait: Bool = true) throws(ZMQError) -> ZMQFrame? {
        let handle = try socket("zmq_msg_recv")
        var message = zmq_msg_t()
        zmq_msg_init(&message)
        defer { zmq_msg_close(&message) }
        while true {
            if zmq_msg_recv(&message, handle, wait ? 0 : 1) >= 0 { break }
            let code = zmq_errno()
            if code == EINTR { continue }
            if code == EAGAIN { return nil }
            throw ZMQError("zmq_msg_recv", code: code)
        }
        let size = zmq_msg_size(&message)
        let bytes = size == 0 ? [] : Array(UnsafeRawBufferPointer(start: zmq_msg_data(&message), count: size))
        let more = zmq_msg_more(&message) != 0
        let userID = zmq_msg_gets(&message, "User-Id").map { String(cString: $0) }
        return ZMQFrame(bytes: bytes, more: more, userID: userID)
    }

    /// Receives every frame of one multipart message.
    public func receiveMultipart(wait: Bool = true) throws(ZMQError) -> [ZMQFrame]? {
        guard let first = try receiveFrame(wait: wait) else { return nil }
        var frames = [first]
        while frames.last!.more, let next = try receiveFrame(wait: true) {
            frames.append(next)
        }
        return frames
    }

    /// After `receive(into:)`: whether more frames of the same message follow.
    public var hasMore: Bool { (try? intOption(ZMQSocket.receiveMore)) == 1 }

    // MARK: Waiting with a deadline

    /// Waits until a message can be received or the absolute CLOCK_MONOTONIC deadline passes,
    /// with nanosecond resolution: libzmq's own poll counts in milliseconds, too coarse for a
    /// 1 kHz tick, so this polls the socket's notification descriptor directly.
    public func waitReadable(deadline: UInt64) throws(ZMQError) -> Bool {
        let handle = try socket("zmq_poll")
        var fd: Int32 = 0
        var size = MemoryLayout<Int32>.size
        guard zmq_getsockopt(handle, ZMQSocket.fileDescriptor, &fd, &size) == 0 else { throw ZMQError("ZMQ_FD") }
        while true {
            // ZMQ_FD is edge-triggered: always ask libzmq first, then sleep on the descriptor.
            if try intOption(ZMQSocket.events) & 1 != 0 { return true }
            let now = MonotonicClock.nowNanoseconds()
            if now >= deadline { return false }
            var revents: Int16 = 0
            _ = reins_poll_one(fd, 1, &revents, Int64(deadline - now))
        }
    }

    /// Polls several sockets for input; returns the indices that are readable.
    public static func poll(_ sockets: [ZMQSocket], timeoutMilliseconds: Int) throws(ZMQError) -> [Int] {
        var items = sockets.map { zmq_pollitem_t(socket: $0.handle, fd: 0, events: 1, revents: 0) }
        let count = zmq_poll(&items, Int32(items.count), timeoutMilliseconds)
        guard count >= 0 else { throw ZMQError("zmq_poll") }
        return items.indices.filter { items[$0].revents & 1 != 0 }
    }
}
