import ReinsCore

/// Which protocol a robot speaks.
public enum DriverKind: String, CaseIterable, Sendable {
    case dynamixel
    case feetech
    case vesc
    case mavlink
    case zmq

    /// Robot kinds this driver can serve.
    public var kinds: [RobotKind] {
        switch self {
        case .dynamixel, .feetech: return [.arm]
        case .vesc: return [.car]
        case .mavlink: return [.drone]
        case .zmq: return RobotKind.allCases
        }
    }

    /// Whether a link of this shape can carry the driver's protocol.
    func accepts(_ link: LinkSpec) -> Bool {
        switch (self, link) {
        case (_, .sim): return true
        case (.zmq, .zmq): return true
        case (.zmq, _), (_, .zmq): return false
        case (.mavlink, _): return true
        case (_, .udpListen), (_, .udpSend): return false
        default: return true
        }
    }
}

/// A servo model Reins knows, with the model number it reports to PING.
public struct ServoModel: Sendable, Equatable {
    public var name: String
    public var driver: DriverKind
    public var modelNumber: UInt16
    /// Encoder ticks per revolution (4096 for both families Reins supports).
    public var ticksPerRevolution: Int

    /// Goal and present position ticks in the single-turn position mode the drivers use
    /// (Dynamixel Operating Mode 3 between the Min and Max Position Limit registers, Feetech mode 0):
    /// one revolution from 0. A calibrated range must lie inside it, or the servo would clamp goals
    /// the safety filter let through.
    public var positionTicks: ClosedRange<Int> { 0...(ticksPerRevolution - 1) }

    public static let known: [ServoModel] = [
        ServoModel(name: "xl430-w250", driver: .dynamixel, modelNumber: 1060, ticksPerRevolution: 4096),
        ServoModel(name: "xm430-w350", driver: .dynamixel, modelNumber: 1020, ticksPerRevolution: 4096),
        ServoModel(name: "xm430-w210", driver: .dynamixel, modelNumber: 1030, ticksPerRevolution: 4096),
        ServoModel(name: "xh430-w350", driver: .dynamixel, modelNumber: 1010, ticksPerRevolution: 4096),
        ServoModel(name: "xc430-w150", driver: .dynamixel, modelNumber: 1070, ticksPerRevolution: 4096),
        ServoModel(name: "xl330-m288", driver: .dynamixel, modelNumber: 1200, ticksPerRevolution: 4096),
        ServoModel(name: "xl330-m077", driver: .dynamixel, modelNumber: 1190, ticksPerRevolution: 4096),
        ServoModel(name: "xm540-w270", driver: .dynamixel, modelNumber: 1120, ticksPerRevolution: 4096),
        ServoModel(name: "sts3215", driver: .feetech, modelNumber: 777, ticksPerRevolution: 4096),
    ]
}

public struct JointSpec: Sendable, Equatable {
    public var name: String
    /// The servo that moves the joint; nil for arms behind a ZeroMQ driver, which hide their servos.
    public var model: ServoModel?
    /// Joint position limits in radians, after calibration.
    public var position: ClosedRange<Double>
    /// Largest speed in rad/s.
    public var velocity: Double
    /// Largest acceleration in rad/s².
    public var acceleration: Double
}

/// An optional box the arm's tool point must stay in (metres, in the base frame), with the
/// kinematic chain that places the tool: per moving joint, the fixed transform from the previous
/// joint's frame (URDF `<origin xyz rpy>`) and the rotation axis (URDF `<axis>`), so a URDF's
/// revolute joints copy across. The joint angle is the calibrated angle the runtime sees.
public struct ArmWorkspace: Sendable, Equatable {
    public struct Link: Sendable, Equatable {
        /// Index of the joint in the description's `joints`.
        public var joint: Int
        public var xyz: SIMD3<Double>
        /// Roll, pitch, yaw (URDF: R = Rz(yaw) · Ry(pitch) · Rx(roll)).
        public var rpy: SIMD3<Double>
        /// Unit rotation axis in the joint's frame.
        public var axis: SIMD3<Double>

        public init(joint: Int, xyz: SIMD3<Double>, rpy: SIMD3<Double> = .zero, axis: SIMD3<Double>) {
            self.joint = joint
            self.xyz = xyz
            self.rpy = rpy
            self.axis = axis
        }
    }

    /// From the base to the last joint before the tool.
    public var chain: [Link]
    /// The tool point in the last link's frame.
    public var tool: SIMD3<Double>
    public var x: ClosedRange<Double>
    public var y: ClosedRange<Double>
    public var z: ClosedRange<Double>

