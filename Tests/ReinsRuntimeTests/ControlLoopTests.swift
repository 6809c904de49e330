import ReinsCore
import ReinsRuntime
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Records what the loop did, for assertions after it stopped.
final class ScriptedTask: ControlTask, @unchecked Sendable {
    let ticks: UInt64
    /// Busy time per tick index, in nanoseconds (simulates an overrun).
    let busy: (UInt64) -> UInt64
    var deadlines: [UInt64] = []
    var started = false
    var stopReason: LoopStopReason?

    init(ticks: UInt64, busy: @escaping (UInt64) -> UInt64 = { _ in 0 }) {
        self.ticks = ticks
        self.busy = busy
        deadlines.reserveCapacity(Int(min(ticks, 100_000)))
    }

    func loopWillStart() { started = true }

    func tick(_ clock: inout TickClock) -> TickOutcome {
        deadlines.append(clock.deadline)
        let until = MonotonicClock.nowNanoseconds() + busy(clock.tick)
        while MonotonicClock.nowNanoseconds() < until {}
        clock.markPhase()
        return clock.tick + 1 >= ticks ? .finished : .proceed
    }

    func loopDidStop(_ reason: LoopStopReason) { stopReason = reason }
}

@Suite(.serialized) struct ControlLoopTests {
    @Test func runsTheRequestedTicksOnAFixedGrid() {
        let task = ScriptedTask(ticks: 200)
        let loop = ControlLoop(configuration: LoopConfiguration(rateHz: 1000, realtime: .none, phaseNames: ["work"]), task: task)
        let reason = loop.run()
        #expect(reason == .finished)
        #expect(task.started)
        #expect(task.stopReason == .finished)
        let stats = loop.statistics.snapshot()
        #expect(stats.ticks == 200)
        #expect(stats.phases.count == 1 && stats.phases[0].duration.count == 200)
        // Deadlines are absolute: every gap is a whole number of periods (1 ms), never drifting.
        let gaps = zip(task.deadlines.dropFirst(), task.deadlines).map { $0 - $1 }
        #expect(gaps.allSatisfy { $0 % 1_000_000 == 0 && $0 > 0 })
    }

    @Test func overrunSkipsMissedPeriodsAndKeepsTheGrid() {
        // Tick 10 takes 3.5 periods: the loop must skip the 3 periods it missed, not replay them.
        let task = ScriptedTask(ticks: 30) { $0 == 10 ? 3_500_000 : 0 }
        let loop = ControlLoop(configuration: LoopConfiguration(rateHz: 1000, realtime: .none), task: task)
        #expect(loop.run() == .finished)
        let stats = loop.statistics.snapshot()
        #expect(stats.overrunTicks >= 1)
        #expect(stats.skippedPeriods >= 3)
        let gap = task.deadlines[11] - task.deadlines[10]
        #expect(gap >= 4_000_000 && gap % 1_000_000 == 0)
    }

    @Test func consecutiveOverrunsStopTheLoopThroughTheCallback() {
        let task = ScriptedTask(ticks: 1000) { $0 >= 5 ? 2_500_000 : 0 }
        let loop = ControlLoop(configuration: LoopConfiguration(rateHz: 1000, realtime: .none, maxConsecutiveOverruns: 4), task: task)
        #expect(loop.run() == .overrunLimit(count: 4))
        #expect(task.stopReason == .overrunLimit(count: 4))
        #expect(task.deadlines.count == 9)
    }

    @Test func stopRequestFromAnotherThreadEndsTheLoop() {
        let task = ScriptedTask(ticks: .max)
        let loop = ControlLoop(configuration: LoopConfiguration(rateHz: 500, realtime: .none), task: task)
        loop.start()
        usleep(50_000)
        loop.requestStop()
        #expect(loop.wait() == .requested)
        #expect(task.stopReason == .requested)
        #expect(task.deadlines.count > 5)
    }

    @Test func faultOutcomeStopsWithFault() {
        final class FaultingTask: ControlTask {
            func tick(_ clock: inout TickClock) -> TickOutcome { clock.tick == 3 ? .fault : .proceed }
        }
        let loop = ControlLoop(configuration: LoopConfiguration(rateHz: 1000, realtime: .none), task: FaultingTask())
        #expect(loop.run() == .fault)
        #expect(loop.statistics.snapshot().ticks == 4)
    }

