/// A decoder that finds frames in a byte stream which may split them anywhere and carry noise: the
/// Dynamixel, Feetech, VESC and MAVLink decoders.
///
/// What every such decoder does is written once, here: `feed` whatever the link delivers, then call
/// `next()` until it returns nil; bytes before a possible frame start are skipped, anything that is not
/// a valid frame loses only its first byte (so a valid frame that begins inside a broken one is still
/// found), and every byte fed ends up in exactly one place: a returned frame, `discardedBytes`,
/// `overflowBytes`, or the buffer waiting for the rest of a frame. A conforming decoder only says where
/// a frame can start (`couldStartFrame`) and what the bytes at the front are (`scanFrame`).
///
/// Real-time: a decoder allocates its storage in `init`; `feed` and `next` never allocate. Returned
/// frames are views into the decoder's storage, valid until the next call into it. Use from one thread
/// at a time.
public protocol StreamingDecoder: AnyObject {
    associatedtype Frame
    /// The received bytes not yet parsed, and the counters.
    var input: DecoderInput { get }
    /// Whether a frame could start at `position` of `bytes`; the bytes may end before its header does.
    static func couldStartFrame(_ bytes: UnsafeRawBufferPointer, at position: Int) -> Bool
    /// What the bytes at the front of the buffer are (they start where a frame could): a frame, copied
    /// into the decoder's own storage, or the reason they are not. Called only by `next()`.
    func scanFrame(_ bytes: UnsafeRawBufferPointer) -> FrameScan<Frame>
}

/// What a decoder found at the front of its buffer.
public enum FrameScan<Frame> {
    /// Possibly a frame, whose rest has not arrived yet.
    case needMoreBytes
    /// A complete, valid frame of `length` bytes.
    case frame(Frame, length: Int)
    /// Not a frame: an impossible length or structure. Its first byte is skipped and counted.
    case malformed
    /// A frame whose checksum or CRC does not match. Its first byte is skipped and counted.
    case checksumMismatch
    /// Bytes to skip that are no error of the link (a frame of another protocol version, one the
    /// decoder's own rules refuse and count elsewhere).
    case skip(Int)
}

/// The bytes a streaming decoder has received and not yet parsed, and its counters. Storage is
/// allocated once and compacted in place.
public final class DecoderInput: @unchecked Sendable {
    public private(set) var counters = DecoderCounters()
    let buffer: ReceiveBuffer

    /// - Parameter capacity: bytes held between `feed` and `next`; bytes that do not fit push out the
    ///   oldest (counted in `counters.overflowBytes`).
    public init(capacity: Int) {
        buffer = ReceiveBuffer(capacity: capacity)
    }

    @inline(__always)
    func discard(_ count: Int) {
        guard count > 0 else { return }
        counters.discardedBytes += UInt64(count)
        buffer.consume(count)
    }

    func take(frameOfLength length: Int) {
        buffer.consume(length)
        counters.frames += 1
    }

    func append(_ bytes: UnsafeRawBufferPointer) {
        counters.overflowBytes += UInt64(buffer.append(bytes))
    }

    func rejectFirstByte(checksum: Bool) {
        if checksum { counters.checksumErrors += 1 } else { counters.malformedFrames += 1 }
        discard(1)
    }

    func dropAll() {
        counters.discardedBytes += UInt64(buffer.count)
        buffer.reset()
    }
}

extension StreamingDecoder {
    public var counters: DecoderCounters { input.counters }

    /// Bytes received but not yet returned or skipped (the start of an incomplete frame, typically).
    public var bufferedByteCount: Int { input.buffer.count }

    public func feed(_ bytes: UnsafeRawBufferPointer) {
        input.append(bytes)
    }

    public func feed(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { feed($0) }
    }

    /// The next complete, valid frame, or nil when more bytes are needed.
    public func next() -> Frame? {
        while true {
            skipToPossibleFrame()
            guard !input.buffer.isEmpty else { return nil }
            switch scanFrame(input.buffer.readable) {
            case .needMoreBytes:
                return nil
            case .frame(let frame, let length):
                input.take(frameOfLength: length)
                return frame
            case .malformed:
                input.rejectFirstByte(checksum: false)
            case .checksumMismatch:
                input.rejectFirstByte(checksum: true)
            case .skip(let count):
                input.discard(count)
            }
        }
    }

    /// Gives up on the incomplete frame at the front of the buffer: its first byte is discarded
    /// (counted as malformed) and the bytes after it are searched again. Returns false when no frame
    /// was waiting.
    ///
    /// Noise that looks like a header with a long length makes the decoder wait for that many bytes
    /// before it can tell. The codecs have no clock, so a driver calls this when a frame has stayed
    /// incomplete longer than the link needs to deliver one (a reply that timed out).
    @discardableResult
    public func resynchronize() -> Bool {
        skipToPossibleFrame()
        guard !input.buffer.isEmpty else { return false }
        input.rejectFirstByte(checksum: false)
        return true
    }

    /// Drops everything buffered (counted as discarded), for example before a new transaction or
    /// after reopening a port.
    public func reset() {
        input.dropAll()
    }

    private func skipToPossibleFrame() {
        let bytes = input.buffer.readable
        var position = 0
        while position < bytes.count && !Self.couldStartFrame(bytes, at: position) {
            position += 1
        }
        input.discard(position)
    }
}
