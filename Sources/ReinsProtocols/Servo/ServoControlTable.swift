/// The registers a servo bus driver uses, by what they mean, in one servo series' control table
/// (`DynamixelXSeries`, `FeetechSTS`): where each is, how wide, and what one count is worth. Drivers
/// name registers (`torqueEnable`, `presentPosition`) and convert with their units; they never write
/// an address or a vendor unit themselves.
public protocol ServoControlTable {
    associatedtype Wire: ServoWireProtocol

    static var modelNumber: ServoRegister<Wire> { get }
    /// How long a servo waits before it replies.
    static var returnDelayTime: ServoRegister<Wire> { get }
    static var operatingMode: ServoRegister<Wire> { get }
    static var minPositionLimit: ServoRegister<Wire> { get }
    static var maxPositionLimit: ServoRegister<Wire> { get }
    /// What the servo reports about its own health (overload, heat, voltage); 0 when it is fine.
    static var hardwareErrorStatus: ServoRegister<Wire> { get }
    static var torqueEnable: ServoRegister<Wire> { get }
    static var goalPosition: ServoRegister<Wire> { get }
    static var presentPosition: ServoRegister<Wire> { get }
    static var presentVelocity: ServoRegister<Wire> { get }
    static var presentCurrent: ServoRegister<Wire> { get }
    static var presentVoltage: ServoRegister<Wire> { get }
    static var presentTemperature: ServoRegister<Wire> { get }

    /// The contiguous block of registers that holds all the present values above, so one group read
    /// gets the whole state of every servo.
    static var presentStateBlockAddress: Wire.Address { get }
    static var presentStateBlockLength: Wire.Address { get }

    /// Encoder ticks per revolution for Present/Goal Position.
    static var positionTicksPerRevolution: Int { get }
}

extension ServoControlTable {
    /// "registers 126-146", for messages.
    public static var presentStateBlockDescription: String {
        "registers \(presentStateBlockAddress)-\(Int(presentStateBlockAddress) + Int(presentStateBlockLength) - 1)"
    }
}
