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
    public let disconnectAfter: Double?
    private let running = Atomic<Bool>(false)
    private let simulatedMicroseconds = Atomic<Int>(0)
    private var thread: pthread_t?

    public init(frontEnd: any SimulatorFrontEnd, physicsRateHz: Double = 1000, speed: Double = 1, disconnectAfter: Double? = nil) {
        self.frontEnd = frontEnd
        self.physicsStep = 1 / physicsRateHz
        self.clock = SimulationClock(speed: speed)
        self.disconnectAfter = disconnectAfter
    }

    /// Simulated seconds elapsed (updated every step).
    public var simulatedTime: Double { Double(simulatedMicroseconds.load(ordering: .relaxed)) * 1e-6 }

    public func start() {
        guard !running.exchange(true, ordering: .acquiringAndReleasing) else { return }
        let box = Unmanaged.passRetained(self)
        var handle = pthread_t()
        pthread_create(&handle, nil, { raw in
            let host = Unmanaged<SimulatorHost>.fromOpaque(raw!).takeRetainedValue()
            host.run()
            return nil
        }, box.toOpaque())
        thread = handle
    }

    public func stop() {
        running.store(false, ordering: .releasing)
        if let thread { pthread_join(thread, nil) }
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
            frontEnd.flushOutput(simulatedTime: simulated)
            if !disconnected, let after = disconnectAfter, simulated >= after {
                frontEnd.disconnect()
                disconnected = true
            }
        }
    }
}
