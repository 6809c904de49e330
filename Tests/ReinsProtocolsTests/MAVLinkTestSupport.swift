import ReinsProtocols
import Testing

/// Fixtures shared by the MAVLink tests: one sample of every typed message (values chosen so every
/// field, extensions included, is non-zero somewhere, and the last wire byte of several is zero so
/// truncation is exercised), and the mapping from the Swift structs to MAVLink field names that the
/// pymavlink interop tests compare against.
enum MAVLinkSamples {
    static let signingKey = try! MAVLinkSigningKey((0..<32).map { UInt8($0 &* 7 &+ 3) })

    static let messages: [MAVLinkCommonMessage] = [
        .heartbeat(MAVLinkHeartbeat(type: .quadrotor, autopilot: .px4, baseMode: [.customModeEnabled, .safetyArmed],
                                    customMode: PX4CustomMode.offboard.rawValue, systemStatus: .active, mavlinkVersion: 3)),
        .systemStatus(MAVLinkSystemStatus(
            sensorsPresent: 0x0123_4567, sensorsEnabled: 0x0022_0044, sensorsHealthy: 0x89AB_CDEF, loadPermille: 512,
            batteryVoltageMillivolts: 15_900, batteryCurrentCentiamperes: -250, batteryRemainingPercent: 87,
            communicationDropRateCentipercent: 3, communicationErrors: 4, errorCount1: 5, errorCount2: 6,
            errorCount3: 7, errorCount4: 8, sensorsPresentExtended: 1, sensorsEnabledExtended: 1,
            sensorsHealthyExtended: 0)),
        .attitude(MAVLinkAttitude(timeBootMilliseconds: 123_456, roll: 0.125, pitch: -0.25, yaw: 3.1415927,
                                  rollRate: 0.5, pitchRate: -1.5, yawRate: 0.0625)),
        .localPositionNED(MAVLinkLocalPositionNED(timeBootMilliseconds: 42, x: 1.5, y: -2.25, z: -10,
                                                  vx: 0.1, vy: 0.2, vz: -0.3)),
        .manualControl(MAVLinkManualControl(target: 1, x: 1000, y: -1000, z: 500, r: Int16.max, buttons: 0x8001,
                                            buttons2: 0x0102, enabledExtensions: [.pitchOnlyAxis, .aux6],
                                            pitchOnlyAxis: -321, rollOnlyAxis: 0, aux1: 1, aux2: -2, aux3: 3,
                                            aux4: -4, aux5: 5, aux6: -6)),
        .commandLong(.arm(true, targetSystem: 1)),
        .commandAck(MAVLinkCommandAck(command: .componentArmDisarm, result: .inProgress, progress: 50,
                                      resultParameter2: -77, targetSystem: 255, targetComponent: 190)),
        .setAttitudeTarget(MAVLinkSetAttitudeTarget(
            timeBootMilliseconds: 9_000, targetSystem: 1, targetComponent: 1, typeMask: [.ignoreBodyRates],
            attitude: MAVLinkQuaternion(w: 0.70710677, x: 0, y: 0, z: 0.70710677), bodyRollRate: 0,
            bodyPitchRate: 0, bodyYawRate: 0, thrust: 0.625)),
        .attitudeTarget(MAVLinkAttitudeTarget(
            timeBootMilliseconds: 9_001, typeMask: [.ignoreAttitude], attitude: .identity, bodyRollRate: 0.1,
            bodyPitchRate: -0.2, bodyYawRate: 0.3, thrust: 0.5)),
        .setPositionTargetLocalNED(MAVLinkSetPositionTargetLocalNED(
            timeBootMilliseconds: 77, targetSystem: 1, targetComponent: 1, coordinateFrame: .localNED,
            typeMask: .velocityAndYawRate, x: 0, y: 0, z: 0, vx: 1.25, vy: -0.5, vz: 0.25, accelerationX: 0,
            accelerationY: 0, accelerationZ: 0, yaw: 0, yawRate: 0.3)),
        .positionTargetLocalNED(MAVLinkPositionTargetLocalNED(
            timeBootMilliseconds: 78, coordinateFrame: .bodyNED, typeMask: [.ignoreVelocity, .ignoreYawRate],
            x: 5, y: 6, z: -7, vx: 0, vy: 0, vz: 0, accelerationX: 0.5, accelerationY: 0.25, accelerationZ: -9.75,
            yaw: 1.5, yawRate: 0)),
        .highresIMU(MAVLinkHighresIMU(
            timeMicroseconds: 1_700_000_000_123_456, accelerationX: 0.01, accelerationY: -0.02,
            accelerationZ: -9.81, angularRateX: 0.001, angularRateY: -0.002, angularRateZ: 0.003,
            magneticFieldXGauss: 0.21, magneticFieldYGauss: -0.05, magneticFieldZGauss: 0.42,
            absolutePressureHectopascals: 1013.25, differentialPressureHectopascals: 0.5, pressureAltitude: 120.5,
            temperatureCelsius: 36.6, fieldsUpdated: .all, sensorID: 2)),
        .odometry(MAVLinkOdometry(
            timeMicroseconds: 987_654_321, frame: .localFRD, childFrame: .bodyFRD, x: 1, y: 2, z: -3,
            attitude: MAVLinkQuaternion(w: 0.5, x: 0.5, y: -0.5, z: 0.5), vx: 0.25, vy: -0.25, vz: 0.125,
            rollRate: 0.01, pitchRate: 0.02, yawRate: -0.03,
            poseCovariance: MAVLinkCovariance((0..<21).map { Float($0) * 0.125 }),
            velocityCovariance: .unknown, resetCounter: 3, estimatorType: .vision, qualityPercent: -1)),
    ]

