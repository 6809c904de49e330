/// A typed MAVLink message: a plain struct of numbers that reads itself from a payload and writes
/// itself in wire order, so neither direction allocates.
///
/// Wire order is not declaration order: base fields are sorted by type size (8, 4, 2, 1 bytes;
/// arrays by element size; ties keep declaration order), then extension fields follow in
/// declaration order. Extension fields are not part of CRC_EXTRA, so a sender built from an older
/// definition simply sends a shorter payload.
public protocol MAVLinkMessage: Sendable, Equatable {
    static var messageID: UInt32 { get }
    static var crcExtra: UInt8 { get }
    /// Payload bytes of the base fields (those CRC_EXTRA covers).
    static var basePayloadLength: Int { get }
    /// Payload bytes with every extension field: what `write` appends, before the encoder strips
    /// trailing zeros.
    static var payloadLength: Int { get }

    /// Reads a payload as received. Missing bytes read as zero: MAVLink 2 strips trailing zero
    /// bytes, and a sender with an older definition leaves out extension fields. Longer payloads
    /// (extension fields this definition does not know) are ignored past `payloadLength`.
    init(payload: UnsafeRawBufferPointer)

    /// Appends exactly `payloadLength` bytes in wire order.
    func write(to writer: ByteWriter)
}

extension MAVLinkMessage {
    /// Reads a payload from an array, for tests and non-real-time code.
    public init(payload bytes: [UInt8]) {
        self = bytes.withUnsafeBytes { Self(payload: $0) }
    }

    public static var info: MAVLinkMessageInfo {
        MAVLinkMessageTable.common.info(forID: messageID)
            ?? MAVLinkMessageInfo(id: messageID, crcExtra: crcExtra, minimumLength: basePayloadLength,
                                  maximumLength: payloadLength, name: "\(Self.self)")
    }
}

extension ByteWriter {
    /// MAVLink floats are IEEE 754 singles, little-endian.
    @inline(__always)
    func appendLittleEndian(_ value: Float) {
        appendLittleEndian(value.bitPattern)
    }
}
