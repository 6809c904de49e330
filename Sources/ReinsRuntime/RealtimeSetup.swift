import CPlatform
#if canImport(Glibc)
import Glibc
#endif

/// What the loop asked the operating system for, and what it got. Printed plainly so a user knows
/// whether the figures they see were measured with real-time scheduling or without it.
public struct RealtimeReport: Sendable, CustomStringConvertible {
    public var scheduling: String
    public var schedulingObtained: Bool
    public var memoryLocking: String
    public var memoryLocked: Bool
    public var affinity: String
    public var affinityObtained: Bool
    /// Whether `/dev/cpu_dma_latency` is held at 0 for the run, or why not.
    public var cpuIdle: String
    public var cpuIdleLatencyHeld: Bool

    public var description: String {
        "scheduling: \(scheduling); memory: \(memoryLocking); affinity: \(affinity); CPU idle: \(cpuIdle)"
    }
}

/// Real-time requests for the loop thread.
public struct RealtimeRequest: Sendable {
    /// SCHED_FIFO priority (1...99) to try; nil keeps the default time-sharing scheduler.
    public var fifoPriority: Int32?
    /// Lock all current and future pages in RAM so the loop never waits for a page fault.
    public var lockMemory: Bool
    /// CPU to pin the loop thread to; nil leaves it free to migrate.
    public var cpu: Int?
    /// Hold `/dev/cpu_dma_latency` at 0 while the loop runs, so no CPU sleeps in an idle state
    /// whose exit delays the loop's wake-up (see `CPUIdleLatencyHold`).
    public var holdCPUIdleLatency: Bool

    public init(fifoPriority: Int32? = 80, lockMemory: Bool = true, cpu: Int? = nil, holdCPUIdleLatency: Bool = true) {
        self.fifoPriority = fifoPriority
        self.lockMemory = lockMemory
        self.cpu = cpu
        self.holdCPUIdleLatency = holdCPUIdleLatency
    }

    /// Nothing requested: for tests that must not change the process.
    public static let none = RealtimeRequest(fifoPriority: nil, lockMemory: false, cpu: nil, holdCPUIdleLatency: false)
}

enum RealtimeSetup {
    /// Locks memory for the whole process; called once before the loop thread starts.
    static func lockMemory(_ requested: Bool) -> (String, Bool) {
        guard requested else { return ("not requested", false) }
        if mlockall(Int32(MCL_CURRENT | MCL_FUTURE)) == 0 {
            return ("locked (mlockall current and future)", true)
        }
        let reason = String(cString: strerror(errno))
        return ("not locked: mlockall failed (\(reason)); run as root or raise `ulimit -l`", false)
    }

    /// Holds the CPUs' idle-state exit latency at 0 for the process until the hold is released.
    static func holdCPUIdleLatency(_ requested: Bool) -> (CPUIdleLatencyHold?, String, Bool) {
        guard requested else { return (nil, "not requested", false) }
        let (hold, report) = CPUIdleLatencyHold.acquire()
        return (hold, report, hold != nil)
    }

    /// Applies priority and affinity to the calling thread (the loop thread itself).
    static func applyToCurrentThread(_ request: RealtimeRequest) -> (String, Bool, String, Bool) {
        // Even without SCHED_FIFO, a 1 ns timer slack removes the kernel's default 50 us wake-up delay.
        _ = reins_set_timer_slack(1)
        var scheduling = "SCHED_OTHER (not requested)"
        var schedulingObtained = false
        if let priority = request.fifoPriority {
            var parameters = sched_param()
            parameters.sched_priority = priority
            let result = pthread_setschedparam(pthread_self(), SCHED_FIFO, &parameters)
            if result == 0 {
                scheduling = "SCHED_FIFO priority \(priority)"
                schedulingObtained = true
            } else {
                scheduling = "SCHED_OTHER: SCHED_FIFO \(priority) refused (\(String(cString: strerror(result)))); grant CAP_SYS_NICE or set an rtprio limit"
            }
        }
        var affinity = "any CPU (not requested)"
        var affinityObtained = false
        if let cpu = request.cpu {
            let result = reins_pin_current_thread(Int32(cpu))
            if result == 0 {
                affinity = "pinned to CPU \(cpu)"
                affinityObtained = true
            } else {
                affinity = "any CPU: pinning to CPU \(cpu) failed (\(String(cString: strerror(result))))"
            }
        }
        return (scheduling, schedulingObtained, affinity, affinityObtained)
    }
}
