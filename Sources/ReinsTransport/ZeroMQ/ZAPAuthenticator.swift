import CZMQ
import ReinsCore
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A ZAP (RFC 27) handler that accepts CURVE clients whose public key is on an allow-list and
/// refuses everyone else. The accepted key's name becomes the message's User-Id, so the
/// application knows which operator sent a command.
///
/// One per context; start it before binding the server socket, as ZAP requires.
public final class ZAPAuthenticator: @unchecked Sendable {
    public struct AllowedKey: Sendable, Equatable {
        public var name: String
        public var publicKey: String

        public init(name: String, publicKey: String) {
            self.name = name
            self.publicKey = publicKey
        }
    }

    /// One authentication decision, for logs and tests.
    public struct Decision: Sendable, Equatable {
        public var accepted: Bool
        public var keyName: String?
        public var publicKey: String?
        public var mechanism: String
        public var address: String
    }

    public static let endpoint = "inproc://zeromq.zap.01"

    private let socket: ZMQSocket
    private let allowed: [[UInt8]: String]
    private let running = Atomic<Bool>(true)
    private let decisionLog = Mutex<[Decision]>([])
    private var thread: PosixThread?

    public init(context: ZMQContext, allowed keys: [AllowedKey]) throws(ZMQError) {
        var table: [[UInt8]: String] = [:]
        for key in keys {
            guard let raw = CurveKeyPair.decode(key.publicKey) else {
                throw ZMQError("allow-list key `\(key.name)` is not a Z85 CURVE public key", code: EINVAL)
            }
            table[raw] = key.name
        }
        allowed = table
        socket = try ZMQSocket(context, type: .reply)
        try socket.bind(ZAPAuthenticator.endpoint)
        thread = PosixThread { [self] in serve() }
    }

    /// Reads the allow-list from public certificate files (`NAME.key`); the name is the file's
    /// base name without `.key`. A folder stands for the `.key` files in it, in name order (the
    /// `allowed_keys_dir` of reins_robot.py and pyzmq's `configure_curve(location=)`).
    public static func allowList(fromFiles paths: [String]) throws(CurveCertificate.Error) -> [AllowedKey] {
        var keys: [AllowedKey] = []
        var files: [String] = []
        for path in paths {
            guard let folder = opendir(path) else {
                files.append(path)
                continue
            }
            var names: [String] = []
            while let entry = readdir(folder) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
                if name.hasSuffix(".key") && !name.hasPrefix(".") { names.append(name) }
            }
            closedir(folder)
            guard !names.isEmpty else {
                throw CurveCertificate.Error(path: path, problem: "the folder holds no NAME.key files; copy each operator's NAME.key (from `reins keys new NAME`) into it")
            }
            files += names.sorted().map { path + "/" + $0 }
        }
        for path in files {
            let pair = try CurveCertificate.read(path)
            var name = FilePath.lastComponent(path)
            for suffix in [".key_secret", ".key"] where name.hasSuffix(suffix) {
                name = String(name.dropLast(suffix.count))
                break
            }
            keys.append(AllowedKey(name: name, publicKey: pair.publicKey))
        }
        return keys
    }

    public var decisions: [Decision] { decisionLog.withLock { $0 } }

    /// Stops the handler thread. Afterwards every new CURVE handshake in this context is refused.
    public func stop() {
        guard running.exchange(false, ordering: .acquiringAndReleasing) else { return }
        thread?.join()
        thread = nil
        socket.close()
    }

    deinit { stop() }

    private func serve() {
        while running.load(ordering: .acquiring) {
            guard let ready = try? ZMQSocket.poll([socket], timeoutMilliseconds: 50), !ready.isEmpty,
                  let frames = try? socket.receiveMultipart(wait: false) else { continue }
            let reply = handle(frames.map(\.bytes))
            try? socket.send(parts: reply)
        }
    }

    private func handle(_ request: [[UInt8]]) -> [[UInt8]] {
        let text: (Int) -> String = { request.indices.contains($0) ? String(decoding: request[$0], as: UTF8.self) : "" }
        let requestID = request.count > 1 ? request[1] : []
        func reply(_ code: String, _ status: String, user: String = "") -> [[UInt8]] {
            [Array("1.0".utf8), requestID, Array(code.utf8), Array(status.utf8), Array(user.utf8), []]
        }
        guard request.count >= 6, text(0) == "1.0" else {
            return reply("500", "malformed ZAP request")
        }
        let mechanism = text(5)
        let address = text(3)
        guard mechanism == "CURVE", request.count >= 7, request[6].count == 32 else {
            record(Decision(accepted: false, keyName: nil, publicKey: nil, mechanism: mechanism, address: address))
            return reply("400", "only CURVE clients with an allow-listed key are accepted")
        }
        let key = request[6]
        guard let name = allowed[key] else {
            record(Decision(accepted: false, keyName: nil, publicKey: CurveKeyPair.encode(key), mechanism: mechanism, address: address))
            return reply("400", "client key is not on the allow-list")
        }
        record(Decision(accepted: true, keyName: name, publicKey: CurveKeyPair.encode(key), mechanism: mechanism, address: address))
        return reply("200", "OK", user: name)
    }

    private func record(_ decision: Decision) {
        decisionLog.withLock { $0.append(decision) }
    }
}
