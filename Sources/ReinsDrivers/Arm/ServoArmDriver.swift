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

/// How a servo family reports trouble of its own (overload, heat, voltage), for messages.
struct ServoHardwareStatus {
    /// Where the code comes from, e.g. "Hardware Error Status (register 70)".
    let register: String
    /// The code's bits in words.
    let describe: (Int) -> String
    /// What clears the latched error once its cause is gone.
    let recovery: String
}

/// What Dynamixel and Feetech arms share: ids and calibration per joint, the connect/configure/
/// activate sequence, conversion between encoder ticks and radians, tracking-error detection, and
/// the arm's safe stop (hold the present position, then torque off). Subclasses speak their bus
/// protocol.
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
    /// The last error the link raised (kept so set-up can report the link's failure rather than a
    /// silent servo; an enum of plain values, so storing it inside a tick allocates nothing).
    var linkFailure: LinkError?
    let hardwareStatus: ServoHardwareStatus

    // Tracking error, per joint: since when (monotonic ns, 0 for "not now") the joint has been
    // farther than the tolerance from its goal without closing in, and where it was then.
    private var trackingSince: [UInt64]
    private var trackingAnchor: [Double]
    private let trackingTolerance: Double
    private let trackingTimeout: UInt64

    init(robot: RobotDescription, link: LinkSpec, hardwareStatus: ServoHardwareStatus) {
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
        self.hardwareStatus = hardwareStatus
        trackingSince = [UInt64](repeating: 0, count: joints.count)
        trackingAnchor = [Double](repeating: 0, count: joints.count)
        trackingTolerance = robot.safety.trackingErrorRadians
        trackingTimeout = UInt64(robot.safety.trackingErrorSeconds * 1e9)
    }

    deinit { readBuffer.deallocate() }

    // MARK: Protocol hooks (subclasses)

    /// PING one servo, waiting for its reply until `deadline`; returns its model number or nil.
    func ping(_ id: UInt8, deadline: UInt64) -> UInt16? { nil }
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

    // MARK: Set-up transactions

    /// Set-up transactions (PING, register reads and writes outside the tick) survive a lost reply
    /// the way a tick does: ask again after a short wait, until a deadline.
    static let setupReplyTimeout = 0.03
    static let setupDeadline = 0.3

    /// Runs `attempt` (one request; its argument is the reply deadline) until it returns a value, the
    /// set-up deadline passes or the link fails. Returns the value and how many tries got no reply.
    func retrying<T>(_ attempt: (UInt64) -> T?) -> (value: T?, failedTries: Int) {
        let end = MonotonicClock.deadline(in: Self.setupDeadline)
        var failed = 0
        linkFailure = nil
        repeat {
            let now = MonotonicClock.nowNanoseconds()
            if let value = attempt(min(end, now + UInt64(Self.setupReplyTimeout * 1e9))) {
                health.retries &+= UInt64(failed)
                return (value, failed)
            }
            failed += 1
        } while MonotonicClock.nowNanoseconds() < end && linkFailure == nil
        return (nil, failed)
    }

    /// Why a set-up transaction got no reply: the link's own failure when it has one (a TCP bridge
    /// that hung up names itself and the errno), otherwise the tries that went unanswered.
    func setupFailure(_ what: String, failedTries: Int) -> DriverError {
        if let failure = linkFailure {
            return DriverError(device: deviceName, problem: "the link failed during \(what): \(Self.linkFailureText(failure, link: linkSpec))",
                               suggestion: Self.linkFailureSuggestion(linkSpec))
        }
        let window = Int((Self.setupDeadline * 1000).rounded())
        return DriverError(device: deviceName, problem: "\(what) got no reply (\(failedTries) tr\(failedTries == 1 ? "y" : "ies") within \(window) ms)",
                           suggestion: "check the servo's power and cable; a bus that loses this many replies has a loose connector, a wrong baud rate or too long a cable for it")
    }

    /// The link's failure in words: who hung up, or the errno's text, naming a TCP bridge's address.
    static func linkFailureText(_ failure: LinkError, link: LinkSpec) -> String {
        switch (failure, link) {
        case (.disconnected, .tcp(let host, let port)): return "\(host):\(port) closed the connection"
        case (.system, .tcp(let host, let port)): return "connection to \(host):\(port): \(failure)"
        default: return "\(failure)"
        }
    }

    static func linkFailureSuggestion(_ link: LinkSpec) -> String {
        switch link {
        case .tcp: return "check that a serial bridge (ser2net, socat, ESP-Link) listens at that address and that its serial side is the servo bus"
        case .serial: return "check the USB cable and adapter (`reins ports` lists the serial ports present)"
        default: return "check that the device is still there"
        }
    }

    // MARK: Lifecycle

    public func connect() throws(DriverError) {
        do {
            link = try linkSpec.openByteLink()
        } catch {
            throw DriverError(device: error.device, problem: error.problem, suggestion: error.suggestion)
        }
        var silent: [(index: Int, failedTries: Int)] = []
        for (index, id) in ids.enumerated() {
            let (answer, failedTries) = retrying { deadline in ping(id, deadline: deadline) }
            if linkFailure != nil { throw setupFailure("PING of servo \(id)", failedTries: failedTries) }
            guard let model = answer else { silent.append((index, failedTries)); continue }
            if let expected = expectedModel(index), expected != model {
                let name = ServoModel.known.first { $0.modelNumber == model && $0.driver == robot.driver }?.name ?? "model \(model)"
                throw DriverError(device: deviceName, problem: "servo \(id) (joint \(joints[index].name)) is \(name), but the description says \(joints[index].model!.name)",
                                  suggestion: "fix the joint's `model` in \(robot.sourcePath), or check that servo ids are not swapped")
            }
        }
        let window = Int((Self.setupDeadline * 1000).rounded())
        if silent.count == ids.count {
            throw DriverError(device: deviceName, problem: "no servo answers PING (\(silent[0].failedTries) tries each within \(window) ms)",
                              suggestion: "check the bus power and cable, and that every servo runs at the adapter's baud rate (a wrong baud rate makes all of them silent)")
        }
        if let first = silent.first {
            let names = silent.map { "\(ids[$0.index]) (\(joints[$0.index].name))" }.joined(separator: ", ")
            throw DriverError(device: deviceName, problem: "servo id\(silent.count > 1 ? "s" : "") \(names) do\(silent.count > 1 ? "" : "es") not answer PING (\(first.failedTries) tries within \(window) ms)",
                              suggestion: "check the cable to servo \(ids[first.index]) and that its id is \(ids[first.index]) (the calibration file \(robot.calibrationPath) lists the ids)")
        }
    }

    public func configure() throws(DriverError) {
        guard link != nil else { throw DriverError(device: deviceName, problem: "configure before connect") }
        _ = setTorque(false)
        try configureServos()
    }

    public func activate() throws(DriverError) {
        // Start from where the arm is, so torque-on never jumps.
        let (read, failedTries) = retrying { deadline in readServos(deadline: deadline) == .fresh ? true : nil }
        guard read != nil else { throw setupFailure("reading the servos' positions before torque-on", failedTries: failedTries) }
        holdPresentPositions()
        _ = writeGoals(deadline: MonotonicClock.nowNanoseconds() + 50_000_000)
        guard setTorque(true) else { throw DriverError(device: deviceName, problem: "torque-on was not acknowledged") }
        for i in 0..<trackingSince.count { trackingSince[i] = 0 }
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
        let now = MonotonicClock.nowNanoseconds()
        state.timestamp = now
        state.sequence &+= 1
        if active, let fault = trackingFault(now: now) { return fault }
        return .fresh
    }

    /// A joint farther than the tolerance from the goal it was sent, for longer than the time,
    /// without moving the tolerance toward it. The goal leads a moving joint (the servo's loop is
    /// rate-limited and second order), often by more than the tolerance for a whole move, so the
    /// distance alone would trip on normal motion; a healthy joint closes the tolerance in a few
    /// ticks, a seized or blocked one never does.
    private func trackingFault(now: UInt64) -> ReadOutcome? {
        for i in 0..<joints.count {
            let calibration = calibrations[i]
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

    public func explain(_ fault: DriverFault) -> String {
        func servo(_ id: Int) -> String {
            guard let index = joint(forID: UInt8(truncatingIfNeeded: id)) else { return "servo \(id)" }
            return "servo \(id) (joint \(joints[index].name))"
        }
        switch fault {
        case .trackingError(let index, let error):
            let safety = robot.safety
            let tolerance = "tracking_error_rad \(Self.fixed3(safety.trackingErrorRadians))"
            let limit = robot.sourceMarks["safety.tracking_error_rad"].map { "\(tolerance) at \(robot.sourcePath):\($0.line)" } ?? "the default \(tolerance)"
            return "\(deviceName): joint \(joints[index].name) (servo \(ids[index])) stayed \(Self.fixed3(abs(error))) rad from its goal for over "
                + "\(Int((safety.trackingErrorSeconds * 1000).rounded())) ms without moving toward it (\(limit)); check that the joint moves freely by hand "
                + "with torque off (seized gearbox, collision, caught cable), or raise `tracking_error_rad`/`tracking_error_ms` under `safety` in "
                + "\(robot.sourcePath) if the arm is merely loaded or slow"
        case .hardwareError(let id, let code):
            guard code >= 0 else {
                return "\(deviceName): \(servo(id)) raised its hardware alert, and \(hardwareStatus.register) could not be read within the tick; "
                    + "read it with the vendor's tool, remove the cause, then \(hardwareStatus.recovery)"
            }
            let hex = "0x" + (code < 16 ? "0" : "") + String(code, radix: 16, uppercase: true)
            return "\(deviceName): \(servo(id)) reports \(hardwareStatus.describe(code)) (\(hardwareStatus.register) = \(hex)); "
                + "remove the cause (a seized or blocked joint, too much load, heat, supply voltage), then \(hardwareStatus.recovery)"
        case .noResponse(let id):
            return "\(deviceName): \(servo(id)) stopped answering; check its cable and power"
        case .disconnected:
            // Say what the link reported when it says more than "disconnected".
            var cause = ""
            if let failure = linkFailure {
                var isTCP = false
                if case .tcp = linkSpec { isTCP = true }
                if isTCP || failure != .disconnected { cause = " (\(Self.linkFailureText(failure, link: linkSpec)))" }
            }
            return "\(deviceName): link lost\(cause); \(Self.linkFailureSuggestion(linkSpec))"
        case .modeLost, .writeFailed:
            return "\(deviceName): \(fault)"
        }
    }

    private static func fixed3(_ value: Double) -> String {
        let rounded = (value * 1000).rounded() / 1000
        return "\(rounded)"
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
            linkFailure = error
            return false
        }
    }

    /// Reads whatever arrives before the deadline into the read buffer; -1 when the link is gone.
    func receive(deadline: UInt64) -> Int {
        guard let link else { return -1 }
        do {
            return try link.read(into: readBuffer, deadline: deadline)
        } catch {
            linkFailure = error
            return -1
        }
    }

    func joint(forID id: UInt8) -> Int? {
        for i in 0..<ids.count where ids[i] == id { return i }
        return nil
    }
}