    @Test func theCPUIdleLatencyIsHeldAtZeroWhileTheLoopRunsAndReleasedAfter() throws {
        func descriptorsOnTheDevice() -> Int {
            var count = 0
            guard let folder = opendir("/proc/self/fd") else { return -1 }
            defer { closedir(folder) }
            while let entry = readdir(folder) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
                var target = [CChar](repeating: 0, count: 256)
                let length = readlink("/proc/self/fd/" + name, &target, target.count - 1)
                if length > 0, String(decoding: target[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self) == "/dev/cpu_dma_latency" { count += 1 }
            }
            return count
        }
        let before = descriptorsOnTheDevice()
        let loop = ControlLoop(
            configuration: LoopConfiguration(rateHz: 1000, realtime: RealtimeRequest(fifoPriority: nil, lockMemory: false, cpu: nil, holdCPUIdleLatency: true)),
            task: ScriptedTask(ticks: 300))
        let report = loop.start()
        if report.cpuIdleLatencyHeld {
            #expect(report.cpuIdle == "idle-state exit latency held at 0 µs (/dev/cpu_dma_latency)")
            #expect(descriptorsOnTheDevice() == before + 1)
            // The kernel's aggregate request, read back from the device: 0 µs.
            let device = open("/dev/cpu_dma_latency", O_RDONLY)
            try #require(device >= 0)
            var value: Int32 = -1
            #expect(read(device, &value, 4) == 4)
            close(device)
            #expect(value == 0)
        } else {
            // Refused (not root, no device): the report says why and how to grant it.
            #expect(report.cpuIdle.hasPrefix("not held: ") && (report.cpuIdle.contains("root") || report.cpuIdle.contains("does not exist")))
        }
        #expect(loop.wait() == .finished)
        #expect(descriptorsOnTheDevice() == before, "the request ends with the loop")
        #expect("\(report)".contains("; CPU idle: "))
    }

    @Test func syntheticWorkRunsForItsPeriodsWhateverTheOverruns() {
        // Every tick takes 1.5 periods, so each one skips a period: the skipped periods count
        // against the run's 100 (0.1 s) instead of stretching it to 100 ticks (0.2 s).
        let task = SyntheticWorkTask(workMicroseconds: 1500, periods: 100)
        let loop = ControlLoop(configuration: LoopConfiguration(rateHz: 1000, realtime: .none, maxConsecutiveOverruns: .max), task: task)
        #expect(loop.run() == .finished)
        let stats = loop.statistics.snapshot()
        #expect(stats.skippedPeriods > 0 && stats.ticks < 100 && stats.ticks + stats.skippedPeriods <= 100)
        let ran = task.runSeconds(periodNanoseconds: 1_000_000)
        #expect(ran >= 0.099 && ran < 0.14, "the run took \(ran) s for 100 periods of 1 ms")
    }

    @Test func theLoopReturnsWithoutWaitingOutTheCollectorsPoll() {
        // The collector drains the timing ring every 20 ms; ending the run wakes it at once.
        let loop = ControlLoop(configuration: LoopConfiguration(rateHz: 1000, realtime: .none), task: SyntheticWorkTask(workMicroseconds: 0, periods: 5))
        let started = MonotonicClock.nowNanoseconds()
        #expect(loop.run() == .finished)
        let elapsed = MonotonicClock.nowNanoseconds() - started
        #expect(loop.statistics.snapshot().ticks == 5)
        #expect(elapsed < 15_000_000, "5 periods of 1 ms took \(Double(elapsed) / 1e6) ms")
    }

    @Test func realtimeReportSaysWhatWasObtained() {
        let loop = ControlLoop(
            configuration: LoopConfiguration(rateHz: 1000, realtime: RealtimeRequest(fifoPriority: 10, lockMemory: false, cpu: 0)),
            task: ScriptedTask(ticks: 5))
        var report: RealtimeReport?
        _ = loop.run { report = $0 }
        let obtained = try! #require(report)
        // Either granted or refused with a reason; never silent.
        #expect(obtained.scheduling.hasPrefix("SCHED_FIFO priority 10") || obtained.scheduling.contains("refused"))
        #expect(obtained.affinity == "pinned to CPU 0" || obtained.affinity.contains("failed"))
        #expect(obtained.memoryLocking == "not requested")
        #expect(obtained.cpuIdle.hasPrefix("idle-state exit latency held at 0 µs") || obtained.cpuIdle.hasPrefix("not held: "))
    }
}
