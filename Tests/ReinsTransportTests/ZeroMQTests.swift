import ReinsCore
import ReinsTestSupport
import ReinsTransport
import Testing

#if canImport(Glibc)
import Glibc
#endif

private func soon(_ seconds: Double = 1) -> UInt64 {
    MonotonicClock.nowNanoseconds() + UInt64(seconds * 1e9)
}

@Suite struct ZeroMQPatternTests {
    @Test func pairRoundTripOverInprocAndTCP() throws {
        let context = ZMQContext()
        for endpoint in ["inproc://pair-test", "tcp://127.0.0.1:*"] {
            let server = try ZMQSocket(context, type: .pair)
            try server.bind(endpoint)
            let client = try ZMQSocket(context, type: .pair)
            try client.connect(server.lastEndpoint)
            try client.send([1, 2, 3])
            #expect(try server.waitReadable(deadline: soon()))
            #expect(try server.receiveFrame()?.bytes == [1, 2, 3])
        }
    }

    @Test func receiveIntoAPreallocatedBufferReportsTruncation() throws {
        let context = ZMQContext()
        let a = try ZMQSocket(context, type: .pair), b = try ZMQSocket(context, type: .pair)
        try a.bind("inproc://truncation")
        try b.connect("inproc://truncation")
        try a.send(Array(0..<100))
        var buffer = [UInt8](repeating: 0, count: 10)
        let size = try buffer.withUnsafeMutableBytes { try b.receive(into: $0) }
        #expect(size == 100)
        #expect(buffer == Array(0..<10))
        #expect(try buffer.withUnsafeMutableBytes { try b.receive(into: $0, wait: false) } == nil)
    }

    @Test func conflatedSubscriberSeesOnlyTheLatestState() throws {
        let context = ZMQContext()
        let publisher = try ZMQSocket(context, type: .publish)
        try publisher.bind("inproc://state")
        let subscriber = try ZMQSocket(context, type: .subscribe)
        try subscriber.setConflate(true)
        try subscriber.subscribe()
        try subscriber.connect("inproc://state")
        usleep(50_000)  // PUB drops messages until the subscription has arrived
        for value in UInt8(0)..<50 { try publisher.send([value]) }
        #expect(try subscriber.waitReadable(deadline: soon()))
        usleep(20_000)
        #expect(try subscriber.receiveFrame()?.bytes == [49])
        #expect(try subscriber.receiveFrame(wait: false) == nil)
    }

    @Test func pushPullAndDealerRouterCarryMultipartMessages() throws {
        let context = ZMQContext()
        let push = try ZMQSocket(context, type: .push), pull = try ZMQSocket(context, type: .pull)
        try pull.bind("inproc://pipeline")
        try push.connect("inproc://pipeline")
        try push.send(parts: [[1], [2, 2]])
        let parts = try #require(try pull.receiveMultipart())
        #expect(parts.map(\.bytes) == [[1], [2, 2]])

        let router = try ZMQSocket(context, type: .router), dealer = try ZMQSocket(context, type: .dealer)
        try router.bind("inproc://routed")
        try dealer.setRoutingID(Array("arm-1".utf8))
        try dealer.connect("inproc://routed")
        try dealer.send(parts: [Array("state".utf8)])
        let received = try #require(try router.receiveMultipart())
        #expect(received.map(\.bytes) == [Array("arm-1".utf8), Array("state".utf8)])
        try router.send(parts: [Array("arm-1".utf8), Array("goal".utf8)])
        #expect(try dealer.receiveFrame()?.bytes == Array("goal".utf8))
    }

    @Test func waitReadableHonoursTheDeadlineWhenNothingArrives() throws {
        let context = ZMQContext()
        let socket = try ZMQSocket(context, type: .pull)
        try socket.bind("inproc://quiet")
        let start = MonotonicClock.nowNanoseconds()
        #expect(try socket.waitReadable(deadline: start + 15_000_000) == false)
        let waited = MonotonicClock.nowNanoseconds() - start
        #expect(waited >= 15_000_000 && waited < 1_000_000_000)
        #expect(try ZMQSocket.poll([socket], timeoutMilliseconds: 5).isEmpty)
    }
}

