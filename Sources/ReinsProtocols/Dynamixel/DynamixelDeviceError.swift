/// The error byte of a Dynamixel Protocol 2.0 status packet: what the device says went wrong.
///
/// Bit 7 is an alert that the device itself is in trouble (overheating, overload ...; the details are in
/// the Hardware Error Status register, address 70, and only a REBOOT clears them). The low seven bits
/// are a code about the instruction just processed. Both can be set at once.
public struct DynamixelDeviceError: Error, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: UInt8

    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let none = DynamixelDeviceError(rawValue: 0)

    /// The instruction error codes of the low seven bits.
    public enum Code: UInt8, Sendable, CaseIterable, CustomStringConvertible {
        case resultFail = 1
        case instruction = 2
        case crc = 3
        case dataRange = 4
        case dataLength = 5
        case dataLimit = 6
        case access = 7

        public var description: String {
            switch self {
            case .resultFail: "result fail (the device failed to process the instruction)"
            case .instruction: "instruction error (undefined instruction, or ACTION without REG_WRITE)"
            case .crc: "CRC error (the packet the device received was corrupted)"
            case .dataRange: "data range error (the value is outside the register's range)"
            case .dataLength: "data length error (fewer bytes than the register needs)"
            case .dataLimit: "data limit error (the value exceeds a limit register)"
            case .access: "access error (read-only register, or EEPROM written with torque on)"
            }
        }
    }

    /// Bit 7: read Hardware Error Status (address 70) to see why; cleared only by REBOOT.
    public var hardwareAlert: Bool { rawValue & 0x80 != 0 }

    /// The low seven bits; 0 means the instruction succeeded.
    public var codeValue: UInt8 { rawValue & 0x7F }

    /// The instruction error, or nil when there is none or the code is not one the protocol defines.
    public var code: Code? { Code(rawValue: codeValue) }

    /// No alert and no instruction error.
    public var isNone: Bool { rawValue == 0 }

    public var description: String {
        if isNone { return "no error" }
        var parts: [String] = []
        if hardwareAlert {
            parts.append("hardware alert (read Hardware Error Status at address 70; REBOOT clears it)")
        }
        if codeValue != 0 {
            parts.append(code.map(\.description) ?? "unknown error code \(codeValue)")
        }
        return parts.joined(separator: "; ")
    }
}
