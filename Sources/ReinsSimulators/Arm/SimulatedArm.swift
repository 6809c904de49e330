import ReinsConfig
import ReinsCore

/// The physical arm behind a simulated servo bus: one `ServoJoint` per joint, with servo limits a
/// little beyond the description's (the description is the safe envelope, not the hardware's),
/// and gravity on the joints that lift the arm.
public final class SimulatedArm: @unchecked Sendable {
    public let names: [String]
    public var joints: [ServoJoint]

    public init(description: RobotDescription) {
        guard case .arm(let specs) = description.body else {
            preconditionFailure("SimulatedArm needs an arm description")
        }
        names = specs.map(\.name)
        joints = specs.enumerated().map { index, spec in
            var parameters = ServoJoint.Parameters()
            parameters.maximumVelocity = spec.velocity * 1.5
            parameters.maximumAcceleration = max(spec.acceleration * 3, 40)
            parameters.hardLimits = (spec.position.lowerBound - 0.15)...(spec.position.upperBound + 0.15)
            // Shoulder lift and elbow carry the arm's weight; the other joints are nearly balanced.
            let lifting = spec.name.contains("lift") || spec.name.contains("elbow") || (index == 1 || index == 2)
            parameters.gravityLoad = lifting ? 10 : 0.5
            parameters.gravityPhase = 0
            return ServoJoint(parameters: parameters, position: 0)
        }
    }

    public func step(_ dt: Double) {
        for i in joints.indices { joints[i].step(dt) }
    }
}
