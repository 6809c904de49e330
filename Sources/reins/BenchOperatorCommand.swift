import ArgumentParser
import ReinsConfig
import ReinsCore
import ReinsRuntime
import ReinsSimulators
import ReinsTransport
import Synchronization

struct BenchOperatorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "operator",
        abstract: "Measure the latency from an operator's input to the action leaving in a driver write.",
        discussion: """
            Drives a simulated robot through the real pipeline (the operator device's thread and \
            lock-free hand-over, or for the leader arm its bus read inside the tick; safety filter; \
            driver over a pty) and moves the device's input from outside, \
            as a person would, between two levels; each sample is the time from the move to the \
            first driver write whose applied value changed. Devices: keyboard (keys typed into a \
            pty), gamepad (stick events written into a FIFO, shipped Xbox mapping), remote (a CURVE \
            station on loopback with fresh keys, sending 50 times a second and at once on a move), \
            each driving the simulated car's speed; leader (the simulated leader arm, its hand held \
            still by the simulator and one joint stepped by 0.02 rad, leading the simulated arm). \
            `all` runs them one after another. Each device prints one line: median, p99 and \
            maximum, and the median against the control period; the leader's line adds the lag of \
            its smoothing filter, which the first write does not show, and the fraction of ticks \
            the safety filter clamped while the simulated hand moved the leader freely (its slow \
            sinusoids) for a few seconds: what the smoothing leaves for the filter to do.
            """)

    enum Device: String, CaseIterable {
        case keyboard, gamepad, remote, leader
    }

    @Option(help: "The device: keyboard, gamepad, remote, leader or all.")
    var device: String = "all"

    @Option(help: "Robot description of the simulated car the keyboard, gamepad and remote drive.")
    var robot: String = "Robots/sim-car.yaml"

    @Option(help: "Robot description of the simulated arm the leader leads.")
    var arm: String = "Robots/sim-arm.yaml"

    @Option(help: "Description of the simulated leader arm (role: leader).")
    var leader: String = "Robots/sim-leader.yaml"

    @Option(parsing: .unconditional, help: NumberRange.samples.help("Inputs to time per device."), transform: NumberRange.samples.parse)
    var samples: Int = 100

    @Flag(help: "Do not request SCHED_FIFO and memory locking.")
    var noRealtime = false

    /// The applied value has settled when it stays within this of where it last moved (in the
    /// action's unit: m/s, rad)...
    static let settledWithin = 1e-4
    /// ...and an input has arrived when a write moves it this far from where it stood at the input:
    /// a filter still settling never does, and every input does at once (the first write after a
    /// 0.02 rad step of the leader moves the follower's goal 1.5 mrad, its acceleration limit).
    static let movedBy = 5e-4
    /// The applied value must have stood still this long before the next input.
    static let settleSeconds = 0.1
    /// An input not seen in a write within this long is counted as missed.
    static let missSeconds = 1.0
    static let warmUpSeconds = 0.5
    /// The leader's clamp count: the follower first closes on the leader's pose (clamps expected
    /// there), then the hand moves the leader freely while clamped ticks are counted.
    static let engageSeconds = 0.5
    static let motionSeconds = 5.0

    func validate() throws {
        guard device == "all" || Device(rawValue: device) != nil else {
            throw ValidationError("--device \(device): choose keyboard, gamepad, remote, leader or all")
        }
    }

    func run() throws {
        let devices = device == "all" ? Device.allCases : [Device(rawValue: device)!]
        var car: RobotDescription?
        if devices.contains(where: { $0 != .leader }) {
            let description = try loadRobot(robot, exitCode: 2)
            guard case .car = description.body, description.link == .sim else { throw badInput("--robot must be a simulated car (link: sim), e.g. Robots/sim-car.yaml") }
            car = description
        }
        var follower: RobotDescription?
        if devices.contains(.leader) {
            let description = try loadRobot(arm, exitCode: 2)
            guard case .arm = description.body, description.link == .sim else { throw badInput("--arm must be a simulated arm (link: sim), e.g. Robots/sim-arm.yaml") }
            follower = description
        }
        var results: [OperatorLatency] = []
        var failed: [String] = []
        for device in devices {
            do {
                let result: OperatorLatency
                switch device {
                case .keyboard: result = try measure(KeyboardStimulus(), robot: car!)
                case .gamepad: result = try measure(GamepadStimulus(car: car!), robot: car!)
                case .remote: result = try measure(RemoteStimulus(), robot: car!)
                case .leader:
                    var latency = try measure(LeaderStimulus(follower: follower!, leaderPath: leader), robot: follower!)
                    let rateHz = follower!.controlRateHz
                    let clamps = try leaderClamps(follower: follower!)
                    latency.note = "smoothing filter: half a step after \(AlphaBetaTracker.readingsToReach(0.5, ofAStepAt: rateHz)) readings, "
                        + "90 % after \(AlphaBetaTracker.readingsToReach(0.9, ofAStepAt: rateHz)) (\(fixed(1000 / rateHz, 1)) ms each); "
                        + "clamp rate \(fixed(clamps.rate * 100, 1)) % (\(clamps.clamped) of \(clamps.ticks) ticks clamped by the safety filter "
                        + "while the hand moved the leader for \(fixed(Self.motionSeconds, 0)) s)"
                    result = latency
                }
                print(result.line)
                results.append(result)
            } catch let error as ExitCode {
                throw error
            } catch {
                printError("\(device.rawValue): \(error)")
                failed.append(device.rawValue)
            }
        }
        if results.count > 1 { print(OperatorLatency.table(results)) }
        if !failed.isEmpty {
            printError("not measured: " + failed.joined(separator: ", "))
            throw ExitCode(1)
        }
    }

    /// Drives `robot` with the stimulus's device and times `samples` moves of its input.
    private func measure(_ stimulus: any OperatorStimulus, robot description: RobotDescription) throws -> OperatorLatency {
        defer { stimulus.close() }
        var plan = RunPlan(robot: description, source: .teleoperation)
        plan.operator = .device(stimulus.device)
        plan.waitForStart = false
        plan.realtime = noRealtime ? .none : RealtimeRequest()
        let run = try Run(plan, simulators: BuiltInSimulators(options: SimulatorOptions()))
        defer { run.close() }
        try run.activate()
        // Written on the loop thread after each driver write: the watched value, when it last
        // moved, and when it first moved away from `reference` (the value at the input).
        let value = Atomic<UInt64>(Double.nan.bitPattern)
        let stoodAt = Atomic<UInt64>(Double.nan.bitPattern)
        let lastMoveAt = Atomic<UInt64>(0)
        let reference = Atomic<UInt64>(Double.nan.bitPattern)
        let changedAt = Atomic<UInt64>(0)
        let watched = stimulus.watchedAction, settledWithin = Self.settledWithin, movedBy = Self.movedBy
        let realtime = try run.start(prepare: { pipeline in
            pipeline.port.afterWrite = { applied, _ in
                let now = MonotonicClock.nowNanoseconds(), current = applied[watched]
                value.store(current.bitPattern, ordering: .relaxed)
                if !(abs(current - Double(bitPattern: stoodAt.load(ordering: .relaxed))) <= settledWithin) {
                    stoodAt.store(current.bitPattern, ordering: .relaxed)
                    lastMoveAt.store(now, ordering: .relaxed)
                }
                if abs(current - Double(bitPattern: reference.load(ordering: .relaxed))) > movedBy {
                    _ = changedAt.compareExchange(expected: 0, desired: now, ordering: .relaxed)
                }
            }
        })
        do {
            try stimulus.deviceStarted()
        } catch {
            _ = run.wait(stopRequested: { true })
            throw error
        }
        // The operator source takes the device's first commands before it drives.
        MonotonicClock.sleep(untilNanoseconds: MonotonicClock.deadline(in: Self.warmUpSeconds))
        let period = 1 / description.controlRateHz
        var latencies: [Double] = []
        var missed = 0
        let settle = UInt64(Self.settleSeconds * 1e9)
        for sample in 0..<samples where run.pipeline?.stopReason == nil {
            // Wait until the last move has settled (the filter ramps at the acceleration limit).
            let patience = MonotonicClock.deadline(in: 2)
            repeat {
                MonotonicClock.sleep(untilNanoseconds: MonotonicClock.deadline(in: 0.01))
            } while MonotonicClock.nowNanoseconds() &- lastMoveAt.load(ordering: .relaxed) < settle && MonotonicClock.nowNanoseconds() < patience
            // A person's input falls anywhere in the loop's period; the waits above would press
            // at one phase of it (just after a write, the worst case) every time.
            MonotonicClock.sleep(untilNanoseconds: MonotonicClock.deadline(in: Double.random(in: 0..<period)))
            // The reference first: the value still differs from the previous input's.
            reference.store(value.load(ordering: .relaxed), ordering: .relaxed)
            changedAt.store(0, ordering: .relaxed)
            let pressed = MonotonicClock.nowNanoseconds()
            stimulus.press(high: sample % 2 == 0)
            let deadline = MonotonicClock.deadline(in: Self.missSeconds)
            while changedAt.load(ordering: .relaxed) == 0 && MonotonicClock.nowNanoseconds() < deadline {
                MonotonicClock.sleep(untilNanoseconds: MonotonicClock.deadline(in: 0.0002))
            }
            let changed = changedAt.load(ordering: .relaxed)
            if changed > pressed { latencies.append(Double(changed - pressed) / 1e9) } else { missed += 1 }
        }
        let stopReason = run.pipeline.flatMap { pipeline in
            pipeline.stopReason.map { "\($0)" + (pipeline.fault.map { " — \($0.message(driver: pipeline.session.driver))" } ?? "") }
        }
        _ = run.wait(stopRequested: { true })
        guard !latencies.isEmpty else {
            throw DeviceError(device: stimulus.device.deviceName, problem: "no input reached a driver write"
                              + (stopReason.map { " (the run stopped: \($0))" } ?? ""))
        }
        return OperatorLatency(label: stimulus.label, robot: description.name, periodSeconds: period,
                               latencies: latencies.sorted(), missed: missed, realtime: realtime.schedulingObtained,
                               stopped: stopReason.map { "the run stopped after \(latencies.count + missed) inputs: \($0)" })
    }
}

