import ArgumentParser
import ReinsCore
import ReinsRuntime

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure the runtime on this machine.",
        subcommands: [BenchLoopCommand.self, BenchPolicyCommand.self, BenchRecordCommand.self, BenchOperatorCommand.self])
}

struct BenchLoopCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "loop",
        abstract: "Run the control loop with synthetic work and report its timing.",
        discussion: """
            Period error is how late each tick started after its deadline. The loop asks for \
            SCHED_FIFO, locked memory, (with --cpu) a pinned CPU and an idle-state exit latency of \
            0 (/dev/cpu_dma_latency held for the run), and reports which it got; without them \
            expect larger medians and tails.
            """)

    @Option(parsing: .unconditional, help: NumberRange.rateHz.help("Loop rate in Hz."), transform: NumberRange.rateHz.parse)
    var rate: Double = 1000

    @Option(parsing: .unconditional, help: NumberRange.benchSeconds.help("How long to run, in seconds."), transform: NumberRange.benchSeconds.parse)
    var seconds: Double = 10

    @Option(parsing: .unconditional, help: NumberRange.tickMicroseconds.help("Synthetic busy work per tick, in microseconds."),
            transform: NumberRange.tickMicroseconds.parse)
    var work: Double = 0

    @Option(parsing: .unconditional, help: NumberRange.tickMicroseconds.help("Spin this many microseconds before each deadline instead of sleeping."),
            transform: NumberRange.tickMicroseconds.parse)
    var spin: Double = 0

    @Option(parsing: .unconditional, help: NumberRange.fifoPriority.help("SCHED_FIFO priority to request."), transform: NumberRange.fifoPriority.parse)
    var priority: Int32 = 80

    @Option(parsing: .unconditional, help: NumberRange.cpu.help("Pin the loop thread to this CPU."), transform: NumberRange.cpu.parse)
    var cpu: Int?

    @Flag(help: "Do not request SCHED_FIFO, memory locking or the CPU idle-latency hold.")
    var noRealtime = false

    @Flag(help: "Keep the real-time requests but let idle CPUs sleep (no /dev/cpu_dma_latency hold), to measure what the hold buys.")
    var noIdleLatencyHold = false

    @Flag(help: "Print the result as one JSON object.")
    var json = false

    func validate() throws {
        guard work * 1000 < 1e9 / rate else { throw ValidationError("--work must be shorter than the period (\(1e6 / rate) µs)") }
        guard spin * 1000 < 1e9 / rate else { throw ValidationError("--spin must be shorter than the period (\(1e6 / rate) µs)") }
    }

    func run() throws {
        let periods = UInt64((rate * seconds).rounded())
        let task = SyntheticWorkTask(workMicroseconds: work, periods: periods)
        let realtime = noRealtime ? RealtimeRequest.none : RealtimeRequest(fifoPriority: priority, lockMemory: true, cpu: cpu, holdCPUIdleLatency: !noIdleLatencyHold)
        let loop = ControlLoop(
            configuration: LoopConfiguration(
                rateHz: rate, spinNanoseconds: UInt64(spin * 1000), realtime: realtime,
                maxConsecutiveOverruns: Int.max, phaseNames: SyntheticWorkTask.phaseNames),
            task: task)
        var report: RealtimeReport?
        let started = MonotonicClock.nowNanoseconds()
        _ = loop.run { report = $0 }
        let stats = loop.statistics.snapshot()
        let ran = task.runSeconds(periodNanoseconds: loop.configuration.periodNanoseconds)
        // Memory locking, the idle-latency hold and thread start, before the first deadline.
        let setup = Double(task.firstDeadline &- loop.configuration.periodNanoseconds &- started) / 1e9
        if json {
            print(BenchLoopCommand.json(stats, report: report!, rate: rate, seconds: seconds, work: work, ran: ran, setup: setup))
        } else {
            print("loop: \(fixed(rate, 0)) Hz for \(fixed(seconds, 1)) s, \(fixed(work, 0)) µs synthetic work per tick")
            print("real-time: \(report!)")
            print("ran \(fixed(ran, 3)) s from the first period to the end of the last tick, after \(fixed(setup * 1000, 0)) ms of setup")
            print("ticks \(stats.ticks), achieved \(fixed(stats.achievedRateHz, 2)) Hz, overruns \(stats.overrunTicks) (skipped periods \(stats.skippedPeriods)), dropped samples \(stats.droppedSamples)")
            print(Self.line("period error", stats.periodError))
            print(Self.line("tick duration", stats.tickDuration))
        }
    }

    static func line(_ label: String, _ summary: LatencySummary) -> String {
        "\(label): p50 \(microseconds(summary.p50)), p99 \(microseconds(summary.p99)), p99.9 \(microseconds(summary.p999)), max \(microseconds(summary.max))"
    }

    static func json(_ stats: LoopStatistics, report: RealtimeReport, rate: Double, seconds: Double, work: Double,
                     ran: Double, setup: Double) -> String {
        func summary(_ s: LatencySummary) -> String {
            "{\"p50_ns\":\(s.p50),\"p99_ns\":\(s.p99),\"p999_ns\":\(s.p999),\"max_ns\":\(s.max)}"
        }
        return "{\"rate_hz\":\(rate),\"seconds\":\(seconds),\"work_us\":\(work),\"ticks\":\(stats.ticks),"
            + "\"run_seconds\":\(ran),\"setup_seconds\":\(setup),"
            + "\"achieved_rate_hz\":\(stats.achievedRateHz),\"overrun_ticks\":\(stats.overrunTicks),"
            + "\"skipped_periods\":\(stats.skippedPeriods),\"dropped_samples\":\(stats.droppedSamples),"
            + "\"period_error\":\(summary(stats.periodError)),\"tick_duration\":\(summary(stats.tickDuration)),"
            + "\"sched_fifo\":\(report.schedulingObtained),\"memory_locked\":\(report.memoryLocked),\"pinned\":\(report.affinityObtained),"
            + "\"cpu_idle_latency_held\":\(report.cpuIdleLatencyHeld)}"
    }
}
