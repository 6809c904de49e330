/// MAV_TYPE: the kind of system sending a HEARTBEAT. Open-ended; constants for what Reins meets.
public struct MAVType: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let generic = MAVType(rawValue: 0)
    public static let fixedWing = MAVType(rawValue: 1)
    public static let quadrotor = MAVType(rawValue: 2)
    public static let helicopter = MAVType(rawValue: 4)
    /// Ground control station; also what an offboard controller announces itself as to PX4.
    public static let gcs = MAVType(rawValue: 6)
    public static let groundRover = MAVType(rawValue: 10)
    public static let surfaceBoat = MAVType(rawValue: 11)
    public static let submarine = MAVType(rawValue: 12)
    public static let hexarotor = MAVType(rawValue: 13)
    public static let octorotor = MAVType(rawValue: 14)
    public static let onboardController = MAVType(rawValue: 18)
    public static let genericMultirotor = MAVType(rawValue: 43)
}
