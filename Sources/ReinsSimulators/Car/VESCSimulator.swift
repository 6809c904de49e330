import ReinsConfig
import ReinsCore
import ReinsProtocols
import ReinsTransport

/// A VESC motor controller on a pty, driving the simulated car: SET_DUTY, SET_CURRENT,
/// SET_CURRENT_BRAKE, SET_RPM, SET_SERVO_POS, ALIVE, GET_VALUES (with the fields a 4S car reports)
/// and FW_VERSION; the firmware timeout releases the motor 1 s after the last command.
public final class VESCSimulator: ByteLinkSimulator, @unchecked Sendable {
    public let car: SimulatedCar
    private let decoder = VESCFrameDecoder()
    private var ampereHours = 0.0, wattHours = 0.0
    public let packVoltage = 16.4

    public init(car: SimulatedCar, linkPath: String? = nil, faults: FaultInjector) throws(DeviceError) {
        self.car = car
        try super.init(link: nil, linkPath: linkPath, faults: faults)
        car.motorFault = faults.spec.stuckComponent != nil
    }

    override func received(_ bytes: UnsafeRawBufferPointer, at time: Double) {
        decoder.feed(bytes)
        while let frame = decoder.next() {
            guard let command = try? VESCCommand(payload: frame.payload) else { continue }
            handle(command, at: time)
        }
    }

    private func handle(_ command: VESCCommand, at time: Double) {
        switch command {
        case .setDutyCycle(let duty): car.setCommand(.duty(duty), at: time)
        case .setCurrent(let amps): car.setCommand(.current(amps), at: time)
        case .setBrakeCurrent(let amps): car.setCommand(.brake(amps), at: time)
        case .setElectricalRPM(let erpm): car.setCommand(.rpm(Double(erpm)), at: time)
        case .setServoPosition(let position): car.setServo(position, at: time)
        case .alive: car.keepAlive(at: time)
        case .setPosition: car.keepAlive(at: time)
        case .reboot: car.setCommand(.released, at: time)
        case .requestValues: send(.values(values()), at: time)
        case .requestSelectedValues(let mask): send(.selectedValues(mask, values()), at: time)
        case .requestFirmwareVersion:
            send(.firmwareVersion(VESCFirmwareVersion(major: 6, minor: 2, hardwareName: "Reins simulated VESC")), at: time)
        }
    }

    /// GET_VALUES as a VESC 6 on a 4S pack would report it.
    private func values() -> VESCValues {
        var v = VESCValues()
        v.fetTemperatureCelsius = 31.5
        v.motorTemperatureCelsius = 34.0
        v.motorCurrentAmperes = car.motorCurrent
        v.inputCurrentAmperes = car.motorCurrent * abs(car.duty)
        v.directAxisCurrentAmperes = 0
        v.quadratureAxisCurrentAmperes = car.motorCurrent
        v.dutyCycle = car.duty
        v.electricalRPM = faults.measure(car.erpm)
        v.inputVoltage = packVoltage - 0.02 * abs(car.motorCurrent)
        v.ampereHoursDrawn = ampereHours
        v.ampereHoursCharged = 0
        v.wattHoursDrawn = wattHours
        v.wattHoursCharged = 0
        v.tachometer = car.tachometer
        v.tachometerAbsolute = Int32(clamping: abs(Int(car.tachometer)))
        v.fault = VESCFaultCode.none
        v.pidPositionDegrees = 0
        v.controllerID = 0
        v.mosfetTemperaturesCelsius = .init(31.0, 31.5, 32.0)
        v.directAxisVoltage = 0
        v.quadratureAxisVoltage = car.duty * packVoltage
        v.status = VESCStatusFlags(rawValue: 0)
        return v
    }

    private func send(_ message: VESCReply, at time: Double) {
        guard let bytes = try? VESCFraming.frame(message) else { return }
        reply(bytes, at: time)
    }

    public override func step(_ dt: Double, simulatedTime: Double) {
        car.step(dt, at: simulatedTime)
        let inputCurrent = abs(car.motorCurrent * car.duty)
        ampereHours += inputCurrent * dt / 3600
        wattHours += inputCurrent * packVoltage * dt / 3600
    }
}

/// The car's localisation, as a real car's pose estimator would publish it: a Reins robot-protocol
/// STATE stream (`pose.x`, `pose.y`, `pose.yaw`, `speed`) with no actions.
public final class LocalizationBody: RobotProtocolBody, @unchecked Sendable {
    public let car: SimulatedCar
    public let layout: RobotLayout

    public init(car: SimulatedCar, name: String, rateHz: Double) {
        self.car = car
        layout = RobotLayout(robot: name + "-localization", kind: "car", state: ["pose.x", "pose.y", "pose.yaw", "speed"], action: [], rateHz: rateHz)
    }

    public func readState(into values: UnsafeMutableBufferPointer<Double>) -> RobotMessage.Flags {
        values[0] = car.body.x
        values[1] = car.body.y
        values[2] = car.body.yaw
        values[3] = car.body.speed
        return []
    }

    public func apply(action values: UnsafeBufferPointer<Double>, flags: RobotMessage.Flags, at time: Double) {}

    /// The VESC simulator steps the car; the pose stream only reports it.
    public func step(_ dt: Double, at time: Double) {}
}

/// Two front ends served by one host: the first owns the physics and waits on its link, the
/// second is polled in between (the car's VESC pty and its localisation stream).
public final class CompositeFrontEnd: SimulatorFrontEnd, @unchecked Sendable {
    public let primary: any SimulatorFrontEnd
    public let secondary: any SimulatorFrontEnd

    public init(primary: any SimulatorFrontEnd, secondary: any SimulatorFrontEnd) {
        self.primary = primary
        self.secondary = secondary
    }

    public var connectionDescription: String {
        primary.connectionDescription + "; " + secondary.connectionDescription
    }

    public func serviceInput(until deadline: UInt64, simulatedTime: Double) {
        secondary.serviceInput(until: MonotonicClock.nowNanoseconds(), simulatedTime: simulatedTime)
        primary.serviceInput(until: deadline, simulatedTime: simulatedTime)
    }

    public func step(_ dt: Double, simulatedTime: Double) {
        primary.step(dt, simulatedTime: simulatedTime)
        secondary.step(dt, simulatedTime: simulatedTime)
    }

    public func flushOutput(simulatedTime: Double) {
        primary.flushOutput(simulatedTime: simulatedTime)
        secondary.flushOutput(simulatedTime: simulatedTime)
    }

    public func disconnect() {
        primary.disconnect()
        secondary.disconnect()
    }
}
