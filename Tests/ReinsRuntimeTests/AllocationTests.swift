import MallocInterposerSwift
import ReinsConfig
import ReinsDrivers
import ReinsPolicy
import ReinsTasks
import ReinsTestSupport
import ReinsCore
import ReinsRuntime
import ReinsSimulators
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Counts heap allocations made on one thread while the interposer is hooked.
///
/// How it works: the malloc-interposer library is linked into the test binary ahead of libc, so its
/// malloc/calloc/realloc/posix_memalign replace libc's for the whole process. Its allocation hook
/// runs on the allocating thread; the hook compares `pthread_self()` with the thread under test.
enum LoopThreadAllocations {
    static let watchedThread = Atomic<UInt>(0)
    static let count = Atomic<Int>(0)
    static let lastSize = Atomic<Int>(0)
    static let atTick = Atomic<Int>(0)
    static let currentTick = Atomic<Int>(-1)

    static func measure(_ body: () -> Void) -> Int {
        count.store(0, ordering: .relaxed)
        watchedThread.store(0, ordering: .relaxed)
        defer { watchedThread.store(0, ordering: .relaxed) }
        MallocInterposerSwift.initialize()
        MallocInterposerSwift.setAllocationHook { size in
            if UInt(pthread_self()) == LoopThreadAllocations.watchedThread.load(ordering: .relaxed) {
                LoopThreadAllocations.count.add(1, ordering: .relaxed)
                LoopThreadAllocations.lastSize.store(size, ordering: .relaxed)
                LoopThreadAllocations.atTick.store(LoopThreadAllocations.currentTick.load(ordering: .relaxed), ordering: .relaxed)
            }
        }
        MallocInterposerSwift.hook()
        body()
        MallocInterposerSwift.unhook()
        MallocInterposerSwift.setAllocationHook(nil)
        return count.load(ordering: .relaxed)
    }
}

/// A tick that allocates only when asked, to prove the measurement can see an allocation.
final class AllocationProbeTask: ControlTask {
    let ticks: UInt64
    let allocateEveryTick: Bool
    var sink: [Int] = []
    var warmTicks: UInt64 = 0

    init(ticks: UInt64, allocateEveryTick: Bool) {
        self.ticks = ticks
        self.allocateEveryTick = allocateEveryTick
    }

    func loopWillStart() {
        // Allocation is allowed before the first tick; the watch starts with the ticks.
        LoopThreadAllocations.watchedThread.store(UInt(pthread_self()), ordering: .relaxed)
    }

    func loopDidStop(_ reason: LoopStopReason) {
        // The loop thread ends after this; a later thread may get its pthread id, so stop watching.
        LoopThreadAllocations.watchedThread.store(0, ordering: .relaxed)
    }

    func tick(_ clock: inout TickClock) -> TickOutcome {
        LoopThreadAllocations.currentTick.store(Int(clock.tick), ordering: .relaxed)
        if allocateEveryTick {
            sink = Array(repeating: Int(clock.tick), count: 16)
        }
        clock.markPhase()
        clock.markPhase()
        return clock.tick + 1 >= ticks ? .finished : .proceed
    }
}

@Suite(.serialized) struct AllocationTests {
    @Test func theLoopAndItsTimingPathMakeNoHeapAllocationPerTick() {
        let task = AllocationProbeTask(ticks: 2000, allocateEveryTick: false)
        let loop = ControlLoop(configuration: LoopConfiguration(rateHz: 2000, realtime: .none, phaseNames: ["a", "b"]), task: task)
        let allocations = LoopThreadAllocations.measure { _ = loop.run() }
        #expect(loop.statistics.snapshot().ticks == 2000)
        #expect(allocations == 0, "size \(LoopThreadAllocations.lastSize.load(ordering: .relaxed)) at tick \(LoopThreadAllocations.atTick.load(ordering: .relaxed))")
    }

    @Test func theMeasurementSeesATickThatAllocates() {
        let task = AllocationProbeTask(ticks: 200, allocateEveryTick: true)
        let loop = ControlLoop(configuration: LoopConfiguration(rateHz: 2000, realtime: .none), task: task)
        let allocations = LoopThreadAllocations.measure { _ = loop.run() }
        #expect(allocations >= 200)
    }
}

