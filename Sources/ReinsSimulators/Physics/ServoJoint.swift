#if canImport(Glibc)
import Glibc
#endif

/// One simulated servo joint: a position loop that behaves like a stiff, critically damped
/// second-order system, limited in velocity and acceleration, with a gravity load the loop has to
/// hold (so a loaded joint sags slightly below its goal, as real servos do).
///
/// Angles are radians about the servo's centre tick; the bus simulator converts to ticks.
public struct ServoJoint: Sendable {
    public struct Parameters: Sendable {
        /// Position-loop natural frequency in rad/s.
        public var naturalFrequency: Double = 25
        public var dampingRatio: Double = 1
        /// Fastest the servo can turn, rad/s (the lower of this and the profile velocity applies).
        public var maximumVelocity: Double = 5
        /// Largest acceleration the motor can produce, rad/s².
        public var maximumAcceleration: Double = 60
        /// Gravity's pull on the joint at the worst angle, rad/s² (0 for a vertical axis).
        public var gravityLoad: Double = 0
        /// Angle at which gravity pulls hardest (the link horizontal).
        public var gravityPhase: Double = 0
        /// Mechanical end stops, rad.
        public var hardLimits: ClosedRange<Double> = -3.14...3.14
        /// Torque-off damping (gearbox friction), 1/s.
        public var passiveDamping: Double = 8
        /// Torque-off static friction of the gearbox, rad/s²: a joint at rest whose gravity load is
        /// smaller stays where it is (a balanced wrist or gripper does not sag; a loaded shoulder does).
        public var staticFriction: Double = 1
        /// mA per rad/s² of motor effort, for Present Current.
        public var milliampsPerAcceleration: Double = 4

        public init() {}
    }

    public var parameters: Parameters
    public var position: Double
    public var velocity: Double = 0
    public var goal: Double
    public var torqueEnabled = false
    /// Profile velocity limit set over the bus, rad/s; 0 means "as fast as the servo can".
    public var profileVelocity: Double = 0
    /// Motor effort of the last step, rad/s² (what the current sensor sees).
    public private(set) var effort: Double = 0
    /// A seized gearbox: the joint does not move whatever the motor does.
    public var stuck = false

    public init(parameters: Parameters = Parameters(), position: Double = 0) {
        self.parameters = parameters
        self.position = position
        self.goal = position
    }

    public var presentCurrentMilliamps: Double { effort * parameters.milliampsPerAcceleration }

    public mutating func step(_ dt: Double) {
        let gravity = parameters.gravityLoad * cos(position - parameters.gravityPhase)
        if stuck {
            velocity = 0
            effort = torqueEnabled ? min(parameters.maximumAcceleration, abs(parameters.naturalFrequency * parameters.naturalFrequency * (goal - position))) : 0
            return
        }
        var acceleration: Double
        if torqueEnabled {
            let w = parameters.naturalFrequency
            // No gravity feed-forward: like a real servo, the loop holds the load by position error.
            let command = w * w * (goal - position) - 2 * parameters.dampingRatio * w * velocity
            effort = max(-parameters.maximumAcceleration, min(parameters.maximumAcceleration, command))
            acceleration = effort - gravity
        } else {
            effort = 0
            if abs(velocity) < 1e-6 && abs(gravity) <= parameters.staticFriction {
                velocity = 0
                return
            }
            acceleration = -gravity - parameters.passiveDamping * velocity
        }
        var limit = parameters.maximumVelocity
        if torqueEnabled && profileVelocity > 0 { limit = min(limit, profileVelocity) }
        velocity += acceleration * dt
        velocity = max(-limit, min(limit, velocity))
        position += velocity * dt
        if position < parameters.hardLimits.lowerBound {
            position = parameters.hardLimits.lowerBound
            velocity = max(0, velocity)
        } else if position > parameters.hardLimits.upperBound {
            position = parameters.hardLimits.upperBound
            velocity = min(0, velocity)
        }
    }
}
