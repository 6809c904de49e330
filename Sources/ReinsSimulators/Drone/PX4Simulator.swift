import ReinsCore
import ReinsProtocols
import ReinsTransport
#if canImport(Glibc)
import Glibc
#endif

/// A PX4-like vehicle speaking MAVLink 2 over a byte link (a pty like a flight controller's USB
/// port, or UDP like PX4 SITL), flying the simulated drone.
///
/// It sends HEARTBEAT (1 Hz, PX4 custom modes), LOCAL_POSITION_NED and ATTITUDE (at
/// `telemetryRateHz`, or what SET_MESSAGE_INTERVAL asks for) and SYS_STATUS (1 Hz); it answers
/// COMMAND_LONG ARM_DISARM (400), DO_SET_MODE (176), NAV_TAKEOFF (22), NAV_LAND (21) and
/// SET_MESSAGE_INTERVAL (511) with COMMAND_ACK; it follows SET_POSITION_TARGET_LOCAL_NED
/// (position or velocity, type_mask honoured, LOCAL_NED or BODY_NED) and SET_ATTITUDE_TARGET.
/// OFFBOARD is accepted only after set-points have streamed at more than 2 Hz for more than 1 s;
/// 1 s after they stop it falls back to hold, then lands. With a signing key it accepts only
/// correctly signed frames and signs everything it sends.
public final class PX4Simulator: ByteLinkSimulator, @unchecked Sendable {
    public let drone: SimulatedDrone
    public let systemID: UInt8 = 1
    public let componentID: UInt8 = 1
    private let decoder: MAVLinkDecoder
    private let encoder: MAVLinkEncoder
    private let writer = ByteWriter(capacity: MAVLinkEncoder.maximumFrameLength)
    private var nextHeartbeat = 0.0, nextStatus = 0.0
    private var positionInterval: Double, attitudeInterval: Double
    private var nextPosition = 0.0, nextAttitude = 0.0
    /// Link statistics, including frames refused for bad or missing signatures.
    public var linkCounters: MAVLinkLinkCounters { decoder.linkCounters }

    /// - Parameters:
    ///   - link: nil makes a pty (use `devicePath`); otherwise an open UDP or pty link.
    public init(drone: SimulatedDrone, link: (any ByteLink)? = nil, linkPath: String? = nil, telemetryRateHz: Double = 50,
                signingKey: MAVLinkSigningKey? = nil, faults: FaultInjector) throws(DeviceError) {
        self.drone = drone
        decoder = MAVLinkDecoder(signatureVerifier: signingKey.map { MAVLinkSignatureVerifier(key: $0) })
        var signing: MAVLinkSigningContext?
        if let signingKey { signing = try? MAVLinkSigningContext(key: signingKey, linkID: 0, timestamp: PX4Simulator.signingNow()) }
        encoder = MAVLinkEncoder(systemID: 1, componentID: 1, signing: signing)
        positionInterval = 1 / telemetryRateHz
        attitudeInterval = 1 / telemetryRateHz
        try super.init(link: link, linkPath: linkPath, faults: faults)
    }

    public override var connectionDescription: String { "MAVLink 2 on \(super.connectionDescription)" }

    static func signingNow() -> UInt64 {
        MAVLinkSigningTime.timestamp(unixMicroseconds: WallClock.nowNanoseconds() / 1000)
    }

    override func received(_ bytes: UnsafeRawBufferPointer, at time: Double) {
        decoder.feed(bytes)
        while let frame = decoder.next() {
            guard let message = MAVLinkCommonMessage(frame: frame) else { continue }
            handle(message, from: frame.systemID, frame.componentID, at: time)
        }
    }

    private func handle(_ message: MAVLinkCommonMessage, from system: UInt8, _ component: UInt8, at time: Double) {
        switch message {
        case .commandLong(let command):
            guard command.targetSystem == systemID || command.targetSystem == 0 else { return }
            acknowledge(command, result: execute(command, at: time), to: system, component, at: time)
        case .setPositionTargetLocalNED(let target):
            guard target.targetSystem == systemID || target.targetSystem == 0 else { return }
            drone.receiveSetpoint(setpoint(from: target), at: time)
        case .setAttitudeTarget(let target):
            guard target.targetSystem == systemID || target.targetSystem == 0 else { return }
            let q = target.attitude
            let (roll, pitch, yaw) = PX4Simulator.euler(w: Double(q.w), x: Double(q.x), y: Double(q.y), z: Double(q.z))
            drone.receiveSetpoint(.attitude(roll: roll, pitch: pitch, yaw: yaw, thrust: Double(target.thrust)), at: time)
        default:
            break
        }
    }

    private func setpoint(from target: MAVLinkSetPositionTargetLocalNED) -> Quadrotor.Setpoint {
        let mask = target.typeMask
        let yawRate = mask.contains(.ignoreYawRate) ? 0 : Double(target.yawRate)
        if !mask.contains(.ignoreX) && !mask.contains(.ignoreY) && !mask.contains(.ignoreZ) {
            return .position(north: Double(target.x), east: Double(target.y), down: Double(target.z),
                             yaw: mask.contains(.ignoreYaw) ? nil : Double(target.yaw))
        }
        var north = mask.contains(.ignoreVelocityX) ? 0 : Double(target.vx)
        var east = mask.contains(.ignoreVelocityY) ? 0 : Double(target.vy)
        let down = mask.contains(.ignoreVelocityZ) ? 0 : Double(target.vz)
        if target.coordinateFrame == .bodyNED || target.coordinateFrame == .bodyOffsetNED {
            // Body frame: x forward, y right; rotate by the heading into north/east.
            let yaw = drone.body.yaw
            (north, east) = (north * cos(yaw) - east * sin(yaw), north * sin(yaw) + east * cos(yaw))
        }
        return .velocity(north: north, east: east, down: down, yawRate: yawRate)
    }

