import ReinsProtocols
import Testing

/// Helpers shared by the Dynamixel and Feetech codec tests.
enum ServoHex {
    /// `"FF FF FD 00"` -> `[0xFF, 0xFF, 0xFD, 0x00]`.
    static func bytes(_ text: String) -> [UInt8] {
        text.split(separator: " ").map { UInt8($0, radix: 16)! }
    }

    static func string(_ bytes: [UInt8]) -> String {
        bytes.map { byte in
            let digits = String(byte, radix: 16, uppercase: true)
            return digits.count == 1 ? "0" + digits : digits
        }.joined(separator: " ")
    }
}

/// SplitMix64: a tiny, fast, fixed-seed generator, so every fuzz run sees the same streams.
struct ServoFuzzGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func byte() -> UInt8 { UInt8(truncatingIfNeeded: next()) }

    mutating func bytes(_ count: Int) -> [UInt8] { (0..<count).map { _ in byte() } }

    /// Plain modulo: its bias is far below what these tests can notice, and it is fast in debug builds.
    mutating func int(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(next() % UInt64(range.upperBound - range.lowerBound + 1))
    }

    mutating func chance(_ probability: Double) -> Bool { Double(next() >> 11) * 0x1p-53 < probability }
}

/// A valid frame placed in a test stream, with where it starts.
struct PlacedFrame {
    var bytes: [UInt8]
    var offset: Int
}

/// What the fuzz harness needs from a streaming decoder.
protocol FuzzedServoDecoder: AnyObject {
    func feed(_ bytes: UnsafeRawBufferPointer)
    /// The next frame's bytes, header to checksum.
    func nextFrame() -> [UInt8]?
    var counters: DecoderCounters { get }
    var bufferedByteCount: Int { get }
    @discardableResult func resynchronize() -> Bool
}

extension DynamixelDecoder: FuzzedServoDecoder {
    func nextFrame() -> [UInt8]? { next().map { Array($0.frame) } }
}

extension FeetechDecoder: FuzzedServoDecoder {
    func nextFrame() -> [UInt8]? { next().map { Array($0.frame) } }
}

/// Feeds `stream` to a fresh decoder in random chunks, draining after each, then gives up on partial
/// frames at the end one byte at a time. Returns each frame with the stream offset it started at,
/// and checks the byte accounting: every byte fed is returned in a frame, discarded or overflowed.
func decodeInRandomChunks(_ stream: [UInt8], decoder: some FuzzedServoDecoder, maximumChunk: Int,
                          using generator: inout ServoFuzzGenerator) -> [PlacedFrame] {
    var frames: [PlacedFrame] = []
    var returnedBytes = 0
    func drain() {
        while let frame = decoder.nextFrame() {
            // The frame was consumed last: everything returned, skipped or dropped before it precedes it.
            let skipped = Int(decoder.counters.discardedBytes + decoder.counters.overflowBytes)
            frames.append(PlacedFrame(bytes: frame, offset: returnedBytes + skipped))
            returnedBytes += frame.count
        }
    }
    stream.withUnsafeBytes { bytes in
        var start = 0
        while start < bytes.count {
            let end = min(bytes.count, start + generator.int(1...maximumChunk))
            decoder.feed(UnsafeRawBufferPointer(rebasing: bytes[start..<end]))
            drain()
            start = end
        }
    }
    var giveUps = 0
    while decoder.bufferedByteCount > 0 && giveUps <= stream.count {
        decoder.resynchronize()
        drain()
        giveUps += 1
    }
    let counters = decoder.counters
    #expect(decoder.bufferedByteCount == 0)
    #expect(Int(counters.discardedBytes + counters.overflowBytes) + returnedBytes == stream.count)
    #expect(Int(counters.frames) == frames.count)
    return frames
}

/// How the valid frames planted in a stream came out of the decoder.
struct RecoveryReport {
    var planted = 0
    var recovered = 0
    /// Planted frames swallowed by a garbage frame that passed the checksum by chance.
    var lostToFalseFrames = 0
    /// Planted frames lost with no such explanation: always a decoder bug.
    var unexplainedLosses: [Int] = []
    var falseFrames = 0

    mutating func add(planted: [PlacedFrame], decoded: [PlacedFrame]) {
        self.planted += planted.count
        var decodedAt: [Int: [UInt8]] = [:]
        for frame in decoded { decodedAt[frame.offset] = frame.bytes }
        let plantedOffsets = Set(planted.map(\.offset))
        let falseFrames = decoded.filter { frame in
            !plantedOffsets.contains(frame.offset) || planted.first { $0.offset == frame.offset }!.bytes != frame.bytes
        }
        self.falseFrames += falseFrames.count
        for frame in planted {
            if decodedAt[frame.offset] == frame.bytes {
                recovered += 1
            } else if falseFrames.contains(where: { $0.offset < frame.offset + frame.bytes.count && frame.offset < $0.offset + $0.bytes.count }) {
                lostToFalseFrames += 1
            } else {
                unexplainedLosses.append(frame.offset)
            }
        }
        // Frames come out in stream order.
        #expect(decoded.map(\.offset) == decoded.map(\.offset).sorted())
    }
}
