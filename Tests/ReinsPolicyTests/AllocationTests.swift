import MallocInterposerSwift
import ReinsConfig
import ReinsCore
import ReinsPolicy
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Heap allocations made by one thread while the interposer counts.
///
/// The measurement runs in a forked child: the interposer's hook is one process-wide setting, and
/// other suites in this test process (ReinsRuntimeTests' allocation tests) install their own hook
/// concurrently. The child has a single thread and its own copy of the interposer, so neither
/// measurement can disturb the other. Everything is built before the fork; the child only runs
/// the measured body and reports the count through a pipe.
enum ChildAllocations {
    static let watchedThread = Atomic<UInt>(0)
    static let count = Atomic<Int>(0)

    /// Allocations `body` made, or nil if the child failed or hung.
    static func count(_ body: () -> Void) -> Int? {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { return nil }
        let pid = fork()
        if pid == 0 {
            close(fds[0])
            watchedThread.store(UInt(pthread_self()), ordering: .relaxed)
            count.store(0, ordering: .relaxed)
            MallocInterposerSwift.initialize()
            MallocInterposerSwift.setAllocationHook { _ in
                if UInt(pthread_self()) == ChildAllocations.watchedThread.load(ordering: .relaxed) {
                    ChildAllocations.count.add(1, ordering: .relaxed)
                }
            }
            MallocInterposerSwift.hook()
            body()
            MallocInterposerSwift.unhook()
            var result = Int64(count.load(ordering: .relaxed))
            _ = write(fds[1], &result, 8)
            _exit(0)
        }
        close(fds[1])
        defer { close(fds[0]) }
        var poller = pollfd(fd: fds[0], events: Int16(POLLIN), revents: 0)
        var result: Int64 = -1
        if poll(&poller, 1, 120_000) == 1, read(fds[0], &result, 8) == 8 {
            var status: Int32 = 0
            waitpid(pid, &status, 0)
            return Int(result)
        }
        kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        return nil
    }
}

@Suite(.serialized) struct PolicyAllocationTests {
    static func runner(response: LowConfidenceResponse) throws -> (PolicyRunner, PolicyNetwork) {
        let network = try smallNetwork([64, 256, 256, 8], normalized: true, headBins: 11)
        let settings = MonitorSettings(sensorNoiseBound: 0.01, actionTolerance: 0.1, probes: 8, sensitivityLimit: 1e-6, response: response)
        return (PolicyRunner(network: network, settings: settings, innovationBounds: [Double](repeating: 0.05, count: 64)), network)
    }

    @Test(arguments: [LowConfidenceResponse.slow, .hold, .takeover])
    func forwardMonitorAndCorrectorMakeNoHeapAllocationPerTick(_ response: LowConfidenceResponse) throws {
        let (runner, network) = try Self.runner(response: response)
        var decision = PolicyDecision(for: network)
        var output = PolicyOutput(for: network)
        let observations: [[Double]] = (0..<4).map { k in (0..<64).map { Double(($0 + k) % 9) / 10 } }
        var lastApplied = [Double](repeating: 0, count: 8)
        // One tick of everything the measured body calls before measuring, as the runtime's
        // warm-up does: the first call of a generic path instantiates its metadata (an allocation)
        // once per process, and the measurement runs in a child that never passes it back.
        runner.engine.forward(observations[0], into: &output)
        runner.step(observations[0], lastApplied: lastApplied, into: &decision)
        let allocations = ChildAllocations.count {
            for tick in 0..<300 {
                let x = observations[tick % 4]
                runner.engine.forward(x, into: &output)
                runner.step(x, lastApplied: lastApplied, into: &decision)
                for index in 0..<8 { lastApplied[index] = decision.correction.corrected[index] }
            }
        }
        #expect(allocations == 0)
        // The ticks took the response path: the sensitivity limit is far below the network's slope.
        runner.step(observations[1], lastApplied: lastApplied, into: &decision)
        let expected: [LowConfidenceResponse: ResponseTaken] = [.hold: .hold, .slow: .slow, .takeover: .takeover]
        #expect(decision.monitor.sensitivityExceeded && decision.correction.response == expected[response])
    }

    @Test func theMeasurementSeesAnAllocation() {
        var sink: [[Int]] = []
        let allocations = ChildAllocations.count {
            for tick in 0..<50 { sink.append([Int](repeating: tick, count: 16)) }
        }
        #expect((allocations ?? 0) >= 50)
        #expect(sink.isEmpty)  // the child's appends never reach the parent
    }
}
