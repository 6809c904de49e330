/// A fixed-capacity output buffer that encoders write frames into.
///
/// Storage is allocated once; encoding a frame into it never allocates, so drivers can encode on
/// the control thread. Writing past the capacity sets `overflowed` instead of crashing; encoders
/// check it and report an error.
public final class ByteWriter: @unchecked Sendable {
    public let capacity: Int
    public private(set) var count = 0
    public private(set) var overflowed = false
    private let storage: UnsafeMutablePointer<UInt8>

    public init(capacity: Int) {
        self.capacity = capacity
        storage = .allocate(capacity: max(capacity, 1))
    }

    deinit { storage.deallocate() }

    /// Forgets the contents (keeps the storage).
    @inline(__always)
    public func reset() {
        count = 0
        overflowed = false
    }

    @inline(__always)
    public func append(_ byte: UInt8) {
        guard count < capacity else { overflowed = true; return }
        storage[count] = byte
        count += 1
    }

    public func append(contentsOf bytes: UnsafeRawBufferPointer) {
        for byte in bytes { append(byte) }
    }

    public func append(contentsOf bytes: [UInt8]) {
        for byte in bytes { append(byte) }
    }

    @inline(__always)
    public func appendLittleEndian<T: FixedWidthInteger>(_ value: T) {
        var v = value.littleEndian
        withUnsafeBytes(of: &v) { for byte in $0 { append(byte) } }
    }

    @inline(__always)
    public func appendBigEndian<T: FixedWidthInteger>(_ value: T) {
        var v = value.bigEndian
        withUnsafeBytes(of: &v) { for byte in $0 { append(byte) } }
    }

    /// Overwrites a byte already written (length and checksum fields are filled in last).
    @inline(__always)
    public func set(_ byte: UInt8, at index: Int) {
        guard index < count else { overflowed = true; return }
        storage[index] = byte
    }

    @inline(__always)
    public subscript(index: Int) -> UInt8 { storage[index] }

    /// The bytes written so far; valid until the next write or reset.
    public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: storage, count: count) }

    /// A copy of the bytes, for tests and non-real-time code.
    public var array: [UInt8] { Array(bytes) }
}
