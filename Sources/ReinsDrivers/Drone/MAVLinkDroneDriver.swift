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
/// Connect waits for the vehicle's heartbeat; activate streams set-points for 1.5 s (PX4 refuses
/// OFFBOARD otherwise), arms and switches to OFFBOARD with COMMAND_ACK checks and timeouts, and
/// climbs to the start altitude. Each tick reads LOCAL_POSITION_NED and ATTITUDE and sends
/// SET_POSITION_TARGET_LOCAL_NED; a 1 Hz GCS heartbeat goes out alongside. Leaving OFFBOARD (a
/// failsafe) is a fault. Safe stop: hover, then NAV_LAND and wait for disarm. With a signing key,
/// every frame is signed and only correctly signed frames are accepted.
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
    private var active = false
    private let withYawRate: Bool

    public init(robot: RobotDescription, link: LinkSpec) throws(DriverError) {
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
                throw DriverError(device: path, problem: error.problem)
            } catch {
                throw DriverError(device: path, problem: "\(error)")
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

    public func connect() throws(DriverError) {
        do {
            link = try linkSpec.openByteLink()
        } catch {
            throw DriverError(device: error.device, problem: error.problem, suggestion: error.suggestion)
        }
        let end = MonotonicClock.deadline(in: 5)
        while lastVehicleHeartbeat == 0 && MonotonicClock.nowNanoseconds() < end {
            if !pump(until: MonotonicClock.deadline(in: 0.1), setpoint: false) { break }
        }
        guard lastVehicleHeartbeat != 0 else {
            throw DriverError(device: deviceName, problem: "no heartbeat from system \(targetSystem) within 5 s",
                              suggestion: "check the link (port, baud, UDP port), that the flight controller is powered, and the MAVLink system id")
        }
    }

    public func configure() throws(DriverError) {
        let interval = Float(1e6 / robot.controlRateHz)
        for messageID in [MAVLinkLocalPositionNED.messageID, MAVLinkAttitude.messageID] {
            _ = try command(MAVLinkCommandLong(targetSystem: targetSystem, targetComponent: targetComponent, command: .setMessageInterval,
                                               confirmation: 0, param1: Float(messageID), param2: interval, param3: 0, param4: 0,
                                               param5: 0, param6: 0, param7: 0), streaming: false, accept: [.accepted, .unsupported])
        }
    }

    public func activate() throws(DriverError) {
        // PX4 accepts OFFBOARD only after set-points streamed above 2 Hz for more than a second.
        guard pump(until: MonotonicClock.deadline(in: 1.5), setpoint: true) else { throw DriverError(device: deviceName, problem: "link lost while streaming set-points") }
        _ = try command(.arm(true, targetSystem: targetSystem, targetComponent: targetComponent), streaming: true, accept: [.accepted])
        _ = try command(.setPX4Mode(.offboard, targetSystem: targetSystem, targetComponent: targetComponent), streaming: true, accept: [.accepted])
        // Heartbeats sent before the switch arrive before its ACK; from here on they report OFFBOARD.
        vehicleMode = .offboard
        active = true
        // Climb to the start altitude: the bottom of the allowed band plus a metre and a half.
        let startAltitude = min(limits.altitude.upperBound, limits.altitude.lowerBound + 1.5)
        let end = MonotonicClock.deadline(in: 20)
        while -position.down < startAltitude - 0.1 {
            guard MonotonicClock.nowNanoseconds() < end else {
                throw DriverError(device: deviceName, problem: "did not reach \(startAltitude) m within 20 s (altitude \(-position.down) m)")
            }
            guard pump(until: MonotonicClock.deadline(in: 0.05), setpoint: true, climb: min(1, limits.verticalVelocity)) else {
                throw DriverError(device: deviceName, problem: "link lost during take-off")
            }
            if vehicleMode.mainMode != .offboard { throw DriverError(device: deviceName, problem: "the vehicle left OFFBOARD during take-off") }
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

    public func safeStop(reason: String) {
        guard link != nil else { return }
        // Hover where it is, then land and wait for the vehicle to disarm on the ground.
        _ = pump(until: MonotonicClock.deadline(in: max(0.5, robot.safety.safeStopHoldSeconds)), setpoint: true)
        active = false
        _ = try? command(.land(targetSystem: targetSystem, targetComponent: targetComponent), streaming: false, accept: [.accepted])
        let end = MonotonicClock.deadline(in: 30)
        while vehicleArmed && MonotonicClock.nowNanoseconds() < end {
            if !pump(until: MonotonicClock.deadline(in: 0.1), setpoint: false) { break }
        }
    }

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
                case MAVLinkAttitude.messageID:
                    guard let value = frame.message(as: MAVLinkAttitude.self) else { continue }
                    attitude = (Double(value.roll), Double(value.pitch), Double(value.yaw))
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

    /// Sends a COMMAND_LONG and waits for its COMMAND_ACK (2 s, three attempts).
    private func command(_ command: MAVLinkCommandLong, streaming: Bool, accept: [MAVResult]) throws(DriverError) -> MAVResult {
        var lastResult: MAVResult?
        for attempt in 0..<3 {
            lastAck = nil
            var message = command
            message.confirmation = UInt8(attempt)
            guard send(message, deadline: MonotonicClock.deadline(in: 0.05)) else { throw DriverError(device: deviceName, problem: "link lost sending command \(command.command.rawValue)") }
            let end = MonotonicClock.deadline(in: 2)
            while MonotonicClock.nowNanoseconds() < end {
                guard pump(until: MonotonicClock.deadline(in: 0.05), setpoint: streaming) else { throw DriverError(device: deviceName, problem: "link lost waiting for COMMAND_ACK") }
                if let ack = lastAck, ack.command == command.command {
                    if accept.contains(ack.result) { return ack.result }
                    lastResult = ack.result
                    break
                }
            }
            if lastResult != nil { break }
        }
        let name = MAVLinkDroneDriver.commandName(command.command)
        if let lastResult {
            throw DriverError(device: deviceName, problem: "the vehicle refused \(name) (MAV_RESULT \(lastResult.rawValue))",
                              suggestion: command.command == .componentArmDisarm ? "check pre-arm conditions on the vehicle (GPS, estimator, safety switch)" : nil)
        }
        throw DriverError(device: deviceName, problem: "no COMMAND_ACK for \(name) within 3 attempts of 2 s")
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
