import CZMQ

/// A libzmq context: the I/O threads and the inproc namespace sockets share.
public final class ZMQContext: @unchecked Sendable {
    let handle: UnsafeMutableRawPointer

    public init() {
        handle = zmq_ctx_new()
    }

    deinit {
        // Blocks until every socket of the context is closed; sockets use LINGER 0 so this is quick.
        while zmq_ctx_term(handle) != 0 && zmq_errno() == EINTR {}
    }

    /// libzmq's version, e.g. "4.3.4".
    public static var libraryVersion: String {
        var major: Int32 = 0, minor: Int32 = 0, patch: Int32 = 0
        zmq_version(&major, &minor, &patch)
        return "\(major).\(minor).\(patch)"
    }

    /// Whether this libzmq was built with CURVE (libsodium).
    public static var hasCurve: Bool { zmq_has("curve") != 0 }
}