    /// A MAVLink 1 frame (`FE LEN SEQ SYS COMP MSGID payload CRC`), which Reins only skips.
    static func mavlink1Frame(messageID: UInt8, crcExtra: UInt8, payload: [UInt8], sequence: UInt8 = 0) -> [UInt8] {
        let frame: [UInt8] = [0xFE, UInt8(payload.count), sequence, 1, 1, messageID] + payload
        var checksum = MAVLinkChecksum()
        frame[1...].withUnsafeBytes { checksum.accumulate($0) }
        checksum.accumulate(crcExtra)
        return frame + [UInt8(checksum.value & 0xFF), UInt8(checksum.value >> 8)]
    }

    /// A frame with a valid CRC for a message id no dialect Reins knows.
    static func unknownMessageFrame(messageID: UInt32 = 60_000, payload: [UInt8] = [1, 2, 3]) -> [UInt8] {
        let writer = ByteWriter(capacity: MAVLinkEncoder.maximumFrameLength)
        try! payload.withUnsafeBytes {
            try MAVLinkEncoder(systemID: 9, componentID: 9).encode(messageID: messageID, crcExtra: 99, payload: $0, into: writer)
        }
        return writer.array
    }

    /// Every byte fed is in a returned frame, discarded, lost to overflow, or still buffered.
    static func expectBytesAccountedFor(_ decoder: MAVLinkDecoder, fed: Int, returnedFrameBytes: Int,
                                        sourceLocation: SourceLocation = #_sourceLocation) {
        let counters = decoder.counters
        let accounted = returnedFrameBytes + Int(counters.discardedBytes) + Int(counters.overflowBytes) + decoder.bufferedByteCount
        #expect(accounted == fed, "fed \(fed) bytes, accounted for \(accounted): \(counters)", sourceLocation: sourceLocation)
    }

    /// A field value as pymavlink reports it.
    enum FieldValue: Equatable, CustomStringConvertible {
        case integer(Int64)
        case float(Float)
        case floats([Float])