extension BenchOperatorCommand {
    /// How often the safety filter clamped the follower's goals while the simulated hand moved the
    /// leader freely (its slow sinusoids, as `reins teleop` shows them): what the leader's smoothing
    /// leaves for the filter to do.
    private func leaderClamps(follower: RobotDescription) throws -> (clamped: Int, ticks: Int, rate: Double) {
        let device = try OperatorDeviceSpec.leaderArm(leader, robot: follower, option: "--leader", simulators: BuiltInSimulators())
        var plan = RunPlan(robot: follower, source: .teleoperation)
        plan.operator = .device(device)
        plan.waitForStart = false
        plan.realtime = noRealtime ? .none : RealtimeRequest()
        let run = try Run(plan, simulators: BuiltInSimulators(options: SimulatorOptions()))
        defer { run.close() }
        try run.activate()
        // Written on the loop thread after each driver write while `counting`.
        let counting = Atomic<Bool>(false)
        let writes = Atomic<Int>(0)
        let clamped = Atomic<Int>(0)
        try run.start(prepare: { pipeline in
            pipeline.port.afterWrite = { _, clamps in
                guard counting.load(ordering: .relaxed) else { return }
                writes.add(1, ordering: .relaxed)
                if clamps != 0 { clamped.add(1, ordering: .relaxed) }
            }
        })
        MonotonicClock.sleep(untilNanoseconds: MonotonicClock.deadline(in: Self.engageSeconds))
        counting.store(true, ordering: .relaxed)
        MonotonicClock.sleep(untilNanoseconds: MonotonicClock.deadline(in: Self.motionSeconds))
        counting.store(false, ordering: .relaxed)
        let stopReason = run.pipeline?.stopReason
        _ = run.wait(stopRequested: { true })
        let ticks = writes.load(ordering: .relaxed), count = clamped.load(ordering: .relaxed)
        guard ticks > 0, stopReason == nil else {
            throw DeviceError(device: device.deviceName, problem: "the run moved by the leader's hand stopped before its clamps were counted"
                              + (stopReason.map { " (\($0))" } ?? ""))
        }
        return (count, ticks, Double(count) / Double(ticks))
    }
}

