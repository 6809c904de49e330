import Foundation
import ReinsConfig
import ReinsCore
import ReinsDrivers
import ReinsSimulators
import ReinsTestSupport
import Testing

/// A leader arm on the simulated Dynamixel and Feetech buses, moved by the simulator's operator (the
/// one `reins calibrate` uses for `link: sim`, which holds every joint whose torque goes off still
/// for a second, then sweeps it from where it is to one end stop, across to the other and back,
/// 1.5 s a leg).
@Suite(.serialized) struct LeaderArmTests {
    /// The simulated arm with a leader's own calibration: every other joint mounted the other way,
    /// all of them off centre, so a reading that skipped the calibration would not pass.
    static func leaderDescription(_ name: String) throws -> RobotDescription {
        var robot = try loadRobot(name)
        guard case .arm(var calibration) = robot.calibration else { throw DeviceError(device: name, problem: "not an arm") }
        for index in calibration.joints.indices {
            calibration.joints[index].calibration.direction = index % 2 == 0 ? -1 : 1
            calibration.joints[index].calibration.homingOffset = 100 * index - 250
        }
        robot.calibration = .arm(calibration)
        return robot
    }

    /// The simulator's servo reports a joint angle as encoder ticks around the 2048 centre.
    static func simulatedTicks(_ angle: Double) -> Int {
        Int((angle * 4096 / (2 * Double.pi)).rounded()) + 2048
    }

    static func operatorSimulator(_ name: String) throws -> RunningSimulator {
        var options = SimulatorOptions()
        options.backdrive = true
        return try SimulatorFactory.start(try loadRobot(name), options: options)
    }

