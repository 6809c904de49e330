import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A plain POSIX thread running a closure: what the control loop, simulators and the ZAP handler
/// run on (Swift concurrency's cooperative pool is no place for a loop that must never yield late).
public final class PosixThread: @unchecked Sendable {
    private var handle: pthread_t?
    private let body: () -> Void

    /// Starts `body` on a new thread.
    public init(_ body: @escaping () -> Void) {
        self.body = body
        var thread = pthread_t()
        let unmanaged = Unmanaged.passRetained(self)
        let result = pthread_create(&thread, nil, { raw in
            let box = Unmanaged<PosixThread>.fromOpaque(raw!).takeRetainedValue()
            box.body()
            return nil
        }, unmanaged.toOpaque())
        precondition(result == 0, "pthread_create failed: \(result)")
        handle = thread
    }

    /// Waits for the thread to finish (once; later calls return at once).
    public func join() {
        if let handle { pthread_join(handle, nil) }
        handle = nil
    }

    /// Lets the thread finish on its own; it may not be joined afterwards.
    public func detach() {
        if let handle { pthread_detach(handle) }
        handle = nil
    }
}

/// A flag set once from any thread.
public final class AtomicFlag: Sendable {
    private let value = Atomic<Bool>(false)
    public init() {}
    public func set() { value.store(true, ordering: .releasing) }
    public var isSet: Bool { value.load(ordering: .acquiring) }
}
