/// MAV_ESTIMATOR_TYPE: what produced an ODOMETRY estimate.
public struct MAVEstimatorType: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let unknown = MAVEstimatorType(rawValue: 0)
    public static let naive = MAVEstimatorType(rawValue: 1)
    public static let vision = MAVEstimatorType(rawValue: 2)
    public static let visualInertialOdometry = MAVEstimatorType(rawValue: 3)
    public static let gps = MAVEstimatorType(rawValue: 4)
    public static let gpsINS = MAVEstimatorType(rawValue: 5)
    public static let motionCapture = MAVEstimatorType(rawValue: 6)
    public static let lidar = MAVEstimatorType(rawValue: 7)
    public static let autopilot = MAVEstimatorType(rawValue: 8)
}
