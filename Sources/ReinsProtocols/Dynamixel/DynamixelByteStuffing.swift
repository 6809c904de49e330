/// Protocol 2.0 byte stuffing, which keeps the header `FF FF FD` from appearing inside a packet.
///
/// From the instruction byte to the last parameter, the sender inserts an extra `FD` after every
/// `FF FF FD`; LEN and CRC then describe the stuffed bytes. The receiver checks the CRC over the
/// stuffed bytes and drops the `FD` that follows each `FF FF FD`. The pattern is matched on the
/// original bytes, so `FF FF FD FD` goes out as `FF FF FD FD FD`.
public enum DynamixelByteStuffing {
    /// Stuffs the instruction-to-last-parameter bytes of a packet (for tests and tools).
    public static func stuff(_ bytes: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count + bytes.count / 3 + 1)
        var window = Window()
        for byte in bytes {
            output.append(byte)
            if window.push(byte) { output.append(0xFD) }
        }
        return output
    }

    /// Removes the stuffing from received instruction-to-last-parameter bytes (for tests and tools).
    public static func unstuff(_ bytes: [UInt8]) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: bytes.count)
        let count = bytes.withUnsafeBytes { input in
            output.withUnsafeMutableBytes { unstuff(input, into: $0.baseAddress!) }
        }
        return Array(output[0..<count])
    }

    /// Unstuffs `input` into `output` (room for `input.count` bytes) and returns the bytes written.
    /// A missing stuffing byte is tolerated (the FAST_SYNC_READ reply is sent unstuffed).
    static func unstuff(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawPointer) -> Int {
        var window = Window()
        var written = 0
        var index = 0
        while index < input.count {
            let byte = input[index]
            output.storeBytes(of: byte, toByteOffset: written, as: UInt8.self)
            written += 1
            index += 1
            if window.push(byte), index < input.count, input[index] == 0xFD {
                index += 1
            }
        }
        return written
    }

    /// The last two original bytes; says when a stuffing `FD` belongs after the byte just pushed.
    struct Window {
        private var previous: UInt8 = 0
        private var beforePrevious: UInt8 = 0

        @inline(__always)
        mutating func push(_ byte: UInt8) -> Bool {
            let completesHeader = byte == 0xFD && previous == 0xFF && beforePrevious == 0xFF
            beforePrevious = previous
            previous = byte
            return completesHeader
        }
    }
}
