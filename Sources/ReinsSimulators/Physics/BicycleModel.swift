#if canImport(Glibc)
import Glibc
#endif

/// A kinematic bicycle with a lagging drive motor and a rate-limited steering servo: the usual
/// model of a 1/10 car at the speeds a policy drives it.
public struct BicycleModel: Sendable {
    public struct Parameters: Sendable {
        public var wheelbase: Double = 0.33
        /// Drive response time constant, s.
        public var motorTimeConstant: Double = 0.15
        /// Steering servo slew rate, rad/s.
        public var steeringSlewRate: Double = 6
        /// Largest steering angle the linkage allows, rad.
        public var maximumSteering: Double = 0.42
        /// Deceleration while coasting (motor released), m/s².
        public var coastDeceleration: Double = 0.6
        /// Largest speed, m/s.
        public var maximumSpeed: Double = 8

        public init() {}
    }

    public var parameters: Parameters
    public var x = 0.0, y = 0.0, yaw = 0.0
    /// Forward speed, m/s.
    public var speed = 0.0
    /// Steering angle, rad (positive turns left).
    public var steering = 0.0

    public init(parameters: Parameters = Parameters()) {
        self.parameters = parameters
    }

    /// What the motor is asked to do.
    public enum Drive: Sendable, Equatable {
        /// Track this speed (speed control, duty or RPM mode).
        case speed(Double)
        /// Accelerate at this rate (current mode), m/s².
        case acceleration(Double)
        /// Brake towards standstill at this rate, m/s².
        case brake(Double)
        /// Motor released: coast.
        case coast
    }

    public mutating func step(_ dt: Double, drive: Drive, steeringGoal: Double) {
        let goal = max(-parameters.maximumSteering, min(parameters.maximumSteering, steeringGoal))
        let maxStep = parameters.steeringSlewRate * dt
        steering += max(-maxStep, min(maxStep, goal - steering))

        switch drive {
        case .speed(let target):
            let alpha = min(1, dt / parameters.motorTimeConstant)
            speed += (target - speed) * alpha
        case .acceleration(let a):
            speed += a * dt
        case .brake(let a):
            let change = min(abs(speed), abs(a) * dt)
            speed -= speed > 0 ? change : -change
        case .coast:
            let change = min(abs(speed), parameters.coastDeceleration * dt)
            speed -= speed > 0 ? change : -change
        }
        speed = max(-parameters.maximumSpeed, min(parameters.maximumSpeed, speed))

        x += speed * cos(yaw) * dt
        y += speed * sin(yaw) * dt
        yaw += speed / parameters.wheelbase * tan(steering) * dt
        yaw = atan2(sin(yaw), cos(yaw))
    }
}
