import ReinsCore

/// Per-joint numbers of one physical arm.
public struct JointCalibration: Sendable, Equatable {
    public var servoID: Int
    /// Encoder ticks subtracted so that the joint's zero angle reads as zero.
    public var homingOffset: Int
    /// +1 when the joint angle grows with the encoder, -1 when the servo is mounted the other way.
    public var direction: Int
    /// Encoder ticks the joint can reach without hitting the frame.
    public var range: ClosedRange<Int>

    public init(servoID: Int, homingOffset: Int, direction: Int, range: ClosedRange<Int>) {
        self.servoID = servoID
        self.homingOffset = homingOffset
        self.direction = direction
        self.range = range
    }

    /// The joint angle in radians for a raw encoder reading:
    /// `direction * (ticks - ticksPerRevolution/2 - homingOffset) * 2π / ticksPerRevolution`.
    /// Half a revolution is the servo's centre (2048 of 4096), so a zero offset means "centred".
    @inline(__always)
    public func angle(ticks: Int, ticksPerRevolution: Int = 4096) -> Double {
        let zero = ticksPerRevolution / 2 + homingOffset
        return Double(direction * (ticks - zero)) * (2 * Double.pi / Double(ticksPerRevolution))
    }

    /// The raw encoder reading for a joint angle (rounded to the nearest tick).
    @inline(__always)
    public func ticks(angle: Double, ticksPerRevolution: Int = 4096) -> Int {
        let zero = ticksPerRevolution / 2 + homingOffset
        let relative = angle * Double(ticksPerRevolution) / (2 * Double.pi)
        return zero + direction * Int(relative.rounded())
    }

    /// The calibrated range as joint angles, low to high whatever the direction.
    public func angleRange(ticksPerRevolution: Int = 4096) -> ClosedRange<Double> {
        let a = angle(ticks: range.lowerBound, ticksPerRevolution: ticksPerRevolution)
        let b = angle(ticks: range.upperBound, ticksPerRevolution: ticksPerRevolution)
        return min(a, b)...max(a, b)
    }
}

public struct ArmCalibration: Sendable, Equatable {
    /// In the order of the description's joints once validated against it.
    public var joints: [(name: String, calibration: JointCalibration)]

    public init(joints: [(name: String, calibration: JointCalibration)]) {
        self.joints = joints
    }

    public static func == (lhs: ArmCalibration, rhs: ArmCalibration) -> Bool {
        lhs.joints.map(\.name) == rhs.joints.map(\.name) && lhs.joints.map(\.calibration) == rhs.joints.map(\.calibration)
    }

    public func joint(_ name: String) -> JointCalibration? {
        joints.first { $0.name == name }?.calibration
    }
}

public struct CarCalibration: Sendable, Equatable {
    /// Electrical RPM per metre per second of forward speed (motor pole pairs, gearing and wheel size folded in).
    public var erpmPerMetrePerSecond: Double
    /// Servo command (0...1) that steers straight.
    public var servoCentre: Double
    /// Servo command change per radian of steering; negative when the linkage is mirrored.
    public var servoPerRadian: Double
    /// Servo commands the linkage can take without binding.
    public var servoRange: ClosedRange<Double>
}

/// The local frame a flight controller reports positions in.
public enum LocalFrame: String, CaseIterable, Sendable {
    /// North, east, down (PX4 and ArduPilot LOCAL_POSITION_NED).
    case ned
    /// East, north, up (ROS REP 103).
    case enu
}

public struct DroneCalibration: Sendable, Equatable {
    /// Collective thrust (0...1) that holds altitude; used for attitude set-points.
    public var hoverThrust: Double
    public var frame: LocalFrame
    /// Heading of the vehicle's local x axis relative to the runtime's north, in radians.
    public var yawOffset: Double
}

public enum Calibration: Sendable, Equatable {
    case arm(ArmCalibration)
    case car(CarCalibration)
    case drone(DroneCalibration)

    public var kind: RobotKind {
        switch self {
        case .arm: return .arm
        case .car: return .car
        case .drone: return .drone
        }
    }
}
