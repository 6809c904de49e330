import ReinsConfig
import Testing

@Suite struct LinkSpecTests {
    @Test func parsesEveryLinkForm() throws {
        #expect(try LinkSpec.parse("sim") == .sim)
        #expect(try LinkSpec.parse("serial:/dev/ttyUSB0", baud: 1_000_000) == .serial(path: "/dev/ttyUSB0", baud: 1_000_000, flowControl: .none))
        #expect(try LinkSpec.parse("/dev/ttyACM0", baud: 57600, flowControl: .rtscts) == .serial(path: "/dev/ttyACM0", baud: 57600, flowControl: .rtscts))
        #expect(try LinkSpec.parse("pty:/tmp/arm") == .pty(path: "/tmp/arm"))
        #expect(try LinkSpec.parse("udpin:0.0.0.0:14540") == .udpListen(host: "0.0.0.0", port: 14540))
        #expect(try LinkSpec.parse("udp::14540") == .udpListen(host: "0.0.0.0", port: 14540))
        #expect(try LinkSpec.parse("udpout:127.0.0.1:14580") == .udpSend(host: "127.0.0.1", port: 14580))
        #expect(try LinkSpec.parse("tcp:[::1]:2000") == .tcp(host: "::1", port: 2000))
        #expect(try LinkSpec.parse("zmq:tcp://127.0.0.1:5555") == .zmq(endpoint: "tcp://127.0.0.1:5555"))
    }

    @Test func badLinksExplainTheFix() {
        #expect(throws: LinkSpec.ParseError.self) { try LinkSpec.parse("serial:/dev/ttyUSB0") }
        do {
            _ = try LinkSpec.parse("udpim:0.0.0.0:14540")
            Issue.record("expected an error")
        } catch {
            #expect(error.problem == "unknown link kind `udpim`")
            #expect(error.suggestion.hasPrefix("did you mean `udpin`?"))
        }
        do {
            _ = try LinkSpec.parse("tcp:localhost:99999")
            Issue.record("expected an error")
        } catch {
            #expect(error.problem == "`99999` is not a port number")
        }
        #expect(throws: LinkSpec.ParseError.self) { try LinkSpec.parse("zmq:127.0.0.1:5555") }
    }
}