/// The whole deploy tick — driver read over the pty, observation, policy with K = 8 probes,
/// monitor, corrector, safety filter, driver write — on the simulated arm. In the same serialized
/// suite as the loop's tests: they share the process-wide allocation hook.
extension AllocationTests {
    static func linearArmPolicy() throws -> PolicyNetwork {
        // goal = position + 0.5·(offset to the target) as a ReLU network: relu(x) − relu(−x) = x.
        let n = 6, inputs = 12
        var first = [Double](repeating: 0, count: 2 * inputs * inputs)
        for i in 0..<inputs {
            first[i * inputs + i] = 1
            first[(inputs + i) * inputs + i] = -1
        }
        var second = [Double](repeating: 0, count: n * 2 * inputs)
        for j in 0..<n {
            for (column, weight) in [(j, 1.0), (6 + j, 0.5)] {
                second[j * 2 * inputs + column] = weight
                second[j * 2 * inputs + inputs + column] = -weight
            }
        }
        return try PolicyNetwork(layers: [
            DenseLayer(name: "net.0", inputs: inputs, outputs: 2 * inputs, weights: first, bias: [Double](repeating: 0, count: 2 * inputs)),
            DenseLayer(name: "net.2", inputs: 2 * inputs, outputs: n, weights: second, bias: [Double](repeating: 0, count: n)),
        ])
    }

    @Test func aDeployTickMakesNoHeapAllocation() throws {
        var robot = try RobotDescription.load(path: packageRoot + "/Robots/sim-arm.yaml")
        robot.safety.watchdogTimeout = 1
        // A workspace wall the reach targets run into, so the filter's bisection runs in the loop too.
        robot.workspace = ArmWorkspace(
            chain: [.init(joint: 0, xyz: .zero, axis: SIMD3(0, 0, 1)), .init(joint: 1, xyz: SIMD3(0.3, 0, 0), axis: SIMD3(0, 0, 1))],
            tool: SIMD3(0.2, 0, 0), x: -1...1, y: -0.02...0.02, z: -1...1)
        let session = try RobotSession(robot)
        defer { session.close() }
        try session.activate()
        let network = try Self.linearArmPolicy()
        let pipeline = ControlPipeline(session: session, source: PolicySource(network: network, robot: robot), task: TaskFactory.make(for: robot),
                                       recorder: nil, seed: 1)
        pipeline.tickLimit = 400
        pipeline.warmUp()
        let loop = ControlLoop(configuration: LoopConfiguration(rateHz: 200, realtime: .none, maxConsecutiveOverruns: 1000,
                                                                phaseNames: ControlPipeline.phaseNames), task: WatchedTask(pipeline))
        let allocations = LoopThreadAllocations.measure { _ = loop.run() }
        #expect(pipeline.fault == nil)
        #expect(pipeline.totals.ticks == 400)
        #expect(pipeline.safety.count(of: .workspace) > 0)
        #expect(allocations == 0, "size \(LoopThreadAllocations.lastSize.load(ordering: .relaxed)) at tick \(LoopThreadAllocations.atTick.load(ordering: .relaxed))")
    }
}

/// The ticks that catch a seized joint: the driver's tracking check, and (with that check made
/// lenient) the servo's overload alert, for which the Dynamixel driver reads Hardware Error Status
/// inside the tick. A fault tick is still a tick.
extension AllocationTests {
    @Test(arguments: [false, true])
    func theTickThatCatchesASeizedJointMakesNoHeapAllocation(servoTrips: Bool) throws {
        var robot = try RobotDescription.load(path: packageRoot + "/Robots/sim-arm.yaml")
        robot.safety.watchdogTimeout = 1
        if servoTrips { robot.safety.trackingErrorSeconds = 30 }
        var options = SimulatorOptions()
        options.faults = try FaultSpec.parse("stuck=2")
        let session = try RobotSession(robot, simulatorOptions: options)
        defer { session.close() }
        try session.activate()
        let elbowMove = (0..<400).map { i in [0, 0, 0.5 * min(1, Double(i) / 20), 0, 0, 0] }
        let task = ControlPipeline(session: session, source: TrajectorySource(Trajectory(actions: elbowMove), robot: robot),
                                   task: TaskFactory.make(for: robot), recorder: nil, seed: 1)
        task.judgesEpisodes = false
        task.warmUp()
        let loop = ControlLoop(configuration: LoopConfiguration(rateHz: robot.controlRateHz, realtime: .none, maxConsecutiveOverruns: 1000,
                                                                phaseNames: ControlPipeline.phaseNames), task: WatchedTask(task))
        let allocations = LoopThreadAllocations.measure { _ = loop.run() }
        if servoTrips {
            #expect(task.fault == .driver(.hardwareError(id: 3, code: 0x20)))
        } else if case .driver(.trackingError(let joint, _))? = task.fault {
            #expect(joint == 2)
        } else {
            Issue.record("expected a tracking error, got \(String(describing: task.fault))")
        }
        #expect(allocations == 0, "size \(LoopThreadAllocations.lastSize.load(ordering: .relaxed)) at tick \(LoopThreadAllocations.atTick.load(ordering: .relaxed))")
    }
}

