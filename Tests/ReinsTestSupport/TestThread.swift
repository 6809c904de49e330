#if canImport(Glibc)
import Glibc
#endif

/// A joinable POSIX thread for tests that need a second party running concurrently.
public final class TestThread: @unchecked Sendable {
    private var handle = pthread_t()
    private let body: () -> Void

    public init(_ body: @escaping () -> Void) {
        self.body = body
        let unmanaged = Unmanaged.passRetained(self)
        pthread_create(&handle, nil, { raw in
            let thread = Unmanaged<TestThread>.fromOpaque(raw!).takeRetainedValue()
            thread.body()
            return nil
        }, unmanaged.toOpaque())
    }

    public func join() { pthread_join(handle, nil) }
}
