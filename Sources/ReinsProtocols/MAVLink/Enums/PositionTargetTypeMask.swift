/// POSITION_TARGET_TYPEMASK: which setpoint fields the autopilot must ignore (a set bit means
/// "ignore"), in SET_POSITION_TARGET_LOCAL_NED and its echo POSITION_TARGET_LOCAL_NED.
public struct PositionTargetTypeMask: OptionSet, Hashable, Sendable {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let ignoreX = PositionTargetTypeMask(rawValue: 1)
    public static let ignoreY = PositionTargetTypeMask(rawValue: 2)
    public static let ignoreZ = PositionTargetTypeMask(rawValue: 4)
    public static let ignoreVelocityX = PositionTargetTypeMask(rawValue: 8)
    public static let ignoreVelocityY = PositionTargetTypeMask(rawValue: 16)
    public static let ignoreVelocityZ = PositionTargetTypeMask(rawValue: 32)
    public static let ignoreAccelerationX = PositionTargetTypeMask(rawValue: 64)
    public static let ignoreAccelerationY = PositionTargetTypeMask(rawValue: 128)
    public static let ignoreAccelerationZ = PositionTargetTypeMask(rawValue: 256)
    /// The acceleration fields are a force setpoint.
    public static let forceSet = PositionTargetTypeMask(rawValue: 512)
    public static let ignoreYaw = PositionTargetTypeMask(rawValue: 1024)
    public static let ignoreYawRate = PositionTargetTypeMask(rawValue: 2048)

    public static let ignorePosition: PositionTargetTypeMask = [.ignoreX, .ignoreY, .ignoreZ]
    public static let ignoreVelocity: PositionTargetTypeMask = [.ignoreVelocityX, .ignoreVelocityY, .ignoreVelocityZ]
    public static let ignoreAcceleration: PositionTargetTypeMask = [.ignoreAccelerationX, .ignoreAccelerationY, .ignoreAccelerationZ]
    /// Velocity only, with yaw rate: the usual offboard velocity-control mask.
    public static let velocityAndYawRate: PositionTargetTypeMask = [.ignorePosition, .ignoreAcceleration, .ignoreYaw]
}