/// Watches the loop thread from its first tick on (allocation is allowed before it).
final class WatchedTask: ControlTask {
    let inner: any ControlTask
    init(_ inner: any ControlTask) { self.inner = inner }
    func loopWillStart() {
        inner.loopWillStart()
        LoopThreadAllocations.watchedThread.store(UInt(pthread_self()), ordering: .relaxed)
    }
    func tick(_ clock: inout TickClock) -> TickOutcome {
        LoopThreadAllocations.currentTick.store(Int(clock.tick), ordering: .relaxed)
        return inner.tick(&clock)
    }
    func loopDidStop(_ reason: LoopStopReason) {
        // The safe stop may allocate: it is not part of a tick.
        LoopThreadAllocations.watchedThread.store(0, ordering: .relaxed)
        inner.loopDidStop(reason)
    }
}

/// A car's and a drone's tick — observation from the typed state and the task's track or waypoint,
/// the scripted expert, the safety filter with the drone's altitude band and geofence, the task's
/// judgement and status headline — against an in-memory robot.
extension AllocationTests {
    @Test(arguments: ["sim-car", "sim-drone"])
    func aCarOrDroneTickMakesNoHeapAllocation(_ name: String) throws {
        let robot = try RobotDescription.load(path: packageRoot + "/Robots/\(name).yaml")
        let driver = InMemoryRobot(robot: robot)
        // The car on the track's start line; the drone hovering 2 m up, 1 m north of home (its
        // waypoints are drawn near home).
        if case .car = robot.body {
            let start = Track.oval.points[0]
            driver.measure(.pose, [start.x, start.y, 0])
        } else {
            driver.measure(.position, [1, 0, -2])
        }
        let session = try RobotSession(robot, driver: driver)
        let task = TaskFactory.make(for: robot)
        let pipeline = ControlPipeline(session: session, source: ExpertSource(ExpertFactory.make(for: robot, task: task), noise: 0, seed: 1),
                                       task: task, recorder: nil, seed: 1)
        pipeline.tickLimit = 300
        pipeline.warmUp()
        let loop = ControlLoop(configuration: LoopConfiguration(rateHz: 1000, realtime: .none, maxConsecutiveOverruns: 1000,
                                                                phaseNames: ControlPipeline.phaseNames), task: WatchedTask(pipeline))
        let allocations = LoopThreadAllocations.measure { _ = loop.run() }
        #expect(pipeline.fault == nil)
        #expect(pipeline.totals.ticks == 300 && driver.writes >= 300)
        var snapshot = StatusSnapshot()
        pipeline.status.drain { snapshot = $0 }
        #expect(snapshot.headline.isFinite)
        #expect(allocations == 0, "size \(LoopThreadAllocations.lastSize.load(ordering: .relaxed)) at tick \(LoopThreadAllocations.atTick.load(ordering: .relaxed))")
    }
}

/// The Feetech arm's tick (the same deploy tick as above, on the STS bus) and a leader arm's read
/// (what an operator device makes every tick), on both buses.
extension AllocationTests {
    @Test func aFeetechArmTickMakesNoHeapAllocation() throws {
        var robot = try RobotDescription.load(path: packageRoot + "/Robots/sim-so101-arm.yaml")
        robot.safety.watchdogTimeout = 1
        let session = try RobotSession(robot)
        defer { session.close() }
        try session.activate()
        let pipeline = ControlPipeline(session: session, source: PolicySource(network: try Self.linearArmPolicy(), robot: robot),
                                       task: TaskFactory.make(for: robot), recorder: nil, seed: 1)
        pipeline.tickLimit = 300
        pipeline.warmUp()
        let loop = ControlLoop(configuration: LoopConfiguration(rateHz: 100, realtime: .none, maxConsecutiveOverruns: 1000,
                                                                phaseNames: ControlPipeline.phaseNames), task: WatchedTask(pipeline))
        let allocations = LoopThreadAllocations.measure { _ = loop.run() }
        #expect(pipeline.fault == nil)
        #expect(pipeline.totals.ticks == 300)
        #expect(allocations == 0, "size \(LoopThreadAllocations.lastSize.load(ordering: .relaxed)) at tick \(LoopThreadAllocations.atTick.load(ordering: .relaxed))")
    }

