/// Finds `input_event` records (evdev) in a byte stream. A character device delivers whole
/// records, but a pipe or a file may split them anywhere, so bytes are buffered until a record is
/// complete; bytes that cannot start a plausible record are skipped one at a time (see
/// `LinuxInputEvent.isPlausible`). Allocates in `init` only.
public final class LinuxInputDecoder: StreamingDecoder, @unchecked Sendable {
    public let input: DecoderInput

    /// - Parameter receiveCapacity: bytes buffered between drains (a read of up to 64 events fits).
    public init(receiveCapacity: Int = 64 * LinuxInputEvent.byteCount) {
        input = DecoderInput(capacity: max(receiveCapacity, 2 * LinuxInputEvent.byteCount))
    }

    public static func couldStartFrame(_ bytes: UnsafeRawBufferPointer, at position: Int) -> Bool {
        guard bytes.count - position >= LinuxInputEvent.byteCount else { return true }
        return LinuxInputEvent(bytes: UnsafeRawBufferPointer(rebasing: bytes[position...])) != nil
    }

    public func scanFrame(_ bytes: UnsafeRawBufferPointer) -> FrameScan<LinuxInputEvent> {
        guard bytes.count >= LinuxInputEvent.byteCount else { return .needMoreBytes }
        guard let event = LinuxInputEvent(bytes: bytes) else { return .malformed }
        return .frame(event, length: LinuxInputEvent.byteCount)
    }
}

/// Finds `js_event` records (the joystick API) in a byte stream, as `LinuxInputDecoder` does. The
/// record has little to check (no era in its time, values of any size), so after lost bytes it
/// may read a record or two wrongly before it is back in step; a device node never loses bytes.
public final class JoystickEventDecoder: StreamingDecoder, @unchecked Sendable {
    public let input: DecoderInput

    public init(receiveCapacity: Int = 64 * JoystickEvent.byteCount) {
        input = DecoderInput(capacity: max(receiveCapacity, 2 * JoystickEvent.byteCount))
    }

    public static func couldStartFrame(_ bytes: UnsafeRawBufferPointer, at position: Int) -> Bool {
        guard bytes.count - position >= JoystickEvent.byteCount else { return true }
        return JoystickEvent(bytes: UnsafeRawBufferPointer(rebasing: bytes[position...])) != nil
    }

    public func scanFrame(_ bytes: UnsafeRawBufferPointer) -> FrameScan<JoystickEvent> {
        guard bytes.count >= JoystickEvent.byteCount else { return .needMoreBytes }
        guard let event = JoystickEvent(bytes: bytes) else { return .malformed }
        return .frame(event, length: JoystickEvent.byteCount)
    }
}