/// One device's measured input-to-write latencies, sorted.
struct OperatorLatency {
    var label: String
    var robot: String
    var periodSeconds: Double
    var latencies: [Double]
    var missed: Int
    /// The loop got SCHED_FIFO.
    var realtime: Bool
    /// Why the run ended before every input was timed (a watchdog on a loaded machine), if it did.
    var stopped: String?
    /// What else the device's line says (the leader's smoothing lag).
    var note = ""

    var median: Double { latencies[latencies.count / 2] }
    var p99: Double { latencies[min(latencies.count - 1, Int(0.99 * Double(latencies.count)))] }
    var maximum: Double { latencies.last! }

    var line: String {
        "\(label) → \(robot) driver write (period \(fixed(periodSeconds * 1000, 1)) ms, \(realtime ? "SCHED_FIFO" : "not real-time")): "
            + "\(latencies.count) samples, median \(fixed(median * 1000, 2)) ms, p99 \(fixed(p99 * 1000, 2)) ms, max \(fixed(maximum * 1000, 2)) ms, "
            + "median/period \(fixed(median / periodSeconds, 2))"
            + (missed > 0 ? "; \(missed) inputs never reached a write within \(fixed(BenchOperatorCommand.missSeconds, 0)) s" : "")
            + (stopped.map { "; \($0)" } ?? "") + (note.isEmpty ? "" : "; \(note)")
    }

    static func table(_ results: [OperatorLatency]) -> String {
        func cell(_ text: String, _ width: Int) -> String { text + String(repeating: " ", count: max(1, width - text.count)) }
        let widest = results.map(\.label.count).max() ?? 0
        var lines = [cell("device", widest + 2) + cell("robot", 10) + cell("period", 9) + cell("samples", 9)
                     + cell("median", 10) + cell("p99", 10) + cell("max", 10) + "median/period"]
        for r in results {
            lines.append(cell(r.label, widest + 2) + cell(r.robot, 10) + cell(fixed(r.periodSeconds * 1000, 1) + " ms", 9)
                         + cell("\(r.latencies.count)", 9) + cell(fixed(r.median * 1000, 2) + " ms", 10)
                         + cell(fixed(r.p99 * 1000, 2) + " ms", 10) + cell(fixed(r.maximum * 1000, 2) + " ms", 10) + fixed(r.median / r.periodSeconds, 2))
        }
        return lines.joined(separator: "\n")
    }
}
