/// A fixed-size, zero-initialised block of memory handed to the C kernels. Its address never
/// changes, so two threads can work on disjoint parts without Swift's copy-on-write or
/// exclusivity checks getting in between; the owner orders their access (HalfBatchThread).
final class KernelBuffer<Element: BitwiseCopyable>: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Element>
    let count: Int

    init(count: Int, zero: Element) {
        self.count = count
        pointer = .allocate(capacity: max(1, count))
        pointer.initialize(repeating: zero, count: max(1, count))
    }

    deinit { pointer.deallocate() }

    subscript(index: Int) -> Element {
        get { pointer[index] }
        set { pointer[index] = newValue }
    }

    var array: [Element] { Array(UnsafeBufferPointer(start: pointer, count: count)) }

    func copy(from values: [Element]) {
        precondition(values.count == count, "copying \(values.count) values into \(count)")
        values.withUnsafeBufferPointer { pointer.update(from: $0.baseAddress!, count: count) }
    }
}

extension KernelBuffer where Element == Float {
    convenience init(count: Int) { self.init(count: count, zero: 0) }
}