        static func == (lhs: FieldValue, rhs: FieldValue) -> Bool {
            func same(_ a: Float, _ b: Float) -> Bool { a == b || (a.isNaN && b.isNaN) }
            switch (lhs, rhs) {
            case let (.integer(a), .integer(b)): return a == b
            case let (.float(a), .float(b)): return same(a, b)
            case let (.floats(a), .floats(b)): return a.count == b.count && zip(a, b).allSatisfy { same($0, $1) }
            default: return false
            }
        }

        var description: String {
            switch self {
            case let .integer(value): "\(value)"
            case let .float(value): "\(value)"
            case let .floats(values): "\(values)"
            }
        }
    }

    /// The MAVLink message name and its fields by MAVLink field name.
    static func fields(of message: MAVLinkCommonMessage) -> (name: String, fields: [String: FieldValue]) {
        switch message {
        case let .heartbeat(m): ("HEARTBEAT", fields(of: m))
        case let .systemStatus(m): ("SYS_STATUS", fields(of: m))
        case let .attitude(m): ("ATTITUDE", fields(of: m))
        case let .localPositionNED(m): ("LOCAL_POSITION_NED", fields(of: m))
        case let .manualControl(m): ("MANUAL_CONTROL", fields(of: m))
        case let .commandLong(m): ("COMMAND_LONG", fields(of: m))
        case let .commandAck(m): ("COMMAND_ACK", fields(of: m))
        case let .setAttitudeTarget(m): ("SET_ATTITUDE_TARGET", fields(of: m))
        case let .attitudeTarget(m): ("ATTITUDE_TARGET", fields(of: m))
        case let .setPositionTargetLocalNED(m): ("SET_POSITION_TARGET_LOCAL_NED", fields(of: m))
        case let .positionTargetLocalNED(m): ("POSITION_TARGET_LOCAL_NED", fields(of: m))
        case let .highresIMU(m): ("HIGHRES_IMU", fields(of: m))
        case let .odometry(m): ("ODOMETRY", fields(of: m))
        }
    }

    static func fields(of message: MAVLinkHeartbeat) -> [String: FieldValue] {
        [
            "type": .integer(Int64(message.type.rawValue)),
            "autopilot": .integer(Int64(message.autopilot.rawValue)),
            "base_mode": .integer(Int64(message.baseMode.rawValue)),
            "custom_mode": .integer(Int64(message.customMode)),
            "system_status": .integer(Int64(message.systemStatus.rawValue)),
            "mavlink_version": .integer(Int64(message.mavlinkVersion)),
        ]
    }

    static func fields(of message: MAVLinkSystemStatus) -> [String: FieldValue] {
        [
            "onboard_control_sensors_present": .integer(Int64(message.sensorsPresent)),
            "onboard_control_sensors_enabled": .integer(Int64(message.sensorsEnabled)),
            "onboard_control_sensors_health": .integer(Int64(message.sensorsHealthy)),
            "load": .integer(Int64(message.loadPermille)),
            "voltage_battery": .integer(Int64(message.batteryVoltageMillivolts)),
            "current_battery": .integer(Int64(message.batteryCurrentCentiamperes)),
            "battery_remaining": .integer(Int64(message.batteryRemainingPercent)),
            "drop_rate_comm": .integer(Int64(message.communicationDropRateCentipercent)),
            "errors_comm": .integer(Int64(message.communicationErrors)),
            "errors_count1": .integer(Int64(message.errorCount1)),
            "errors_count2": .integer(Int64(message.errorCount2)),
            "errors_count3": .integer(Int64(message.errorCount3)),
            "errors_count4": .integer(Int64(message.errorCount4)),
            "onboard_control_sensors_present_extended": .integer(Int64(message.sensorsPresentExtended)),
            "onboard_control_sensors_enabled_extended": .integer(Int64(message.sensorsEnabledExtended)),
            "onboard_control_sensors_health_extended": .integer(Int64(message.sensorsHealthyExtended)),
        ]
    }

