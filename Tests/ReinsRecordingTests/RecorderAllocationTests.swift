import MallocInterposerSwift
import ReinsCore
import ReinsRecording
import ReinsTestSupport
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Heap allocations made by one thread while the interposer counts, measured in a forked child.
///
/// Same method as ReinsPolicyTests' `ChildAllocations`: the interposer's hook is one process-wide
/// setting that other suites install concurrently, so the measurement runs in a forked child with a
/// single thread. The recorder is built before the fork; in the child only the loop-side calls run.
/// The child has no writer thread (fork copies only the calling thread), so its ring is never
/// drained: the measured calls fit in the ring, and later ones exercise the full-ring path.
enum ProducerAllocations {
    static let watchedThread = Atomic<UInt>(0)
    static let count = Atomic<Int>(0)

    /// Allocations `body` made and the Int it returned, or nil if the child failed or hung.
    static func count(_ body: () -> Int) -> (allocations: Int, result: Int)? {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { return nil }
        let pid = fork()
        if pid == 0 {
            close(fds[0])
            watchedThread.store(UInt(pthread_self()), ordering: .relaxed)
            count.store(0, ordering: .relaxed)
            MallocInterposerSwift.initialize()
            MallocInterposerSwift.setAllocationHook { _ in
                if UInt(pthread_self()) == ProducerAllocations.watchedThread.load(ordering: .relaxed) {
                    ProducerAllocations.count.add(1, ordering: .relaxed)
                }
            }
            MallocInterposerSwift.hook()
            let result = body()
            MallocInterposerSwift.unhook()
            var report = [Int64(count.load(ordering: .relaxed)), Int64(result)]
            _ = write(fds[1], &report, 16)
            _exit(0)
        }
        close(fds[1])
        defer { close(fds[0]) }
        var poller = pollfd(fd: fds[0], events: Int16(POLLIN), revents: 0)
        var report: [Int64] = [-1, -1]
        if poll(&poller, 1, 120_000) == 1, read(fds[0], &report, 16) == 16 {
            var status: Int32 = 0
            waitpid(pid, &status, 0)
            return (Int(report[0]), Int(report[1]))
        }
        kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        return nil
    }
}

@Suite(.serialized) struct RecorderAllocationTests {
    @Test func recordEpisodesAndEventsMakeNoHeapAllocationOnTheLoopThread() throws {
        let folder = TemporaryDirectory()
        let recorder = try Recorder(path: folder.file("a.mcap"), robot: try simArm(), ringSlots: 4096)
        let ticks = SyntheticTicks()
        let samples = (0..<4).map { ticks.sample($0 * 37, monotonic: UInt64($0)) }
        // Warm up in the parent, as the loop's first ticks would (lazy globals, first-use paths).
        for sample in samples { recorder.record(sample) }
        recorder.episodeStarted(episode: 1, at: 1)
        recorder.event(.fault, code: 1, value: 0.5, at: 2)
        usleep(20_000)  // the parent's writer drains those

        let measured = ProducerAllocations.count {
            var accepted = 0
            for tick in 0..<1500 {
                if tick % 500 == 0 { accepted += recorder.episodeStarted(episode: UInt32(tick), at: UInt64(tick)) ? 1 : 0 }
                accepted += recorder.record(samples[tick & 3]) ? 1 : 0
                if tick % 100 == 0 { accepted += recorder.event(.takeoverRequest, code: Int64(tick), value: .nan, at: UInt64(tick)) ? 1 : 0 }
                if tick % 500 == 499 { accepted += recorder.episodeEnded(episode: UInt32(tick), outcome: .success, at: UInt64(tick)) ? 1 : 0 }
            }
            // Nobody drains the child's ring: these overflow it, through the drop path.
            var refused = 0
            for _ in 0..<5000 { refused += recorder.record(samples[0]) ? 0 : 1 }
            return accepted * 100_000 + refused
        }
        let (allocations, result) = try #require(measured, "the forked child failed or hung")
        #expect(allocations == 0)
        #expect(result / 100_000 == 1500 + 3 + 15 + 3, "every measured call found room in the ring")
        #expect(result % 100_000 > 0, "the full-ring path ran too")
        try recorder.close()
    }

    @Test func theMeasurementSeesAnAllocation() {
        var sink: [[Int]] = []
        let measured = ProducerAllocations.count {
            for tick in 0..<50 { sink.append([Int](repeating: tick, count: 16)) }
            return sink.count
        }
        #expect((measured?.allocations ?? 0) >= 50)
        #expect(measured?.result == 50)
        #expect(sink.isEmpty)  // the child's appends never reach the parent
    }
}
