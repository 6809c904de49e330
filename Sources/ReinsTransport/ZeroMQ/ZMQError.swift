import CZMQ

/// A libzmq failure: the call, errno and libzmq's text.
public struct ZMQError: Error, Sendable, Equatable, CustomStringConvertible {
    public var operation: String
    public var code: Int32

    init(_ operation: String, code: Int32 = zmq_errno()) {
        self.operation = operation
        self.code = code
    }

    public var reason: String { String(cString: zmq_strerror(code)) }
    public var description: String { "\(operation): \(reason)" }
}
