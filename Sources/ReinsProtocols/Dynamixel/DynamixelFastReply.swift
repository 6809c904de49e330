/// The one status packet that answers FAST_SYNC_READ and FAST_BULK_READ.
///
/// All addressed devices answer together in a single packet from the broadcast ID:
/// `FF FF FD 00 FE LEN 55`, then per device `ERR ID data CRC`, where each CRC covers everything from
/// the first header byte to the end of that device's data, and the last device's CRC is the packet
/// CRC. The first device's ERR sits where a normal status packet has its error byte. Devices send
/// this packet without byte stuffing, so it is read from the raw frame, not the unstuffed parameters.
public enum DynamixelFastReply {
    /// Appends the reply of `devices` (in the order they answer) to `writer` without allocating.
    /// For FAST_SYNC_READ every device carries the same number of bytes; FAST_BULK_READ may differ.
    public static func encode(_ devices: [DynamixelStatus], into writer: ByteWriter) throws(DynamixelEncodingError) {
        try DynamixelDeviceID.validateDeviceList(count: devices.count, .fastSyncRead) { devices[$0].id }
        let length = frameLength(devices) - DynamixelFrameWriter.prefixLength
        guard length <= Int(UInt16.max) else { throw .packetTooLong(length: length) }
        var frame = try DynamixelFrameWriter(
            id: DynamixelDeviceID.broadcast, instruction: DynamixelInstructionCode.status.rawValue, into: writer)
        // The running CRCs cover LEN, so LEN is written before the first of them.
        frame.setLength(length)
        for position in devices.indices {
            let device = devices[position]
            if position > 0 {
                let crc = frame.runningCRC()
                frame.appendUnstuffed(UInt8(truncatingIfNeeded: crc))
                frame.appendUnstuffed(UInt8(truncatingIfNeeded: crc >> 8))
            }
            frame.appendUnstuffed(device.error.rawValue)
            frame.appendUnstuffed(device.id)
            for index in device.data.indices { frame.appendUnstuffed(device.data[index]) }
        }
        try frame.finish()
    }

    /// Header to CRC: INST, then ERR, ID, data and CRC per device (the last CRC is the packet's).
    private static func frameLength(_ devices: [DynamixelStatus]) -> Int {
        var length = DynamixelFrameWriter.prefixLength + 1
        for index in devices.indices { length += 4 + devices[index].data.count }
        return length
    }

    /// The encoded reply as a new array (for the simulator's tests and non-real-time code).
    public static func encoded(_ devices: [DynamixelStatus]) throws(DynamixelEncodingError) -> [UInt8] {
        let writer = ByteWriter(capacity: frameLength(devices))
        try encode(devices, into: writer)
        return writer.array
    }
}

/// One device's part of a fast read reply; `data` points into the decoder's storage.
public struct DynamixelFastReplySegment {
    public let id: UInt8
    public let error: DynamixelDeviceError
    public let data: UnsafeRawBufferPointer
}

extension DynamixelStatus {
    /// An owned copy of one device's part of a fast read reply.
    public init(_ segment: DynamixelFastReplySegment) {
        self.init(id: segment.id, error: segment.error, data: Array(segment.data))
    }
}

/// The per-device segments of a fast read reply, in the order the devices answered. Creating it
/// checks every segment's CRC; iterating does not allocate.
public struct DynamixelFastReplySegments: Sequence {
    enum DataLengths {
        case uniform(Int)
        case requested([DynamixelBulkReadEntry])

        func length(of id: UInt8) -> Int? {
            switch self {
            case .uniform(let length):
                return length
            case .requested(let entries):
                for index in entries.indices where entries[index].id == id { return Int(entries[index].length) }
                return nil
            }
        }
    }

    /// Index of the first segment's error byte (after the header, ID, LEN and the 0x55).
    static let firstSegmentOffset = 8

    let frame: UnsafeRawBufferPointer
    let lengths: DataLengths
    /// How many devices answered.
    public let count: Int

    init(frame: UnsafeRawBufferPointer, lengths: DataLengths) throws(DynamixelDecodingError) {
        self.frame = frame
        self.lengths = lengths
        var crc: UInt16 = 0
        var crcEnd = 0
        var offset = Self.firstSegmentOffset
        var position = 0
        while offset < frame.count {
            guard frame.count - offset >= 4 else {
                throw .fastReplyLength(frameLength: frame.count,
                                       detail: "\(frame.count - offset) bytes left at offset \(offset), a segment needs at least 4")
            }
            let id = frame[offset + 1]
            guard let dataLength = lengths.length(of: id) else {
                throw .fastReplyUnexpectedDevice(position: position, id: id)
            }
            let dataEnd = offset + 2 + dataLength
            guard dataEnd + 2 <= frame.count else {
                throw .fastReplyLength(frameLength: frame.count,
                                       detail: "segment \(position) (device \(id)) needs \(dataLength) data bytes + CRC at offset \(offset)")
            }
            crc = DynamixelCRC.update(crc, with: UnsafeRawBufferPointer(rebasing: frame[crcEnd..<dataEnd]))
            crcEnd = dataEnd
            let received = UInt16(frame[dataEnd]) | UInt16(frame[dataEnd + 1]) << 8
            guard received == crc else {
                throw .fastReplySegmentCRC(position: position, id: id, received: received, computed: crc)
            }
            offset = dataEnd + 2
            position += 1
        }
        count = position
    }

    public struct Iterator: IteratorProtocol {
        let frame: UnsafeRawBufferPointer
        let lengths: DataLengths
        var offset = DynamixelFastReplySegments.firstSegmentOffset

        public mutating func next() -> DynamixelFastReplySegment? {
            // Bounds were checked when the segments were created.
            guard offset < frame.count, let dataLength = lengths.length(of: frame[offset + 1]) else { return nil }
            let segment = DynamixelFastReplySegment(
                id: frame[offset + 1], error: DynamixelDeviceError(rawValue: frame[offset]),
                data: UnsafeRawBufferPointer(rebasing: frame[(offset + 2)..<(offset + 2 + dataLength)]))
            offset += 4 + dataLength
            return segment
        }
    }

    public func makeIterator() -> Iterator { Iterator(frame: frame, lengths: lengths) }
}

extension DynamixelPacket {
    /// The devices' results in a FAST_SYNC_READ reply, each carrying `dataLength` bytes.
    public func fastSyncReadSegments(dataLength: UInt16) throws(DynamixelDecodingError) -> DynamixelFastReplySegments {
        try checkFastReply()
        return try DynamixelFastReplySegments(frame: frame, lengths: .uniform(Int(dataLength)))
    }

    /// The devices' results in a FAST_BULK_READ reply; each device's data length is the one it was asked for.
    public func fastBulkReadSegments(requested: [DynamixelBulkReadEntry]) throws(DynamixelDecodingError) -> DynamixelFastReplySegments {
        try checkFastReply()
        return try DynamixelFastReplySegments(frame: frame, lengths: .requested(requested))
    }

    private func checkFastReply() throws(DynamixelDecodingError) {
        guard isStatus else { throw .notAStatusPacket(instruction: instructionByte) }
        guard id == DynamixelDeviceID.broadcast else { throw .fastReplyNotBroadcast(id: id) }
    }
}