    public init(chain: [Link], tool: SIMD3<Double>, x: ClosedRange<Double>, y: ClosedRange<Double>, z: ClosedRange<Double>) {
        self.chain = chain
        self.tool = tool
        self.x = x
        self.y = y
        self.z = z
    }
}

public struct CarLimits: Sendable, Equatable {
    /// Distance between the axles in metres (kinematic bicycle model).
    public var wheelbase: Double
    /// Forward speed range in m/s; a negative lower bound allows reversing.
    public var speed: ClosedRange<Double>
    /// Largest steering angle magnitude in radians.
    public var steering: Double
    /// Largest steering angle change in rad/s.
    public var steeringRate: Double
    /// Largest speed change in m/s².
    public var acceleration: Double
}

public struct DroneLimits: Sendable, Equatable {
    /// Largest horizontal speed in m/s.
    public var horizontalVelocity: Double
    /// Largest climb or descent speed in m/s.
    public var verticalVelocity: Double
    /// Allowed altitude above the take-off point, in metres (positive up).
    public var altitude: ClosedRange<Double>
    /// Largest horizontal distance from the take-off point, in metres.
    public var geofenceRadius: Double
    /// Largest yaw rate in rad/s.
    public var yawRate: Double
}

/// The mechanical limits of one robot kind.
public enum RobotBody: Sendable, Equatable {
    case arm(joints: [JointSpec])
    case car(CarLimits)
    case drone(DroneLimits)
}

public enum SafeStopBehaviour: String, CaseIterable, Sendable {
    case holdThenTorqueOff = "hold_then_torque_off"
    case brakeAndCentre = "brake_and_centre"
    case hoverThenLand = "hover_then_land"

    public var kind: RobotKind {
        switch self {
        case .holdThenTorqueOff: return .arm
        case .brakeAndCentre: return .car
        case .hoverThenLand: return .drone
        }
    }

    public static func behaviour(for kind: RobotKind) -> SafeStopBehaviour {
        allCases.first { $0.kind == kind }!
    }

    /// What the safety filter's fallback does for this kind, in words ("hold", "slow to a stop", "hover").
    public var fallbackName: String {
        switch self {
        case .holdThenTorqueOff: return "hold"
        case .brakeAndCentre: return "slow to a stop"
        case .hoverThenLand: return "hover"
        }
    }
}

public struct SafetySettings: Sendable, Equatable {
    /// With no fresh state for this long, the runtime safe-stops.
    public var watchdogTimeout: Double
    /// Largest change of any action component from one tick to the next, in action units.
    public var maxChangePerTick: Double
    public var safeStop: SafeStopBehaviour
    /// How long the first phase of the safe stop lasts (arm hold, drone hover), in seconds.
    public var safeStopHoldSeconds: Double
    /// The loop gives up and safe-stops after this many missed periods in a row.
    public var maxConsecutiveOverruns: Int
    /// Arms: how far (rad) a joint may stay from the goal it was sent; see `trackingErrorSeconds`.
    public var trackingErrorRadians: Double
    /// Arms: a joint that stays farther than `trackingErrorRadians` from its goal for this long
    /// without closing in on it (a seized joint, a collision, a servo that gave up) is a fault.
    public var trackingErrorSeconds: Double
    /// While a person is in control and their device sends nothing for this long, the robot falls
    /// back to the kind's fallback (hold, slow to a stop, hover) until it speaks again.
    public var operatorTimeout: Double = SafetySettings.defaultOperatorTimeoutSeconds
    /// When the monitor asks for a takeover, the robot holds this long for the operator before the
    /// episode ends as a failure.
    public var takeoverWait: Double = SafetySettings.defaultTakeoverWaitSeconds

    public static let defaultOperatorTimeoutSeconds = 0.2
    public static let defaultTakeoverWaitSeconds = 10.0

    /// Tracking-error defaults: 0.1 rad is above what a loaded hobby servo sags under gravity, and
    /// 0.5 s is far longer than a healthy servo takes to move that far toward its goal.
    public static let defaultTrackingErrorRadians = 0.1
    public static let defaultTrackingErrorSeconds = 0.5
}

/// What the runtime does when the corrector reports low confidence or the monitor high sensitivity.
public enum LowConfidenceResponse: String, CaseIterable, Sendable {
    /// Keep the last applied action.
    case hold
    /// Scale the step from the last applied action by `slowFactor`.
    case slow
    /// Apply the corrected action and raise a takeover request for the operator.
    case takeover
}

