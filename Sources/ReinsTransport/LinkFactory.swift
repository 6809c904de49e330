import ReinsConfig
import ReinsCore

extension LinkSpec {
    /// Opens the byte link this spec describes. `sim` and `zmq:` are not byte links: the runtime
    /// starts a simulator or a ZeroMQ driver for those.
    public func openByteLink() throws(DeviceError) -> any ByteLink {
        switch self {
        case .serial(let path, let baud, let flow):
            return try SerialLink(path: path, baud: baud, flowControl: flow)
        case .pty(let path):
            return try TerminalLink(path: path)
        case .udpListen(let host, let port):
            return try UDPLink.listen(host: host, port: port)
        case .udpSend(let host, let port):
            return try UDPLink.send(host: host, port: port)
        case .tcp(let host, let port):
            return try TCPLink(host: host, port: port)
        case .sim, .zmq:
            throw DeviceError.cannotOpen(description, problem: "not a byte link",
                                         suggestion: "the runtime starts the simulator or ZeroMQ driver for this link itself")
        }
    }
}
