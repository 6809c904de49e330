import ReinsConfig
import ReinsCore
import ReinsTasks

/// The physical car behind a simulated VESC: a bicycle model on a track, driven the way a VESC
/// drives its motor, with the firmware's command timeout.
public final class SimulatedCar: @unchecked Sendable {
    /// How the VESC is driving the motor.
    public enum MotorCommand: Sendable, Equatable {
        case released
        case duty(Double)
        case rpm(Double)
        case current(Double)
        case brake(Double)
    }

    public var body: BicycleModel
    public let track: Track
    public let calibration: CarCalibration
    public private(set) var command: MotorCommand = .released
    /// Servo command 0...1 (0.5-ish is straight, per calibration).
    public private(set) var servoPosition: Double
    private var lastCommandTime = -Double.infinity
    /// APPCONF_TIMEOUT_MSEC: without a command for this long the motor is released.
    public let commandTimeout = 1.0
    /// ERPM at full duty (a 4S pack on the usual 3500 kV motor).
    public let maximumERPM = 60_000.0
    /// Speed change per amp of motor current, m/s² per A.
    public let accelerationPerAmp = 0.25
    public private(set) var tachometer: Int32 = 0
    private var tachometerFraction = 0.0
    /// A dead motor: commands are accepted but nothing turns the wheels.
    public var motorFault = false

    public init(description: RobotDescription, track: Track = .oval) {
        guard case .car(let limits) = description.body, case .car(let calibration) = description.calibration else {
            preconditionFailure("SimulatedCar needs a car description")
        }
        var parameters = BicycleModel.Parameters()
        parameters.wheelbase = limits.wheelbase
        // What the linkage physically reaches at the servo range ends.
        parameters.maximumSteering = max(abs(calibration.servoRange.upperBound - calibration.servoCentre),
                                         abs(calibration.servoCentre - calibration.servoRange.lowerBound)) / abs(calibration.servoPerRadian)
        body = BicycleModel(parameters: parameters)
        self.track = track
        self.calibration = calibration
        servoPosition = calibration.servoCentre
        let start = track.points[0]
        body.x = start.x
        body.y = start.y
        body.yaw = track.headingAt(0)
    }

    /// Any SET_* or ALIVE resets the firmware timeout.
    public func keepAlive(at time: Double) { lastCommandTime = time }

    public func setCommand(_ command: MotorCommand, at time: Double) {
        self.command = command
        lastCommandTime = time
    }

    public func setServo(_ position: Double, at time: Double) {
        servoPosition = min(1, max(0, position))
        lastCommandTime = time
    }

    /// Electrical RPM of the motor now.
    public var erpm: Double { body.speed * calibration.erpmPerMetrePerSecond }

    /// Duty cycle the controller is applying (what GET_VALUES reports).
    public var duty: Double { max(-1, min(1, erpm / maximumERPM)) }

    /// Motor current the controller reports, A.
    public private(set) var motorCurrent = 0.0

    public func step(_ dt: Double, at time: Double) {
        if time - lastCommandTime > commandTimeout { command = .released }
        let steeringGoal = (servoPosition - calibration.servoCentre) / calibration.servoPerRadian
        let perMetre = calibration.erpmPerMetrePerSecond
        let before = body.speed
        var drive: BicycleModel.Drive
        switch command {
        case .released: drive = .coast
        case .duty(let d): drive = .speed(d * maximumERPM / perMetre)
        case .rpm(let r): drive = .speed(r / perMetre)
        case .current(let amps): drive = .acceleration(amps * accelerationPerAmp)
        case .brake(let amps): drive = .brake(abs(amps) * accelerationPerAmp * 2)
        }
        if motorFault, case .brake = drive {} else if motorFault { drive = .coast }
        body.step(dt, drive: drive, steeringGoal: steeringGoal)
        motorCurrent = (body.speed - before) / max(dt, 1e-9) / accelerationPerAmp
        // The tachometer counts commutation steps: 6 per electrical revolution.
        tachometerFraction += body.speed * perMetre / 60 * 6 * dt
        let whole = tachometerFraction.rounded(.towardZero)
        tachometer &+= Int32(clamping: Int(whole))
        tachometerFraction -= whole
    }
}
