import ReinsConfig
import ReinsCore
import ReinsProtocols
import ReinsTransport

/// An arm of position servos on one bus, whatever protocol the bus speaks: the connect/configure/
/// activate sequence, conversion between encoder ticks and radians through the calibration,
/// tracking-error detection, the servos' own hardware faults, and the arm's safe stop (hold the
/// present position, then torque off). The `ServoBus` it owns speaks the protocol.
public final class ArmDriver: RobotDriver, @unchecked Sendable {
    public let robot: RobotDescription
    public let bus: any ServoBus
    /// Reads, writes and telemetry this driver counts; the bus counts retries and checksum errors.
    private var counts = DriverHealth()
    private let arm: ServoArm
    /// Goal ticks sent last tick (also what the arm holds during a safe stop).
    private var goalTicks: [Int]
    private var connected = false
    private var active = false

    // Tracking error, per joint: since when (monotonic ns, 0 for "not now") the joint has been
    // farther than the tolerance from its goal without closing in, and where it was then.
    private var trackingSince: [UInt64]
    private var trackingAnchor: [Double]
    private let trackingTolerance: Double
    private let trackingTimeout: UInt64

    public init(robot: RobotDescription, bus: any ServoBus) {
        self.robot = robot
        self.bus = bus
        arm = ServoArm(robot: robot)
        precondition(bus.ids == arm.ids, "the bus's servo ids \(bus.ids) are not the calibration's \(arm.ids)")
        let count = arm.joints.count
        goalTicks = [Int](repeating: 2048, count: count)
        trackingSince = [UInt64](repeating: 0, count: count)
        trackingAnchor = [Double](repeating: 0, count: count)
        trackingTolerance = robot.safety.trackingErrorRadians
        trackingTimeout = UInt64(robot.safety.trackingErrorSeconds * 1e9)
    }

    /// An arm driver on the bus the description's driver names (`DriverFactory.servoBus`).
    public convenience init(robot: RobotDescription, link: LinkSpec) {
        self.init(robot: robot, bus: DriverFactory.servoBus(for: robot, link: link))
    }

    public var deviceName: String { bus.deviceName }

    public var health: DriverHealth {
        var health = counts
        let bus = bus.counters
        health.retries = bus.retries
        health.checksumErrors = bus.checksumErrors
        return health
    }

    // MARK: Lifecycle

    public func connect() throws(DeviceError) {
        try bus.open()
        connected = true
        try arm.findServos(on: bus)
    }

    public func configure() throws(DeviceError) {
        guard connected else { throw DeviceError(device: deviceName, problem: "configure before connect") }
        _ = bus.setTorque(false)
        for index in arm.joints.indices {
            try arm.checkHardware(joint: index, on: bus)
            // The servo's own limits as a second fence behind the safety filter (the calibration
            // loader keeps the range inside the model's position ticks).
            try bus.configurePositionControl(of: arm.ids[index], range: arm.calibrations[index].range)
        }
        try bus.startStateReads()
    }

    public func activate() throws(DeviceError) {
        // Start from where the arm is, so torque-on never jumps.
        try bus.readStateForSetUp("reading the servos' positions before torque-on")
        holdPresentPositions()
        _ = bus.writeGoalPositions(goalTicks, deadline: MonotonicClock.nowNanoseconds() + 50_000_000)
        guard bus.setTorque(true) else { throw DeviceError(device: deviceName, problem: "torque-on was not acknowledged") }
        for i in 0..<trackingSince.count { trackingSince[i] = 0 }
        active = true
    }

    public func read(into state: RobotState, deadline: UInt64) -> ReadOutcome {
        let outcome = bus.readState(deadline: deadline)
        guard outcome == .fresh else {
            if outcome == .stale { counts.staleReads &+= 1 }
            return outcome
        }
        let readings = bus.readings
        let n = arm.joints.count
        var hottest = 0.0, lowest = Double.infinity
        for i in 0..<n {
            let calibration = arm.calibrations[i]
            let direction = Double(calibration.direction)
            state.values[i] = calibration.angle(ticks: readings.positionTicks[i])
            state.values[n + i] = direction * readings.velocity[i]
            state.values[2 * n + i] = direction * readings.current[i]
            hottest = max(hottest, readings.temperature[i])
            lowest = min(lowest, readings.voltage[i])
        }
        counts.maximumTemperature = hottest
        counts.minimumVoltage = lowest
        counts.reads &+= 1
        let now = MonotonicClock.nowNanoseconds()
        state.timestamp = now
        state.sequence &+= 1
        if active, let fault = trackingFault(readings, now: now) { return fault }
        return .fresh
    }

