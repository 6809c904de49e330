import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Ctrl-C and SIGTERM as a flag: the handler only sets an atomic (async-signal-safe), and the
/// program polls it from an ordinary thread to stop cleanly (safe stop, close the recording).
public enum StopSignal {
    private static let raised = Atomic<Int32>(0)

    /// Installs handlers for SIGINT and SIGTERM. A second Ctrl-C while stopping exits at once.
    public static func install() {
        let handler: @convention(c) (Int32) -> Void = { signal in
            if StopSignal.raised.exchange(signal, ordering: .relaxed) != 0 && signal == SIGINT {
                _exit(130)
            }
        }
        signal(SIGINT, handler)
        signal(SIGTERM, handler)
    }

    /// The signal received, or nil.
    public static var received: Int32? {
        let value = raised.load(ordering: .relaxed)
        return value == 0 ? nil : value
    }

    /// Sleeps until a signal arrives or `seconds` pass; returns true if a signal arrived.
    public static func wait(seconds: Double) -> Bool {
        let end = MonotonicClock.nowNanoseconds() &+ UInt64(max(0, seconds) * 1e9)
        while received == nil {
            let now = MonotonicClock.nowNanoseconds()
            if now >= end { return false }
            MonotonicClock.sleep(untilNanoseconds: min(end, now + 20_000_000))
        }
        return true
    }
}
