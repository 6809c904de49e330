/// MANUAL_CONTROL (69): joystick axes normalised to -1000...1000 (`Int16.max` = axis unused) and
/// button bitmasks; for throttle (`z`) PX4 uses 0...1000.
public struct MAVLinkManualControl: MAVLinkMessage {
    public static let messageID: UInt32 = 69
    public static let crcExtra: UInt8 = 243
    public static let basePayloadLength = 11
    public static let payloadLength = 30

    /// The system to be controlled.
    public var target: UInt8
    /// Pitch axis (forward positive).
    public var x: Int16
    /// Roll axis (right positive).
    public var y: Int16
    /// Thrust axis.
    public var z: Int16
    /// Yaw axis (clockwise positive).
    public var r: Int16
    /// Buttons 0...15, bit n = button n pressed.
    public var buttons: UInt16
    /// Extension: buttons 16...31.
    public var buttons2: UInt16
    /// Extension: which of the following axes are valid.
    public var enabledExtensions: EnabledExtensions
    /// Extension (`s`): pitch-only axis.
    public var pitchOnlyAxis: Int16
    /// Extension (`t`): roll-only axis.
    public var rollOnlyAxis: Int16
    /// Extension.
    public var aux1: Int16
    /// Extension.
    public var aux2: Int16
    /// Extension.
    public var aux3: Int16
    /// Extension.
    public var aux4: Int16
    /// Extension.
    public var aux5: Int16
    /// Extension.
    public var aux6: Int16

    public init(
        target: UInt8,
        x: Int16,
        y: Int16,
        z: Int16,
        r: Int16,
        buttons: UInt16,
        buttons2: UInt16 = 0,
        enabledExtensions: EnabledExtensions = [],
        pitchOnlyAxis: Int16 = 0,
        rollOnlyAxis: Int16 = 0,
        aux1: Int16 = 0,
        aux2: Int16 = 0,
        aux3: Int16 = 0,
        aux4: Int16 = 0,
        aux5: Int16 = 0,
        aux6: Int16 = 0
    ) {
        self.target = target
        self.x = x
        self.y = y
        self.z = z
        self.r = r
        self.buttons = buttons
        self.buttons2 = buttons2
        self.enabledExtensions = enabledExtensions
        self.pitchOnlyAxis = pitchOnlyAxis
        self.rollOnlyAxis = rollOnlyAxis
        self.aux1 = aux1
        self.aux2 = aux2
        self.aux3 = aux3
        self.aux4 = aux4
        self.aux5 = aux5
        self.aux6 = aux6
    }

    public init(payload: UnsafeRawBufferPointer) {
        var reader = ByteReader(payload)
        x = reader.readLittleEndianZeroFilled()
        y = reader.readLittleEndianZeroFilled()
        z = reader.readLittleEndianZeroFilled()
        r = reader.readLittleEndianZeroFilled()
        buttons = reader.readLittleEndianZeroFilled()
        target = reader.readLittleEndianZeroFilled()
        buttons2 = reader.readLittleEndianZeroFilled()
        enabledExtensions = EnabledExtensions(rawValue: reader.readLittleEndianZeroFilled())
        pitchOnlyAxis = reader.readLittleEndianZeroFilled()
        rollOnlyAxis = reader.readLittleEndianZeroFilled()
        aux1 = reader.readLittleEndianZeroFilled()
        aux2 = reader.readLittleEndianZeroFilled()
        aux3 = reader.readLittleEndianZeroFilled()
        aux4 = reader.readLittleEndianZeroFilled()
        aux5 = reader.readLittleEndianZeroFilled()
        aux6 = reader.readLittleEndianZeroFilled()
    }

    public func write(to writer: ByteWriter) {
        writer.appendLittleEndian(x)
        writer.appendLittleEndian(y)
        writer.appendLittleEndian(z)
        writer.appendLittleEndian(r)
        writer.appendLittleEndian(buttons)
        writer.appendLittleEndian(target)
        writer.appendLittleEndian(buttons2)
        writer.appendLittleEndian(enabledExtensions.rawValue)
        writer.appendLittleEndian(pitchOnlyAxis)
        writer.appendLittleEndian(rollOnlyAxis)
        writer.appendLittleEndian(aux1)
        writer.appendLittleEndian(aux2)
        writer.appendLittleEndian(aux3)
        writer.appendLittleEndian(aux4)
        writer.appendLittleEndian(aux5)
        writer.appendLittleEndian(aux6)
    }
}

extension MAVLinkManualControl {
    /// Which extension axes carry data (`enabled_extensions`).
    public struct EnabledExtensions: OptionSet, Hashable, Sendable {
        public var rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }

        public static let pitchOnlyAxis = EnabledExtensions(rawValue: 1 << 0)
        public static let rollOnlyAxis = EnabledExtensions(rawValue: 1 << 1)
        public static let aux1 = EnabledExtensions(rawValue: 1 << 2)
        public static let aux2 = EnabledExtensions(rawValue: 1 << 3)
        public static let aux3 = EnabledExtensions(rawValue: 1 << 4)
        public static let aux4 = EnabledExtensions(rawValue: 1 << 5)
        public static let aux5 = EnabledExtensions(rawValue: 1 << 6)
        public static let aux6 = EnabledExtensions(rawValue: 1 << 7)
    }

    /// The value of an axis the sender does not use.
    public static let unusedAxis = Int16.max
}
