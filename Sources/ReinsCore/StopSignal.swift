import CPlatform
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
                // A keyboard operator's terminal gets its mode back even on the way out.
                reins_terminal_restore()
                _exit(130)
            }
        }
        signal(SIGINT, handler)
        signal(SIGTERM, handler)
        // A blocked mask is inherited from whoever started us (a supervisor, a test runner's
        // thread); blocked, the signals would never reach the handler and Ctrl-C would do nothing.
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        sigaddset(&set, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
    }

    /// The signal received, or nil.
    public static var received: Int32? {
        let value = raised.load(ordering: .relaxed)
        return value == 0 ? nil : value
    }

    /// Sleeps until a signal arrives or `seconds` pass (`.infinity`: until a signal); returns true
    /// if a signal arrived.
    public static func wait(seconds: Double) -> Bool {
        // Beyond ~584 years (or NaN, or infinity) there is no deadline: wait for the signal.
        let nanoseconds = seconds * 1e9
        let now = MonotonicClock.nowNanoseconds()
        let end = nanoseconds.isNaN || nanoseconds >= Double(UInt64.max - now) ? UInt64.max : now + UInt64(max(0, nanoseconds))
        while received == nil {
            let now = MonotonicClock.nowNanoseconds()
            if now >= end { return false }
            MonotonicClock.sleep(untilNanoseconds: min(end, now + 20_000_000))
        }
        return true
    }
}
