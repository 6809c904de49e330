import ReinsCore
import ReinsTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite struct SPSCRingTests {
    @Test func keepsOrderAndRoundsCapacityUpToAPowerOfTwo() {
        let ring = SPSCRing<Int>(capacity: 5)
        #expect(ring.capacity == 8)
        for value in 0..<8 { #expect(ring.push(value)) }
        var seen: [Int] = []
        ring.drain { seen.append($0) }
        #expect(seen == Array(0..<8))
        #expect(ring.pop() == nil)
    }

    @Test func dropsAndCountsWhenFullInsteadOfBlockingTheProducer() {
        let ring = SPSCRing<UInt64>(capacity: 4)
        for value in 0..<6 { ring.push(UInt64(value)) }
        #expect(ring.count == 4)
        #expect(ring.droppedCount == 2)
        #expect(ring.pop() == 0)
        #expect(ring.push(99))
    }

    @Test func deliversEveryValueExactlyOnceAcrossThreads() {
        let ring = SPSCRing<UInt64>(capacity: 1024)
        let total: UInt64 = 500_000
        let producer = TestThread {
            var next: UInt64 = 0
            while next < total {
                if ring.push(next) { next += 1 }
            }
        }
        var expected: UInt64 = 0
        var outOfOrder = 0
        while expected < total {
            if let value = ring.pop() {
                if value != expected { outOfOrder += 1 }
                expected += 1
            }
        }
        producer.join()
        #expect(outOfOrder == 0)
        #expect(ring.pop() == nil)
    }
}
