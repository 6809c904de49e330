/// Every typed message Reins knows, for code that handles whatever arrives with one `switch`
/// (a simulated autopilot, a link monitor). Code waiting for one message uses
/// `MAVLinkFrame.message(as:)` instead. Holds plain structs only, so it never allocates.
public enum MAVLinkCommonMessage: Equatable, Sendable {
    case heartbeat(MAVLinkHeartbeat)
    case systemStatus(MAVLinkSystemStatus)
    case attitude(MAVLinkAttitude)
    case localPositionNED(MAVLinkLocalPositionNED)
    case manualControl(MAVLinkManualControl)
    case commandLong(MAVLinkCommandLong)
    case commandAck(MAVLinkCommandAck)
    case setAttitudeTarget(MAVLinkSetAttitudeTarget)
    case attitudeTarget(MAVLinkAttitudeTarget)
    case setPositionTargetLocalNED(MAVLinkSetPositionTargetLocalNED)
    case positionTargetLocalNED(MAVLinkPositionTargetLocalNED)
    case highresIMU(MAVLinkHighresIMU)
    case odometry(MAVLinkOdometry)

    /// The typed message of a frame, or nil for message ids without a typed struct.
    public init?(messageID: UInt32, payload: UnsafeRawBufferPointer) {
        switch messageID {
        case MAVLinkHeartbeat.messageID: self = .heartbeat(MAVLinkHeartbeat(payload: payload))
        case MAVLinkSystemStatus.messageID: self = .systemStatus(MAVLinkSystemStatus(payload: payload))
        case MAVLinkAttitude.messageID: self = .attitude(MAVLinkAttitude(payload: payload))
        case MAVLinkLocalPositionNED.messageID: self = .localPositionNED(MAVLinkLocalPositionNED(payload: payload))
        case MAVLinkManualControl.messageID: self = .manualControl(MAVLinkManualControl(payload: payload))
        case MAVLinkCommandLong.messageID: self = .commandLong(MAVLinkCommandLong(payload: payload))
        case MAVLinkCommandAck.messageID: self = .commandAck(MAVLinkCommandAck(payload: payload))
        case MAVLinkSetAttitudeTarget.messageID: self = .setAttitudeTarget(MAVLinkSetAttitudeTarget(payload: payload))
        case MAVLinkAttitudeTarget.messageID: self = .attitudeTarget(MAVLinkAttitudeTarget(payload: payload))
        case MAVLinkSetPositionTargetLocalNED.messageID:
            self = .setPositionTargetLocalNED(MAVLinkSetPositionTargetLocalNED(payload: payload))
        case MAVLinkPositionTargetLocalNED.messageID:
            self = .positionTargetLocalNED(MAVLinkPositionTargetLocalNED(payload: payload))
        case MAVLinkHighresIMU.messageID: self = .highresIMU(MAVLinkHighresIMU(payload: payload))
        case MAVLinkOdometry.messageID: self = .odometry(MAVLinkOdometry(payload: payload))
        default: return nil
        }
    }

    public init?(frame: MAVLinkFrame) {
        self.init(messageID: frame.messageID, payload: frame.payload)
    }

    public init?(frame: MAVLinkOwnedFrame) {
        guard let message = frame.payload.withUnsafeBytes({ MAVLinkCommonMessage(messageID: frame.messageID, payload: $0) })
        else { return nil }
        self = message
    }

    public var messageID: UInt32 {
        switch self {
        case .heartbeat: MAVLinkHeartbeat.messageID
        case .systemStatus: MAVLinkSystemStatus.messageID
        case .attitude: MAVLinkAttitude.messageID
        case .localPositionNED: MAVLinkLocalPositionNED.messageID
        case .manualControl: MAVLinkManualControl.messageID
        case .commandLong: MAVLinkCommandLong.messageID
        case .commandAck: MAVLinkCommandAck.messageID
        case .setAttitudeTarget: MAVLinkSetAttitudeTarget.messageID
        case .attitudeTarget: MAVLinkAttitudeTarget.messageID
        case .setPositionTargetLocalNED: MAVLinkSetPositionTargetLocalNED.messageID
        case .positionTargetLocalNED: MAVLinkPositionTargetLocalNED.messageID
        case .highresIMU: MAVLinkHighresIMU.messageID
        case .odometry: MAVLinkOdometry.messageID
        }
    }

    /// Appends one frame carrying this message.
    public func encode(with encoder: MAVLinkEncoder, into writer: ByteWriter) throws(MAVLinkError) {
        switch self {
        case let .heartbeat(message): try encoder.encode(message, into: writer)
        case let .systemStatus(message): try encoder.encode(message, into: writer)
        case let .attitude(message): try encoder.encode(message, into: writer)
        case let .localPositionNED(message): try encoder.encode(message, into: writer)
        case let .manualControl(message): try encoder.encode(message, into: writer)
        case let .commandLong(message): try encoder.encode(message, into: writer)
        case let .commandAck(message): try encoder.encode(message, into: writer)
        case let .setAttitudeTarget(message): try encoder.encode(message, into: writer)
        case let .attitudeTarget(message): try encoder.encode(message, into: writer)
        case let .setPositionTargetLocalNED(message): try encoder.encode(message, into: writer)
        case let .positionTargetLocalNED(message): try encoder.encode(message, into: writer)
        case let .highresIMU(message): try encoder.encode(message, into: writer)
        case let .odometry(message): try encoder.encode(message, into: writer)
        }
    }
}