public struct MonitorSettings: Sendable, Equatable {
    /// ε: bound on the L2 norm of sensor noise, in observation units.
    public var sensorNoiseBound: Double
    /// Largest action change (L2, action units) the robot tolerates from noise of size ε.
    public var actionTolerance: Double
    /// K: perturbation probes per tick for the local sensitivity estimate.
    public var probes: Int
    /// Local sensitivity (action change per unit of observation change) above which the response fires.
    public var sensitivityLimit: Double
    /// CARIL τ_hi: the classifier is confident at or above this.
    public var confidenceHigh: Double
    /// CARIL τ_lo: the classifier is unsure below this.
    public var confidenceLow: Double
    /// CARIL H_max: entropy above which the classifier is too unsure to override.
    public var entropyMax: Double
    /// Bins of disagreement between regression and classification that still count as agreement.
    public var binTolerance: Int
    public var response: LowConfidenceResponse
    /// Step scale for the `slow` response, in (0, 1].
    public var slowFactor: Double
}

/// An observation component. Its size depends on the robot: `joint_position` has one entry per joint.
public enum ObservationFeature: String, CaseIterable, Sendable {
    case jointPosition = "joint_position"
    case jointVelocity = "joint_velocity"
    case jointEffort = "joint_effort"
    case target
    case pose
    case speed
    case steering
    case trackError = "track_error"
    case trackAhead = "track_ahead"
    case position
    case velocity
    case attitude

    public var kinds: [RobotKind] {
        switch self {
        case .jointPosition, .jointVelocity, .jointEffort: return [.arm]
        case .target: return [.arm, .drone]
        case .pose, .speed, .steering, .trackError, .trackAhead: return [.car]
        case .position, .velocity, .attitude: return [.drone]
        }
    }

    /// Distances ahead of the car, in metres, at which `track_ahead` reports the centre line.
    public static let trackAheadDistances: [Double] = [0.5, 1.0, 2.0]

    /// Names of the scalar entries this feature contributes, in order.
    public func entryNames(body: RobotBody) -> [String] {
        switch (self, body) {
        case (.jointPosition, .arm(let joints)): return joints.map { "\($0.name).pos" }
        case (.jointVelocity, .arm(let joints)): return joints.map { "\($0.name).vel" }
        case (.jointEffort, .arm(let joints)): return joints.map { "\($0.name).effort" }
        // Targets are relative to where the robot is (target minus measured position): an offset
        // generalises across goals far better than an absolute goal a policy must subtract itself.
        case (.target, .arm(let joints)): return joints.map { "\($0.name).to_target" }
        case (.target, .drone): return ["target.north", "target.east", "target.down"]
        case (.pose, _): return ["pose.x", "pose.y", "pose.yaw"]
        case (.speed, _): return ["speed"]
        case (.steering, _): return ["steering"]
        case (.trackError, _): return ["track.lateral_error", "track.heading_error"]
        case (.trackAhead, _):
            return ObservationFeature.trackAheadDistances.flatMap { d in
                let tag = ConfigReader.format(d)
                return ["track.ahead_\(tag).x", "track.ahead_\(tag).y"]
            }
        case (.position, _): return ["position.north", "position.east", "position.down"]
        case (.velocity, _): return ["velocity.north", "velocity.east", "velocity.down"]
        case (.attitude, _): return ["attitude.roll", "attitude.pitch", "attitude.yaw"]
        default: return []
        }
    }
}

/// What the policy's output means and which robots accept it.
public enum ActionKind: String, CaseIterable, Sendable {
    /// Absolute joint position goals in radians.
    case jointPosition = "joint_position"
    /// Forward speed (m/s) and steering angle (rad).
    case speedSteering = "speed_steering"
    /// Velocity set-point north, east, down in m/s.
    case velocity
    /// Velocity set-point north, east, down in m/s plus yaw rate in rad/s.
    case velocityYawRate = "velocity_yaw_rate"

    public var kinds: [RobotKind] {
        switch self {
        case .jointPosition: return [.arm]
        case .speedSteering: return [.car]
        case .velocity, .velocityYawRate: return [.drone]
        }
    }

    public func entryNames(body: RobotBody) -> [String] {
        switch (self, body) {
        case (.jointPosition, .arm(let joints)): return joints.map { "\($0.name).goal" }
        case (.speedSteering, _): return ["speed", "steering"]
        case (.velocity, _): return ["velocity.north", "velocity.east", "velocity.down"]
        case (.velocityYawRate, _): return ["velocity.north", "velocity.east", "velocity.down", "yaw_rate"]
        default: return []
        }
    }
}

