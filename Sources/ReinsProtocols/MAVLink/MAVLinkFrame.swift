/// The header fields of a MAVLink 2 frame.
public struct MAVLinkFrameHeader: Equatable, Sendable {
    public var payloadLength: Int
    /// Bit 0 (`signedFlag`) marks a signed frame; a receiver must drop frames with other bits it
    /// does not know, since they change how the frame is laid out.
    public var incompatibilityFlags: UInt8
    public var compatibilityFlags: UInt8
    public var sequence: UInt8
    public var systemID: UInt8
    public var componentID: UInt8
    public var messageID: UInt32

    public static let signedFlag: UInt8 = 0x01

    public var isSigned: Bool { incompatibilityFlags & Self.signedFlag != 0 }

    /// Reads the 10-byte header (magic byte included) at the start of `bytes`.
    init(bytes: UnsafeRawBufferPointer) {
        payloadLength = Int(bytes[1])
        incompatibilityFlags = bytes[2]
        compatibilityFlags = bytes[3]
        sequence = bytes[4]
        systemID = bytes[5]
        componentID = bytes[6]
        messageID = UInt32(bytes[7]) | UInt32(bytes[8]) << 8 | UInt32(bytes[9]) << 16
    }
}

/// The signature block of a signed frame (the 6-byte hash itself is only used for checking).
public struct MAVLinkSignature: Equatable, Sendable {
    public var linkID: UInt8
    /// 10 µs units since 2015-01-01 00:00:00 UTC.
    public var timestamp: UInt64

    public init(linkID: UInt8, timestamp: UInt64) {
        self.linkID = linkID
        self.timestamp = timestamp
    }
}

/// One received MAVLink 2 frame, CRC checked, as a view into decoder-owned storage.
///
/// `payload` and `bytes` are valid only until the next call into the decoder that returned the
/// frame: decode the message (`message(as:)`) or copy (`owned()`) first.
public struct MAVLinkFrame {
    public let header: MAVLinkFrameHeader
    /// The payload as received: trailing zero bytes may have been stripped by the sender.
    public let payload: UnsafeRawBufferPointer
    /// The whole frame as received, magic byte to signature.
    public let bytes: UnsafeRawBufferPointer
    public let signature: MAVLinkSignature?
    public let signatureStatus: MAVLinkSignatureStatus

    public var messageID: UInt32 { header.messageID }
    public var systemID: UInt8 { header.systemID }
    public var componentID: UInt8 { header.componentID }
    public var sequence: UInt8 { header.sequence }

    /// The typed message, or nil when this frame carries another message id.
    public func message<M: MAVLinkMessage>(as type: M.Type = M.self) -> M? {
        guard header.messageID == M.messageID else { return nil }
        return M(payload: payload)
    }

    /// A copy that outlives the decoder call, for tests and non-real-time code.
    public func owned() -> MAVLinkOwnedFrame {
        MAVLinkOwnedFrame(header: header, payload: Array(payload), bytes: Array(bytes), signature: signature,
                          signatureStatus: signatureStatus)
    }
}

/// A received frame copied into arrays (see `MAVLinkFrame.owned()`).
public struct MAVLinkOwnedFrame: Equatable, Sendable {
    public var header: MAVLinkFrameHeader
    public var payload: [UInt8]
    public var bytes: [UInt8]
    public var signature: MAVLinkSignature?
    public var signatureStatus: MAVLinkSignatureStatus

    public var messageID: UInt32 { header.messageID }

    public func message<M: MAVLinkMessage>(as type: M.Type = M.self) -> M? {
        guard header.messageID == M.messageID else { return nil }
        return M(payload: payload)
    }
}
