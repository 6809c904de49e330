import Glibc
import ReinsConfig

/// Forward kinematics of an arm's tool point from its workspace chain, and the distance of that
/// point from the workspace box. Fixed rotations are computed once; a call makes no allocation.
public struct ArmKinematics: Sendable {
    /// A rotation as its three columns.
    struct Rotation: Sendable {
        var c0, c1, c2: SIMD3<Double>

        static let identity = Rotation(c0: SIMD3(1, 0, 0), c1: SIMD3(0, 1, 0), c2: SIMD3(0, 0, 1))

        @inline(__always)
        func apply(_ v: SIMD3<Double>) -> SIMD3<Double> { c0 * v.x + c1 * v.y + c2 * v.z }

        @inline(__always)
        func then(_ other: Rotation) -> Rotation {
            Rotation(c0: apply(other.c0), c1: apply(other.c1), c2: apply(other.c2))
        }

        /// Rotation by `angle` about the unit vector `axis` (Rodrigues).
        @inline(__always)
        static func about(_ axis: SIMD3<Double>, angle: Double) -> Rotation {
            let c = cos(angle), s = sin(angle), t = 1 - c
            let (x, y, z) = (axis.x, axis.y, axis.z)
            return Rotation(c0: SIMD3(t * x * x + c, t * x * y + s * z, t * x * z - s * y),
                            c1: SIMD3(t * x * y - s * z, t * y * y + c, t * y * z + s * x),
                            c2: SIMD3(t * x * z + s * y, t * y * z - s * x, t * z * z + c))
        }

        /// URDF roll-pitch-yaw: Rz(yaw) · Ry(pitch) · Rx(roll).
        static func rpy(_ angles: SIMD3<Double>) -> Rotation {
            about(SIMD3(0, 0, 1), angle: angles.z).then(about(SIMD3(0, 1, 0), angle: angles.y)).then(about(SIMD3(1, 0, 0), angle: angles.x))
        }
    }

    public let workspace: ArmWorkspace
    private let fixed: [Rotation]

    public init(_ workspace: ArmWorkspace) {
        self.workspace = workspace
        fixed = workspace.chain.map { Rotation.rpy($0.rpy) }
    }

    /// The tool point in the base frame for joint angles indexed like the robot's joints.
    @inline(__always)
    public func toolPoint(_ angles: UnsafeBufferPointer<Double>) -> SIMD3<Double> {
        var rotation = Rotation.identity
        var position = SIMD3<Double>.zero
        for index in 0..<workspace.chain.count {
            let link = workspace.chain[index]
            position += rotation.apply(link.xyz)
            rotation = rotation.then(fixed[index]).then(Rotation.about(link.axis, angle: angles[link.joint]))
        }
        return position + rotation.apply(workspace.tool)
    }

    public func toolPoint(_ angles: [Double]) -> SIMD3<Double> {
        angles.withUnsafeBufferPointer { toolPoint($0) }
    }

    /// How far the point is outside the box, summed over the axes (0 inside).
    @inline(__always)
    public func distanceOutside(_ point: SIMD3<Double>) -> Double {
        func excess(_ value: Double, _ range: ClosedRange<Double>) -> Double {
            max(0, range.lowerBound - value) + max(0, value - range.upperBound)
        }
        return excess(point.x, workspace.x) + excess(point.y, workspace.y) + excess(point.z, workspace.z)
    }
}