    @Test(arguments: ["sim-arm", "sim-so101-arm"])
    func aLeaderArmReadMakesNoHeapAllocation(_ name: String) throws {
        let robot = try RobotDescription.load(path: packageRoot + "/Robots/\(name).yaml")
        var options = SimulatorOptions()
        options.backdrive = true
        let simulator = try SimulatorFactory.start(robot, options: options)
        defer { simulator.stop() }
        let leader = LeaderArm(robot: robot, link: simulator.driverLink)
        try leader.connect()
        defer { leader.disconnect() }
        let task = LeaderReadTask(leader, ticks: 300)
        let loop = ControlLoop(configuration: LoopConfiguration(rateHz: 100, realtime: .none, maxConsecutiveOverruns: 1000), task: task)
        let allocations = LoopThreadAllocations.measure { _ = loop.run() }
        #expect(task.freshReads > 250, "\(name): \(task.freshReads) fresh reads of 300")
        #expect(allocations == 0, "size \(LoopThreadAllocations.lastSize.load(ordering: .relaxed)) at tick \(LoopThreadAllocations.atTick.load(ordering: .relaxed))")
    }
}

/// Reads a leader arm every tick, as an operator device does, watching the loop thread.
final class LeaderReadTask: ControlTask {
    let leader: LeaderArm
    let ticks: UInt64
    private let positions: UnsafeMutableBufferPointer<Double>
    private(set) var freshReads = 0

    init(_ leader: LeaderArm, ticks: UInt64) {
        self.leader = leader
        self.ticks = ticks
        positions = .allocate(capacity: leader.jointNames.count)
    }

    deinit { positions.deallocate() }

    func loopWillStart() {
        LoopThreadAllocations.watchedThread.store(UInt(pthread_self()), ordering: .relaxed)
    }

    func tick(_ clock: inout TickClock) -> TickOutcome {
        LoopThreadAllocations.currentTick.store(Int(clock.tick), ordering: .relaxed)
        if leader.read(into: positions, deadline: clock.nextDeadline) == .fresh { freshReads += 1 }
        return clock.tick + 1 >= ticks ? .finished : .proceed
    }

    func loopDidStop(_ reason: LoopStopReason) {
        LoopThreadAllocations.watchedThread.store(0, ordering: .relaxed)
    }
}

/// A person's device on its own thread, pressing takeover, recovered and hand-back in turn.
final class CyclingOperator: OperatorDevice, @unchecked Sendable {
    let deviceName = "cycling test device"
    let operatorNames = ["tester"]
    private let channel = OperatorChannel()
    private let stopping = AtomicFlag()
    private var thread: PosixThread?
    private let pose: [Double]

    init(pose: [Double]) { self.pose = pose }

    func start(robot: RobotDescription, follower: UnsafeBufferPointer<Double>) throws(DeviceError) {
        let channel = self.channel, stopping = self.stopping, pose = self.pose
        thread = PosixThread {
            var count = 0
            while !stopping.isSet {
                var command = OperatorCommand()
                command.count = UInt8(pose.count)
                for i in 0..<pose.count { command[i] = pose[i] + 0.05 * sin(Double(count) / 50) }
                let phase = count % 150
                command.buttons = phase == 10 ? .takeover : phase == 60 ? .recovered : phase == 110 ? .handback : []
                command.timestamp = MonotonicClock.nowNanoseconds()
                channel.publish(command)
                count += 1
                MonotonicClock.sleep(untilNanoseconds: MonotonicClock.deadline(in: 0.002))
            }
        }
    }

    func poll(_ view: OperatorView, into command: inout OperatorCommand) -> Bool {
        channel.latest(into: &command)
    }

    func stop() {
        stopping.set()
        thread?.join()
    }
}