    static func fields(of message: MAVLinkAttitude) -> [String: FieldValue] {
        [
            "time_boot_ms": .integer(Int64(message.timeBootMilliseconds)),
            "roll": .float(message.roll),
            "pitch": .float(message.pitch),
            "yaw": .float(message.yaw),
            "rollspeed": .float(message.rollRate),
            "pitchspeed": .float(message.pitchRate),
            "yawspeed": .float(message.yawRate),
        ]
    }

    static func fields(of message: MAVLinkLocalPositionNED) -> [String: FieldValue] {
        [
            "time_boot_ms": .integer(Int64(message.timeBootMilliseconds)),
            "x": .float(message.x),
            "y": .float(message.y),
            "z": .float(message.z),
            "vx": .float(message.vx),
            "vy": .float(message.vy),
            "vz": .float(message.vz),
        ]
    }

    static func fields(of message: MAVLinkManualControl) -> [String: FieldValue] {
        [
            "target": .integer(Int64(message.target)),
            "x": .integer(Int64(message.x)),
            "y": .integer(Int64(message.y)),
            "z": .integer(Int64(message.z)),
            "r": .integer(Int64(message.r)),
            "buttons": .integer(Int64(message.buttons)),
            "buttons2": .integer(Int64(message.buttons2)),
            "enabled_extensions": .integer(Int64(message.enabledExtensions.rawValue)),
            "s": .integer(Int64(message.pitchOnlyAxis)),
            "t": .integer(Int64(message.rollOnlyAxis)),
            "aux1": .integer(Int64(message.aux1)),
            "aux2": .integer(Int64(message.aux2)),
            "aux3": .integer(Int64(message.aux3)),
            "aux4": .integer(Int64(message.aux4)),
            "aux5": .integer(Int64(message.aux5)),
            "aux6": .integer(Int64(message.aux6)),
        ]
    }

    static func fields(of message: MAVLinkCommandLong) -> [String: FieldValue] {
        [
            "target_system": .integer(Int64(message.targetSystem)),
            "target_component": .integer(Int64(message.targetComponent)),
            "command": .integer(Int64(message.command.rawValue)),
            "confirmation": .integer(Int64(message.confirmation)),
            "param1": .float(message.param1),
            "param2": .float(message.param2),
            "param3": .float(message.param3),
            "param4": .float(message.param4),
            "param5": .float(message.param5),
            "param6": .float(message.param6),
            "param7": .float(message.param7),
        ]
    }

    static func fields(of message: MAVLinkCommandAck) -> [String: FieldValue] {
        [
            "command": .integer(Int64(message.command.rawValue)),
            "result": .integer(Int64(message.result.rawValue)),
            "progress": .integer(Int64(message.progress)),
            "result_param2": .integer(Int64(message.resultParameter2)),
            "target_system": .integer(Int64(message.targetSystem)),
            "target_component": .integer(Int64(message.targetComponent)),
        ]
    }

    static func fields(of message: MAVLinkSetAttitudeTarget) -> [String: FieldValue] {
        [
            "time_boot_ms": .integer(Int64(message.timeBootMilliseconds)),
            "target_system": .integer(Int64(message.targetSystem)),
            "target_component": .integer(Int64(message.targetComponent)),
            "type_mask": .integer(Int64(message.typeMask.rawValue)),
            "q": .floats(message.attitude.components),
            "body_roll_rate": .float(message.bodyRollRate),
            "body_pitch_rate": .float(message.bodyPitchRate),
            "body_yaw_rate": .float(message.bodyYawRate),
            "thrust": .float(message.thrust),
        ]
    }

    static func fields(of message: MAVLinkAttitudeTarget) -> [String: FieldValue] {
        [
            "time_boot_ms": .integer(Int64(message.timeBootMilliseconds)),
            "type_mask": .integer(Int64(message.typeMask.rawValue)),
            "q": .floats(message.attitude.components),
            "body_roll_rate": .float(message.bodyRollRate),
            "body_pitch_rate": .float(message.bodyPitchRate),
            "body_yaw_rate": .float(message.bodyYawRate),
            "thrust": .float(message.thrust),
        ]
    }

