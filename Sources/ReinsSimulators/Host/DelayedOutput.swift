import ReinsCore

/// Outgoing messages of a simulator, passed through the fault injector: dropped, corrupted or held
/// back and released when their simulated time comes.
public final class DelayedOutput: @unchecked Sendable {
    private var queue: [(due: Double, bytes: [UInt8])] = []
    public var faults: FaultInjector

    public init(faults: FaultInjector) {
        self.faults = faults
    }

    /// Queues a message produced at `time`; returns false if the fault injector dropped it.
    @discardableResult
    public func enqueue(_ bytes: [UInt8], at time: Double) -> Bool {
        if faults.dropMessage() { return false }
        var message = bytes
        message.withUnsafeMutableBytes { faults.corrupt($0) }
        let due = time + faults.delay()
        // Keep order: a message is never sent before one queued earlier.
        let last = queue.last?.due ?? -Double.infinity
        queue.append((max(due, last), message))
        return true
    }

    /// Hands every message due by `time` to `send`, oldest first.
    public func release(upTo time: Double, _ send: ([UInt8]) -> Void) {
        var released = 0
        for entry in queue {
            guard entry.due <= time else { break }
            send(entry.bytes)
            released += 1
        }
        if released > 0 { queue.removeFirst(released) }
    }

    public var pending: Int { queue.count }
}