/// A tick with an operator attached: the arbiter, the shadow policy, the device's ring, the
/// scripted operator's judgement and recovery.
extension AllocationTests {
    @Test(arguments: [false, true])
    func aTickWithAnOperatorAttachedMakesNoHeapAllocation(scripted: Bool) throws {
        var robot = try RobotDescription.load(path: packageRoot + "/Robots/sim-arm.yaml")
        robot.safety.watchdogTimeout = 1
        let session = try RobotSession(robot)
        defer { session.close() }
        try session.activate()
        let task = TaskFactory.make(for: robot)
        // The scripted operator needs a policy that stalls: one that always asks for the rest pose.
        let network = try scripted ? Self.stallingArmPolicy() : Self.linearArmPolicy()
        let device: any OperatorDevice = scripted ? ScriptedOperator(robot: robot, task: task, seed: 3) : CyclingOperator(pose: [0.1, -0.2, 0.3, 0, 0.2, 0.1])
        try device.start(robot: robot, follower: UnsafeBufferPointer(session.state.values))
        defer { device.stop() }
        let arbiter = InterventionArbiter(policy: PolicySource(network: network, robot: robot), device: device, robot: robot,
                                          rateHz: robot.controlRateHz, resumeAfterCorrection: true)
        let pipeline = ControlPipeline(session: session, source: arbiter, task: task, recorder: nil, seed: 1)
        pipeline.tickLimit = scripted ? 900 : 500
        pipeline.warmUp()
        let loop = ControlLoop(configuration: LoopConfiguration(rateHz: 250, realtime: .none, maxConsecutiveOverruns: 1000,
                                                                phaseNames: ControlPipeline.phaseNames), task: WatchedTask(pipeline))
        let allocations = LoopThreadAllocations.measure { _ = loop.run() }
        #expect(pipeline.fault == nil)
        #expect(pipeline.totals.takeoverCount > 0 && pipeline.totals.humanTicks > 0 && pipeline.totals.handbacks > 0,
                "takeovers \(pipeline.totals.takeoverCount), human \(pipeline.totals.humanTicks), hand-backs \(pipeline.totals.handbacks)")
        #expect(allocations == 0, "size \(LoopThreadAllocations.lastSize.load(ordering: .relaxed)) at tick \(LoopThreadAllocations.atTick.load(ordering: .relaxed))")
    }

    /// Teleoperation by the simulated leader arm: each tick reads the leader's bus in the operator
    /// source's poll, smooths it and sends it through the safety filter.
    @Test func aTeleoperatedTickReadingALeaderArmMakesNoHeapAllocation() throws {
        var robot = try RobotDescription.load(path: packageRoot + "/Robots/sim-arm.yaml")
        robot.safety.watchdogTimeout = 1
        let session = try RobotSession(robot)
        defer { session.close() }
        try session.activate()
        // A loaded machine may keep the leader's simulator from answering for longer than 50 ms.
        var leader = try RobotDescription.load(path: packageRoot + "/Robots/sim-leader.yaml")
        leader.safety.watchdogTimeout = 1
        let device = LeaderArmOperator(leader: leader, simulators: BuiltInSimulators())
        _ = session.driver.read(into: session.state, deadline: MonotonicClock.deadline(in: 0.1))
        try device.start(robot: robot, follower: UnsafeBufferPointer(session.state.values))
        defer { device.stop() }
        let source = OperatorSource(device: device, robot: robot, rateHz: robot.controlRateHz, waitsForStart: false)
        let pipeline = ControlPipeline(session: session, source: source, task: TaskFactory.make(for: robot), recorder: nil, seed: 1)
        pipeline.tickLimit = 300
        pipeline.warmUp()
        let loop = ControlLoop(configuration: LoopConfiguration(rateHz: robot.controlRateHz, realtime: .none, maxConsecutiveOverruns: 1000,
                                                                phaseNames: ControlPipeline.phaseNames), task: WatchedTask(pipeline))
        let allocations = LoopThreadAllocations.measure { _ = loop.run() }
        #expect(pipeline.fault == nil)
        #expect(device.failure == nil, "\(device.failure ?? "")")
        #expect(pipeline.totals.humanTicks > 0 && pipeline.totals.operatorLost == 0,
                "human \(pipeline.totals.humanTicks), operator lost \(pipeline.totals.operatorLost)")
        #expect(allocations == 0, "size \(LoopThreadAllocations.lastSize.load(ordering: .relaxed)) at tick \(LoopThreadAllocations.atTick.load(ordering: .relaxed))")
    }

    /// goal = 0 for every joint whatever it sees: the arm parks and the reach never improves.
    static func stallingArmPolicy() throws -> PolicyNetwork {
        try PolicyNetwork(layers: [
            DenseLayer(name: "net.0", inputs: 12, outputs: 6, weights: [Double](repeating: 0, count: 72), bias: [Double](repeating: 0, count: 6)),
        ])
    }
}
