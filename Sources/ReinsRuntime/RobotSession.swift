import ReinsConfig
import ReinsCore
import ReinsDrivers
import ReinsTransport

/// A robot ready to be driven: its driver connected and configured, and for `link: sim` its
/// simulator running in this process on a pty or socket, so the driver still speaks bytes.
public final class RobotSession: @unchecked Sendable {
    public let robot: RobotDescription
    public let driver: any RobotDriver
    /// The simulator started for a `link: sim` robot.
    public let launchedSimulator: (any LaunchedSimulator)?
    public let state: RobotState

    /// Starts the simulator if the description asks for one (`link: sim`, through `simulators`),
    /// then connects and configures.
    public init(_ robot: RobotDescription, simulators: (any SimulatorLauncher)?) throws(DeviceError) {
        self.robot = robot
        var simulator: (any LaunchedSimulator)?
        if robot.link == .sim {
            guard let simulators else {
                throw DeviceError(device: "simulated \(robot.name)", problem: "the description says `link: sim` but no simulator is available here",
                                  suggestion: "run it through the reins command, which starts the built-in simulators")
            }
            do {
                simulator = try simulators.launch(robot)
            } catch let error as DeviceError {
                throw error
            } catch {
                throw DeviceError(device: "simulated \(robot.name)", problem: "\(error)")
            }
        }
        launchedSimulator = simulator
        do {
            driver = try DriverFactory.make(robot, link: simulator?.driverLink, localization: simulator?.localization)
            try driver.connect()
            try driver.configure()
        } catch {
            simulator?.stop()
            throw error
        }
        state = RobotState(layout: robot.stateLayout)
    }

    /// A session around a driver made elsewhere (one the factory does not build, such as a test's
    /// in-process robot): connects and configures it; no simulator.
    public init(_ robot: RobotDescription, driver: any RobotDriver) throws(DeviceError) {
        self.robot = robot
        launchedSimulator = nil
        self.driver = driver
        try driver.connect()
        try driver.configure()
        state = RobotState(layout: robot.stateLayout)
    }

    public func activate() throws(DeviceError) {
        try driver.activate()
    }

    /// Disconnects and stops the simulator (after the caller's safe stop).
    public func close() {
        driver.deactivate()
        driver.disconnect()
        launchedSimulator?.stop()
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
    /// A closed-loop test's safety envelope broke (`reins test`): the episode ends in the safe stop.
    case envelope(EnvelopeViolation)

    /// A number for the recording's `/reins/event` code: 1 disconnected, 2 no response,
    /// 3 hardware error, 4 mode lost, 5 write failed, 6 tracking error, 10 watchdog, 11 write failed,
    /// 12 overruns, 13 envelope.
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
        case .envelope: return 13
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
        case .envelope(let violation): return "safety envelope: " + violation.description
        }
    }
}
