import ReinsConfig
import ReinsCore
import ReinsProtocols
import ReinsTransport

/// A car whose motor and steering servo hang off a VESC, with its pose from a localisation stream
/// (Reins robot-protocol STATE with `pose.x`, `pose.y`, `pose.yaw`).
///
/// Per tick: GET_VALUES (speed from ERPM through the calibration's ERPM per m/s), the newest pose,
/// then SET_RPM and SET_SERVO_POS converted with the calibration. The commands also keep the
/// VESC's firmware timeout from releasing the motor. Safe stop: brake current and centred
/// steering until the car stands, then release.
public final class VESCCarDriver: RobotDriver, @unchecked Sendable {
    public let robot: RobotDescription
    public let deviceName: String
    public private(set) var health = DriverHealth()
    private let linkSpec: LinkSpec
    private let localizationEndpoint: String?
    private let calibration: CarCalibration
    private let limits: CarLimits
    private var link: (any ByteLink)?
    private var pose: RobotProtocolClient?
    private var poseIndices: [Int] = []
    private let decoder = VESCFrameDecoder()
    private let writer = ByteWriter(capacity: 256)
    private let readBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1024, alignment: 8)
    private var speed = 0.0
    private var steering = 0.0
    private var firmware = "unknown"
    /// Brake current for the safe stop, A.
    public var brakeCurrent = 20.0

    public init(robot: RobotDescription, link: LinkSpec, localization: LinkSpec?) {
        guard case .car(let calibration) = robot.calibration, case .car(let limits) = robot.body else {
            preconditionFailure("a car driver needs a car description")
        }
        self.robot = robot
        self.calibration = calibration
        self.limits = limits
        linkSpec = link
        if case .zmq(let endpoint)? = localization { localizationEndpoint = endpoint } else { localizationEndpoint = nil }
        deviceName = "VESC on \(link)"
    }

    deinit { readBuffer.deallocate() }

    public func connect() throws(DeviceError) {
        link = try linkSpec.openDriverLink()
        var answered = false
        for _ in 0..<3 where !answered {
            guard send(.requestFirmwareVersion, deadline: MonotonicClock.deadline(in: 0.1)) else { continue }
            answered = awaitReply(until: MonotonicClock.deadline(in: 0.3)) { payload in
                guard let version = try? VESCFirmwareVersion(replyPayload: payload) else { return false }
                firmware = "\(version.major).\(version.minor)" + (version.hardwareName.map { " on \($0)" } ?? "")
                return true
            }
        }
        guard answered else {
            throw DeviceError(device: deviceName, problem: "no VESC answers FW_VERSION",
                              suggestion: "check the USB cable and that the VESC is powered (the USB port alone does not power its MCU on every board)")
        }
        if let endpoint = localizationEndpoint {
            let client = try RobotProtocolClient(endpoint: endpoint, security: robot.zmqSecurity)
            _ = try client.hello(timeout: 3)
            poseIndices = try client.stateIndices(of: ["pose.x", "pose.y", "pose.yaw"])
            pose = client
        }
    }

    /// The firmware version the VESC reported.
    public var firmwareVersion: String { firmware }

    public func configure() throws(DeviceError) {}

    public func activate() throws(DeviceError) {
        guard send(.setServoPosition(calibration.servoCentre), deadline: MonotonicClock.deadline(in: 0.05)), send(.alive, deadline: MonotonicClock.deadline(in: 0.05)) else {
            throw DeviceError(device: deviceName, problem: "cannot send to the VESC")
        }
        if let pose, !pose.poll(deadline: MonotonicClock.deadline(in: 1)) {
            throw DeviceError(device: pose.endpoint, problem: "no pose from the localisation stream within 1 s")
        }
    }

    public func read(into state: RobotState, deadline: UInt64) -> ReadOutcome {
        guard send(.requestValues, deadline: deadline) else { return .fault(.disconnected) }
        var gotValues = false
        var disconnected = false
        while !gotValues, MonotonicClock.nowNanoseconds() < deadline {
            let n = receive(deadline: deadline)
            if n < 0 { disconnected = true; break }
            if n == 0 { continue }
            decoder.feed(UnsafeRawBufferPointer(rebasing: readBuffer[0..<n]))
            while let frame = decoder.next() {
                guard frame.payload.count > 0, frame.payload[0] == VESCCommandID.getValues.rawValue,
                      let values = try? VESCValues(replyPayload: frame.payload), let erpm = values.electricalRPM else { continue }
                speed = erpm / calibration.erpmPerMetrePerSecond
                if let temperature = values.fetTemperatureCelsius { health.maximumTemperature = temperature }
                if let voltage = values.inputVoltage { health.minimumVoltage = voltage }
                if let fault = values.fault, fault != .none { return .fault(.hardwareError(id: 0, code: Int(fault.rawValue))) }
                gotValues = true
            }
        }
        if disconnected { return .fault(.disconnected) }
        var freshPose = pose == nil
        if let pose {
            pose.poll(deadline: MonotonicClock.nowNanoseconds())
            let age = Double(MonotonicClock.nowNanoseconds() &- pose.stateReceivedAt) * 1e-9
            freshPose = pose.stateReceivedAt != 0 && age <= robot.safety.watchdogTimeout
            state.values[0] = pose.stateValues[poseIndices[0]]
            state.values[1] = pose.stateValues[poseIndices[1]]
            state.values[2] = pose.stateValues[poseIndices[2]]
        }
        state.values[3] = speed
        state.values[4] = steering
        guard gotValues && freshPose else {
            health.staleReads &+= 1
            return .stale
        }
        state.timestamp = MonotonicClock.nowNanoseconds()
        state.sequence &+= 1
        health.reads &+= 1
        return .fresh
    }

    public func write(_ command: UnsafeBufferPointer<Double>, applied: UnsafeMutableBufferPointer<Double>, deadline: UInt64) -> Bool {
        let erpm = Int32(clamping: Int((command[0] * calibration.erpmPerMetrePerSecond).rounded()))
        let range = calibration.servoRange
        let servo = min(max(calibration.servoCentre + calibration.servoPerRadian * command[1], range.lowerBound), range.upperBound)
        // SET_SERVO_POS carries thousandths; report what the VESC really received, and never let
        // the rounding step past the steering limit the filter clamped to.
        var sentServo = (servo * 1000).rounded() / 1000
        if abs((sentServo - calibration.servoCentre) / calibration.servoPerRadian) > limits.steering {
            sentServo -= (sentServo > calibration.servoCentre ? 0.001 : -0.001)
        }
        guard send(.setElectricalRPM(erpm), deadline: deadline), send(.setServoPosition(sentServo), deadline: deadline) else { return false }
        applied[0] = Double(erpm) / calibration.erpmPerMetrePerSecond
        applied[1] = (sentServo - calibration.servoCentre) / calibration.servoPerRadian
        steering = applied[1]
        health.writes &+= 1
        return true
    }

    public func explain(_ fault: DriverFault) -> String {
        guard case .hardwareError(_, let code) = fault else { return "\(deviceName): \(fault)" }
        // mc_fault_code names from the firmware's datatypes.h.
        let names: [VESCFaultCode: String] = [
            .overVoltage: "over-voltage", .underVoltage: "under-voltage", .driver: "gate driver fault",
            .absoluteOverCurrent: "absolute over-current", .overTemperatureFET: "MOSFET over-temperature",
            .overTemperatureMotor: "motor over-temperature",
        ]
        let name = names[VESCFaultCode(rawValue: UInt8(truncatingIfNeeded: code))] ?? "unknown fault"
        return "\(deviceName): the VESC reports fault code \(code) (\(name)) in GET_VALUES; check the battery, motor and cooling, and the VESC Tool's fault log"
    }

    public func safeStop(reason: String, progress: (String) -> Void) -> SafeStopReport {
        guard link != nil else { return SafeStopReport(problem: "not connected") }
        let limit = max(1, robot.safety.safeStopHoldSeconds) + 2
        let start = MonotonicClock.nowNanoseconds()
        let end = start + UInt64(limit * 1e9)
        var standstillSince: UInt64?
        var stoodAfter: Double?
        var braked = false, centred = false, answered = false
        while MonotonicClock.nowNanoseconds() < end {
            braked = send(.setBrakeCurrent(amperes: brakeCurrent), deadline: MonotonicClock.deadline(in: 0.02)) || braked
            centred = send(.setServoPosition(calibration.servoCentre), deadline: MonotonicClock.deadline(in: 0.02)) || centred
            steering = 0
            _ = send(.requestValues, deadline: MonotonicClock.deadline(in: 0.02))
            let fresh = awaitReply(until: MonotonicClock.deadline(in: 0.02)) { payload in
                guard let values = try? VESCValues(replyPayload: payload), let erpm = values.electricalRPM else { return false }
                speed = erpm / calibration.erpmPerMetrePerSecond
                return true
            }
            // Only a measured speed counts: a silent VESC's last speed says nothing about now.
            guard fresh else { continue }
            answered = true
            let now = MonotonicClock.nowNanoseconds()
            if abs(speed) < 0.05 {
                if standstillSince == nil { standstillSince = now }
                if now - standstillSince! > 300_000_000 {
                    stoodAfter = Double(standstillSince! - start) / 1e9
                    break
                }
            } else {
                standstillSince = nil
            }
        }
        let released = send(.setCurrent(amperes: 0), deadline: MonotonicClock.deadline(in: 0.02))
        var report = SafeStopReport()
        var problems: [String] = []
        if let stoodAfter { report.steps.append("braked to a stand in \(SafeStopReport.seconds(stoodAfter))") }
        if centred { report.steps.append("steering centred") }
        if released { report.steps.append("motor released") }
        if !braked { problems.append("the brake command could not be sent") }
        if !answered {
            problems.append("the VESC did not answer, standstill not confirmed")
        } else if stoodAfter == nil {
            problems.append("still moving at \((speed * 100).rounded() / 100) m/s after \(SafeStopReport.seconds(limit))")
        }
        if !problems.isEmpty { report.problem = problems.joined(separator: "; ") }
        return report
    }

    public func deactivate() {
        _ = send(.setCurrent(amperes: 0), deadline: MonotonicClock.deadline(in: 0.02))
    }

    public func disconnect() {
        link?.close()
        link = nil
        pose = nil
    }

    // MARK: Helpers

    private func send(_ command: VESCCommand, deadline: UInt64) -> Bool {
        guard let link else { return false }
        writer.reset()
        guard (try? VESCFraming.encode(command, into: writer)) != nil else { return false }
        do {
            try link.write(writer.bytes, deadline: deadline)
            return true
        } catch {
            return false
        }
    }

    private func receive(deadline: UInt64) -> Int {
        guard let link else { return -1 }
        do { return try link.read(into: readBuffer, deadline: deadline) } catch { return -1 }
    }

    /// Feeds replies to `accept` until it returns true or the deadline passes.
    private func awaitReply(until deadline: UInt64, _ accept: (UnsafeRawBufferPointer) -> Bool) -> Bool {
        while MonotonicClock.nowNanoseconds() < deadline {
            let n = receive(deadline: deadline)
            if n <= 0 { if n < 0 { return false } else { continue } }
            decoder.feed(UnsafeRawBufferPointer(rebasing: readBuffer[0..<n]))
            while let frame = decoder.next() {
                if accept(frame.payload) { return true }
            }
        }
        return false
    }
}
