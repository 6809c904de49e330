import ReinsConfig
import ReinsCore
import ReinsTasks

/// Assembles the policy's observation, in the description's order, from the robot's state (the
/// features the state holds as they are, where the robot's `StateLayout` says they sit) and the
/// task (targets, track features). Allocation-free per tick.
public final class ObservationBuilder: @unchecked Sendable {
    public let names: [String]
    /// One per feature, with where its entries start in the observation.
    private enum Source {
        /// Copied from the state's `entries` run.
        case state(at: Int, from: Int, count: Int)
        /// Written by the task.
        case task(ObservationFeature, at: Int, count: Int)
    }
    private let sources: [Source]
    private let task: any RobotTask
    private let scratch: UnsafeMutableBufferPointer<Double>

    public init(robot: RobotDescription, task: any RobotTask) {
        self.task = task
        names = robot.observationNames
        let layout = robot.stateLayout
        var sources: [Source] = []
        var at = 0
        var maxTask = 1
        for feature in robot.observation {
            let count = feature.entryNames(body: robot.body).count
            if let entries = layout.entries(of: feature) {
                precondition(entries.count == count, "the state holds \(entries.count) entries of \(feature.rawValue), the observation \(count)")
                sources.append(.state(at: at, from: entries.lowerBound, count: count))
            } else {
                sources.append(.task(feature, at: at, count: count))
                maxTask = max(maxTask, count)
            }
            at += count
        }
        self.sources = sources
        scratch = .allocate(capacity: maxTask)
        scratch.initialize(repeating: 0)
    }

    deinit { scratch.deallocate() }

    public func build(state: UnsafeBufferPointer<Double>, into observation: UnsafeMutableBufferPointer<Double>) {
        guard let stateBase = state.baseAddress, let observationBase = observation.baseAddress else { return }
        for index in 0..<sources.count {
            switch sources[index] {
            case .state(let at, let from, let count):
                // A raw copy: the run's place came from the layout, and nothing generic runs in the tick.
                assert(from + count <= state.count && at + count <= observation.count)
                UnsafeMutableRawPointer(observationBase + at).copyMemory(from: stateBase + from, byteCount: count &* MemoryLayout<Double>.stride)
            case .task(let feature, let at, let count):
                task.write(feature, state: state, into: UnsafeMutableBufferPointer(rebasing: scratch[0..<count]))
                for k in 0..<count { observation[at + k] = scratch[k] }
            }
        }
    }

    /// How much each observation entry can change in one tick given the robot's limits (plus the
    /// sensor-noise bound): what the robustness monitor's innovation check allows. Task features
    /// jump at episode boundaries and are unbounded.
    public static func innovationBounds(robot: RobotDescription, rateHz: Double? = nil) -> [Double] {
        let dt = 1 / (rateHz ?? robot.controlRateHz)
        let noise = robot.monitor.sensorNoiseBound
        // Twice the limit: measured motion overshoots commanded limits, and noise adds on top.
        func bound(_ rate: Double) -> Double { 2 * rate * dt + 2 * noise }
        var bounds: [Double] = []
        for feature in robot.observation {
            let count = feature.entryNames(body: robot.body).count
            switch (feature, robot.body) {
            case (.jointPosition, .arm(let joints)): bounds += joints.map { bound($0.velocity) }
            case (.jointVelocity, .arm(let joints)): bounds += joints.map { bound($0.acceleration * 4) }
            case (.speed, .car(let limits)): bounds.append(bound(limits.acceleration * 2))
            case (.steering, .car(let limits)): bounds.append(bound(limits.steeringRate))
            case (.pose, .car(let limits)):
                let v = max(abs(limits.speed.lowerBound), abs(limits.speed.upperBound))
                bounds += [bound(v), bound(v), bound(v / limits.wheelbase * 0.5)]
            case (.position, .drone(let limits)):
                bounds += [bound(limits.horizontalVelocity * 1.5), bound(limits.horizontalVelocity * 1.5), bound(limits.verticalVelocity * 1.5)]
            case (.velocity, .drone):
                bounds += [bound(20), bound(20), bound(20)]
            case (.attitude, .drone(let limits)):
                bounds += [bound(6), bound(6), bound(max(6, limits.yawRate * 2))]
            default:
                bounds += [Double](repeating: .infinity, count: count)
            }
        }
        return bounds
    }
}
