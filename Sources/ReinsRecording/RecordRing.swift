import Synchronization

/// What one ring slot holds: a tick, an episode boundary or an event.
enum SlotKind: UInt8 {
    case tick = 0
    case episodeStart = 1
    case episodeEnd = 2
    case event = 3
}

/// The fixed part of a ring slot. A tick's five buffers follow it in the slot, as Doubles.
/// Enums are stored as their raw values so the header stays a plain bit pattern.
struct SlotHeader: BitwiseCopyable {
    var kind: UInt8 = 0
    var source: UInt8 = 0
    var segment: UInt8 = 0
    var response: UInt8 = 0
    var rule: UInt8 = 0
    /// Bit 0: fresh state; bit 1: takeover requested.
    var flags: UInt8 = 0
    /// Episode outcome or event kind.
    var detail: UInt8 = 0
    /// The operator who drove a human tick (index into the recorder's operator names).
    var operatorIndex: UInt8 = 0
    var stateCount: UInt16 = 0
    var observationCount: UInt16 = 0
    var proposedCount: UInt16 = 0
    var correctedCount: UInt16 = 0
    var appliedCount: UInt16 = 0
    var episode: UInt32 = 0
    var innovationEntry: Int32 = -1
    var clamps: UInt32 = 0
    var periodErrorNanoseconds: UInt32 = 0
    var previousTickNanoseconds: UInt32 = 0
    var code: Int64 = 0
    var tick: UInt64 = 0
    var monotonicNanoseconds: UInt64 = 0
    var stateAgeNanoseconds: UInt64 = 0
    var sensitivity: Double = .nan
    var innovationJump: Double = 0
    var confidence: Double = .nan
    var entropy: Double = .nan
    var value: Double = .nan

    /// Computed, not a stored static: a constant the compiler folds, with no lazy initialisation
    /// on the loop's first call.
    static var bytes: Int { (MemoryLayout<SlotHeader>.stride + 7) & ~7 }
}

/// A lock-free single-producer, single-consumer ring of fixed-size byte slots, sized per run.
///
/// Why not `SPSCRing<Element>`: its element is a compile-time type, so a tick with five buffers
/// whose lengths are known only from the robot description would need a worst-case fixed-size
/// struct, built on the loop's stack and copied again into the ring. Here the slot size is
/// computed once from the run's buffer lengths, and the producer copies a sample's buffers
/// straight into the slot it reserved. Same protocol as `SPSCRing`: monotonically increasing
/// positions, the producer publishes with a release store, the consumer frees a slot with one;
/// nothing blocks, nothing allocates after init, a full ring drops and counts.
final class RecordRing: @unchecked Sendable {
    let capacity: Int
    let slotBytes: Int
    private let mask: Int
    private let storage: UnsafeMutableRawPointer
    private let writePosition = Atomic<Int>(0)
    private let readPosition = Atomic<Int>(0)

    /// - Parameters:
    ///   - slots: rounded up to a power of two.
    ///   - doublesPerSlot: room after the header for a tick's buffers.
    init(slots: Int, doublesPerSlot: Int) {
        var size = 2
        while size < slots { size <<= 1 }
        capacity = size
        mask = size - 1
        // Whole cache lines per slot, so the producer and consumer never share a line.
        slotBytes = (SlotHeader.bytes + 8 * doublesPerSlot + 63) & ~63
        storage = .allocate(byteCount: size * slotBytes, alignment: 64)
        // Touch every page now: a first write from the control loop must not page-fault.
        storage.initializeMemory(as: UInt8.self, repeating: 0, count: size * slotBytes)
    }

    deinit {
        storage.deallocate()
    }

    /// Producer side: the next free slot, or nil when the consumer is a full ring behind.
    /// Fill it, then call `publish()`.
    @inline(__always)
    func reserve() -> UnsafeMutableRawPointer? {
        let write = writePosition.load(ordering: .relaxed)
        let read = readPosition.load(ordering: .acquiring)
        if write &- read >= capacity { return nil }
        return storage + (write & mask) * slotBytes
    }

    @inline(__always)
    func publish() {
        writePosition.store(writePosition.load(ordering: .relaxed) &+ 1, ordering: .releasing)
    }

    /// Consumer side: the oldest published slot, or nil when empty. Call `release()` when done.
    @inline(__always)
    func peek() -> UnsafeRawPointer? {
        let read = readPosition.load(ordering: .relaxed)
        let write = writePosition.load(ordering: .acquiring)
        if read == write { return nil }
        return UnsafeRawPointer(storage + (read & mask) * slotBytes)
    }

    @inline(__always)
    func release() {
        readPosition.store(readPosition.load(ordering: .relaxed) &+ 1, ordering: .releasing)
    }

    /// Slots published but not yet released (approximate while the other side runs).
    var count: Int {
        writePosition.load(ordering: .acquiring) &- readPosition.load(ordering: .acquiring)
    }
}
