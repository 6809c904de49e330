/// A fixed-capacity buffer of received bytes that streaming decoders parse from.
///
/// Bytes arrive in arbitrary pieces (a serial read may split a frame anywhere); decoders look at
/// `readable`, and `consume` what they have parsed or skipped. Storage is allocated once and
/// compacted in place, so the receive path never allocates.
public final class ReceiveBuffer: @unchecked Sendable {
    public let capacity: Int
    private let storage: UnsafeMutablePointer<UInt8>
    private var start = 0
    private var end = 0

    public init(capacity: Int) {
        self.capacity = capacity
        storage = .allocate(capacity: max(capacity, 1))
    }

    deinit { storage.deallocate() }

    public var count: Int { end - start }
    public var isEmpty: Bool { start == end }

    /// The unparsed bytes, oldest first; valid until the next append, consume or reset.
    public var readable: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: storage + start, count: end - start) }

    @inline(__always)
    public subscript(offset: Int) -> UInt8 { storage[start + offset] }

    /// Appends bytes. If they do not fit even after compaction, the oldest unparsed bytes are
    /// dropped (the decoder resynchronises on the next header) and the number dropped is returned.
    @discardableResult
    public func append(_ bytes: UnsafeRawBufferPointer) -> Int {
        var incoming = bytes
        var dropped = 0
        if incoming.count > capacity {
            dropped += incoming.count - capacity
            incoming = UnsafeRawBufferPointer(rebasing: incoming[(incoming.count - capacity)...])
        }
        if end + incoming.count > capacity { compact() }
        if end + incoming.count > capacity {
            let excess = end + incoming.count - capacity
            consume(excess)
            dropped += excess
            compact()
        }
        if let base = incoming.baseAddress, incoming.count > 0 {
            (storage + end).update(from: base.assumingMemoryBound(to: UInt8.self), count: incoming.count)
            end += incoming.count
        }
        return dropped
    }

    @discardableResult
    public func append(_ bytes: [UInt8]) -> Int {
        bytes.withUnsafeBytes { append($0) }
    }

    /// Space to read into directly (for example with `read(2)`), after compaction; commit what was written.
    public func writableSpace() -> UnsafeMutableRawBufferPointer {
        if end == capacity { compact() }
        return UnsafeMutableRawBufferPointer(start: storage + end, count: capacity - end)
    }

    public func commit(_ written: Int) {
        end = min(capacity, end + max(0, written))
    }

    /// Discards `n` parsed (or skipped) bytes from the front.
    @inline(__always)
    public func consume(_ n: Int) {
        start = min(end, start + max(0, n))
        if start == end { start = 0; end = 0 }
    }

    public func reset() {
        start = 0
        end = 0
    }

    private func compact() {
        guard start > 0 else { return }
        let n = end - start
        if n > 0 { (storage).update(from: storage + start, count: n) }
        start = 0
        end = n
    }
}

/// Counters every streaming decoder keeps, for link health reports.
public struct DecoderCounters: Sendable, Equatable {
    /// Complete, valid frames returned.
    public var frames: UInt64 = 0
    /// Bytes skipped while looking for a frame header (noise, partial frames after a resync).
    public var discardedBytes: UInt64 = 0
    /// Frames whose checksum or CRC did not match.
    public var checksumErrors: UInt64 = 0
    /// Frames with an impossible length or malformed structure.
    public var malformedFrames: UInt64 = 0
    /// Bytes lost because the receive buffer was full.
    public var overflowBytes: UInt64 = 0

    public init() {}
}
