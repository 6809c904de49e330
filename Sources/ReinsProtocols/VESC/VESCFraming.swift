/// Something that can be sent as the payload of one VESC frame: a command, a reply, or raw bytes.
///
/// Encoding is two-phase so a frame is never left half-written in the caller's writer: the
/// throwing `payloadLength()` checks every value fits its wire field, and only then is `write`
/// called, which cannot fail.
public protocol VESCPayload {
    /// The number of bytes `write` appends (command id included), after checking every field.
    func payloadLength() throws(VESCError) -> Int
    /// Appends the payload; called only after `payloadLength()` succeeded.
    func write(into writer: ByteWriter)
}

/// Frame layout: `02 LEN payload CRC_hi CRC_lo 03` for payloads up to 255 bytes,
/// `03 LEN_hi LEN_lo payload CRC_hi CRC_lo 03` for 256...65535. The CRC covers the payload only.
public enum VESCFraming {
    public static let shortFrameStart: UInt8 = 0x02
    public static let longFrameStart: UInt8 = 0x03
    public static let frameEnd: UInt8 = 0x03
    public static let maximumPayloadLength = 65535

    /// Total frame bytes for a payload of `payloadLength` bytes.
    public static func frameLength(payloadLength: Int) -> Int {
        payloadLength + (payloadLength <= 255 ? 5 : 6)
    }

    /// Appends one frame carrying `payload` to `writer` (after what it already holds).
    public static func encode(_ payload: some VESCPayload, into writer: ByteWriter) throws(VESCError) {
        let length = try payload.payloadLength()
        try encodeFrame(payloadLength: length, into: writer) { payload.write(into: $0) }
    }

    /// Appends one frame carrying raw payload bytes (byte 0 is the command id).
    public static func encode(payload bytes: UnsafeRawBufferPointer, into writer: ByteWriter) throws(VESCError) {
        try encodeFrame(payloadLength: bytes.count, into: writer) { $0.append(contentsOf: bytes) }
    }

    /// A new array holding one frame, for tests and non-real-time code.
    public static func frame(_ payload: some VESCPayload) throws(VESCError) -> [UInt8] {
        let length = try payload.payloadLength()
        let writer = ByteWriter(capacity: frameLength(payloadLength: length))
        try encode(payload, into: writer)
        return writer.array
    }

    /// A new array holding one frame around raw payload bytes.
    public static func frame(payload bytes: [UInt8]) throws(VESCError) -> [UInt8] {
        let writer = ByteWriter(capacity: frameLength(payloadLength: bytes.count))
        try bytes.withUnsafeBytes { raw in Result { () throws(VESCError) in try encode(payload: raw, into: writer) } }.get()
        return writer.array
    }

    private static func encodeFrame(payloadLength length: Int, into writer: ByteWriter,
                                    writePayload: (ByteWriter) -> Void) throws(VESCError) {
        guard length >= 1 && length <= maximumPayloadLength else {
            throw .payloadLengthOutOfRange(length: length)
        }
        let needed = frameLength(payloadLength: length)
        let available = writer.capacity - writer.count
        guard needed <= available else { throw .writerFull(needed: needed, available: available) }
        if length <= 255 {
            writer.append(shortFrameStart)
            writer.append(UInt8(length))
        } else {
            writer.append(longFrameStart)
            writer.appendBigEndian(UInt16(length))
        }
        let payloadStart = writer.count
        writePayload(writer)
        precondition(writer.count - payloadStart == length,
                     "VESC payload wrote \(writer.count - payloadStart) bytes but declared \(length)")
        let crc = VESCChecksum.crc16(UnsafeRawBufferPointer(rebasing: writer.bytes[payloadStart...]))
        writer.appendBigEndian(crc)
        writer.append(frameEnd)
    }
}
