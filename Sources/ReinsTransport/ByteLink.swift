import ReinsCore

/// Why a read or write on an open link failed. Small and allocation-free, because drivers meet it
/// inside the control tick; the human-readable text is built outside the tick from `description`.
public enum LinkError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The device or peer went away (USB unplugged, pty closed, TCP peer closed the connection).
    case disconnected
    /// A write could not complete before its deadline (the device stopped draining its input).
    case writeTimedOut
    /// The link was used after `close()`.
    case closed
    /// Any other operating-system error, with errno; a broken network connection is one
    /// (ECONNRESET, EPIPE, ETIMEDOUT), so its cause reaches the message.
    case system(code: Int32)

    public var description: String {
        switch self {
        case .disconnected: return "disconnected"
        case .writeTimedOut: return "write did not complete before the deadline"
        case .closed: return "link is closed"
        case .system(let code): return SystemError("use", path: "", code: code).reason
        }
    }
}

extension DeviceError {
    /// A link that could not be opened, named before the problem:
    /// `cannot open /dev/ttyUSB0: no such device; is it plugged in? ...`.
    public static func cannotOpen(_ device: String, problem: String, suggestion: String? = nil) -> DeviceError {
        DeviceError(device: device, problem: problem, suggestion: suggestion, failedAction: "cannot open")
    }
}

/// Bytes to and from one device, knowing nothing about protocols.
///
/// Deadlines are absolute CLOCK_MONOTONIC nanoseconds (see `MonotonicClock`), so a control tick
/// passes its own `nextDeadline` and no call can hold the tick past it.
public protocol ByteLink: AnyObject {
    /// The device, address or endpoint, for messages.
    var name: String { get }

    /// Writes every byte, waiting for the device to accept them until `deadline`.
    func write(_ bytes: UnsafeRawBufferPointer, deadline: UInt64) throws(LinkError)

    /// Reads what is available into `buffer`, waiting until `deadline` for the first byte.
    /// Returns 0 when nothing arrived in time. Datagram links return one datagram per call.
    func read(into buffer: UnsafeMutableRawBufferPointer, deadline: UInt64) throws(LinkError) -> Int

    /// Drops bytes received but not yet read (stale replies before a new request).
    func discardInput()

    func close()
}

extension ByteLink {
    /// Convenience for non-real-time code and tests.
    public func write(_ bytes: [UInt8], deadline: UInt64) throws(LinkError) {
        try bytes.withUnsafeBytes { raw in
            Result { () throws(LinkError) in try write(raw, deadline: deadline) }
        }.get()
    }

    /// Reads until `count` bytes arrived or the deadline passed; for tests and set-up code.
    public func read(count: Int, deadline: UInt64) throws(LinkError) -> [UInt8] {
        var collected: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: max(count, 1))
        while collected.count < count {
            let wanted = count - collected.count
            let n = try chunk.withUnsafeMutableBytes { raw in
                Result { () throws(LinkError) in
                    try read(into: UnsafeMutableRawBufferPointer(rebasing: raw[0..<wanted]), deadline: deadline)
                }
            }.get()
            if n == 0 { break }
            collected.append(contentsOf: chunk[0..<n])
        }
        return collected
    }
}
