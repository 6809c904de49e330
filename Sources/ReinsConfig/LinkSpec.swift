/// Where a robot's bytes travel. Written as one string in a robot description or on the command line:
///
/// | form | meaning |
/// | --- | --- |
/// | `sim` | the built-in simulator for this driver, inside the reins process, over a pty or socket pair |
/// | `serial:/dev/ttyUSB0` | a serial port (baud and flow control from the `baud` and `flow_control` keys) |
/// | `pty:/tmp/reins-arm` | a pseudo-terminal, or a symlink to one (simulators, socat bridges) |
/// | `udpin:0.0.0.0:14540` | listen for UDP datagrams and answer whoever sent the last one (MAVLink) |
/// | `udpout:127.0.0.1:14580` | send UDP datagrams to a fixed peer |
/// | `tcp:192.168.1.20:2000` | a TCP stream (serial-over-network bridges) |
/// | `zmq:tcp://127.0.0.1:5555` | a ZeroMQ endpoint (robots with their own driver process) |
public enum LinkSpec: Sendable, Equatable, CustomStringConvertible {
    case sim
    case serial(path: String, baud: Int, flowControl: FlowControl)
    case pty(path: String)
    case udpListen(host: String, port: UInt16)
    case udpSend(host: String, port: UInt16)
    case tcp(host: String, port: UInt16)
    case zmq(endpoint: String)

    public enum FlowControl: String, CaseIterable, Sendable {
        case none
        case rtscts
        case xonxoff
    }

    public struct ParseError: Error, Sendable, CustomStringConvertible {
        public var problem: String
        public var suggestion: String
        public var description: String { "\(problem); \(suggestion)" }
    }

    static let schemes = ["sim", "serial", "pty", "udpin", "udpout", "tcp", "zmq"]
    static let usage = "write sim, serial:/dev/ttyUSB0, pty:PATH, udpin:HOST:PORT, udpout:HOST:PORT, tcp:HOST:PORT or zmq:tcp://HOST:PORT"

    /// Parses the string form; `baud` and `flowControl` complete a serial link.
    public static func parse(_ text: String, baud: Int? = nil, flowControl: FlowControl = .none) throws(ParseError) -> LinkSpec {
        if text == "sim" { return .sim }
        // A bare device path is what people type first; accept it as serial.
        if text.hasPrefix("/dev/") { return try parse("serial:" + text, baud: baud, flowControl: flowControl) }
        guard let colon = text.firstIndex(of: ":") else {
            throw ParseError(problem: "`\(text)` is not a link", suggestion: usage)
        }
        let scheme = String(text[..<colon])
        let rest = String(text[text.index(after: colon)...])
        switch scheme {
        case "serial":
            guard !rest.isEmpty else { throw ParseError(problem: "serial link without a device", suggestion: "write serial:/dev/ttyUSB0") }
            guard let baud else {
                throw ParseError(problem: "a serial link needs a baud rate", suggestion: "add `baud: 1000000` (or the rate your device uses)")
            }
            return .serial(path: rest, baud: baud, flowControl: flowControl)
        case "pty":
            guard !rest.isEmpty else { throw ParseError(problem: "pty link without a path", suggestion: "write pty:/tmp/reins-arm") }
            return .pty(path: rest)
        case "udpin", "udp":
            let (host, port) = try hostPort(rest, scheme: scheme)
            return .udpListen(host: host, port: port)
        case "udpout":
            let (host, port) = try hostPort(rest, scheme: scheme)
            return .udpSend(host: host, port: port)
        case "tcp":
            let (host, port) = try hostPort(rest, scheme: scheme)
            return .tcp(host: host, port: port)
        case "zmq":
            let transports = ["tcp://", "ipc://", "inproc://"]
            guard transports.contains(where: { rest.hasPrefix($0) }) else {
                throw ParseError(problem: "`\(rest)` is not a ZeroMQ endpoint", suggestion: "write zmq:tcp://127.0.0.1:5555 or zmq:ipc:///tmp/robot")
            }
            return .zmq(endpoint: rest)
        default:
            let near = Spelling.suggestion(for: scheme, in: schemes, noun: "link kinds")
            throw ParseError(problem: "unknown link kind `\(scheme)`", suggestion: near + "; " + usage)
        }
    }

    private static func hostPort(_ text: String, scheme: String) throws(ParseError) -> (String, UInt16) {
        guard let colon = text.lastIndex(of: ":") else {
            throw ParseError(problem: "`\(text)` has no port", suggestion: "write \(scheme):127.0.0.1:14540")
        }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        // Port 0 asks a listener for any free port (the simulator prints the one it got).
        let listening = scheme == "udpin" || scheme == "udp"
        guard let port = UInt16(text[text.index(after: colon)...]), port > 0 || listening else {
            throw ParseError(problem: "`\(text[text.index(after: colon)...])` is not a port number", suggestion: "use a port from 1 to 65535")
        }
        return (host.isEmpty ? "0.0.0.0" : host, port)
    }

    public var description: String {
        switch self {
        case .sim: return "sim"
        case .serial(let path, let baud, let flow): return "serial:\(path) at \(baud) baud" + (flow == .none ? "" : ", \(flow.rawValue)")
        case .pty(let path): return "pty:\(path)"
        case .udpListen(let host, let port): return "udpin:\(host):\(port)"
        case .udpSend(let host, let port): return "udpout:\(host):\(port)"
        case .tcp(let host, let port): return "tcp:\(host):\(port)"
        case .zmq(let endpoint): return "zmq:\(endpoint)"
        }
    }
}
