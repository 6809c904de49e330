import ReinsConfig
import ReinsCore
import ReinsProtocols
import ReinsRuntime
import ReinsSimulators
import ReinsTransport
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A way to move an operator device's input from outside, as a person would, between a low and a
/// high level: `reins bench operator` times each move through to the driver write that carries it.
protocol OperatorStimulus: AnyObject {
    /// What the bench reports the device as ("keyboard through a pty").
    var label: String { get }
    /// The device the run uses.
    var device: any OperatorDevice { get }
    /// The action entry whose applied value the move changes (the car's speed, a follower joint).
    var watchedAction: Int { get }
    /// The run has started the device: connect what needs its open end (a FIFO's writer, a
    /// station's socket) and wait until the device hears it.
    func deviceStarted() throws
    /// Moves the input to its high (or low) level.
    func press(high: Bool)
    func close()
}

/// Keys typed into a pseudo-terminal the keyboard operator reads: `w` raises the car's speed by
/// one step, `s` lowers it again.
final class KeyboardStimulus: OperatorStimulus {
    let label = "keyboard through a pty"
    let device: any OperatorDevice
    let watchedAction = 0
    private let terminal: PseudoTerminal
    private let slave: Int32

    init() throws {
        terminal = try PseudoTerminal()
        slave = open(terminal.slavePath, O_RDWR | O_NOCTTY)
        device = KeyboardOperator(fd: slave, operatorName: "bench")
    }

    func deviceStarted() throws {}

    func press(high: Bool) {
        try? terminal.master.write(Array((high ? "w" : "s").utf8), deadline: MonotonicClock.deadline(in: 0.1))
    }

    func close() {
        Glibc.close(slave)
        terminal.close()
    }
}

/// Stick events written into a FIFO the gamepad operator reads with the shipped Xbox mapping: the
/// left stick's vertical axis (the car's speed) pushed to one of two deflections, each move one
/// EV_ABS event and the EV_SYN that ends the report, as the kernel delivers them.
final class GamepadStimulus: OperatorStimulus {
    let label = "gamepad through a FIFO"
    let device: any OperatorDevice
    let watchedAction = 0
    private let folder: ScratchFolder
    private let fifo: String
    private var writer: Int32 = -1
    /// ABS_Y, up negative: about 0.7 and 1.0 m/s through the shipped mapping's deadzone and scale.
    static let speedAxis: UInt16 = 1
    static let lowDeflection: Int32 = -10_000, highDeflection: Int32 = -13_000

    init(car: RobotDescription) throws {
        folder = try ScratchFolder()
        fifo = folder.path + "/gamepad"
        guard mkfifo(fifo, 0o600) == 0 else { throw SystemError("create a FIFO at", path: fifo) }
        device = try OperatorDeviceSpec.gamepad(fifo, robot: car, option: "--device gamepad")
    }

    func deviceStarted() throws {
        // The device holds the reading end open by now, so a non-blocking writer can open.
        writer = open(fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC)
        guard writer >= 0 else { throw SystemError("open the gamepad FIFO's writing end at", path: fifo) }
    }

    func press(high: Bool) {
        let axis = LinuxInputEvent(type: LinuxInputEvent.absolute, code: Self.speedAxis, value: high ? Self.highDeflection : Self.lowDeflection)
        let report = axis.bytes + LinuxInputEvent(type: LinuxInputEvent.synchronization, code: 0, value: 0).bytes
        _ = report.withUnsafeBytes { write(writer, $0.baseAddress, $0.count) }
    }

    func close() {
        if writer >= 0 { Glibc.close(writer) }
        writer = -1
    }
}

/// An operator station on loopback, as `reins operator` is on another machine: a CURVE PUSH
/// client with its own fresh key, the only one on the robot's allow-list, sending the car's speed
/// and steering 50 times a second and at once on every move.
final class RemoteStimulus: OperatorStimulus, @unchecked Sendable {
    let label = "remote through ZeroMQ+CURVE on loopback"
    let device: any OperatorDevice
    let watchedAction = 0
    private let remote: RemoteOperator
    private let serverPublicKey: String
    private let stationKeys: CurveKeyPair
    private let context = ZMQContext()
    private let station = Mutex<Station?>(nil)
    private let stopping = AtomicFlag()
    private var heartbeat: PosixThread?
    static let lowSpeed = 0.5, highSpeed = 1.0

