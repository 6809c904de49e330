import Synchronization

/// A lock-free single-producer, single-consumer ring buffer of plain values.
///
/// This is how the control loop hands data to other threads: the producer (the loop) never blocks,
/// never allocates and never takes a lock; when the ring is full the value is dropped and counted,
/// because a late recorder must not delay the robot. Storage is allocated once, at init.
/// Elements are `BitwiseCopyable` so pushing and popping involve no reference counting.
public final class SPSCRing<Element: BitwiseCopyable>: @unchecked Sendable {
    public let capacity: Int
    private let mask: Int
    private let storage: UnsafeMutablePointer<Element>
    // Monotonically increasing positions; index = position & mask. Int overflow would take
    // 2^63 pushes, which at 1 MHz is about 290 000 years.
    private let writePosition = Atomic<Int>(0)
    private let readPosition = Atomic<Int>(0)
    private let dropped = Atomic<Int>(0)

    /// - Parameter capacity: rounded up to a power of two, at least 2.
    public init(capacity: Int) {
        var size = 2
        while size < capacity { size <<= 1 }
        self.capacity = size
        self.mask = size - 1
        self.storage = UnsafeMutablePointer<Element>.allocate(capacity: size)
    }

    deinit {
        storage.deallocate()
    }

    /// Producer side. Returns false (and counts a drop) when the consumer has fallen a full ring behind.
    @inline(__always)
    @discardableResult
    public func push(_ element: Element) -> Bool {
        let write = writePosition.load(ordering: .relaxed)
        let read = readPosition.load(ordering: .acquiring)
        if write &- read >= capacity {
            dropped.wrappingAdd(1, ordering: .relaxed)
            return false
        }
        (storage + (write & mask)).initialize(to: element)
        writePosition.store(write &+ 1, ordering: .releasing)
        return true
    }

    /// Consumer side. Returns nil when empty.
    @inline(__always)
    public func pop() -> Element? {
        let read = readPosition.load(ordering: .relaxed)
        let write = writePosition.load(ordering: .acquiring)
        if read == write { return nil }
        let element = (storage + (read & mask)).move()
        readPosition.store(read &+ 1, ordering: .releasing)
        return element
    }

    /// Consumer side: hands every queued element to `body`, oldest first, and returns how many.
    @discardableResult
    public func drain(_ body: (Element) -> Void) -> Int {
        var count = 0
        while let element = pop() {
            body(element)
            count += 1
        }
        return count
    }

    /// Elements pushed but not yet popped (approximate while the other side is running).
    public var count: Int {
        writePosition.load(ordering: .acquiring) &- readPosition.load(ordering: .acquiring)
    }

    /// Elements the producer could not push because the ring was full.
    public var droppedCount: Int {
        dropped.load(ordering: .relaxed)
    }
}
