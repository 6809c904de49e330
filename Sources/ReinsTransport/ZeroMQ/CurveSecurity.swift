import CZMQ

extension ZMQSocket {
    /// ZAP domain Reins servers authenticate in.
    public static let reinsZAPDomain = "reins"

    /// Makes this socket a CURVE server that only accepts clients a ZAP handler approves.
    ///
    /// Fails closed: without ZAP_ENFORCE_DOMAIN a CURVE server with no ZAP handler accepts every
    /// client key (encrypted, but not authenticated). With it, a missing handler refuses everyone.
    /// Call before `bind`.
    public func makeCurveServer(secretKey: String) throws(ZMQError) {
        try setOption(ZMQSocket.curveServer, 1)
        try setOption(ZMQSocket.curveSecretKey, string: secretKey)
        try setOption(ZMQSocket.zapDomain, string: ZMQSocket.reinsZAPDomain)
        try setOption(ZMQSocket.zapEnforceDomain, 1)
    }

    /// Makes this socket a CURVE client of the server with `serverPublicKey`. Call before `connect`.
    public func makeCurveClient(serverPublicKey: String, keys: CurveKeyPair) throws(ZMQError) {
        guard let secret = keys.secretKey else { throw ZMQError("CURVE client needs a secret key", code: EINVAL) }
        try setOption(ZMQSocket.curveServerKey, string: serverPublicKey)
        try setOption(ZMQSocket.curvePublicKey, string: keys.publicKey)
        try setOption(ZMQSocket.curveSecretKey, string: secret)
    }
}
