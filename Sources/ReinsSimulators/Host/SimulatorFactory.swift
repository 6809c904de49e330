import ReinsConfig
import ReinsCore
import ReinsProtocols
import ReinsTasks
import ReinsTransport

/// How to run a simulator.
public struct SimulatorOptions: Sendable {
    /// Where to serve: `pty:PATH` (or nil for a fresh pty), `udpin:`/`udp:` (drone: listen),
    /// `udpout:` (drone: send to a listening driver, like PX4 SITL), `zmq:ENDPOINT` (any robot,
    /// Reins robot protocol).
    public var link: LinkSpec?
    /// Car only: where to publish the pose stream; nil picks a free loopback port.
    public var localization: LinkSpec?
    public var seed: UInt64 = 1
    public var faults: FaultSpec = .none
    /// Simulated seconds per real second.
    public var speed: Double = 1
    /// Drone telemetry rate, Hz.
    public var telemetryRateHz: Double = 50
    /// CURVE for robot-protocol servers: the server's secret key and the allowed client keys.
    public var curve: (secretKey: String, allowed: [ZAPAuthenticator.AllowedKey])?
    /// MAVLink signing key for the simulated vehicle.
    public var signingKey: MAVLinkSigningKey?
    /// Arm only: a simulated operator sweeps every joint through its range while torque is off
    /// (what a person does during `reins calibrate`). Without it, a simulated leader arm
    /// (`role: leader`) is moved by a simulated hand, as during teleoperation.
    public var backdrive = false

    public init() {}
}

/// A simulator running on its own thread, and how a driver reaches it.
public final class RunningSimulator: @unchecked Sendable {
    public let host: SimulatorHost
    /// The link a driver of the robot's kind should open to reach the simulator.
    public let driverLink: LinkSpec
    /// The car's pose stream, when the simulator publishes one.
    public let localization: LinkSpec?
    /// Human-readable "where to connect" lines.
    public let connectionLines: [String]
    /// The physics behind the protocol, for tests and reports.
    public let arm: SimulatedArm?
    public let car: SimulatedCar?
    public let drone: SimulatedDrone?

    init(host: SimulatorHost, driverLink: LinkSpec, localization: LinkSpec?, connectionLines: [String],
         arm: SimulatedArm? = nil, car: SimulatedCar? = nil, drone: SimulatedDrone? = nil) {
        self.host = host
        self.driverLink = driverLink
        self.localization = localization
        self.connectionLines = connectionLines
        self.arm = arm
        self.car = car
        self.drone = drone
    }

    public func stop() { host.stop() }
}

