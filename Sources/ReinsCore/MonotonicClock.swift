#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Nanoseconds on CLOCK_MONOTONIC: the one time base the control loop, drivers and recorder share.
///
/// Monotonic time never jumps when NTP or the user changes the wall clock, so deadlines and watchdog
/// intervals computed from it stay valid for the whole run.
public enum MonotonicClock {
    @inline(__always)
    public static func nowNanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }

    /// A deadline `seconds` from now (negative counts as now).
    @inline(__always)
    public static func deadline(in seconds: Double) -> UInt64 {
        nowNanoseconds() &+ UInt64(max(0, seconds) * 1e9)
    }

    /// Sleeps until an absolute CLOCK_MONOTONIC instant. Restarts after signals, so a Ctrl-C handler
    /// cannot shorten a period; returns early only if the deadline is already past.
    @inline(__always)
    public static func sleep(untilNanoseconds deadline: UInt64) {
        var ts = timespec(tv_sec: Int(deadline / 1_000_000_000), tv_nsec: Int(deadline % 1_000_000_000))
        while clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nil) == EINTR {}
    }
}

/// Wall-clock nanoseconds since the Unix epoch, for timestamps that leave the process (recordings).
public enum WallClock {
    public static func nowNanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }
}
