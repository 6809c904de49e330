import Foundation
import ReinsCore
import ReinsTestSupport
import ReinsTransport
import Synchronization
import Testing

/// pyzmq, an independent ZeroMQ implementation binding, as the operator's client.
@Suite(.serialized) struct PyZMQPeerTests {
    @Test func allowListedPyZMQClientTalksAndAStrangerIsRefused() throws {
        let folder = TemporaryDirectory()
        // The operator's keys come from the CLI, so this also checks pyzmq accepts its files.
        let made = runProcess(reinsExecutable, ["keys", "new", "operator-7", "--directory", folder.path])
        #expect(made.status == 0, "\(made.standardError)")

        let context = ZMQContext()
        let serverKeys = try CurveKeyPair.generate()
        let authenticator = try ZAPAuthenticator(
            context: context, allowed: try ZAPAuthenticator.allowList(fromFiles: [folder.file("operator-7.key")]))
        let server = try ZMQSocket(context, type: .router)
        try server.makeCurveServer(secretKey: serverKeys.secretKey!)
        try server.bind("tcp://127.0.0.1:*")
        let endpoint = server.lastEndpoint

        // Answer every request with the authenticated name, on a thread, while Python runs.
        let running = Atomic<Bool>(true)
        let served = Mutex<[String]>([])
        let responder = TestThread {
            while running.load(ordering: .relaxed) {
                guard (try? server.waitReadable(deadline: MonotonicClock.nowNanoseconds() + 50_000_000)) == true,
                      let parts = try? server.receiveMultipart(), parts.count == 2 else { continue }
                let name = parts[1].userID ?? "anonymous"
                served.withLock { $0.append(name) }
                try? server.send(parts: [parts[0].bytes, Array("pong \(name)".utf8)])
            }
        }
        let peer = runProcess("python3", [packageRoot + "/Tests/Peers/zmq_curve_peer.py", endpoint, serverKeys.publicKey, folder.file("operator-7.key_secret")])
        running.store(false, ordering: .relaxed)
        responder.join()
        authenticator.stop()

        #expect(peer.status == 0, "python3 with pyzmq is required (pip install -r Tests/requirements.txt): \(peer.standardError)")
        let result = try #require(try JSONSerialization.jsonObject(with: Data(peer.standardOutput.utf8)) as? [String: Any])
        #expect(result["allowed_reply"] as? String == "pong operator-7")
        #expect(result["stranger_reply"] is NSNull)
        #expect(served.withLock { $0 } == ["operator-7"])
        #expect(authenticator.decisions.contains { !$0.accepted })
    }
}