public enum SimulatorFactory {
    /// Builds and starts the simulator for `robot`: the robot's own protocol on a pty (or UDP for a
    /// drone), or the Reins robot protocol when the link is ZeroMQ.
    public static func start(_ robot: RobotDescription, options: SimulatorOptions = SimulatorOptions()) throws(DeviceError) -> RunningSimulator {
        let faults = FaultInjector(spec: options.faults, seed: options.seed)
        var ptyPath: String?
        switch options.link {
        case .pty(let path)?: ptyPath = path
        case .zmq(let endpoint)?: return try startRobotProtocol(robot, endpoint: endpoint, options: options, faults: faults)
        case .udpListen?, .udpSend?:
            guard robot.driver == .mavlink else {
                throw DeviceError(device: "simulated \(robot.name)", problem: "UDP carries MAVLink only",
                                  suggestion: "simulate the \(robot.kind.rawValue) on a pty (pty:PATH) or ZeroMQ (zmq:ENDPOINT)")
            }
        case .serial?, .tcp?:
            throw DeviceError(device: "simulated \(robot.name)", problem: "a simulator cannot serve on a serial port or a TCP link",
                              suggestion: "serve on pty:PATH, udp:HOST:PORT, udpout:HOST:PORT or zmq:ENDPOINT")
        case .sim?, nil: break
        }
        do {
            switch robot.driver {
            case .dynamixel, .feetech:
                let arm = SimulatedArm(description: robot)
                let bus: ServoBusSimulator = robot.driver == .dynamixel
                    ? try DynamixelBusSimulator(arm: arm, description: robot, linkPath: ptyPath, faults: faults)
                    : try FeetechBusSimulator(arm: arm, description: robot, linkPath: ptyPath, faults: faults)
                bus.backdrive = options.backdrive
                bus.hand = robot.role == .leader
                let host = SimulatorHost(frontEnd: bus, speed: options.speed, disconnectAfter: options.faults.disconnectAfterSeconds)
                host.start()
                return RunningSimulator(host: host, driverLink: .pty(path: bus.devicePath!), localization: nil,
                                        connectionLines: ["\(robot.driver.rawValue) bus: \(bus.connectionDescription)"], arm: arm)
            case .vesc:
                let car = SimulatedCar(description: robot)
                let vesc = try VESCSimulator(car: car, linkPath: ptyPath, faults: faults)
                var endpoint = "tcp://127.0.0.1:*"
                if case .zmq(let requested)? = options.localization { endpoint = requested }
                let pose = try RobotProtocolSimulator(body: LocalizationBody(car: car, name: robot.name, rateHz: 100), endpoint: endpoint,
                                                      curve: options.curve, faults: FaultInjector(spec: .none, seed: options.seed))
                let host = SimulatorHost(frontEnd: CompositeFrontEnd(primary: vesc, secondary: pose), speed: options.speed,
                                         disconnectAfter: options.faults.disconnectAfterSeconds)
                host.start()
                return RunningSimulator(host: host, driverLink: .pty(path: vesc.devicePath!), localization: .zmq(endpoint: pose.endpoint),
                                        connectionLines: ["VESC: \(vesc.connectionDescription)", "pose stream: \(pose.connectionDescription)"], car: car)
            case .mavlink:
                let drone = SimulatedDrone()
                var link: (any ByteLink)?
                var driverLink: LinkSpec
                switch options.link {
                case .udpListen(let host, let port)?:
                    let udp = try UDPLink.listen(host: host, port: port)
                    link = udp
                    driverLink = .udpSend(host: host == "0.0.0.0" ? "127.0.0.1" : host, port: udp.localPort)
                case .udpSend(let host, let port)?:
                    link = try UDPLink.send(host: host, port: port)
                    driverLink = .udpListen(host: host, port: port)
                default:
                    driverLink = .sim
                }
                let vehicle = try PX4Simulator(drone: drone, link: link, linkPath: ptyPath, telemetryRateHz: options.telemetryRateHz,
                                               signingKey: options.signingKey, faults: faults)
                if let path = vehicle.devicePath { driverLink = .pty(path: path) }
                let host = SimulatorHost(frontEnd: vehicle, speed: options.speed, disconnectAfter: options.faults.disconnectAfterSeconds)
                host.start()
                return RunningSimulator(host: host, driverLink: driverLink, localization: nil,
                                        connectionLines: ["PX4 vehicle (system 1): \(vehicle.connectionDescription)"], drone: drone)
            case .zmq:
                return try startRobotProtocol(robot, endpoint: "tcp://127.0.0.1:*", options: options, faults: faults)
            }
        } catch let error as DeviceError {
            throw error
        } catch let error as ZMQError {
            throw DeviceError(device: "simulated \(robot.name)", problem: "cannot serve ZeroMQ: \(error)")
        } catch {
            throw DeviceError(device: "simulated \(robot.name)", problem: "\(error)")
        }
    }

    private static func startRobotProtocol(_ robot: RobotDescription, endpoint: String, options: SimulatorOptions,
                                           faults: FaultInjector) throws(DeviceError) -> RunningSimulator {
        let body: any RobotProtocolBody
        var arm: SimulatedArm?, car: SimulatedCar?, drone: SimulatedDrone?
        switch robot.body {
        case .arm:
            let simulated = SimulatedArm(description: robot)
            arm = simulated
            body = ArmProtocolBody(arm: simulated, name: robot.name, rateHz: robot.controlRateHz, faults: options.faults)
        case .car:
            let simulated = SimulatedCar(description: robot)
            car = simulated
            body = CarProtocolBody(car: simulated, name: robot.name, rateHz: robot.controlRateHz)
        case .drone:
            let simulated = SimulatedDrone()
            drone = simulated
            body = DroneProtocolBody(drone: simulated, name: robot.name, rateHz: robot.controlRateHz, withYawRate: robot.action == .velocityYawRate)
        }
        do {
            let server = try RobotProtocolSimulator(body: body, endpoint: endpoint, curve: options.curve, faults: faults)
            let host = SimulatorHost(frontEnd: server, speed: options.speed, disconnectAfter: options.faults.disconnectAfterSeconds)
            host.start()
            return RunningSimulator(host: host, driverLink: .zmq(endpoint: server.endpoint), localization: nil,
                                    connectionLines: ["robot: \(server.connectionDescription)"], arm: arm, car: car, drone: drone)
        } catch {
            throw DeviceError(device: "simulated \(robot.name)", problem: "cannot serve ZeroMQ on \(endpoint): \(error)")
        }
    }
}

extension RunningSimulator: LaunchedSimulator {}

/// Reins' own simulators, for robots whose description says `link: sim`: the arm's servo bus, the
/// car's VESC and pose stream, the PX4-like drone, or any robot behind the Reins robot protocol.
public struct BuiltInSimulators: SimulatorLauncher {
    public var options: SimulatorOptions

    public init(options: SimulatorOptions = SimulatorOptions()) {
        self.options = options
    }

    public func launch(_ robot: RobotDescription) throws -> any LaunchedSimulator {
        var options = options
        // A zmq robot is simulated behind the robot protocol; the others behind their own bus.
        if robot.driver == .zmq, options.link == nil { options.link = .zmq(endpoint: "tcp://127.0.0.1:*") }
        return try SimulatorFactory.start(robot, options: options)
    }
}
