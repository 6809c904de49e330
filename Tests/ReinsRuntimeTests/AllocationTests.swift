import MallocInterposerSwift
import ReinsCore
import ReinsRuntime
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Counts heap allocations made on one thread while the interposer is hooked.
///
/// How it works: the malloc-interposer library is linked into the test binary ahead of libc, so its
/// malloc/calloc/realloc/posix_memalign replace libc's for the whole process. Its allocation hook
/// runs on the allocating thread; the hook compares `pthread_self()` with the thread under test.
enum LoopThreadAllocations {
    static let watchedThread = Atomic<UInt>(0)
    static let count = Atomic<Int>(0)
    static let lastSize = Atomic<Int>(0)
    static let atTick = Atomic<Int>(0)
    static let currentTick = Atomic<Int>(-1)

    static func measure(_ body: () -> Void) -> Int {
        count.store(0, ordering: .relaxed)
        MallocInterposerSwift.initialize()
        MallocInterposerSwift.setAllocationHook { size in
            if UInt(pthread_self()) == LoopThreadAllocations.watchedThread.load(ordering: .relaxed) {
                LoopThreadAllocations.count.add(1, ordering: .relaxed)
                LoopThreadAllocations.lastSize.store(size, ordering: .relaxed)
                LoopThreadAllocations.atTick.store(LoopThreadAllocations.currentTick.load(ordering: .relaxed), ordering: .relaxed)
            }
        }
        MallocInterposerSwift.hook()
        body()
        MallocInterposerSwift.unhook()
        MallocInterposerSwift.setAllocationHook(nil)
        return count.load(ordering: .relaxed)
    }
}

/// A tick that allocates only when asked, to prove the measurement can see an allocation.
final class AllocationProbeTask: ControlTask {
    let ticks: UInt64
    let allocateEveryTick: Bool
    var sink: [Int] = []
    var warmTicks: UInt64 = 0

    init(ticks: UInt64, allocateEveryTick: Bool) {
        self.ticks = ticks
        self.allocateEveryTick = allocateEveryTick
    }

    func loopWillStart() {
        // Allocation is allowed before the first tick; the watch starts with the ticks.
        LoopThreadAllocations.watchedThread.store(UInt(pthread_self()), ordering: .relaxed)
    }

    func tick(_ clock: inout TickClock) -> TickOutcome {
        LoopThreadAllocations.currentTick.store(Int(clock.tick), ordering: .relaxed)
        if allocateEveryTick {
            sink = Array(repeating: Int(clock.tick), count: 16)
        }
        clock.markPhase()
        clock.markPhase()
        return clock.tick + 1 >= ticks ? .finished : .proceed
    }
}

@Suite(.serialized) struct AllocationTests {
    @Test func theLoopAndItsTimingPathMakeNoHeapAllocationPerTick() {
        let task = AllocationProbeTask(ticks: 2000, allocateEveryTick: false)
        let loop = ControlLoop(configuration: LoopConfiguration(rateHz: 2000, realtime: .none, phaseNames: ["a", "b"]), task: task)
        let allocations = LoopThreadAllocations.measure { _ = loop.run() }
        #expect(loop.statistics.snapshot().ticks == 2000)
        #expect(allocations == 0, "size \(LoopThreadAllocations.lastSize.load(ordering: .relaxed)) at tick \(LoopThreadAllocations.atTick.load(ordering: .relaxed))")
    }

    @Test func theMeasurementSeesATickThatAllocates() {
        let task = AllocationProbeTask(ticks: 200, allocateEveryTick: true)
        let loop = ControlLoop(configuration: LoopConfiguration(rateHz: 2000, realtime: .none), task: task)
        let allocations = LoopThreadAllocations.measure { _ = loop.run() }
        #expect(allocations >= 200)
    }
}