    private func execute(_ command: MAVLinkCommandLong, at time: Double) -> MAVResult {
        switch command.command {
        case .componentArmDisarm:
            return drone.arm(command.param1 >= 0.5, at: time) ? .accepted : .denied
        case .doSetMode:
            let mode = PX4CustomMode(mainMode: PX4MainMode(rawValue: UInt8(command.param2)), subMode: UInt8(command.param3))
            guard let requested = PX4Simulator.mode(mode) else { return .unsupported }
            return drone.setMode(requested, at: time) ? .accepted : .temporarilyRejected
        case .navigationTakeoff:
            if !drone.armed { return .denied }
            return drone.setMode(.takeoff, at: time) ? .accepted : .denied
        case .navigationLand:
            return drone.setMode(.land, at: time) ? .accepted : .denied
        case .setMessageInterval:
            let interval = Double(command.param2)
            let seconds = interval > 0 ? interval * 1e-6 : (interval == 0 ? 1 / 50 : .infinity)
            switch UInt32(command.param1) {
            case MAVLinkLocalPositionNED.messageID: positionInterval = seconds
            case MAVLinkAttitude.messageID: attitudeInterval = seconds
            default: return .unsupported
            }
            return .accepted
        default:
            return .unsupported
        }
    }

    static func mode(_ custom: PX4CustomMode) -> SimulatedDrone.Mode? {
        switch custom.mainMode {
        case .offboard: return .offboard
        case .positionControl, .altitudeControl, .manual, .stabilized: return .position
        case .auto:
            switch custom.subMode {
            case PX4AutoSubMode.loiter.rawValue: return .hold
            case PX4AutoSubMode.land.rawValue: return .land
            case PX4AutoSubMode.takeoff.rawValue: return .takeoff
            default: return nil
            }
        default: return nil
        }
    }

    /// The heartbeat custom mode PX4 would report for the drone's mode.
    var customMode: PX4CustomMode {
        switch drone.mode {
        case .position: return .positionControl
        case .offboard: return .offboard
        case .hold: return .autoLoiter
        case .land: return .autoLand
        case .takeoff: return .autoTakeoff
        }
    }

    private func acknowledge(_ command: MAVLinkCommandLong, result: MAVResult, to system: UInt8, _ component: UInt8, at time: Double) {
        send(MAVLinkCommandAck(command: command.command, result: result, targetSystem: system, targetComponent: component), at: time)
    }

    private func send<M: MAVLinkMessage>(_ message: M, at time: Double) {
        writer.reset()
        if encoder.signing != nil { encoder.signing?.advance(to: PX4Simulator.signingNow()) }
        guard (try? encoder.encode(message, into: writer)) != nil else { return }
        reply(writer.array, at: time)
    }

    public override func step(_ dt: Double, simulatedTime: Double) {
        drone.step(dt, at: simulatedTime)
    }

    override func emitTelemetry(at time: Double) {
        let boot = UInt32(truncatingIfNeeded: Int(time * 1000))
        if time >= nextHeartbeat {
            nextHeartbeat = time + 1
            var base: MAVModeFlag = [.customModeEnabled, .stabilizeEnabled, .guidedEnabled]
            if drone.armed { base.insert(.safetyArmed) }
            send(MAVLinkHeartbeat(type: .quadrotor, autopilot: .px4, baseMode: base, customMode: customMode.rawValue,
                                  systemStatus: drone.armed ? .active : .standby, mavlinkVersion: 3), at: time)
        }
        if time >= nextStatus {
            nextStatus = time + 1
            send(MAVLinkSystemStatus(sensorsPresent: 0, sensorsEnabled: 0, sensorsHealthy: 0, loadPermille: 200,
                                     batteryVoltageMillivolts: 16_200, batteryCurrentCentiamperes: drone.armed ? 1200 : 50,
                                     batteryRemainingPercent: 90, communicationDropRateCentipercent: 0, communicationErrors: 0,
                                     errorCount1: 0, errorCount2: 0, errorCount3: 0, errorCount4: 0), at: time)
        }
        let b = drone.body
        if time >= nextPosition {
            nextPosition = max(nextPosition + positionInterval, time)
            send(MAVLinkLocalPositionNED(timeBootMilliseconds: boot, x: Float(faults.measure(b.north)), y: Float(faults.measure(b.east)),
                                         z: Float(faults.measure(b.down)), vx: Float(b.velocityNorth), vy: Float(b.velocityEast),
                                         vz: Float(b.velocityDown)), at: time)
        }
        if time >= nextAttitude {
            nextAttitude = max(nextAttitude + attitudeInterval, time)
            send(MAVLinkAttitude(timeBootMilliseconds: boot, roll: Float(b.roll), pitch: Float(b.pitch), yaw: Float(b.yaw),
                                 rollRate: 0, pitchRate: 0, yawRate: Float(b.yawRate)), at: time)
        }
    }

    /// Roll, pitch, yaw (ZYX) of a unit quaternion.
    static func euler(w: Double, x: Double, y: Double, z: Double) -> (Double, Double, Double) {
        let roll = atan2(2 * (w * x + y * z), 1 - 2 * (x * x + y * y))
        let pitch = asin(max(-1, min(1, 2 * (w * y - z * x))))
        let yaw = atan2(2 * (w * z + x * y), 1 - 2 * (y * y + z * z))
        return (roll, pitch, yaw)
    }
}
