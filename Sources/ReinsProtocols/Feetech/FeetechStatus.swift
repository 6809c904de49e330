/// A Feetech reply as an owned value: who answered, its error byte, and the data.
///
/// The driver usually reads replies as `FeetechPacket` views (no copy); this is for the simulator,
/// which encodes replies, and for tests.
public struct FeetechStatus: Sendable, Equatable {
    public var id: UInt8
    public var error: FeetechStatusError
    /// The register bytes for READ and SYNC_READ; empty for PING and WRITE.
    public var data: [UInt8]

    public init(id: UInt8, error: FeetechStatusError = [], data: [UInt8] = []) {
        self.id = id
        self.error = error
        self.data = data
    }

    /// Appends `FF FF ID LEN ERR data CHK` to `writer` without allocating.
    public func encode(into writer: ByteWriter) throws(FeetechEncodingError) {
        guard FeetechDeviceID.isDevice(id) else { throw .invalidID(id) }
        guard data.count + 2 <= Int(UInt8.max) else { throw .packetTooLong(length: data.count + 2) }
        var frame = try FeetechFrameWriter(id: id, instruction: error.rawValue, into: writer)
        frame.append(data)
        try frame.finish()
    }

    /// The encoded packet as a new array (for tests and non-real-time code).
    public func encoded() throws(FeetechEncodingError) -> [UInt8] {
        let writer = ByteWriter(capacity: FeetechFrameWriter.prefixLength + 2 + data.count)
        try encode(into: writer)
        return writer.array
    }
}
