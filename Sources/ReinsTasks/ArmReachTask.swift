import ReinsConfig
import ReinsCore

/// Reach: move every joint to a target configuration sampled inside the joints' limits, and hold
/// it. The `target` observation is the offset from each joint's measured position to its target.
/// Success: every joint within `tolerance` of its target for `holdSeconds`.
public final class ArmReachTask: RobotTask, @unchecked Sendable {
    public let joints: [JointSpec]
    public private(set) var target: [Double]
    /// Loaded joints sag a little below a position goal, so the tolerance leaves room for it.
    public let tolerance = 0.1
    public let holdSeconds = 0.3
    public let episodeSeconds = 8.0
    /// Targets keep this share of each joint's range away from the limits.
    public let margin = 0.15
    private var withinSince: Double?

    public init(joints: [JointSpec], controlRateHz: Double) {
        self.joints = joints
        target = [Double](repeating: 0, count: joints.count)
    }

    public func reset(state: UnsafeBufferPointer<Double>, random: inout SeededRandom) {
        // Index loops: `for … in` over an array allocates per element in unoptimised builds.
        for i in 0..<joints.count {
            let joint = joints[i]
            let span = joint.position.upperBound - joint.position.lowerBound
            target[i] = random.uniform((joint.position.lowerBound + margin * span)...(joint.position.upperBound - margin * span))
        }
        withinSince = nil
    }

    public func write(_ feature: ObservationFeature, state: UnsafeBufferPointer<Double>, into entries: UnsafeMutableBufferPointer<Double>) {
        guard feature == .target else { return }
        let arm = ArmStateView(state, jointCount: joints.count)
        for i in 0..<min(entries.count, target.count) { entries[i] = target[i] - arm.position(i) }
    }

    /// Largest joint error now.
    public func worstError(state: UnsafeBufferPointer<Double>) -> Double {
        let arm = ArmStateView(state, jointCount: joints.count)
        var worst = 0.0
        for i in 0..<target.count { worst = max(worst, abs(arm.position(i) - target[i])) }
        return worst
    }

    /// Root-mean-square joint error to the target, rad.
    public func cost(state: UnsafeBufferPointer<Double>) -> Double {
        let arm = ArmStateView(state, jointCount: joints.count)
        var sum = 0.0
        for i in 0..<target.count { sum += (arm.position(i) - target[i]) * (arm.position(i) - target[i]) }
        return (sum / Double(max(1, target.count))).squareRoot()
    }

    public let costField = StatusField("to target", unit: "rad", decimals: 3)
    public let costMeaning = "rms joint error, rad"
    public let headlineField: StatusField? = nil

    public func statusHeadline(state: UnsafeBufferPointer<Double>) -> Double { .nan }

    public func goalReached(state: UnsafeBufferPointer<Double>) -> Bool {
        worstError(state: state) <= tolerance
    }

    public func evaluate(state: UnsafeBufferPointer<Double>, elapsed: Double) -> TaskStatus {
        if worstError(state: state) <= tolerance {
            if withinSince == nil { withinSince = elapsed }
            if elapsed - withinSince! >= holdSeconds { return .success }
        } else {
            withinSince = nil
        }
        return .running
    }

    public var goalDescription: String {
        "reach [" + target.map { String(Double(Int(($0 * 1000).rounded())) / 1000) }.joined(separator: ", ") + "] rad"
    }
}
