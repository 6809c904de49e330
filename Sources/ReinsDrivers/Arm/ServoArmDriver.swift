import ReinsConfig
import ReinsCore
import ReinsProtocols
import ReinsTransport

/// Servo values read in one bus transaction, per joint, in raw device units.
struct ServoReadings {
    var positionTicks: [Int]
    var velocityRadiansPerSecond: [Double]
    var currentAmperes: [Double]
    var temperature: [Double]
    var voltage: [Double]
    var received: [Bool]

    init(count: Int) {
        positionTicks = [Int](repeating: 0, count: count)
        velocityRadiansPerSecond = [Double](repeating: 0, count: count)
        currentAmperes = [Double](repeating: 0, count: count)
        temperature = [Double](repeating: 0, count: count)
        voltage = [Double](repeating: 0, count: count)
        received = [Bool](repeating: false, count: count)
    }
}

/// What Dynamixel and Feetech arms share: ids and calibration per joint, the connect/configure/
/// activate sequence, conversion between encoder ticks and radians, and the arm's safe stop
/// (hold the present position, then torque off). Subclasses speak their bus protocol.
public class ServoArmDriver: RobotDriver, @unchecked Sendable {
    public let robot: RobotDescription
    public let deviceName: String
    public internal(set) var health = DriverHealth()
    let linkSpec: LinkSpec
    let joints: [JointSpec]
    let calibrations: [JointCalibration]
    let ids: [UInt8]
    var link: (any ByteLink)?
    var readings: ServoReadings
    /// Goal ticks sent last tick (also what the arm holds during a safe stop).
    var goalTicks: [Int]
    let readBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 8)
    let writer = ByteWriter(capacity: 1024)
    var active = false
    /// Transactions that needed a retry inside their tick, and replies that never came.
    var missedReplies: UInt64 = 0

    init(robot: RobotDescription, link: LinkSpec) {
        guard case .arm(let joints) = robot.body, case .arm(let calibration) = robot.calibration else {
            preconditionFailure("an arm driver needs an arm description")
        }
        self.robot = robot
        self.linkSpec = link
        self.joints = joints
        calibrations = calibration.joints.map(\.calibration)
        ids = calibrations.map { UInt8($0.servoID) }
        deviceName = "\(robot.driver.rawValue) bus on \(link)"
        readings = ServoReadings(count: joints.count)
        goalTicks = [Int](repeating: 2048, count: joints.count)
    }

    deinit { readBuffer.deallocate() }

    // MARK: Protocol hooks (subclasses)

    /// PING one servo; returns its model number or nil if it is silent.
    func ping(_ id: UInt8, timeout: Double) -> UInt16? { nil }
    /// Writes one register of one servo and waits for its acknowledgement.
    func writeRegister(_ id: UInt8, address: Int, size: Int, value: Int) throws(DriverError) {}
    /// Reads one register of one servo.
    func readRegister(_ id: UInt8, address: Int, size: Int) throws(DriverError) -> Int { 0 }
    /// Torque on or off for every servo at once (one group write).
    func setTorque(_ on: Bool) -> Bool { false }
    /// Reads position, velocity, current, temperature and voltage of every servo into `readings`.
    func readServos(deadline: UInt64) -> ReadOutcome { .stale }
    /// Writes every servo's goal position in one group write.
    func writeGoals(deadline: UInt64) -> Bool { false }
    /// Protocol-specific set-up with torque off (return delay, operating mode, limits).
    func configureServos() throws(DriverError) {}
    /// Model numbers the description's servo models report.
    func expectedModel(_ joint: Int) -> UInt16? { joints[joint].model?.modelNumber }

    // MARK: Lifecycle

    public func connect() throws(DriverError) {
        do {
            link = try linkSpec.openByteLink()
        } catch {
            throw DriverError(device: error.device, problem: error.problem, suggestion: error.suggestion)
        }
        var silent: [Int] = []
        for (index, id) in ids.enumerated() {
            var model: UInt16?
            for _ in 0..<3 where model == nil { model = ping(id, timeout: 0.05) }
            guard let model else { silent.append(index); continue }
            if let expected = expectedModel(index), expected != model {
                let name = ServoModel.known.first { $0.modelNumber == model && $0.driver == robot.driver }?.name ?? "model \(model)"
                throw DriverError(device: deviceName, problem: "servo \(id) (joint \(joints[index].name)) is \(name), but the description says \(joints[index].model!.name)",
                                  suggestion: "fix the joint's `model` in \(robot.sourcePath), or check that servo ids are not swapped")
            }
        }
        if silent.count == ids.count {
            throw DriverError(device: deviceName, problem: "no servo answers PING",
                              suggestion: "check the bus power and cable, and that every servo runs at the adapter's baud rate (a wrong baud rate makes all of them silent)")
        }
        if let first = silent.first {
            let names = silent.map { "\(ids[$0]) (\(joints[$0].name))" }.joined(separator: ", ")
            throw DriverError(device: deviceName, problem: "servo id\(silent.count > 1 ? "s" : "") \(names) do\(silent.count > 1 ? "" : "es") not answer PING",
                              suggestion: "check the cable to servo \(ids[first]) and that its id is \(ids[first]) (the calibration file \(robot.calibrationPath) lists the ids)")
        }
    }

    public func configure() throws(DriverError) {
        guard link != nil else { throw DriverError(device: deviceName, problem: "configure before connect") }
        _ = setTorque(false)
        try configureServos()
    }

    public func activate() throws(DriverError) {
        // Start from where the arm is, so torque-on never jumps.
        let deadline = MonotonicClock.nowNanoseconds() + 200_000_000
        guard readServos(deadline: deadline) == .fresh else {
            throw DriverError(device: deviceName, problem: "could not read the servos' positions before torque-on")
        }
        holdPresentPositions()
        _ = writeGoals(deadline: MonotonicClock.nowNanoseconds() + 50_000_000)
        guard setTorque(true) else { throw DriverError(device: deviceName, problem: "torque-on was not acknowledged") }
        active = true
    }

    public func read(into state: RobotState, deadline: UInt64) -> ReadOutcome {
        let outcome = readServos(deadline: deadline)
        guard outcome == .fresh else {
            if outcome == .stale { health.staleReads &+= 1 }
            return outcome
        }
        let n = joints.count
        var hottest = 0.0, lowest = Double.infinity
        for i in 0..<n {
            let calibration = calibrations[i]
            let direction = Double(calibration.direction)
            state.values[i] = calibration.angle(ticks: readings.positionTicks[i])
            state.values[n + i] = direction * readings.velocityRadiansPerSecond[i]
            state.values[2 * n + i] = direction * readings.currentAmperes[i]
            hottest = max(hottest, readings.temperature[i])
            lowest = min(lowest, readings.voltage[i])
        }
        health.maximumTemperature = hottest
        health.minimumVoltage = lowest
        health.reads &+= 1
        state.timestamp = MonotonicClock.nowNanoseconds()
        state.sequence &+= 1
        return .fresh
    }

    public func write(_ command: UnsafeBufferPointer<Double>, applied: UnsafeMutableBufferPointer<Double>, deadline: UInt64) -> Bool {
        for i in 0..<joints.count {
            let calibration = calibrations[i]
            // Goals stay inside the calibrated range even if a caller forgot the safety filter:
            // beyond it the servo would push into the frame.
            var ticks = min(max(calibration.ticks(angle: command[i]), calibration.range.lowerBound), calibration.range.upperBound)
            // Rounding to a whole tick must not step past a joint limit the filter clamped to.
            let limits = joints[i].position
            let step = calibration.direction
            if calibration.angle(ticks: ticks) > limits.upperBound { ticks -= step }
            if calibration.angle(ticks: ticks) < limits.lowerBound { ticks += step }
            goalTicks[i] = ticks
            applied[i] = calibration.angle(ticks: ticks)
        }
        let sent = writeGoals(deadline: deadline)
        if sent { health.writes &+= 1 }
        return sent
    }

    public func safeStop(reason: String, progress: (String) -> Void) -> SafeStopReport {
        guard link != nil else { return SafeStopReport(problem: "not connected") }
        var report = SafeStopReport()
        var problems: [String] = []
        // Hold: the goal becomes the present position, so the arm stops where it is.
        var held = false
        if readServos(deadline: MonotonicClock.nowNanoseconds() + 50_000_000) == .fresh {
            holdPresentPositions()
            held = writeGoals(deadline: MonotonicClock.nowNanoseconds() + 50_000_000)
        }
        let hold = robot.safety.safeStopHoldSeconds
        MonotonicClock.sleep(untilNanoseconds: MonotonicClock.nowNanoseconds() + UInt64(hold * 1e9))
        if held {
            report.steps.append("held position \(SafeStopReport.seconds(hold))")
        } else {
            problems.append("the servos did not answer, position not held")
        }
        // Torque off, retried: a servo that misses it would keep holding forever.
        var torqueOff = false
        for _ in 0..<3 where !torqueOff { torqueOff = setTorque(false) }
        if torqueOff {
            report.steps.append("torque off")
        } else {
            problems.append("torque off not confirmed by every servo after 3 attempts")
        }
        active = false
        if !problems.isEmpty { report.problem = problems.joined(separator: "; ") }
        return report
    }

    public func deactivate() {
        if active { _ = setTorque(false) }
        active = false
    }

    public func disconnect() {
        link?.close()
        link = nil
    }

    // MARK: Helpers for subclasses

    /// Goals := present positions, element by element: assigning the array would share storage
    /// and make the next in-tick write copy it (an allocation).
    func holdPresentPositions() {
        for i in 0..<goalTicks.count { goalTicks[i] = readings.positionTicks[i] }
    }

    /// Sends the bytes in `writer`.
    func send(deadline: UInt64) -> Bool {
        guard let link else { return false }
        do {
            try link.write(writer.bytes, deadline: deadline)
            return true
        } catch {
            return false
        }
    }

    /// Reads whatever arrives before the deadline into the read buffer; -1 when the link is gone.
    func receive(deadline: UInt64) -> Int {
        guard let link else { return -1 }
        do {
            return try link.read(into: readBuffer, deadline: deadline)
        } catch {
            return -1
        }
    }

    func joint(forID id: UInt8) -> Int? {
        for i in 0..<ids.count where ids[i] == id { return i }
        return nil
    }
}
