import ReinsConfig
import ReinsCore
import ReinsProtocols
import ReinsTransport

/// Any robot with its own driver process, over the Reins robot protocol (CURVE when the
/// description's `zmq` keys are set). The robot's HELLO must report every state value the
/// description needs and exactly the description's action values, in order.
public final class RobotProtocolDriver: RobotDriver, @unchecked Sendable {
    public let robot: RobotDescription
    public let deviceName: String
    public private(set) var health = DriverHealth()
    private let endpoint: String
    private var client: RobotProtocolClient?
    private var indices: [Int] = []
    private var lastApplied: [Double]

    public init(robot: RobotDescription, endpoint: String) {
        self.robot = robot
        self.endpoint = endpoint
        deviceName = "robot at zmq:\(endpoint)"
        lastApplied = [Double](repeating: 0, count: robot.actionNames.count)
    }

    public func connect() throws(DeviceError) {
        let client = try RobotProtocolClient(endpoint: endpoint, security: robot.zmqSecurity)
        let layout = try client.hello(timeout: 3)
        guard layout.kind == robot.kind.rawValue else {
            throw DeviceError(device: deviceName, problem: "the robot says it is \(layout.kind), the description says \(robot.kind.rawValue)")
        }
        guard layout.action == robot.actionNames else {
            throw DeviceError(device: deviceName, problem: "the robot's actions are [\(layout.action.joined(separator: ", "))] but the description's are [\(robot.actionNames.joined(separator: ", "))]",
                              suggestion: "make the robot's action layout match the description's joints or action kind")
        }
        indices = try client.stateIndices(of: robot.stateLayout.names)
        self.client = client
    }

    public func configure() throws(DeviceError) {}

    public func activate() throws(DeviceError) {
        guard let client else { throw DeviceError(device: deviceName, problem: "activate before connect") }
        guard client.poll(deadline: MonotonicClock.nowNanoseconds() + 1_000_000_000) else {
            throw DeviceError(device: deviceName, problem: "no STATE within 1 s of HELLO")
        }
    }

    public func read(into state: RobotState, deadline: UInt64) -> ReadOutcome {
        guard let client else { return .fault(.disconnected) }
        guard client.poll(deadline: deadline) else {
            health.staleReads &+= 1
            return .stale
        }
        if client.stateFlags.contains(.fault) { return .fault(.hardwareError(id: 0, code: Int(client.stateFlags.rawValue))) }
        for i in 0..<indices.count { state.values[i] = client.stateValues[indices[i]] }
        state.timestamp = client.stateReceivedAt
        state.sequence &+= 1
        health.reads &+= 1
        return .fresh
    }

    public func write(_ command: UnsafeBufferPointer<Double>, applied: UnsafeMutableBufferPointer<Double>, deadline: UInt64) -> Bool {
        guard let client, client.sendAction(command) else { return false }
        for i in 0..<command.count {
            applied[i] = command[i]
            lastApplied[i] = command[i]
        }
        health.writes &+= 1
        return true
    }

    /// Asks the robot to perform its own safe stop, repeatedly through the hold time, and waits
    /// for it to report itself stopped.
    public func explain(_ fault: DriverFault) -> String {
        guard case .hardwareError = fault else { return "\(deviceName): \(fault)" }
        return "\(deviceName): the robot reports a fault (STATE flag `fault`) and stopped itself; its own driver process says why"
    }

    public func safeStop(reason: String, progress: (String) -> Void) -> SafeStopReport {
        guard let client else { return SafeStopReport(problem: "not connected") }
        let limit = max(0.2, robot.safety.safeStopHoldSeconds)
        let start = MonotonicClock.nowNanoseconds()
        let end = start + UInt64(limit * 1e9)
        var sent = false
        var stoppedAfter: Double?
        while MonotonicClock.nowNanoseconds() < end {
            sent = lastApplied.withUnsafeBufferPointer { client.sendAction($0, flags: .safeStop) } || sent
            client.poll(deadline: MonotonicClock.nowNanoseconds() + 20_000_000)
            if client.stateFlags.contains(.stopped) {
                stoppedAfter = Double(MonotonicClock.nowNanoseconds() - start) / 1e9
                break
            }
        }
        if let stoppedAfter { return SafeStopReport(steps: ["the robot reported itself stopped after \(SafeStopReport.seconds(stoppedAfter))"]) }
        return SafeStopReport(problem: sent ? "the robot did not report itself stopped within \(SafeStopReport.seconds(limit))"
                                            : "the safe-stop request could not be sent")
    }

    public func deactivate() {}

    public func disconnect() { client = nil }
}
