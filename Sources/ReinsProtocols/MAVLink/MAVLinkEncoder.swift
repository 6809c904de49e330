/// Encodes MAVLink 2 frames for one sender (system id, component id, sequence counter, and
/// optionally a signing context).
///
/// Frames are written into a caller-supplied `ByteWriter`; the payload is first written into
/// storage the encoder allocated in `init`, to strip its trailing zeros, so encoding never
/// allocates, signing included (Reins' own SHA-256, see `MAVLinkSignatureHash`).
public final class MAVLinkEncoder: @unchecked Sendable {
    public static let magic: UInt8 = 0xFD
    public static let headerLength = 10
    public static let signatureLength = 13
    /// The longest possible frame: header, 255-byte payload, CRC, signature.
    public static let maximumFrameLength = headerLength + 255 + 2 + signatureLength

    public var systemID: UInt8
    public var componentID: UInt8
    /// The sequence number the next frame carries; it wraps at 255 so receivers can count losses.
    public var sequence: UInt8 = 0
    /// When set, every frame is signed and its timestamp advances by one per frame.
    public var signing: MAVLinkSigningContext?

    private let payloadScratch = ByteWriter(capacity: 255)

    public init(systemID: UInt8, componentID: UInt8, signing: MAVLinkSigningContext? = nil) {
        self.systemID = systemID
        self.componentID = componentID
        self.signing = signing
    }

    /// Appends one frame carrying `message` to `writer`.
    public func encode<M: MAVLinkMessage>(_ message: M, into writer: ByteWriter) throws(MAVLinkError) {
        payloadScratch.reset()
        message.write(to: payloadScratch)
        precondition(payloadScratch.count == M.payloadLength && !payloadScratch.overflowed,
                     "\(M.self).write wrote \(payloadScratch.count) bytes, declared \(M.payloadLength)")
        try encodeFrame(messageID: M.messageID, crcExtra: M.crcExtra, payload: payloadScratch.bytes, into: writer)
    }

    /// Appends one frame carrying a raw payload (for messages without a typed struct); trailing
    /// zeros are stripped as for typed messages.
    public func encode(messageID: UInt32, crcExtra: UInt8, payload: UnsafeRawBufferPointer,
                       into writer: ByteWriter) throws(MAVLinkError) {
        try encodeFrame(messageID: messageID, crcExtra: crcExtra, payload: payload, into: writer)
    }

    /// A new array holding one frame, for tests and non-real-time code.
    public func frame<M: MAVLinkMessage>(_ message: M) throws(MAVLinkError) -> [UInt8] {
        let writer = ByteWriter(capacity: Self.maximumFrameLength)
        try encode(message, into: writer)
        return writer.array
    }

    private func encodeFrame(messageID: UInt32, crcExtra: UInt8, payload: UnsafeRawBufferPointer,
                             into writer: ByteWriter) throws(MAVLinkError) {
        guard payload.count <= 255 else { throw .payloadTooLong(length: payload.count) }
        guard messageID <= 0xFF_FFFF else { throw .messageIDOutOfRange(messageID) }
        // MAVLink 2 sends the payload without its trailing zero bytes, but at least one byte.
        var length = payload.count
        while length > 1 && payload[length - 1] == 0 { length -= 1 }
        let isSigned = signing != nil
        let needed = Self.headerLength + length + 2 + (isSigned ? Self.signatureLength : 0)
        let available = writer.capacity - writer.count
        guard needed <= available else { throw .writerFull(needed: needed, available: available) }
        let timestamp = try signing?.takeTimestamp()

        let frameStart = writer.count
        writer.append(Self.magic)
        writer.append(UInt8(length))
        writer.append(isSigned ? MAVLinkFrameHeader.signedFlag : 0)
        writer.append(0)
        writer.append(sequence)
        writer.append(systemID)
        writer.append(componentID)
        writer.append(UInt8(truncatingIfNeeded: messageID))
        writer.append(UInt8(truncatingIfNeeded: messageID >> 8))
        writer.append(UInt8(truncatingIfNeeded: messageID >> 16))
        writer.append(contentsOf: UnsafeRawBufferPointer(rebasing: payload[0..<length]))

        var checksum = MAVLinkChecksum()
        checksum.accumulate(UnsafeRawBufferPointer(rebasing: writer.bytes[(frameStart + 1)...]))
        checksum.accumulate(crcExtra)
        writer.appendLittleEndian(checksum.value)

        if let signing, let timestamp {
            writer.append(signing.linkID)
            for index in 0..<6 { writer.append(UInt8(truncatingIfNeeded: timestamp >> (8 * UInt64(index)))) }
            let hash = MAVLinkSignatureHash.compute(
                key: signing.key, signedBytes: UnsafeRawBufferPointer(rebasing: writer.bytes[frameStart...]))
            for index in 0..<6 { writer.append(UInt8(truncatingIfNeeded: hash >> (8 * UInt64(index)))) }
        }
        sequence &+= 1
    }
}
