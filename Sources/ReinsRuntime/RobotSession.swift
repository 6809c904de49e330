import ReinsConfig
import ReinsCore
import ReinsDrivers
import ReinsSimulators

/// A robot ready to be driven: its driver connected and configured, and for `link: sim` the
/// built-in simulator running in this process on a pty or socket, so the driver still speaks bytes.
public final class RobotSession: @unchecked Sendable {
    public let robot: RobotDescription
    public let driver: any RobotDriver
    public let simulator: RunningSimulator?
    public let state: RobotState

    /// Starts the simulator if the description asks for one, then connects and configures.
    public init(_ robot: RobotDescription, simulatorOptions: SimulatorOptions = SimulatorOptions()) throws(DeviceError) {
        self.robot = robot
        var simulator: RunningSimulator?
        var link: LinkSpec?
        var localization: LinkSpec?
        if robot.link == .sim {
            var options = simulatorOptions
            // A zmq robot is simulated behind the robot protocol; the others behind their own bus.
            if robot.driver == .zmq, options.link == nil { options.link = .zmq(endpoint: "tcp://127.0.0.1:*") }
            simulator = try SimulatorFactory.start(robot, options: options)
            link = simulator?.driverLink
            localization = simulator?.localization
        }
        self.simulator = simulator
        do {
            driver = try DriverFactory.make(robot, link: link, localization: localization)
            try driver.connect()
            try driver.configure()
        } catch {
            simulator?.stop()
            throw error
        }
        state = RobotState(names: RobotState.names(for: robot))
    }

    public func activate() throws(DeviceError) {
        try driver.activate()
    }

    /// Disconnects and stops the simulator (after the caller's safe stop).
    public func close() {
        driver.deactivate()
        driver.disconnect()
        simulator?.stop()
    }
}

/// Detects state that stopped arriving: no fresh read for longer than the robot's watchdog timeout.
public struct Watchdog: Sendable {
    public let timeoutNanoseconds: UInt64
    public private(set) var lastFresh: UInt64

    public init(timeout seconds: Double, now: UInt64 = MonotonicClock.nowNanoseconds()) {
        timeoutNanoseconds = UInt64(seconds * 1e9)
        lastFresh = now
    }

    public mutating func fresh(at time: UInt64) { lastFresh = time }

    /// How long the state has been stale at `now`, if longer than the timeout.
    public func expired(at now: UInt64) -> UInt64? {
        let age = now &- lastFresh
        return age > timeoutNanoseconds ? age : nil
    }
}

/// Why a run ended early, captured in the tick without allocating; `message` is built afterwards.
public enum RunFault: Sendable, Equatable {
    case driver(DriverFault)
    /// No fresh state for this many nanoseconds.
    case watchdog(staleNanoseconds: UInt64)
    case writeFailed
    case overruns(count: Int)

    /// A number for the recording's `/reins/event` code: 1 disconnected, 2 no response,
    /// 3 hardware error, 4 mode lost, 5 write failed, 6 tracking error, 10 watchdog, 11 write failed,
    /// 12 overruns.
    public var code: Int64 {
        switch self {
        case .driver(let fault):
            switch fault {
            case .disconnected: return 1
            case .noResponse: return 2
            case .hardwareError: return 3
            case .modeLost: return 4
            case .writeFailed: return 5
            case .trackingError: return 6
            }
        case .watchdog: return 10
        case .writeFailed: return 11
        case .overruns: return 12
        }
    }

    /// What went wrong, in the words of the driver that saw it (device, joint, register, fix).
    public func message(driver: any RobotDriver) -> String {
        let device = driver.deviceName
        switch self {
        case .driver(let fault): return driver.explain(fault)
        case .watchdog(let stale):
            let timeout = driver.robot.safety.watchdogTimeout
            return "\(device): no fresh state for \(stale / 1_000_000) ms (watchdog timeout \(Int((timeout * 1000).rounded())) ms)"
        case .writeFailed: return "\(device): command could not be sent"
        case .overruns(let count): return "control loop missed \(count) deadlines in a row"
        }
    }
}
