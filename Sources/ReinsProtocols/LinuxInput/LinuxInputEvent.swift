/// One `struct input_event` as the Linux input subsystem (evdev, `/dev/input/event*`) delivers it on
/// a 64-bit system: 24 bytes, little-endian, `timeval` seconds and microseconds (two `Int64`),
/// then `type`, `code` (`UInt16`) and `value` (`Int32`).
public struct LinuxInputEvent: Sendable, Equatable {
    public static let byteCount = 24

    /// `EV_SYN`: the events since the previous one form one consistent report.
    public static let synchronization: UInt16 = 0x00
    /// `EV_KEY`: a key or button (`value` 1 pressed, 0 released, 2 auto-repeat).
    public static let key: UInt16 = 0x01
    /// `EV_ABS`: an absolute axis (a stick, a trigger) at `value`.
    public static let absolute: UInt16 = 0x03
    /// `EV_MAX`, `SYN_MAX`, `KEY_MAX`, `ABS_MAX` from the kernel's input-event-codes.h.
    public static let maximumType: UInt16 = 0x1f
    public static let maximumSynchronizationCode: UInt16 = 0x0f
    public static let maximumKeyCode: UInt16 = 0x2ff
    public static let maximumAbsoluteCode: UInt16 = 0x3f

    public var seconds: Int64
    public var microseconds: Int64
    public var type: UInt16
    public var code: UInt16
    public var value: Int32

    public init(seconds: Int64 = 0, microseconds: Int64 = 0, type: UInt16, code: UInt16, value: Int32) {
        self.seconds = seconds
        self.microseconds = microseconds
        self.type = type
        self.code = code
        self.value = value
    }

    /// Decodes 24 bytes; nil when they cannot be an event the kernel sent (see `isPlausible`).
    public init?(bytes: UnsafeRawBufferPointer) {
        guard bytes.count >= Self.byteCount else { return nil }
        self.init(seconds: Int64(littleEndian: bytes.loadUnaligned(fromByteOffset: 0, as: Int64.self)),
                  microseconds: Int64(littleEndian: bytes.loadUnaligned(fromByteOffset: 8, as: Int64.self)),
                  type: UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 16, as: UInt16.self)),
                  code: UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 18, as: UInt16.self)),
                  value: Int32(littleEndian: bytes.loadUnaligned(fromByteOffset: 20, as: Int32.self)))
        guard isPlausible else { return nil }
    }

    /// The 24 bytes the kernel would deliver (tests, and recordings of a pad fed back through a pipe).
    public var bytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(Self.byteCount)
        withUnsafeBytes(of: seconds.littleEndian) { out += $0 }
        withUnsafeBytes(of: microseconds.littleEndian) { out += $0 }
        withUnsafeBytes(of: type.littleEndian) { out += $0 }
        withUnsafeBytes(of: code.littleEndian) { out += $0 }
        withUnsafeBytes(of: value.littleEndian) { out += $0 }
        return out
    }

    /// The record has no marker to find its start by, so a stream that lost bytes (a pipe written
    /// in odd pieces, noise) is resynchronised on what a real event looks like: a timestamp of this
    /// era or zero, microseconds below a million, a known type and a code in that type's range.
    public var isPlausible: Bool {
        guard (0...(1 << 40)).contains(seconds), (0..<1_000_000).contains(microseconds), type <= Self.maximumType else { return false }
        switch type {
        case Self.synchronization: return code <= Self.maximumSynchronizationCode
        case Self.key: return code <= Self.maximumKeyCode && (0...2).contains(value)
        case Self.absolute: return code <= Self.maximumAbsoluteCode
        default: return true
        }
    }

    /// What a gamepad mapping reads from it; nil for types a gamepad mapping ignores (EV_MSC,
    /// EV_FF, key auto-repeat).
    public var gamepadInput: GamepadInput? {
        switch type {
        case Self.absolute: return .axis(code: code, value: value)
        case Self.key where value == 0 || value == 1: return .button(code: code, pressed: value == 1, initial: false)
        case Self.synchronization: return .synchronization
        default: return nil
        }
    }
}

/// One `struct js_event` of the older joystick API (`/dev/input/js*`): 8 bytes, little-endian,
/// `time` in ms (`UInt32`), `value` (`Int16`), `type` (`UInt8`), `number` (`UInt8`). On open the
/// driver reports every button and axis once with the `JS_EVENT_INIT` flag set.
public struct JoystickEvent: Sendable, Equatable {
    public static let byteCount = 8
    public static let buttonType: UInt8 = 0x01
    public static let axisType: UInt8 = 0x02
    public static let initialFlag: UInt8 = 0x80

    public var milliseconds: UInt32
    public var value: Int16
    public var type: UInt8
    public var number: UInt8

    public init(milliseconds: UInt32 = 0, value: Int16, type: UInt8, number: UInt8) {
        self.milliseconds = milliseconds
        self.value = value
        self.type = type
        self.number = number
    }

    /// Decodes 8 bytes; nil when they cannot be an event the driver sent.
    public init?(bytes: UnsafeRawBufferPointer) {
        guard bytes.count >= Self.byteCount else { return nil }
        self.init(milliseconds: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 0, as: UInt32.self)),
                  value: Int16(littleEndian: bytes.loadUnaligned(fromByteOffset: 4, as: Int16.self)),
                  type: bytes[6], number: bytes[7])
        guard isPlausible else { return nil }
    }

    public var bytes: [UInt8] {
        var out: [UInt8] = []
        withUnsafeBytes(of: milliseconds.littleEndian) { out += $0 }
        withUnsafeBytes(of: value.littleEndian) { out += $0 }
        return out + [type, number]
    }

    /// A button (0 or 1) or an axis, with or without the init flag; nothing else is ever sent.
    public var isPlausible: Bool {
        switch type & ~Self.initialFlag {
        case Self.buttonType: return value == 0 || value == 1
        case Self.axisType: return true
        default: return false
        }
    }

    public var isInitial: Bool { type & Self.initialFlag != 0 }

    public var gamepadInput: GamepadInput {
        if type & ~Self.initialFlag == Self.axisType { return .axis(code: UInt16(number), value: Int32(value)) }
        return .button(code: UInt16(number), pressed: value == 1, initial: isInitial)
    }
}

/// What a gamepad reported, whichever API it came through: an axis at a raw value, a button
/// pressed or released (`initial`: the state the joystick API reports on open, not a press), or
/// the end of one consistent report.
public enum GamepadInput: Sendable, Equatable {
    case axis(code: UInt16, value: Int32)
    case button(code: UInt16, pressed: Bool, initial: Bool)
    case synchronization
}
