import ArgumentParser
import ReinsConfig
import ReinsCore
import ReinsRuntime
import ReinsSimulators
import ReinsTransport
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A way to press an operator device's "faster" and "slower" from outside, as a person would.
protocol OperatorStimulus: AnyObject {
    /// What the bench reports the device as ("keyboard through a pty").
    var label: String { get }
    /// The device the run uses.
    var device: any OperatorDevice { get }
    /// Presses the input that raises (or lowers) the car's speed.
    func press(faster: Bool)
    func close()
}

/// Keys typed into a pseudo-terminal the keyboard operator reads.
final class KeyboardStimulus: OperatorStimulus {
    let label = "keyboard through a pty"
    let device: any OperatorDevice
    private let terminal: PseudoTerminal
    private let slave: Int32

    init() throws {
        terminal = try PseudoTerminal()
        slave = open(terminal.slavePath, O_RDWR | O_NOCTTY)
        device = KeyboardOperator(fd: slave, operatorName: "bench")
    }

    func press(faster: Bool) {
        try? terminal.master.write(Array((faster ? "w" : "s").utf8), deadline: MonotonicClock.deadline(in: 0.1))
    }

    func close() {
        Glibc.close(slave)
        terminal.close()
    }
}

struct BenchOperatorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "operator",
        abstract: "Measure the latency from an operator's input to the action leaving in a driver write.",
        discussion: """
            Teleoperates the simulated car through the real pipeline (operator device thread, \
            lock-free hand-over, safety filter, VESC driver over a pty) and presses "faster" and \
            "slower" in turn from outside the device, as a person would; each sample is the time \
            from the input to the first driver write whose applied speed changed. Reports the \
            median and p99 against the control period.
            """)

    @Option(help: "The device: keyboard (a pseudo-terminal this command types into).")
    var device: String = "keyboard"

    @Option(help: "Robot description of the simulated car to drive.")
    var robot: String = "Robots/sim-car.yaml"

    @Option(parsing: .unconditional, help: NumberRange.samples.help("Inputs to time."), transform: NumberRange.samples.parse)
    var samples: Int = 100

    @Flag(help: "Do not request SCHED_FIFO and memory locking.")
    var noRealtime = false

    func run() throws {
        let description = try loadRobot(robot, exitCode: 2)
        guard case .car = description.body, description.link == .sim else { throw badInput("--robot must be a simulated car (link: sim), e.g. Robots/sim-car.yaml") }
        let stimulus: any OperatorStimulus
        switch device {
        case "keyboard": stimulus = try KeyboardStimulus()
        default: throw badInput("--device \(device): the bench drives keyboard")
        }
        defer { stimulus.close() }
        var plan = RunPlan(robot: description, source: .teleoperation)
        plan.operator = .device(stimulus.device)
        plan.waitForStart = false
        plan.realtime = noRealtime ? .none : RealtimeRequest()
        let run = try Run(plan, simulators: BuiltInSimulators(options: SimulatorOptions()))
        defer { run.close() }
        try run.activate()
        let changedAt = Atomic<UInt64>(0)
        let lastSpeed = Atomic<UInt64>(Double.nan.bitPattern)
        _ = try run.start(prepare: { pipeline in
            pipeline.port.afterWrite = { applied in
                let previous = Double(bitPattern: lastSpeed.exchange(applied[0].bitPattern, ordering: .relaxed))
                if previous.isFinite && applied[0] != previous {
                    _ = changedAt.compareExchange(expected: 0, desired: MonotonicClock.nowNanoseconds(), ordering: .relaxed)
                }
            }
        })
        let period = 1 / description.controlRateHz
        MonotonicClock.sleep(untilNanoseconds: MonotonicClock.deadline(in: 0.5))
        var latencies: [Double] = []
        var missed = 0
        for sample in 0..<samples where run.pipeline?.stopReason == nil {
            // Let the last change settle (the filter ramps speed at the acceleration limit).
            MonotonicClock.sleep(untilNanoseconds: MonotonicClock.deadline(in: 0.25))
            changedAt.store(0, ordering: .relaxed)
            let pressed = MonotonicClock.nowNanoseconds()
            stimulus.press(faster: sample % 2 == 0)
            let deadline = MonotonicClock.deadline(in: 1)
            while changedAt.load(ordering: .relaxed) == 0 && MonotonicClock.nowNanoseconds() < deadline {
                MonotonicClock.sleep(untilNanoseconds: MonotonicClock.deadline(in: 0.0002))
            }
            let changed = changedAt.load(ordering: .relaxed)
            if changed > pressed { latencies.append(Double(changed - pressed) / 1e9) } else { missed += 1 }
        }
        _ = run.wait(stopRequested: { true })
        latencies.sort()
        guard !latencies.isEmpty else { throw badInput("no input reached a driver write") }
        let median = latencies[latencies.count / 2], p99 = latencies[min(latencies.count - 1, Int(0.99 * Double(latencies.count)))]
        print("\(stimulus.label) → driver write (\(description.name), \(fixed(description.controlRateHz, 0)) Hz, period \(fixed(period * 1000, 1)) ms)")
        print("samples \(latencies.count)" + (missed > 0 ? ", \(missed) inputs never reached a write within 1 s" : ""))
        print("latency median \(fixed(median * 1000, 2)) ms, p99 \(fixed(p99 * 1000, 2)) ms, max \(fixed(latencies.last! * 1000, 2)) ms; "
              + "median / period \(fixed(median / period, 2))")
    }
}