    /// A joint farther than the tolerance from the goal it was sent, for longer than the time,
    /// without moving the tolerance toward it. The goal leads a moving joint (the servo's loop is
    /// rate-limited and second order), often by more than the tolerance for a whole move, so the
    /// distance alone would trip on normal motion; a healthy joint closes the tolerance in a few
    /// ticks, a seized or blocked one never does.
    private func trackingFault(_ readings: ServoReadings, now: UInt64) -> ReadOutcome? {
        for i in 0..<arm.joints.count {
            let calibration = arm.calibrations[i]
            let measured = calibration.angle(ticks: readings.positionTicks[i])
            let error = calibration.angle(ticks: goalTicks[i]) - measured
            if abs(error) <= trackingTolerance {
                trackingSince[i] = 0
                continue
            }
            let progress = error > 0 ? measured - trackingAnchor[i] : trackingAnchor[i] - measured
            if trackingSince[i] == 0 || progress >= trackingTolerance {
                trackingSince[i] = now
                trackingAnchor[i] = measured
            } else if now &- trackingSince[i] > trackingTimeout {
                return .fault(.trackingError(joint: i, error: error))
            }
        }
        return nil
    }

    public func write(_ command: UnsafeBufferPointer<Double>, applied: UnsafeMutableBufferPointer<Double>, deadline: UInt64) -> Bool {
        for i in 0..<arm.joints.count {
            let calibration = arm.calibrations[i]
            // Goals stay inside the calibrated range even if a caller forgot the safety filter:
            // beyond it the servo would push into the frame.
            var ticks = min(max(calibration.ticks(angle: command[i]), calibration.range.lowerBound), calibration.range.upperBound)
            // Rounding to a whole tick must not step past a joint limit the filter clamped to.
            let limits = arm.joints[i].position
            let step = calibration.direction
            if calibration.angle(ticks: ticks) > limits.upperBound { ticks -= step }
            if calibration.angle(ticks: ticks) < limits.lowerBound { ticks += step }
            goalTicks[i] = ticks
            applied[i] = calibration.angle(ticks: ticks)
        }
        let sent = bus.writeGoalPositions(goalTicks, deadline: deadline)
        if sent { counts.writes &+= 1 }
        return sent
    }

    public func safeStop(reason: String, progress: (String) -> Void) -> SafeStopReport {
        guard connected else { return SafeStopReport(problem: "not connected") }
        var report = SafeStopReport()
        var problems: [String] = []
        // Hold: the goal becomes the present position, so the arm stops where it is.
        var held = false
        if bus.readState(deadline: MonotonicClock.nowNanoseconds() + 50_000_000) == .fresh {
            holdPresentPositions()
            held = bus.writeGoalPositions(goalTicks, deadline: MonotonicClock.nowNanoseconds() + 50_000_000)
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
        for _ in 0..<3 where !torqueOff { torqueOff = bus.setTorque(false) }
        if torqueOff {
            report.steps.append("torque off")
        } else {
            problems.append("torque off not confirmed by every servo after 3 attempts")
        }
        active = false
        if !problems.isEmpty { report.problem = problems.joined(separator: "; ") }
        return report
    }

    public func explain(_ fault: DriverFault) -> String {
        switch fault {
        case .trackingError(let index, let error):
            let safety = robot.safety
            let tolerance = "tracking_error_rad \(Self.fixed3(safety.trackingErrorRadians))"
            let limit = robot.sourceMarks["safety.tracking_error_rad"].map { "\(tolerance) at \(robot.sourcePath):\($0.line)" } ?? "the default \(tolerance)"
            return "\(deviceName): joint \(arm.joints[index].name) (servo \(arm.ids[index])) stayed \(Self.fixed3(abs(error))) rad from its goal for over "
                + "\(Int((safety.trackingErrorSeconds * 1000).rounded())) ms without moving toward it (\(limit)); check that the joint moves freely by hand "
                + "with torque off (seized gearbox, collision, caught cable), or raise `tracking_error_rad`/`tracking_error_ms` under `safety` in "
                + "\(robot.sourcePath) if the arm is merely loaded or slow"
        case .hardwareError, .noResponse, .disconnected, .modeLost, .writeFailed:
            return arm.explain(fault, on: bus) ?? "\(deviceName): \(fault)"
        }
    }

    private static func fixed3(_ value: Double) -> String {
        let rounded = (value * 1000).rounded() / 1000
        return "\(rounded)"
    }

    public func deactivate() {
        if active { _ = bus.setTorque(false) }
        active = false
    }

    public func disconnect() {
        bus.close()
        connected = false
    }

    /// Goals := present positions, element by element: assigning the array would share storage
    /// and make the next in-tick write copy it (an allocation).
    private func holdPresentPositions() {
        let readings = bus.readings
        for i in 0..<goalTicks.count { goalTicks[i] = readings.positionTicks[i] }
    }
}
