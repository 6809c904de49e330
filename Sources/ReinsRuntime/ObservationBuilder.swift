import ReinsConfig
import ReinsCore
import ReinsDrivers
import ReinsTasks

/// Assembles the policy's observation, in the description's order, from the robot's state and
/// the task (targets, track features). Allocation-free per tick.
public final class ObservationBuilder: @unchecked Sendable {
    public let names: [String]
    private enum Source {
        case state(Int)
        case task(ObservationFeature, offset: Int, count: Int)
    }
    private let sources: [Source]
    private let task: any RobotTask
    private let scratch: UnsafeMutableBufferPointer<Double>

    public init(robot: RobotDescription, task: any RobotTask) {
        self.task = task
        names = robot.observationNames
        let stateNames = RobotState.names(for: robot)
        var sources: [Source] = []
        var maxTask = 1
        for feature in robot.observation {
            let entries = feature.entryNames(body: robot.body)
            switch feature {
            case .target, .trackError, .trackAhead:
                sources.append(.task(feature, offset: sources.count, count: entries.count))
                maxTask = max(maxTask, entries.count)
                for _ in 1..<entries.count { sources.append(.state(-1)) }
            default:
                for entry in entries {
                    let stateName: String
                    switch feature {
                    case .jointPosition: stateName = String(entry.dropLast(4)) + ".pos"
                    case .jointVelocity: stateName = String(entry.dropLast(4)) + ".vel"
                    case .jointEffort: stateName = String(entry.dropLast(7)) + ".effort"
                    default: stateName = entry
                    }
                    sources.append(.state(stateNames.firstIndex(of: stateName) ?? -1))
                }
            }
        }
        self.sources = sources
        scratch = .allocate(capacity: maxTask)
        scratch.initialize(repeating: 0)
    }

    deinit { scratch.deallocate() }

    public func build(state: UnsafeBufferPointer<Double>, into observation: UnsafeMutableBufferPointer<Double>) {
        for index in 0..<sources.count {
            switch sources[index] {
            case .state(let stateIndex):
                if stateIndex >= 0 { observation[index] = state[stateIndex] }
            case .task(let feature, let offset, let count):
                task.write(feature, state: state, into: UnsafeMutableBufferPointer(rebasing: scratch[0..<count]))
                for k in 0..<count { observation[offset + k] = scratch[k] }
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
