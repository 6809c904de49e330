import ReinsCore
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A simulator's protocol side: it reads requests from its link, answers them, and sends telemetry.
/// The host calls it from one thread only.
public protocol SimulatorFrontEnd: AnyObject {
    /// Where clients connect, e.g. "pty /tmp/reins-arm (-> /dev/pts/3)".
    var connectionDescription: String { get }
    /// Waits for input until `deadline` (monotonic ns) and handles what arrives.
    func serviceInput(until deadline: UInt64, simulatedTime: Double)
    /// Advances the simulated robot by `dt` simulated seconds.
    func step(_ dt: Double, simulatedTime: Double)
    /// Sends what is due at this simulated time (telemetry, delayed replies).
    func flushOutput(simulatedTime: Double)
    /// Cuts the link (the `disconnect=` fault): clients see the device vanish.
    func disconnect()
}

/// Runs a simulator on its own thread: physics in fixed steps of simulated time, input serviced in
/// between, simulated time running `speed` times faster than real time.
public final class SimulatorHost: @unchecked Sendable {
    public let frontEnd: any SimulatorFrontEnd
    public let physicsStep: Double
    public let clock: SimulationClock
    private let running = Atomic<Bool>(false)
    private let simulatedMicroseconds = Atomic<Int>(0)
    /// Simulated microseconds at which to cut the link (-1: never).
    private let disconnectAtMicroseconds: Atomic<Int>
    private let disconnectedAtNanoseconds = Atomic<UInt64>(0)
    private let muted = Atomic<Bool>(false)
    private var thread: PosixThread?

    public init(frontEnd: any SimulatorFrontEnd, physicsRateHz: Double = 1000, speed: Double = 1, disconnectAfter: Double? = nil) {
        self.frontEnd = frontEnd
        self.physicsStep = 1 / physicsRateHz
        self.clock = SimulationClock(speed: speed)
        disconnectAtMicroseconds = Atomic(disconnectAfter.map { Int($0 * 1e6) } ?? -1)
    }

    /// Cuts the link when simulated time reaches `time` (from any thread).
    public func scheduleDisconnect(atSimulatedTime time: Double) {
        disconnectAtMicroseconds.store(Int(time * 1e6), ordering: .relaxed)
    }

    /// When the link was cut (CLOCK_MONOTONIC ns), or nil.
    public var disconnectedAt: UInt64? {
        let value = disconnectedAtNanoseconds.load(ordering: .acquiring)
        return value == 0 ? nil : value
    }

    /// While muted the simulator still obeys what it receives but sends nothing back (every reply
    /// and telemetry message lost), from any thread.
    public func mute(_ on: Bool) { muted.store(on, ordering: .relaxed) }

    /// Simulated seconds elapsed (updated every step).
    public var simulatedTime: Double { Double(simulatedMicroseconds.load(ordering: .relaxed)) * 1e-6 }

    public func start() {
        guard !running.exchange(true, ordering: .acquiringAndReleasing) else { return }
        thread = PosixThread { [self] in run() }
    }

    public func stop() {
        running.store(false, ordering: .releasing)
        thread?.join()
        thread = nil
    }

    /// Runs on the calling thread until `stop()` is called from another.
    public func runHere() {
        running.store(true, ordering: .releasing)
        run()
    }

    deinit { stop() }

    private func run() {
        var simulated = 0.0
        var disconnected = false
        while running.load(ordering: .acquiring) {
            let due = clock.monotonic(atSimulated: simulated + physicsStep)
            frontEnd.serviceInput(until: due, simulatedTime: simulated)
            // Catch up in fixed steps if the host fell behind (a fast --speed on a busy machine).
            var steps = 0
            while clock.now() >= simulated + physicsStep && steps < 100 {
                simulated += physicsStep
                frontEnd.step(physicsStep, simulatedTime: simulated)
                steps += 1
            }
            simulatedMicroseconds.store(Int(simulated * 1e6), ordering: .relaxed)
            if !muted.load(ordering: .relaxed) { frontEnd.flushOutput(simulatedTime: simulated) }
            let cutAt = disconnectAtMicroseconds.load(ordering: .relaxed)
            if !disconnected, cutAt >= 0, Int(simulated * 1e6) >= cutAt {
                frontEnd.disconnect()
                disconnected = true
                disconnectedAtNanoseconds.store(MonotonicClock.nowNanoseconds(), ordering: .releasing)
            }
        }
    }
}
