import ReinsConfig
import ReinsCore
import ReinsProtocols
import ReinsTransport
#if canImport(Glibc)
import Glibc
#endif

/// A PX4 multicopter over MAVLink 2 (serial, pty or UDP), flown in OFFBOARD with velocity
/// set-points.
///
/// Connect waits for the vehicle's heartbeat; configure asks for LOCAL_POSITION_NED and ATTITUDE at
/// the control rate and measures the rate they really arrive at (a vehicle that refuses the request
/// but streams anyway is a warning, not a failure); activate streams set-points for 1.5 s (PX4
/// refuses OFFBOARD otherwise), arms and switches to OFFBOARD with COMMAND_ACK checks and timeouts,
/// and climbs to the start altitude. Each tick reads LOCAL_POSITION_NED and ATTITUDE and sends
/// SET_POSITION_TARGET_LOCAL_NED; a 1 Hz GCS heartbeat goes out alongside. Leaving OFFBOARD (a
/// failsafe) is a fault. Safe stop: hover, then NAV_LAND and wait for disarm, giving up as soon as
/// the vehicle's heartbeat has been gone for `vehicleLostAfterSeconds`. With a signing key, every
/// frame is signed and only correctly signed frames are accepted.
public final class MAVLinkDroneDriver: RobotDriver, @unchecked Sendable {
    public let robot: RobotDescription
    public let deviceName: String
    public private(set) var health = DriverHealth()
    private let linkSpec: LinkSpec
    private let limits: DroneLimits
    private let calibration: DroneCalibration
    /// cos and sin of the calibration's yaw offset, for the frame rotation each tick.
    private let yawCos: Double, yawSin: Double
    private var link: (any ByteLink)?
    private let decoder: MAVLinkDecoder
    private let encoder: MAVLinkEncoder
    private let writer = ByteWriter(capacity: MAVLinkEncoder.maximumFrameLength)
    private let readBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 2048, alignment: 8)
    private let targetSystem: UInt8
    private let targetComponent: UInt8
    private var nextHeartbeat: UInt64 = 0
    private var lastAck: MAVLinkCommandAck?
    private var vehicleMode = PX4CustomMode(rawValue: 0)
    private var vehicleArmed = false
    private var lastVehicleHeartbeat: UInt64 = 0
    private var position = (north: 0.0, east: 0.0, down: 0.0)
    private var velocity = (north: 0.0, east: 0.0, down: 0.0)
    private var attitude = (roll: 0.0, pitch: 0.0, yaw: 0.0)
    private var positionUpdated = false
    /// LOCAL_POSITION_NED and ATTITUDE frames received so far, for measuring their rates.
    private var positionFrames: UInt64 = 0
    private var attitudeFrames: UInt64 = 0
    private var active = false
    private let withYawRate: Bool

    /// How long the vehicle may stay silent (no HEARTBEAT) before it counts as lost: three missed
    /// beats of MAVLink's 1 Hz heartbeat. Waits on the vehicle end once it is lost.
    public static let vehicleLostAfterSeconds = 3.0

    /// LOCAL_POSITION_NED and ATTITUDE rates measured at configure, Hz: what the vehicle really
    /// streams, whether or not it accepted the rate Reins asked for.
    public private(set) var observedTelemetryRateHz = (position: 0.0, attitude: 0.0)

    public init(robot: RobotDescription, link: LinkSpec) throws(DeviceError) {
        guard case .drone(let limits) = robot.body, case .drone(let calibration) = robot.calibration else {
            preconditionFailure("a drone driver needs a drone description")
        }
        self.robot = robot
        self.limits = limits
        self.calibration = calibration
        yawCos = cos(calibration.yawOffset)
        yawSin = sin(calibration.yawOffset)
        linkSpec = link
        deviceName = "MAVLink vehicle \(robot.mavlink.targetSystem) on \(link)"
        targetSystem = UInt8(robot.mavlink.targetSystem)
        targetComponent = UInt8(robot.mavlink.targetComponent)
        withYawRate = robot.action == .velocityYawRate
        var signing: MAVLinkSigningContext?
        var verifier: MAVLinkSignatureVerifier?
        if let path = robot.mavlink.signingKeyPath {
            do {
                let key = try MAVLinkKeyFile.read(path)
                signing = try MAVLinkSigningContext(key: key, linkID: 0, timestamp: MAVLinkDroneDriver.signingNow())
                verifier = MAVLinkSignatureVerifier(key: key)
            } catch let error as MAVLinkKeyFile.Error {
                throw DeviceError(device: path, problem: error.problem)
            } catch {
                throw DeviceError(device: path, problem: "\(error)")
            }
        }
        decoder = MAVLinkDecoder(signatureVerifier: verifier)
        encoder = MAVLinkEncoder(systemID: UInt8(robot.mavlink.systemID), componentID: UInt8(robot.mavlink.componentID), signing: signing)
    }

    deinit { readBuffer.deallocate() }

    static func signingNow() -> UInt64 {
        MAVLinkSigningTime.timestamp(unixMicroseconds: WallClock.nowNanoseconds() / 1000)
    }

    /// Frames refused for bad or missing signatures so far.
    public var rejectedFrames: UInt64 { decoder.linkCounters.badSignatures + decoder.linkCounters.unsignedRejected + decoder.linkCounters.replayedTimestamps }

    // MARK: Lifecycle

    public func connect() throws(DeviceError) {
        link = try linkSpec.openDriverLink()
        let end = MonotonicClock.deadline(in: 5)
        while lastVehicleHeartbeat == 0 && MonotonicClock.nowNanoseconds() < end {
            if !pump(until: MonotonicClock.deadline(in: 0.1), setpoint: false) { break }
        }
        guard lastVehicleHeartbeat != 0 else {
            throw DeviceError(device: deviceName, problem: "no heartbeat from system \(targetSystem) within 5 s",
                              suggestion: "check the link (port, baud, UDP port), that the flight controller is powered, and the MAVLink system id")
        }
    }

    public func configure() throws(DeviceError) {
        let wantedHz = robot.controlRateHz
        let interval = Float(1e6 / wantedHz)
        // A vehicle may refuse SET_MESSAGE_INTERVAL (or not answer it) and still stream telemetry
        // at rates configured on board: a refusal is a warning with the rate really observed, and
        // only a vehicle that sends no position at all is refused.
        var refusals: [(name: String, why: String)] = []
        for (messageID, name) in [(MAVLinkLocalPositionNED.messageID, "LOCAL_POSITION_NED"), (MAVLinkAttitude.messageID, "ATTITUDE")] {
            let outcome = request(MAVLinkCommandLong(targetSystem: targetSystem, targetComponent: targetComponent, command: .setMessageInterval,
                                                     confirmation: 0, param1: Float(messageID), param2: interval, param3: 0, param4: 0,
                                                     param5: 0, param6: 0, param7: 0), streaming: false, accept: [.accepted])
            switch outcome {
            case .success: continue
            case .failure(.refused(let result)): refusals.append((name, "the vehicle refused SET_MESSAGE_INTERVAL for \(name) (\(result))"))
            case .failure(.unanswered): refusals.append((name, "the vehicle did not acknowledge SET_MESSAGE_INTERVAL for \(name)"))
            case .failure(let failure): throw commandError(failure, .setMessageInterval)
            }
        }
        let rates = try measureTelemetryRates()
        observedTelemetryRateHz = rates
        guard rates.position > 0 else {
            throw DeviceError(device: deviceName, problem: "no LOCAL_POSITION_NED from the vehicle within 3 s"
                                + refusals.map { "; " + $0.why }.joined(),
                              suggestion: "the vehicle needs a local position estimate and must stream LOCAL_POSITION_NED; enable the stream on the vehicle (PX4: `mavlink stream -s LOCAL_POSITION_NED -r \(Int(wantedHz))`, ArduPilot: SRn_POSITION)")
        }
        for (name, rate) in [("LOCAL_POSITION_NED", rates.position), ("ATTITUDE", rates.attitude)] {
            let refusal = refusals.first { $0.name == name }?.why
            let observed = rate > 0 ? "it streams \(name) at \(Int(rate.rounded())) Hz" : "no \(name) arrives, so the attitude reads 0"
            let slow = rate < 0.8 * wantedHz
            if let refusal {
                health.configurationWarnings.append("\(refusal); \(observed)" + (slow ? ", below the \(Int(wantedHz)) Hz control rate" : ""))
            } else if slow {
                health.configurationWarnings.append("asked the vehicle for \(name) at \(Int(wantedHz)) Hz; \(observed)")
            }
        }
    }

    /// Counts LOCAL_POSITION_NED and ATTITUDE for a second (up to three while no position has
    /// arrived, for slow streams) and returns their rates in Hz.
    private func measureTelemetryRates() throws(DeviceError) -> (position: Double, attitude: Double) {
        let start = MonotonicClock.nowNanoseconds()
        let positions = positionFrames, attitudes = attitudeFrames
        var elapsed = 0.0
        repeat {
            guard pump(until: MonotonicClock.deadline(in: 0.1), setpoint: false) else {
                throw DeviceError(device: deviceName, problem: "link lost while measuring the telemetry rate")
            }
            elapsed = Double(MonotonicClock.nowNanoseconds() - start) / 1e9
        } while elapsed < 1 || (positionFrames == positions && elapsed < 3)
        return (Double(positionFrames - positions) / elapsed, Double(attitudeFrames - attitudes) / elapsed)
    }

    public func activate() throws(DeviceError) {
        // PX4 accepts OFFBOARD only after set-points streamed above 2 Hz for more than a second.
        guard pump(until: MonotonicClock.deadline(in: 1.5), setpoint: true) else { throw DeviceError(device: deviceName, problem: "link lost while streaming set-points") }
        _ = try command(.arm(true, targetSystem: targetSystem, targetComponent: targetComponent), streaming: true, accept: [.accepted])
        // PX4 rejects OFFBOARD "temporarily" when it judged the set-point stream unhealthy (a gap on
        // a busy host): keep streaming and ask again, three times at most.
        var attempt = 1
        while true {
            let result = try command(.setPX4Mode(.offboard, targetSystem: targetSystem, targetComponent: targetComponent), streaming: true,
                                     accept: attempt < 3 ? [.accepted, .temporarilyRejected] : [.accepted])
            if result == .accepted { break }
            attempt += 1
            guard pump(until: MonotonicClock.deadline(in: 1.0), setpoint: true) else {
                throw DeviceError(device: deviceName, problem: "link lost while streaming set-points")
            }
        }
        // Heartbeats sent before the switch arrive before its ACK; from here on they report OFFBOARD.
        vehicleMode = .offboard
        active = true
        // Climb to the start altitude: the bottom of the allowed band plus a metre and a half.
        let startAltitude = min(limits.altitude.upperBound, limits.altitude.lowerBound + 1.5)
        let end = MonotonicClock.deadline(in: 20)
        while -position.down < startAltitude - 0.1 {
            guard MonotonicClock.nowNanoseconds() < end else {
                throw DeviceError(device: deviceName, problem: "did not reach \(startAltitude) m within 20 s (altitude \(-position.down) m)")
            }
            guard pump(until: MonotonicClock.deadline(in: 0.05), setpoint: true, climb: min(1, limits.verticalVelocity)) else {
                throw DeviceError(device: deviceName, problem: "link lost during take-off")
            }
            if vehicleMode.mainMode != .offboard { throw DeviceError(device: deviceName, problem: "the vehicle left OFFBOARD during take-off") }
        }
        _ = pump(until: MonotonicClock.deadline(in: 0.5), setpoint: true)
    }

    public func read(into state: RobotState, deadline: UInt64) -> ReadOutcome {
        positionUpdated = false
        if !drain() { return .fault(.disconnected) }
        while !positionUpdated && MonotonicClock.nowNanoseconds() < deadline {
            if !drain(waitingUntil: deadline) { return .fault(.disconnected) }
        }
        heartbeatIfDue()
        if active && vehicleMode.mainMode != .offboard { return .fault(.modeLost) }
        guard positionUpdated else {
            health.staleReads &+= 1
            return .stale
        }
        // The runtime's frame: NED rotated by the calibration's yaw offset.
        let c = yawCos, s = yawSin
        state.values[0] = c * position.north - s * position.east
        state.values[1] = s * position.north + c * position.east
        state.values[2] = position.down
        state.values[3] = c * velocity.north - s * velocity.east
        state.values[4] = s * velocity.north + c * velocity.east
        state.values[5] = velocity.down
        state.values[6] = attitude.roll
        state.values[7] = attitude.pitch
        state.values[8] = attitude.yaw + calibration.yawOffset
        state.timestamp = MonotonicClock.nowNanoseconds()
        state.sequence &+= 1
        health.reads &+= 1
        return .fresh
    }

    public func write(_ command: UnsafeBufferPointer<Double>, applied: UnsafeMutableBufferPointer<Double>, deadline: UInt64) -> Bool {
        let c = yawCos, s = -yawSin
        let north = Float(c * command[0] - s * command[1])
        let east = Float(s * command[0] + c * command[1])
        let down = Float(command[2])
        let yawRate = withYawRate ? Float(command[3]) : 0
        guard sendVelocity(north: north, east: east, down: down, yawRate: yawRate, deadline: deadline) else { return false }
        // Set-points travel as float32: report what the vehicle received.
        applied[0] = Double(Float(command[0]))
        applied[1] = Double(Float(command[1]))
        applied[2] = Double(down)
        if withYawRate { applied[3] = Double(yawRate) }
        health.writes &+= 1
        return true
    }

    public func explain(_ fault: DriverFault) -> String {
        "\(deviceName): \(fault)"
    }

    /// Hovers where it is, then lands and waits for the vehicle to disarm on the ground. Every wait
    /// ends early once the vehicle is lost (no heartbeat for `vehicleLostAfterSeconds`, or the link
    /// closed): a vanished vehicle cannot be stopped from here, and the summary says so.
    public func safeStop(reason: String, progress: (String) -> Void) -> SafeStopReport {
        guard link != nil else { return SafeStopReport(problem: "not connected") }
        var report = SafeStopReport()
        let hold = max(0.5, robot.safety.safeStopHoldSeconds)
        let holdEnd = MonotonicClock.deadline(in: hold)
        let positionsBefore = positionFrames
        progress("hovering \(deviceName) for \(SafeStopReport.seconds(hold))")
        while MonotonicClock.nowNanoseconds() < holdEnd {
            guard pump(until: min(holdEnd, MonotonicClock.deadline(in: 0.1)), setpoint: true) else {
                report.problem = "vehicle lost: the link closed while hovering; LAND not sent"
                return report
            }
            if vehicleLost {
                report.problem = "vehicle lost: no heartbeat for \(SafeStopReport.seconds(heartbeatSilence)) while hovering; LAND not acknowledged"
                progress("no heartbeat from \(deviceName) for \(SafeStopReport.seconds(heartbeatSilence)): the vehicle is lost, not waiting any longer")
                return report
            }
        }
        // Only a vehicle that kept reporting its position is known to have hovered.
        if positionFrames > positionsBefore { report.steps.append("hovered \(SafeStopReport.seconds(hold))") }
        active = false

        var landProblem: String?
        let land = request(.land(targetSystem: targetSystem, targetComponent: targetComponent), streaming: false, accept: [.accepted], progress: progress)
        switch land {
        case .success: break
        case .failure(.refused(let result)): landProblem = "LAND refused (\(result))"
        case .failure(.unanswered): landProblem = "LAND not acknowledged after 3 attempts"
        case .failure(.vehicleLost):
            report.problem = "vehicle lost: no heartbeat for \(SafeStopReport.seconds(heartbeatSilence)); LAND not acknowledged"
            progress("no heartbeat from \(deviceName) for \(SafeStopReport.seconds(heartbeatSilence)): the vehicle is lost, not waiting any longer")
            return report
        case .failure(.linkLost):
            report.problem = "vehicle lost: the link closed; LAND not acknowledged"
            return report
        }

        // A vehicle that refused LAND may still come down on its own failsafe: wait for disarm anyway.
        let waitLimit = 30.0
        let start = MonotonicClock.nowNanoseconds()
        let end = start + UInt64(waitLimit * 1e9)
        var nextNote = start + 5_000_000_000
        if vehicleArmed {
            progress("waiting up to \(SafeStopReport.seconds(waitLimit)) for \(deviceName) to land and disarm (altitude \(altitudeText))")
        }
        var waitProblem: String?
        while vehicleArmed {
            let now = MonotonicClock.nowNanoseconds()
            if now >= end { waitProblem = "still armed after \(SafeStopReport.seconds(waitLimit)) at altitude \(altitudeText)"; break }
            if now >= nextNote {
                nextNote += 5_000_000_000
                progress("still waiting for \(deviceName) to disarm: altitude \(altitudeText) after \(SafeStopReport.seconds(Double(now - start) / 1e9))")
            }
            guard pump(until: MonotonicClock.deadline(in: 0.1), setpoint: false) else {
                waitProblem = "vehicle lost: the link closed while landing (last altitude \(altitudeText))"
                break
            }
            if vehicleLost {
                waitProblem = "vehicle lost while landing: no heartbeat for \(SafeStopReport.seconds(heartbeatSilence)) (last altitude \(altitudeText))"
                progress("no heartbeat from \(deviceName) for \(SafeStopReport.seconds(heartbeatSilence)): the vehicle is lost, not waiting any longer")
                break
            }
        }
        if !vehicleArmed {
            let onGround = -position.down < 0.3
            report.steps.append(onGround ? (landProblem == nil ? "landed" : "on the ground") : "disarmed in the air at altitude \(altitudeText)")
            if onGround { report.steps.append("disarmed") }
        }
        let problems = [landProblem, waitProblem].compactMap { $0 }
        if !problems.isEmpty { report.problem = problems.joined(separator: "; ") }
        return report
    }

    /// Seconds since the vehicle's last heartbeat.
    private var heartbeatSilence: Double { Double(MonotonicClock.nowNanoseconds() &- lastVehicleHeartbeat) / 1e9 }

    /// No heartbeat for `vehicleLostAfterSeconds`.
    private var vehicleLost: Bool { heartbeatSilence > MAVLinkDroneDriver.vehicleLostAfterSeconds }

    private var altitudeText: String { "\((-position.down * 10).rounded() / 10) m" }

    public func deactivate() {
        active = false
        if vehicleArmed && -position.down < 0.2 {
            _ = try? command(.arm(false, targetSystem: targetSystem, targetComponent: targetComponent), streaming: false, accept: [.accepted])
        }
    }

    public func disconnect() {
        link?.close()
        link = nil
    }

    // MARK: Link

    private func send<M: MAVLinkMessage>(_ message: M, deadline: UInt64) -> Bool {
        guard let link else { return false }
        writer.reset()
        if encoder.signing != nil { encoder.signing?.advance(to: MAVLinkDroneDriver.signingNow()) }
        guard (try? encoder.encode(message, into: writer)) != nil else { return false }
        do {
            try link.write(writer.bytes, deadline: deadline)
            return true
        } catch {
            return false
        }
    }

    private func sendVelocity(north: Float, east: Float, down: Float, yawRate: Float, deadline: UInt64) -> Bool {
        var mask: PositionTargetTypeMask = [.ignorePosition, .ignoreAcceleration, .ignoreYaw]
        if !withYawRate { mask.insert(.ignoreYawRate) }
        let target = MAVLinkSetPositionTargetLocalNED(
            timeBootMilliseconds: UInt32(truncatingIfNeeded: MonotonicClock.nowNanoseconds() / 1_000_000),
            targetSystem: targetSystem, targetComponent: targetComponent, coordinateFrame: .localNED, typeMask: mask,
            x: 0, y: 0, z: 0, vx: north, vy: east, vz: down, accelerationX: 0, accelerationY: 0, accelerationZ: 0, yaw: 0, yawRate: yawRate)
        return send(target, deadline: deadline)
    }

    private func heartbeatIfDue() {
        let now = MonotonicClock.nowNanoseconds()
        guard now >= nextHeartbeat else { return }
        nextHeartbeat = now + 1_000_000_000
        _ = send(MAVLinkHeartbeat(type: .gcs, autopilot: .invalid, baseMode: [], customMode: 0, systemStatus: .active, mavlinkVersion: 3),
                 deadline: now + 5_000_000)
    }

    /// Reads every waiting frame, first waiting until `deadline` for one to arrive; false when the
    /// link is gone.
    private func drain(waitingUntil deadline: UInt64 = 0) -> Bool {
        guard let link else { return false }
        var wait = deadline
        while true {
            let n: Int
            do { n = try link.read(into: readBuffer, deadline: wait) } catch { return false }
            wait = 0
            if n == 0 { return true }
            decoder.feed(UnsafeRawBufferPointer(rebasing: readBuffer[0..<n]))
            while let frame = decoder.next() {
                guard frame.systemID == targetSystem else { continue }
                switch frame.messageID {
                case MAVLinkHeartbeat.messageID:
                    guard frame.componentID == targetComponent, let heartbeat = frame.message(as: MAVLinkHeartbeat.self) else { continue }
                    vehicleMode = heartbeat.px4Mode
                    vehicleArmed = heartbeat.isArmed
                    lastVehicleHeartbeat = MonotonicClock.nowNanoseconds()
                case MAVLinkLocalPositionNED.messageID:
                    guard let local = frame.message(as: MAVLinkLocalPositionNED.self) else { continue }
                    position = (Double(local.x), Double(local.y), Double(local.z))
                    velocity = (Double(local.vx), Double(local.vy), Double(local.vz))
                    positionUpdated = true
                    positionFrames &+= 1
                case MAVLinkAttitude.messageID:
                    guard let value = frame.message(as: MAVLinkAttitude.self) else { continue }
                    attitude = (Double(value.roll), Double(value.pitch), Double(value.yaw))
                    attitudeFrames &+= 1
                case MAVLinkCommandAck.messageID:
                    lastAck = frame.message(as: MAVLinkCommandAck.self)
                default:
                    continue
                }
            }
        }
    }

    /// Keeps the link alive until `end`: heartbeats, incoming frames, and (if asked) set-points at
    /// the control rate holding position or climbing. False when the link is gone.
    private func pump(until end: UInt64, setpoint: Bool, climb: Double = 0) -> Bool {
        let period = UInt64(1e9 / robot.controlRateHz)
        var nextSetpoint: UInt64 = 0
        while true {
            let now = MonotonicClock.nowNanoseconds()
            heartbeatIfDue()
            if setpoint && now >= nextSetpoint {
                nextSetpoint = now + period
                _ = sendVelocity(north: 0, east: 0, down: Float(-climb), yawRate: 0, deadline: now + 5_000_000)
            }
            if now >= end { return drain() }
            guard drain(waitingUntil: min(end, setpoint ? nextSetpoint : end)) else { return false }
        }
    }

    /// Why a COMMAND_LONG was not accepted.
    private enum CommandFailure: Error {
        case refused(MAVResult)
        /// No COMMAND_ACK in three attempts of 2 s while the vehicle kept its heartbeat.
        case unanswered
        /// The vehicle's heartbeat stopped while waiting.
        case vehicleLost
        case linkLost
    }

    /// Sends a COMMAND_LONG and waits for its COMMAND_ACK (2 s, three attempts; IN_PROGRESS keeps
    /// waiting), giving up early when the vehicle is lost. `progress` hears each attempt's wait.
    private func request(_ command: MAVLinkCommandLong, streaming: Bool, accept: [MAVResult],
                         progress: (String) -> Void = { _ in }) -> Result<MAVResult, CommandFailure> {
        let name = MAVLinkDroneDriver.commandName(command.command)
        for attempt in 0..<3 {
            lastAck = nil
            var message = command
            message.confirmation = UInt8(attempt)
            guard send(message, deadline: MonotonicClock.deadline(in: 0.05)) else { return .failure(.linkLost) }
            progress("waiting for \(name) acknowledgement from \(deviceName) (attempt \(attempt + 1) of 3, 2 s each)")
            let end = MonotonicClock.deadline(in: 2)
            while MonotonicClock.nowNanoseconds() < end {
                guard pump(until: MonotonicClock.deadline(in: 0.05), setpoint: streaming) else { return .failure(.linkLost) }
                if let ack = lastAck, ack.command == command.command {
                    if accept.contains(ack.result) { return .success(ack.result) }
                    if ack.result != .inProgress { return .failure(.refused(ack.result)) }
                    lastAck = nil
                }
                if vehicleLost { return .failure(.vehicleLost) }
            }
        }
        return .failure(.unanswered)
    }

    /// Sends a COMMAND_LONG that must be accepted, or throws what went wrong.
    private func command(_ command: MAVLinkCommandLong, streaming: Bool, accept: [MAVResult]) throws(DeviceError) -> MAVResult {
        switch request(command, streaming: streaming, accept: accept) {
        case .success(let result): return result
        case .failure(let failure): throw commandError(failure, command.command)
        }
    }

    private func commandError(_ failure: CommandFailure, _ command: MAVCommand) -> DeviceError {
        let name = MAVLinkDroneDriver.commandName(command)
        switch failure {
        case .refused(let result):
            return DeviceError(device: deviceName, problem: "the vehicle refused \(name) (\(result))",
                               suggestion: command == .componentArmDisarm ? "check pre-arm conditions on the vehicle (GPS, estimator, safety switch)" : nil)
        case .unanswered:
            return DeviceError(device: deviceName, problem: "no COMMAND_ACK for \(name) within 3 attempts of 2 s")
        case .vehicleLost:
            return DeviceError(device: deviceName, problem: "vehicle lost: no heartbeat for \(SafeStopReport.seconds(heartbeatSilence)) while waiting for COMMAND_ACK of \(name)",
                               suggestion: "check the link and that the flight controller is powered")
        case .linkLost:
            return DeviceError(device: deviceName, problem: "link lost while sending \(name) or waiting for its COMMAND_ACK")
        }
    }

    static func commandName(_ command: MAVCommand) -> String {
        switch command {
        case .componentArmDisarm: return "ARM_DISARM (400)"
        case .doSetMode: return "DO_SET_MODE (176)"
        case .navigationLand: return "NAV_LAND (21)"
        case .navigationTakeoff: return "NAV_TAKEOFF (22)"
        case .setMessageInterval: return "SET_MESSAGE_INTERVAL (511)"
        default: return "command \(command.rawValue)"
        }
    }
}
