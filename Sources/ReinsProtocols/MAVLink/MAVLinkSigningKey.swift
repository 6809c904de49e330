/// The 32-byte secret shared by every system on a signed MAVLink link.
public struct MAVLinkSigningKey: Equatable, Sendable, CustomStringConvertible {
    public let bytes: [UInt8]

    public init(_ bytes: [UInt8]) throws(MAVLinkError) {
        guard bytes.count == 32 else { throw .signingKeyLength(bytes.count) }
        self.bytes = bytes
    }

    /// The key MAVProxy (`signing setup`) and QGroundControl derive from a passphrase: SHA-256 of
    /// its UTF-8 bytes.
    public init(passphrase: String) {
        bytes = SHA256.hash(Array(passphrase.utf8))
    }

    /// Never prints the secret.
    public var description: String { "MAVLinkSigningKey(32 bytes)" }
}

/// MAVLink signing timestamps: 48-bit counts of 10 µs since 2015-01-01 00:00:00 UTC. Codecs
/// read no clock; the caller converts its time with `timestamp(unixMicroseconds:)`.
public enum MAVLinkSigningTime {
    /// 2015-01-01 00:00:00 UTC in seconds since the Unix epoch.
    public static let epochUnixSeconds: UInt64 = 1_420_070_400
    public static let maximum: UInt64 = (1 << 48) - 1
    /// How far behind the receiver's time a new stream's first timestamp may be (the MAVLink
    /// spec's one minute).
    public static let newStreamWindow: UInt64 = 6_000_000

    public static func timestamp(unixMicroseconds: UInt64) -> UInt64 {
        let epochMicroseconds = epochUnixSeconds * 1_000_000
        guard unixMicroseconds > epochMicroseconds else { return 0 }
        return min(maximum, (unixMicroseconds - epochMicroseconds) / 10)
    }
}

/// The 6-byte signature: the first 6 bytes of SHA-256(key + frame from the magic byte through the
/// link id and timestamp).
///
/// Uses the project's allocation-free `SHA256`, so signing and verifying can run in the tick.
enum MAVLinkSignatureHash {
    /// The signature as a little-endian integer of its 6 bytes.
    static func compute(key: MAVLinkSigningKey, signedBytes: UnsafeRawBufferPointer) -> UInt64 {
        key.bytes.withUnsafeBytes { keyBytes in
            withUnsafeTemporaryAllocation(byteCount: 32, alignment: 8) { digest in
                SHA256.hash(keyBytes, signedBytes, into: digest)
                var value: UInt64 = 0
                for index in 0..<6 { value |= UInt64(digest[index]) << (8 * UInt64(index)) }
                return value
            }
        }
    }
}