@Suite(.serialized) struct CurveAuthenticationTests {
    struct Setup {
        let context = ZMQContext()
        let serverKeys: CurveKeyPair
        let operatorKeys: CurveKeyPair
        let server: ZMQSocket
        let endpoint: String
        let authenticator: ZAPAuthenticator?

        init(withHandler: Bool = true) throws {
            serverKeys = try CurveKeyPair.generate()
            operatorKeys = try CurveKeyPair.generate()
            authenticator = withHandler
                ? try ZAPAuthenticator(context: context, allowed: [.init(name: "operator-1", publicKey: operatorKeys.publicKey)])
                : nil
            server = try ZMQSocket(context, type: .pull)
            try server.makeCurveServer(secretKey: serverKeys.secretKey!)
            try server.bind("tcp://127.0.0.1:*")
            endpoint = server.lastEndpoint
        }

        func client(keys: CurveKeyPair?) throws -> ZMQSocket {
            let client = try ZMQSocket(context, type: .push)
            if let keys { try client.makeCurveClient(serverPublicKey: serverKeys.publicKey, keys: keys) }
            try client.connect(endpoint)
            return client
        }
    }

    @Test func allowListedClientIsAcceptedAndNamed() throws {
        let setup = try Setup()
        let client = try setup.client(keys: setup.operatorKeys)
        try client.send(Array("take over".utf8))
        #expect(try setup.server.waitReadable(deadline: soon(3)))
        let frame = try #require(try setup.server.receiveFrame())
        #expect(frame.bytes == Array("take over".utf8))
        #expect(frame.userID == "operator-1")
        #expect(setup.authenticator?.decisions.last?.accepted == true)
    }

    @Test func unknownKeyIsRefused() throws {
        let setup = try Setup()
        let stranger = try setup.client(keys: try CurveKeyPair.generate())
        try stranger.send([1], wait: false)
        #expect(try setup.server.waitReadable(deadline: soon(0.5)) == false)
        #expect(setup.authenticator?.decisions.contains { !$0.accepted && $0.mechanism == "CURVE" } == true)
    }

    @Test func clientWithoutKeysIsRefused() throws {
        let setup = try Setup()
        let plain = try setup.client(keys: nil)
        try plain.send([1], wait: false)
        #expect(try setup.server.waitReadable(deadline: soon(0.5)) == false)
    }

    @Test func serverWithoutAHandlerRefusesEveryone() throws {
        // Without ZAP_ENFORCE_DOMAIN this client would get through: CURVE alone encrypts but does
        // not authenticate.
        let setup = try Setup(withHandler: false)
        let client = try setup.client(keys: setup.operatorKeys)
        try client.send([1], wait: false)
        #expect(try setup.server.waitReadable(deadline: soon(0.5)) == false)
    }

    @Test func certificatesRoundTripAndBadFilesAreExplained() throws {
        let folder = TemporaryDirectory()
        let pair = try CurveKeyPair.generate()
        let files = try CurveCertificate.write(pair, name: "op", directory: folder.path)
        #expect(try CurveCertificate.read(files.secretFile) == pair)
        #expect(try CurveCertificate.read(files.publicFile) == CurveKeyPair(publicKey: pair.publicKey, secretKey: nil))
        var info = stat()
        stat(files.secretFile, &info)
        #expect(info.st_mode & 0o777 == 0o600)
        let allowList = try ZAPAuthenticator.allowList(fromFiles: [files.publicFile])
        #expect(allowList == [.init(name: "op", publicKey: pair.publicKey)])
        let bad = folder.write("bad.key", "curve\n    public-key = \"short\"\n")
        #expect(throws: CurveCertificate.Error.self) { try CurveCertificate.read(bad) }
        do { _ = try CurveCertificate.read(bad) } catch {
            #expect(error.description == "\(bad): line 2: `public-key` is not a 40-character Z85 key")
        }
    }
}