    static func fields(of message: MAVLinkSetPositionTargetLocalNED) -> [String: FieldValue] {
        [
            "time_boot_ms": .integer(Int64(message.timeBootMilliseconds)),
            "target_system": .integer(Int64(message.targetSystem)),
            "target_component": .integer(Int64(message.targetComponent)),
            "coordinate_frame": .integer(Int64(message.coordinateFrame.rawValue)),
            "type_mask": .integer(Int64(message.typeMask.rawValue)),
            "x": .float(message.x),
            "y": .float(message.y),
            "z": .float(message.z),
            "vx": .float(message.vx),
            "vy": .float(message.vy),
            "vz": .float(message.vz),
            "afx": .float(message.accelerationX),
            "afy": .float(message.accelerationY),
            "afz": .float(message.accelerationZ),
            "yaw": .float(message.yaw),
            "yaw_rate": .float(message.yawRate),
        ]
    }

    static func fields(of message: MAVLinkPositionTargetLocalNED) -> [String: FieldValue] {
        [
            "time_boot_ms": .integer(Int64(message.timeBootMilliseconds)),
            "coordinate_frame": .integer(Int64(message.coordinateFrame.rawValue)),
            "type_mask": .integer(Int64(message.typeMask.rawValue)),
            "x": .float(message.x),
            "y": .float(message.y),
            "z": .float(message.z),
            "vx": .float(message.vx),
            "vy": .float(message.vy),
            "vz": .float(message.vz),
            "afx": .float(message.accelerationX),
            "afy": .float(message.accelerationY),
            "afz": .float(message.accelerationZ),
            "yaw": .float(message.yaw),
            "yaw_rate": .float(message.yawRate),
        ]
    }

    static func fields(of message: MAVLinkHighresIMU) -> [String: FieldValue] {
        [
            "time_usec": .integer(Int64(message.timeMicroseconds)),
            "xacc": .float(message.accelerationX),
            "yacc": .float(message.accelerationY),
            "zacc": .float(message.accelerationZ),
            "xgyro": .float(message.angularRateX),
            "ygyro": .float(message.angularRateY),
            "zgyro": .float(message.angularRateZ),
            "xmag": .float(message.magneticFieldXGauss),
            "ymag": .float(message.magneticFieldYGauss),
            "zmag": .float(message.magneticFieldZGauss),
            "abs_pressure": .float(message.absolutePressureHectopascals),
            "diff_pressure": .float(message.differentialPressureHectopascals),
            "pressure_alt": .float(message.pressureAltitude),
            "temperature": .float(message.temperatureCelsius),
            "fields_updated": .integer(Int64(message.fieldsUpdated.rawValue)),
            "id": .integer(Int64(message.sensorID)),
        ]
    }

    static func fields(of message: MAVLinkOdometry) -> [String: FieldValue] {
        [
            "time_usec": .integer(Int64(message.timeMicroseconds)),
            "frame_id": .integer(Int64(message.frame.rawValue)),
            "child_frame_id": .integer(Int64(message.childFrame.rawValue)),
            "x": .float(message.x),
            "y": .float(message.y),
            "z": .float(message.z),
            "q": .floats(message.attitude.components),
            "vx": .float(message.vx),
            "vy": .float(message.vy),
            "vz": .float(message.vz),
            "rollspeed": .float(message.rollRate),
            "pitchspeed": .float(message.pitchRate),
            "yawspeed": .float(message.yawRate),
            "pose_covariance": .floats(message.poseCovariance.values),
            "velocity_covariance": .floats(message.velocityCovariance.values),
            "reset_counter": .integer(Int64(message.resetCounter)),
            "estimator_type": .integer(Int64(message.estimatorType.rawValue)),
            "quality": .integer(Int64(message.qualityPercent)),
        ]
    }
}