/// CURVE keys for every ZeroMQ connection of a robot (robot-protocol driver, car localisation).
public struct ZMQSecuritySettings: Sendable, Equatable {
    /// The robot's public certificate (`NAME.key`).
    public var serverKeyPath: String
    /// This runtime's secret certificate (`NAME.key_secret`), whose public half is on the robot's allow-list.
    public var clientKeyPath: String

    public init(serverKeyPath: String, clientKeyPath: String) {
        self.serverKeyPath = serverKeyPath
        self.clientKeyPath = clientKeyPath
    }
}

/// MAVLink identities and signing for a drone.
public struct MAVLinkSettings: Sendable, Equatable {
    /// Who Reins is on the MAVLink network (defaults: 255/190, a ground station).
    public var systemID: Int = 255
    public var componentID: Int = 190
    /// The vehicle's autopilot.
    public var targetSystem: Int = 1
    public var targetComponent: Int = 1
    /// A file holding the 32-byte signing key (64 hex characters), when the vehicle signs.
    public var signingKeyPath: String?

    public init() {}
}

/// What a description is for: a robot Reins drives, or a leader arm a person moves by hand to lead
/// one (`reins teleop --device leader:FILE`), which Reins only reads, torque off.
public enum RobotRole: String, CaseIterable, Sendable {
    case follower
    case leader
}

/// A leader arm's settings (`leader:` in a `role: leader` description).
public struct LeaderSettings: Sendable, Equatable {
    public static let defaultMaxStartDifference = 0.5
    /// How far (rad) any joint of the leader may be from the follower's when teleoperation starts:
    /// farther, and the device refuses to start instead of pulling the follower across.
    public var maxStartDifference = LeaderSettings.defaultMaxStartDifference

    public init() {}
}

/// A validated robot description (`Robots/*.yaml`) together with its calibration.
public struct RobotDescription: Sendable {
    public var sourcePath: String
    public var name: String
    public var kind: RobotKind
    public var driver: DriverKind
    public var link: LinkSpec
    public var controlRateHz: Double
    public var body: RobotBody
    public var observation: [ObservationFeature]
    public var action: ActionKind
    public var safety: SafetySettings
    public var monitor: MonitorSettings
    public var calibrationPath: String
    public var calibration: Calibration
    public var zmqSecurity: ZMQSecuritySettings?
    /// Where a car's pose comes from (a Reins robot-protocol STATE stream); nil for the built-in simulator.
    public var localization: LinkSpec?
    public var mavlink = MAVLinkSettings()
    /// Arms only, optional: the box the tool point must stay in.
    public var workspace: ArmWorkspace?
    /// `role: leader`: a servo arm moved by hand, read torque off (never driven).
    public var role = RobotRole.follower
    public var leader = LeaderSettings()
    /// Where each key path (`car.steering`, `joints[2].velocity`) was written, for later diagnostics.
    public var sourceMarks: [String: SourceMark] = [:]

    /// Every file this description reads: itself, its calibration and its key files. A command's
    /// outputs must never be one of them.
    public var inputFiles: [String] {
        [sourcePath, calibrationPath] + [zmqSecurity?.serverKeyPath, zmqSecurity?.clientKeyPath, mavlink.signingKeyPath].compactMap { $0 }
    }

    /// Names of the observation vector's entries, in the order the policy sees them.
    public var observationNames: [String] {
        observation.flatMap { $0.entryNames(body: body) }
    }

    /// Names of the action vector's entries.
    public var actionNames: [String] {
        action.entryNames(body: body)
    }

    public var controlPeriodSeconds: Double { 1 / controlRateHz }
}

extension RobotDescription {
    /// The range each action entry may take, in action units: joint position limits, the car's
    /// speed range and steering lock, the drone's velocity limits per axis (the horizontal limit
    /// also bounds the norm of north and east, which the safety filter enforces).
    public var actionBounds: [ClosedRange<Double>] {
        switch (action, body) {
        case (.jointPosition, .arm(let joints)):
            return joints.map(\.position)
        case (.speedSteering, .car(let limits)):
            return [limits.speed, -limits.steering...limits.steering]
        case (.velocity, .drone(let limits)), (.velocityYawRate, .drone(let limits)):
            let h = limits.horizontalVelocity, v = limits.verticalVelocity
            var bounds = [-h...h, -h...h, -v...v]
            if action == .velocityYawRate { bounds.append(-limits.yawRate...limits.yawRate) }
            return bounds
        default:
            return []
        }
    }
}
