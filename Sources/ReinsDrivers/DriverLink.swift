import ReinsConfig
import ReinsCore
import ReinsTransport

extension LinkSpec {
    /// Opens the byte link a driver speaks over. A failure reads like every other driver error, device
    /// first (`/dev/ttyUSB0: no such device; ...`): whoever called `connect` already says it could not.
    func openDriverLink() throws(DeviceError) -> any ByteLink {
        do {
            return try openByteLink()
        } catch {
            var failure = error
            failure.failedAction = nil
            throw failure
        }
    }
}

extension LinkSpec {
    /// A link's failure in words: who hung up, or the errno's text, naming a TCP bridge's address.
    func failureText(_ failure: LinkError) -> String {
        switch (failure, self) {
        case (.disconnected, .tcp(let host, let port)): return "\(host):\(port) closed the connection"
        case (.system, .tcp(let host, let port)): return "connection to \(host):\(port): \(failure)"
        default: return "\(failure)"
        }
    }

    /// What to check when this link fails.
    var failureSuggestion: String {
        switch self {
        case .tcp: return "check that a serial bridge (ser2net, socat, ESP-Link) listens at that address and that its serial side is the servo bus"
        case .serial: return "check the USB cable and adapter (`reins ports` lists the serial ports present)"
        default: return "check that the device is still there"
        }
    }
}
