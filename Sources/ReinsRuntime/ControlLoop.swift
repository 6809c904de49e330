import CPlatform
import ReinsCore
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// What one tick asks the loop to do next.
public enum TickOutcome: Sendable, Equatable {
    case proceed
    /// The task finished (duration reached, trajectory done).
    case finished
    /// The task hit a fault; the loop stops and reports it.
    case fault
}

/// Why the loop ended.
public enum LoopStopReason: Sendable, Equatable, CustomStringConvertible {
    case requested
    case finished
    case fault
    /// `count` consecutive ticks ran past their next deadline.
    case overrunLimit(count: Int)

    public var description: String {
        switch self {
        case .requested: return "stop requested"
        case .finished: return "finished"
        case .fault: return "fault"
        case .overrunLimit(let count): return "\(count) consecutive overruns"
        }
    }
}

/// The work done every period. Methods are called on the loop thread only.
///
/// `tick` must not allocate, lock, log or block past `clock.nextDeadline`: the loop measures and
/// reports it, but cannot prevent it.
public protocol ControlTask: AnyObject {
    /// On the loop thread, after real-time setup and before the first tick. Allocation is allowed here.
    func loopWillStart()
    func tick(_ clock: inout TickClock) -> TickOutcome
    /// On the loop thread, after the last tick. The runtime performs its safe stop here on a fault
    /// or overrun.
    func loopDidStop(_ reason: LoopStopReason)
}

extension ControlTask {
    public func loopWillStart() {}
    public func loopDidStop(_ reason: LoopStopReason) {}
}

public struct LoopConfiguration: Sendable {
    public var rateHz: Double
    /// The loop sleeps until this long before the deadline and spins the rest, trading a little
    /// CPU for a wake-up jitter of a few microseconds. 0 disables spinning.
    public var spinNanoseconds: UInt64
    public var realtime: RealtimeRequest
    /// Overrun policy: after this many consecutive overrunning ticks the loop stops with
    /// `.overrunLimit`, so the runtime can safe-stop. Missed periods are skipped, never replayed.
    public var maxConsecutiveOverruns: Int
    /// Names of the phases the task marks, for reports.
    public var phaseNames: [String]
    /// Stack touched at thread start so the loop never page-faults on it.
    public var prefaultStackBytes: Int

    public init(rateHz: Double, spinNanoseconds: UInt64 = 0, realtime: RealtimeRequest = RealtimeRequest(),
                maxConsecutiveOverruns: Int = 10, phaseNames: [String] = [], prefaultStackBytes: Int = 256 * 1024) {
        self.rateHz = rateHz
        self.spinNanoseconds = spinNanoseconds
        self.realtime = realtime
        self.maxConsecutiveOverruns = maxConsecutiveOverruns
        self.phaseNames = phaseNames
        self.prefaultStackBytes = prefaultStackBytes
    }

    public var periodNanoseconds: UInt64 { UInt64((1e9 / rateHz).rounded()) }
}

/// A fixed-rate loop on its own POSIX thread with absolute deadlines.
///
/// Each period: sleep with `clock_nanosleep(TIMER_ABSTIME)` on CLOCK_MONOTONIC until shortly before
/// the deadline, optionally spin to it, run the tick, push its timestamps into a lock-free ring.
/// A collector thread turns the timestamps into HdrHistograms, so readers never touch the loop.
/// Overruns: a tick that ends after the next deadline skips every period it missed (the next tick
/// is the first future deadline on the original grid) and counts them.
public final class ControlLoop: @unchecked Sendable {
    public let configuration: LoopConfiguration
    public let statistics: LoopStatisticsCollector
    private let task: any ControlTask
    private let stopRequested = Atomic<Bool>(false)
    private let running = Atomic<Bool>(false)
    private var thread: PosixThread?
    private var collectorThread: PosixThread?
    private var stopReason: LoopStopReason = .requested
    private let realtimeReady = Mutex<RealtimeReport?>(nil)
    /// Held from `start()` until the loop thread has ended (`wait()`).
    private var idleLatencyHold: CPUIdleLatencyHold?
    private let collectorWake = Semaphore()

    public init(configuration: LoopConfiguration, task: any ControlTask) {
        precondition(configuration.rateHz > 0, "loop rate must be positive")
        self.configuration = configuration
        self.task = task
        self.statistics = LoopStatisticsCollector(
            periodNanoseconds: configuration.periodNanoseconds, phaseNames: configuration.phaseNames,
            ringCapacity: max(4096, Int(configuration.rateHz)))
    }