    @Test(arguments: ["sim-arm", "sim-so101-arm"])
    func aLeaderArmReadsTheJointsAnOperatorMovesThroughItsOwnCalibrationWithTorqueOff(_ name: String) throws {
        let simulator = try Self.operatorSimulator(name)
        defer { simulator.stop() }
        let arm = try #require(simulator.arm)
        let robot = try Self.leaderDescription(name)
        guard case .arm(let calibration) = robot.calibration else { return }
        let joints = calibration.joints.map(\.calibration)
        let leader = LeaderArm(robot: robot, link: simulator.driverLink)
        try leader.connect()
        defer { leader.disconnect() }
        #expect(leader.jointNames == calibration.joints.map(\.name))

        let positions = UnsafeMutableBufferPointer<Double>.allocate(capacity: joints.count)
        defer { positions.deallocate() }
        var lowest = [Double](repeating: .infinity, count: joints.count)
        var highest = [Double](repeating: -.infinity, count: joints.count)
        var fresh = 0
        // Until the operator has taken every joint across from one end stop to the other: the second
        // leg of each 4.5 s round of the sweep (simulated time; the sweep started with the simulator,
        // after its one-second hold).
        let host = simulator.host
        let hold = 1.0
        let crossing = hold + 1.5 + 4.5 * (max(0, host.simulatedTime - hold - 1.5) / 4.5).rounded(.up)
        while host.simulatedTime < crossing + 1.6 {
            let before = arm.joints.map(\.position)
            let outcome = leader.read(into: positions, deadline: MonotonicClock.deadline(in: 0.02))
            let after = arm.joints.map(\.position)
            #expect(arm.joints.allSatisfy { !$0.torqueEnabled }, "\(name): a servo's torque is on")
            guard outcome == .fresh else {
                #expect(outcome == .stale, "\(name): \(outcome)")
                continue
            }
            fresh += 1
            for i in joints.indices {
                // The servo reported the joint somewhere between the two looks at the simulated arm
                // (one tick and one simulation step of motion either side).
                let a = joints[i].angle(ticks: Self.simulatedTicks(before[i]))
                let b = joints[i].angle(ticks: Self.simulatedTicks(after[i]))
                #expect(positions[i] >= min(a, b) - 0.01 && positions[i] <= max(a, b) + 0.01,
                        "\(name) joint \(i): read \(positions[i]) rad, the simulated joint was at \(a)...\(b)")
                lowest[i] = min(lowest[i], positions[i])
                highest[i] = max(highest[i], positions[i])
            }
            usleep(5_000)
        }
        #expect(fresh > 100, "\(name): \(fresh) fresh reads")
        for i in joints.indices {
            // The operator took the joint (nearly) from end stop to end stop, and the leader saw it.
            let stops = arm.joints[i].parameters.hardLimits
            let swept = abs(joints[i].angle(ticks: Self.simulatedTicks(stops.upperBound)) - joints[i].angle(ticks: Self.simulatedTicks(stops.lowerBound)))
            #expect(highest[i] - lowest[i] > 0.9 * swept, "\(name) joint \(i): read \(lowest[i])...\(highest[i]), swept \(swept) rad")
        }
        #expect(arm.joints.allSatisfy { !$0.torqueEnabled })
    }

    @Test(arguments: ["sim-arm", "sim-so101-arm"])
    func connectingALeaderSwitchesOffTheTorqueAFollowerLeftOn(_ name: String) throws {
        let simulator = try Self.operatorSimulator(name)
        defer { simulator.stop() }
        let arm = try #require(simulator.arm)
        // A driver that switches torque on and goes away without switching it off again.
        let follower = ArmDriver(robot: try loadRobot(name), link: simulator.driverLink)
        try follower.connect()
        try follower.configure()
        try follower.activate()
        follower.disconnect()
        usleep(50_000)
        #expect(arm.joints.allSatisfy { $0.torqueEnabled }, "\(name): the follower's torque is not on")
        let held = arm.joints.map(\.position)
        usleep(300_000)
        // A loaded joint sags a little under its own position loop; the operator would have moved it radians.
        #expect(zip(held, arm.joints.map(\.position)).allSatisfy { abs($0 - $1) < 0.05 }, "\(name): the operator moved joints under torque")

        let leader = LeaderArm(robot: try Self.leaderDescription(name), link: simulator.driverLink)
        try leader.connect()
        defer { leader.disconnect() }
        usleep(50_000)
        #expect(arm.joints.allSatisfy { !$0.torqueEnabled }, "\(name): torque still on after the leader connected")
        // Free to move by hand again: the operator sweeps the joints and the leader reads them moving.
        let positions = UnsafeMutableBufferPointer<Double>.allocate(capacity: arm.joints.count)
        defer { positions.deallocate() }
        var first: [Double]?
        var moved = 0.0
        // The operator holds the joints still for a second after the torque goes off, then sweeps.
        let end = MonotonicClock.deadline(in: 2.0)
        while MonotonicClock.nowNanoseconds() < end {
            if leader.read(into: positions, deadline: MonotonicClock.deadline(in: 0.02)) == .fresh {
                if first == nil { first = Array(positions) }
                if let first { moved = max(moved, abs(positions[0] - first[0])) }
            }
            usleep(10_000)
        }
        #expect(moved > 0.5, "\(name): shoulder_pan moved \(moved) rad under the leader")
        #expect(arm.joints.allSatisfy { !$0.torqueEnabled })
    }

    @Test func aLeaderOnABusThatDoesNotAnswerSaysSo() throws {
        // A Feetech bus answers nothing a Dynamixel leader says, like servos at another baud rate.
        let simulator = try SimulatorFactory.start(try loadRobot("sim-so101-arm"))
        defer { simulator.stop() }
        let leader = LeaderArm(robot: try loadRobot("sim-arm"), link: simulator.driverLink)
        defer { leader.disconnect() }
        do {
            try leader.connect()
            Issue.record("expected an error")
        } catch {
            #expect(error.problem == "no servo answers PING (10 tries each within 300 ms)")
            #expect(error.suggestion?.contains("baud rate") == true)
        }
    }
}
