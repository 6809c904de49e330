import ReinsConfig
import ReinsCore
import ReinsDrivers

/// A robot that lives in memory, for testing the runtime without a simulator, a pty or a socket.
///
/// `read` copies `measured` into the state and stamps it (fresh), unless `outcome` says that read
/// (numbered from 0, the warm-up read included) is stale or a fault; a stale read leaves the state
/// as it was, as a driver's does. `write` applies the command exactly as given and keeps the last
/// one. The robot follows its commands at once: an arm's joints stand at their goals, a car drives
/// at its commanded speed and steering, a drone flies its commanded velocity for one control
/// period. Nothing in `read` or `write` allocates.
final class InMemoryRobot: RobotDriver, @unchecked Sendable {
    let robot: RobotDescription
    let deviceName = "in-memory robot"
    var health = DriverHealth()
    let layout: StateLayout
    /// What the robot measures now, in its `StateLayout` order.
    let measured: UnsafeMutableBufferPointer<Double>
    /// The last command written.
    let lastCommand: UnsafeMutableBufferPointer<Double>
    /// What read number `n` returns (default: fresh).
    var outcome: (Int) -> ReadOutcome = { _ in .fresh }
    private(set) var reads = 0
    private(set) var writes = 0
    /// Why each safe stop was asked for, in order.
    private(set) var safeStopReasons: [String] = []
    private let period: Double

    init(robot: RobotDescription) {
        self.robot = robot
        layout = robot.stateLayout
        measured = .allocate(capacity: layout.count)
        measured.initialize(repeating: 0)
        lastCommand = .allocate(capacity: robot.actionNames.count)
        lastCommand.initialize(repeating: .nan)
        period = robot.controlPeriodSeconds
    }

    deinit {
        measured.deallocate()
        lastCommand.deallocate()
    }

    /// Sets what the robot measures for one observation feature the state holds (`jointPosition`,
    /// `speed`, `position`, …).
    func measure(_ feature: ObservationFeature, _ values: [Double]) {
        let entries = layout.entries(of: feature)!
        precondition(values.count == entries.count)
        for (offset, value) in zip(entries, values) { measured[offset] = value }
    }

    /// The measured values of one feature.
    func measurement(_ feature: ObservationFeature) -> [Double] {
        layout.entries(of: feature)!.map { measured[$0] }
    }

    func connect() throws(DeviceError) {}
    func configure() throws(DeviceError) {}
    func activate() throws(DeviceError) {}

    func read(into state: RobotState, deadline: UInt64) -> ReadOutcome {
        let number = reads
        reads += 1
        let result = outcome(number)
        guard result == .fresh else { return result }
        for i in 0..<layout.count { state.values[i] = measured[i] }
        state.timestamp = MonotonicClock.nowNanoseconds()
        state.sequence &+= 1
        return .fresh
    }

    func write(_ command: UnsafeBufferPointer<Double>, applied: UnsafeMutableBufferPointer<Double>, deadline: UInt64) -> Bool {
        writes += 1
        for i in 0..<command.count {
            applied[i] = command[i]
            lastCommand[i] = command[i]
        }
        follow(command)
        return true
    }

    private func follow(_ command: UnsafeBufferPointer<Double>) {
        switch robot.body {
        case .arm:
            let positions = layout.entries(of: .jointPosition)!
            for j in 0..<positions.count { measured[positions.lowerBound + j] = command[j] }
        case .car:
            measured[layout.entries(of: .speed)!.lowerBound] = command[0]
            measured[layout.entries(of: .steering)!.lowerBound] = command[1]
        case .drone:
            let position = layout.entries(of: .position)!.lowerBound, velocity = layout.entries(of: .velocity)!.lowerBound
            for axis in 0..<3 {
                measured[velocity + axis] = command[axis]
                measured[position + axis] += command[axis] * period
            }
        }
    }

    func safeStop(reason: String, progress: (String) -> Void) -> SafeStopReport {
        safeStopReasons.append(reason)
        return SafeStopReport(steps: ["stood still in memory"])
    }

    func explain(_ fault: DriverFault) -> String { "\(deviceName): \(fault)" }
    func deactivate() {}
    func disconnect() {}
}
