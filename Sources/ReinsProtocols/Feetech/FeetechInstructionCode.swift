/// The instruction byte of a Feetech STS/SCS instruction packet (in a reply the same byte is the
/// servo's error byte, so the two directions cannot be told apart from the bytes alone).
public enum FeetechInstructionCode: UInt8, ServoInstructionCode, CaseIterable {
    case ping = 0x01
    case read = 0x02
    case write = 0x03
    case regWrite = 0x04
    case action = 0x05
    case recovery = 0x06
    case reset = 0x0A
    case syncRead = 0x82
    case syncWrite = 0x83

    public var description: String {
        switch self {
        case .ping, .read, .write, .regWrite, .action, .syncRead, .syncWrite: sharedName
        case .recovery: "RECOVERY"
        case .reset: "RESET"
        }
    }
}