    /// Starts the loop thread and returns what real-time setup obtained.
    @discardableResult
    public func start() -> RealtimeReport {
        let (memory, locked) = RealtimeSetup.lockMemory(configuration.realtime.lockMemory)
        let (hold, idle, held) = RealtimeSetup.holdCPUIdleLatency(configuration.realtime.holdCPUIdleLatency)
        idleLatencyHold = hold
        running.store(true, ordering: .releasing)
        let startGate = Semaphore()
        thread = PosixThread { [self] in
            let (scheduling, fifo, affinity, pinned) = RealtimeSetup.applyToCurrentThread(configuration.realtime)
            realtimeReady.withLock {
                $0 = RealtimeReport(scheduling: scheduling, schedulingObtained: fifo, memoryLocking: memory,
                                    memoryLocked: locked, affinity: affinity, affinityObtained: pinned,
                                    cpuIdle: idle, cpuIdleLatencyHeld: held)
            }
            startGate.signal()
            run()
        }
        startGate.wait()

        collectorThread = PosixThread { [self] in
            while running.load(ordering: .acquiring) {
                statistics.collect()
                // Every 20 ms, or at once when `wait()` ends the run (a fixed sleep kept the
                // command waiting up to 20 ms after the last tick).
                collectorWake.wait(timeoutNanoseconds: 20_000_000)
            }
            statistics.collect()
        }
        return realtimeReady.withLock { $0! }
    }

    /// Asks the loop to stop after the current tick (safe from any thread and from signal handlers'
    /// helper threads).
    public func requestStop() {
        stopRequested.store(true, ordering: .releasing)
    }

    /// Waits for the loop to end and returns why it ended.
    @discardableResult
    public func wait() -> LoopStopReason {
        thread?.join()
        thread = nil
        idleLatencyHold?.release()
        idleLatencyHold = nil
        running.store(false, ordering: .releasing)
        collectorWake.signal()
        collectorThread?.join()
        collectorThread = nil
        return stopReason
    }

    /// Runs the loop to completion on the calling thread's behalf: start, wait.
    public func run(reportingTo report: (RealtimeReport) -> Void = { _ in }) -> LoopStopReason {
        report(start())
        return wait()
    }

    private func run() {
        reins_prefault_stack(configuration.prefaultStackBytes)
        task.loopWillStart()
        let period = configuration.periodNanoseconds
        let spin = min(configuration.spinNanoseconds, period / 2)
        let maxOverruns = configuration.maxConsecutiveOverruns
        var clock = TickClock(period: period)
        var deadline = MonotonicClock.nowNanoseconds() &+ period
        var tick: UInt64 = 0
        var consecutiveOverruns = 0
        var reason = LoopStopReason.requested

        while !stopRequested.load(ordering: .relaxed) {
            if spin > 0 {
                MonotonicClock.sleep(untilNanoseconds: deadline &- spin)
                while MonotonicClock.nowNanoseconds() < deadline {}
            } else {
                MonotonicClock.sleep(untilNanoseconds: deadline)
            }
            clock.timing = TickTiming()
            clock.timing.tick = tick
            clock.timing.deadline = deadline
            clock.timing.wake = MonotonicClock.nowNanoseconds()

            let outcome = task.tick(&clock)

            let end = MonotonicClock.nowNanoseconds()
            clock.timing.end = end
            let next = deadline &+ period
            // The last tick has no next deadline to miss: nothing after it is skipped.
            if end > next && outcome == .proceed {
                // Skip every missed period: replaying them would only make the robot later still.
                let missed = (end &- next) / period &+ 1
                clock.timing.skippedPeriods = UInt32(truncatingIfNeeded: missed)
                deadline = next &+ missed &* period
                consecutiveOverruns += 1
            } else {
                deadline = next
                consecutiveOverruns = 0
            }
            statistics.ring.push(clock.timing)
            tick &+= 1

            if outcome == .finished { reason = .finished; break }
            if outcome == .fault { reason = .fault; break }
            if consecutiveOverruns >= maxOverruns {
                reason = .overrunLimit(count: consecutiveOverruns)
                break
            }
        }
        stopReason = reason
        task.loopDidStop(reason)
    }
}

/// A counting semaphore for thread start-up hand-offs (never used inside a tick).
final class Semaphore: @unchecked Sendable {
    private let semaphore = UnsafeMutablePointer<sem_t>.allocate(capacity: 1)
    init(_ value: UInt32 = 0) { sem_init(semaphore, 0, value) }
    deinit {
        sem_destroy(semaphore)
        semaphore.deallocate()
    }
    func signal() { sem_post(semaphore) }
    func wait() { while sem_wait(semaphore) != 0 && errno == EINTR {} }

    /// Waits for a signal or until the timeout has passed (measured on CLOCK_REALTIME, as
    /// sem_timedwait requires; a clock step only lengthens or shortens one wait).
    func wait(timeoutNanoseconds: UInt64) {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let total = UInt64(now.tv_nsec) + timeoutNanoseconds
        var until = timespec(tv_sec: now.tv_sec + Int(total / 1_000_000_000), tv_nsec: Int(total % 1_000_000_000))
        while sem_timedwait(semaphore, &until) != 0 && errno == EINTR {}
    }
}
