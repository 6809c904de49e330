#if canImport(Glibc)
import Glibc
#endif

/// A quadrotor as a point mass with first-order attitude dynamics, collective thrust limits, linear
/// drag and ground contact, flown by a PX4-like cascade: velocity error -> acceleration -> tilt and
/// thrust. Frame: local NED (down positive), so altitude is -position.down.
public struct Quadrotor: Sendable {
    public struct Parameters: Sendable {
        public var gravity = 9.81
        /// Maximum collective thrust as a multiple of hover thrust.
        public var thrustToWeight = 2.0
        /// Linear drag, 1/s.
        public var drag = 0.35
        /// Attitude response time constant, s.
        public var attitudeTimeConstant = 0.08
        /// Largest tilt the controller commands, rad.
        public var maximumTilt = 0.6
        /// Velocity loop gain, 1/s.
        public var velocityGain = 2.5
        /// Position loop gain, 1/s.
        public var positionGain = 1.2
        /// Largest velocity the position loop asks for, m/s.
        public var maximumVelocity = 5.0
        /// Yaw rate limit, rad/s.
        public var maximumYawRate = 2.0

        public init() {}
    }

    /// What the flight controller is tracking.
    public enum Setpoint: Sendable, Equatable {
        /// Motors idle (disarmed or landed).
        case idle
        case velocity(north: Double, east: Double, down: Double, yawRate: Double)
        case position(north: Double, east: Double, down: Double, yaw: Double?)
        /// Attitude and collective thrust (0...1 of maximum).
        case attitude(roll: Double, pitch: Double, yaw: Double, thrust: Double)
    }

    public var parameters: Parameters
    public var north = 0.0, east = 0.0, down = 0.0
    public var velocityNorth = 0.0, velocityEast = 0.0, velocityDown = 0.0
    public var roll = 0.0, pitch = 0.0, yaw = 0.0
    public var yawRate = 0.0
    /// Collective thrust as a fraction of maximum.
    public private(set) var thrust = 0.0

    public init(parameters: Parameters = Parameters()) {
        self.parameters = parameters
    }

    public var altitude: Double { -down }
    public var onGround: Bool { down >= -1e-6 && abs(velocityDown) < 1e-3 }
    /// Thrust fraction that balances gravity.
    public var hoverThrust: Double { 1 / parameters.thrustToWeight }

    public mutating func step(_ dt: Double, setpoint: Setpoint) {
        let g = parameters.gravity
        var desiredRoll = 0.0, desiredPitch = 0.0, desiredYawRate = 0.0
        var desiredThrust = 0.0
        var desiredYaw: Double?

        func fromAcceleration(_ aN: Double, _ aE: Double, _ aD: Double) {
            // Thrust must cancel gravity and give the requested acceleration: f = (aN, aE, aD - g).
            let fN = aN, fE = aE, fD = aD - g
            let magnitude = (fN * fN + fE * fE + fD * fD).squareRoot()
            desiredThrust = magnitude / (g * parameters.thrustToWeight)
            // Rotate the horizontal demand into the body heading, then tilt: pitch forward (negative) to go north.
            let forward = fN * cos(yaw) + fE * sin(yaw)
            let right = -fN * sin(yaw) + fE * cos(yaw)
            desiredPitch = atan2(-forward, -fD)
            desiredRoll = atan2(right, -fD)
        }

        switch setpoint {
        case .idle:
            desiredThrust = 0
        case .velocity(let vn, let ve, let vd, let rate):
            // Drag feed-forward stands in for PX4's velocity integrator: no steady-state lag.
            let k = parameters.velocityGain, c = parameters.drag
            fromAcceleration(k * (vn - velocityNorth) + c * vn, k * (ve - velocityEast) + c * ve, k * (vd - velocityDown) + c * vd)
            desiredYawRate = rate
        case .position(let pn, let pe, let pd, let heading):
            let kp = parameters.positionGain, vmax = parameters.maximumVelocity
            let clamp = { (v: Double) in max(-vmax, min(vmax, v)) }
            let k = parameters.velocityGain, c = parameters.drag
            let (vn, ve, vd) = (clamp(kp * (pn - north)), clamp(kp * (pe - east)), clamp(kp * (pd - down)))
            fromAcceleration(k * (vn - velocityNorth) + c * vn, k * (ve - velocityEast) + c * ve, k * (vd - velocityDown) + c * vd)
            desiredYaw = heading
        case .attitude(let r, let p, let y, let t):
            desiredRoll = r
            desiredPitch = p
            desiredYaw = y
            desiredThrust = t
        }

        let tilt = parameters.maximumTilt
        desiredRoll = max(-tilt, min(tilt, desiredRoll))
        desiredPitch = max(-tilt, min(tilt, desiredPitch))
        desiredThrust = max(0, min(1, desiredThrust))
        if let heading = desiredYaw {
            let error = atan2(sin(heading - yaw), cos(heading - yaw))
            desiredYawRate = 2 * error
        }
        desiredYawRate = max(-parameters.maximumYawRate, min(parameters.maximumYawRate, desiredYawRate))

        let alpha = min(1, dt / parameters.attitudeTimeConstant)
        roll += (desiredRoll - roll) * alpha
        pitch += (desiredPitch - pitch) * alpha
        yawRate += (desiredYawRate - yawRate) * alpha
        thrust += (desiredThrust - thrust) * min(1, dt / 0.03)
        yaw = atan2(sin(yaw + yawRate * dt), cos(yaw + yawRate * dt))

        // Body z axis (thrust acts along -z) in NED for the current attitude.
        let force = thrust * g * parameters.thrustToWeight
        let cr = cos(roll), sr = sin(roll), cp = cos(pitch), sp = sin(pitch), cy = cos(yaw), sy = sin(yaw)
        let zN = cy * sp * cr + sy * sr
        let zE = sy * sp * cr - cy * sr
        let zD = cp * cr
        let aN = -force * zN - parameters.drag * velocityNorth
        let aE = -force * zE - parameters.drag * velocityEast
        let aD = -force * zD + g - parameters.drag * velocityDown

        velocityNorth += aN * dt
        velocityEast += aE * dt
        velocityDown += aD * dt
        north += velocityNorth * dt
        east += velocityEast * dt
        down += velocityDown * dt

        // Ground contact: the ground holds the vehicle up and friction stops it sliding.
        if down >= 0 {
            down = 0
            if velocityDown > 0 { velocityDown = 0 }
            velocityNorth *= 0.5
            velocityEast *= 0.5
            if thrust < hoverThrust {
                roll *= 0.5
                pitch *= 0.5
                yawRate = 0
            }
        }
    }
}