    /// The station's socket and what it sends, used by the heartbeat thread and `press` in turn.
    private struct Station {
        let socket: ZMQSocket
        let writer = ByteWriter(capacity: RemoteOperatorMessage.headerSize + 8 * RemoteOperatorMessage.maximumValues)
        var sequence: UInt32 = 0
        var speed = RemoteStimulus.lowSpeed

        mutating func send() {
            sequence &+= 1
            RemoteOperatorMessage.encode(RemoteOperatorMessage(sequence: sequence, mode: .absolute, buttons: 0, values: [speed, 0]), into: writer)
            _ = try? socket.send(writer.bytes, wait: false)
        }
    }

    init() throws {
        let server = try CurveKeyPair.generate()
        stationKeys = try CurveKeyPair.generate()
        serverPublicKey = server.publicKey
        // `*`: the system picks a free port when the device binds.
        remote = RemoteOperator(endpoint: "tcp://127.0.0.1:*", serverSecretKey: server.secretKey!,
                                allowed: [ZAPAuthenticator.AllowedKey(name: "bench", publicKey: stationKeys.publicKey)])
        device = remote
    }

    func deviceStarted() throws {
        let socket = try ZMQSocket(context, type: .push)
        try socket.makeCurveClient(serverPublicKey: serverPublicKey, keys: stationKeys)
        try socket.setImmediate(true)
        try socket.setHighWaterMarks(send: 4, receive: 4)
        try socket.connect(remote.boundEndpoint)
        station.withLock { $0 = Station(socket: socket) }
        // Until `close` joins it (which breaks the cycle through `self`).
        heartbeat = PosixThread { [self] in
            while !stopping.isSet {
                station.withLock { $0?.send() }
                MonotonicClock.sleep(untilNanoseconds: MonotonicClock.deadline(in: 0.02))
            }
        }
        let end = MonotonicClock.deadline(in: 5)
        while remote.counters.accepted == 0 && MonotonicClock.nowNanoseconds() < end {
            MonotonicClock.sleep(untilNanoseconds: MonotonicClock.deadline(in: 0.01))
        }
        guard remote.counters.accepted > 0 else {
            throw DeviceError(device: remote.deviceName, problem: "no message from the bench's station within 5 s (CURVE handshake on \(remote.boundEndpoint))")
        }
    }

    func press(high: Bool) {
        station.withLock {
            $0?.speed = high ? Self.highSpeed : Self.lowSpeed
            $0?.send()
        }
    }

    func close() {
        stopping.set()
        heartbeat?.join()
        heartbeat = nil
        station.withLock {
            $0?.socket.close()
            $0 = nil
        }
    }
}

/// The simulated leader arm, its hand held still by the simulator and one joint stepped by a
/// small angle and back; the follower's goal for that joint is what the bench watches.
final class LeaderStimulus: OperatorStimulus {
    let label = "leader arm through the simulator"
    let device: any OperatorDevice
    let watchedAction: Int
    private let launcher = HandHoldingLauncher()
    /// The leader joint stepped (its first) and by how much: 13 encoder counts, a few ticks' move
    /// under the follower's acceleration limit.
    static let steppedJoint = 0
    static let stepRadians = 0.02

    init(follower: RobotDescription, leaderPath: String) throws {
        let leader = try OperatorDeviceSpec.leaderArm(leaderPath, robot: follower, option: "--leader", simulators: launcher)
        watchedAction = try LeaderArmOperator.followerJoints(leader: leader.leader, follower: follower)[Self.steppedJoint]
        device = leader
    }

    func deviceStarted() throws {
        guard launcher.bus != nil else {
            throw DeviceError(device: device.deviceName, problem: "its simulator is not a servo bus whose hand the bench can hold")
        }
    }

    func press(high: Bool) {
        launcher.bus?.holdHand(joint: Self.steppedJoint, displacement: high ? Self.stepRadians : 0)
    }

    func close() {}
}

/// Starts the leader's simulator as the built-in launcher does, holds its simulated hand still
/// from the start and keeps its bus, so the bench can step a joint.
private final class HandHoldingLauncher: SimulatorLauncher {
    private let builtIn = BuiltInSimulators()
    private let launched = Mutex<ServoBusSimulator?>(nil)

    var bus: ServoBusSimulator? { launched.withLock { $0 } }

    func launch(_ robot: RobotDescription) throws -> any LaunchedSimulator {
        let simulator = try builtIn.launch(robot)
        if let bus = (simulator as? RunningSimulator)?.host.frontEnd as? ServoBusSimulator {
            bus.holdHand(joint: LeaderStimulus.steppedJoint, displacement: 0)
            launched.withLock { $0 = bus }
        }
        return simulator
    }
}
