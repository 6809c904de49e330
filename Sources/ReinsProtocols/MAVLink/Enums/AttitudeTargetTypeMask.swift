/// ATTITUDE_TARGET_TYPEMASK: which fields of SET_ATTITUDE_TARGET / ATTITUDE_TARGET to ignore.
public struct AttitudeTargetTypeMask: OptionSet, Hashable, Sendable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let ignoreBodyRollRate = AttitudeTargetTypeMask(rawValue: 1)
    public static let ignoreBodyPitchRate = AttitudeTargetTypeMask(rawValue: 2)
    public static let ignoreBodyYawRate = AttitudeTargetTypeMask(rawValue: 4)
    public static let ignoreThrottle = AttitudeTargetTypeMask(rawValue: 64)
    public static let ignoreAttitude = AttitudeTargetTypeMask(rawValue: 128)

    public static let ignoreBodyRates: AttitudeTargetTypeMask = [.ignoreBodyRollRate, .ignoreBodyPitchRate, .ignoreBodyYawRate]
}
