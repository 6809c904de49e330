import ReinsProtocols
import Testing

@Suite struct ByteBufferTests {
    @Test func writerEncodesBothByteOrdersAndFlagsOverflow() {
        let writer = ByteWriter(capacity: 6)
        writer.appendLittleEndian(UInt16(0x1234))
        writer.appendBigEndian(UInt16(0x1234))
        writer.append(0xAA)
        #expect(writer.array == [0x34, 0x12, 0x12, 0x34, 0xAA])
        #expect(!writer.overflowed)
        writer.appendBigEndian(UInt16(1))
        #expect(writer.overflowed)
        #expect(writer.count == 6)
        writer.reset()
        #expect(writer.count == 0 && !writer.overflowed)
    }

    @Test func receiveBufferCompactsAndDropsOldestWhenFull() {
        let buffer = ReceiveBuffer(capacity: 8)
        buffer.append([1, 2, 3, 4, 5, 6])
        buffer.consume(4)
        #expect(buffer.append([7, 8, 9, 10]) == 0)
        #expect(Array(buffer.readable) == [5, 6, 7, 8, 9, 10])
        #expect(buffer.append([11, 12, 13, 14]) == 2)
        #expect(Array(buffer.readable) == [7, 8, 9, 10, 11, 12, 13, 14])
        #expect(buffer.append(Array(20..<40)) == 20)
        #expect(Array(buffer.readable) == Array(32..<40))
    }
}
