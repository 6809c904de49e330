import ReinsProtocols
import Testing

private let stickForward = LinuxInputEvent(seconds: 1_733_000_000, microseconds: 250_000, type: LinuxInputEvent.absolute, code: 1, value: -32768)
private let pressA = LinuxInputEvent(seconds: 1_733_000_000, microseconds: 250_100, type: LinuxInputEvent.key, code: 304, value: 1)
private let report = LinuxInputEvent(seconds: 1_733_000_000, microseconds: 250_200, type: LinuxInputEvent.synchronization, code: 0, value: 0)

private func drain(_ decoder: LinuxInputDecoder) -> [LinuxInputEvent] {
    var events: [LinuxInputEvent] = []
    while let event = decoder.next() { events.append(event) }
    return events
}

@Suite struct LinuxInputDecoderTests {
    @Test func anInputEventIsTwentyFourLittleEndianBytesAsTheKernelLaysThemOut() throws {
        let bytes = stickForward.bytes
        #expect(bytes.count == 24)
        // timeval: seconds then microseconds, 8 bytes each; then type, code, value.
        #expect(Array(bytes[0..<8]) == [0x40, 0x7B, 0x4B, 0x67, 0, 0, 0, 0])
        #expect(Array(bytes[8..<16]) == [0x90, 0xD0, 0x03, 0, 0, 0, 0, 0])
        #expect(Array(bytes[16..<24]) == [0x03, 0x00, 0x01, 0x00, 0x00, 0x80, 0xFF, 0xFF])
        let decoded = try #require(bytes.withUnsafeBytes { LinuxInputEvent(bytes: $0) })
        #expect(decoded == stickForward)
        #expect(decoded.gamepadInput == .axis(code: 1, value: -32768))
    }

    @Test func eventsSplitAcrossReadsAnywhereComeOutWhole() {
        let stream = stickForward.bytes + pressA.bytes + report.bytes
        for cut in [1, 5, 23, 24, 25, 47, 71] {
            let decoder = LinuxInputDecoder()
            decoder.feed(Array(stream[..<cut]))
            var events = drain(decoder)
            decoder.feed(Array(stream[cut...]))
            events += drain(decoder)
            #expect(events == [stickForward, pressA, report], "cut at \(cut)")
            #expect(decoder.bufferedByteCount == 0 && decoder.counters.discardedBytes == 0)
        }
        let decoder = LinuxInputDecoder()
        var events: [LinuxInputEvent] = []
        for byte in stream {
            decoder.feed([byte])
            events += drain(decoder)
        }
        #expect(events == [stickForward, pressA, report])
    }

    @Test func garbageBeforeAndBetweenEventsIsSkippedAndCounted() {
        let garbage: [UInt8] = [0xAB, 0xAB, 0xAB, 0xAB, 0xAB, 0xAB, 0xAB]
        let stream = garbage + stickForward.bytes + [0xFF, 0x00, 0x13] + pressA.bytes
        let decoder = LinuxInputDecoder()
        decoder.feed(stream)
        #expect(drain(decoder) == [stickForward, pressA])
        #expect(decoder.counters.discardedBytes == 10)
        #expect(decoder.bufferedByteCount == 0)
    }

    @Test func recordsNoKernelWouldSendAreRefused() {
        let impossible = [
            LinuxInputEvent(seconds: 1, microseconds: 1_000_000, type: LinuxInputEvent.absolute, code: 0, value: 0),
            LinuxInputEvent(seconds: -1, microseconds: 0, type: LinuxInputEvent.absolute, code: 0, value: 0),
            LinuxInputEvent(type: 0x20, code: 0, value: 0),
            LinuxInputEvent(type: LinuxInputEvent.absolute, code: 0x40, value: 0),
            LinuxInputEvent(type: LinuxInputEvent.key, code: 304, value: 7),
        ]
        for event in impossible {
            #expect(event.bytes.withUnsafeBytes { LinuxInputEvent(bytes: $0) } == nil, "\(event)")
        }
        // Auto-repeat is a valid key event a gamepad mapping ignores.
        let repeatA = LinuxInputEvent(type: LinuxInputEvent.key, code: 304, value: 2)
        #expect(repeatA.isPlausible && repeatA.gamepadInput == nil)
        #expect(pressA.gamepadInput == .button(code: 304, pressed: true, initial: false))
        #expect(report.gamepadInput == .synchronization)
    }

    @Test func joystickEventsDecodeWithTheirInitFlagAcrossSplitReads() throws {
        let initialButton = JoystickEvent(milliseconds: 10, value: 1, type: JoystickEvent.buttonType | JoystickEvent.initialFlag, number: 0)
        let axis = JoystickEvent(milliseconds: 4_000_000_000, value: -32767, type: JoystickEvent.axisType, number: 3)
        #expect(axis.bytes == [0x00, 0x28, 0x6B, 0xEE, 0x01, 0x80, 0x02, 0x03])
        // The record has little structure to resynchronise on (two bytes early, a pressed button
        // reads as a released one): one byte of noise is found, not every kind.
        let stream = [0x07] + initialButton.bytes + axis.bytes
        let decoder = JoystickEventDecoder()
        var events: [JoystickEvent] = []
        for byte in stream {
            decoder.feed([byte])
            while let event = decoder.next() { events.append(event) }
        }
        #expect(events == [initialButton, axis])
        #expect(decoder.counters.discardedBytes == 1)
        #expect(events[0].gamepadInput == .button(code: 0, pressed: true, initial: true))
        #expect(events[1].gamepadInput == .axis(code: 3, value: -32767))
    }
}
