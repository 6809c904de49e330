import Foundation
import ReinsConfig
import ReinsCore
import ReinsProtocols
import ReinsSimulators
import ReinsTestSupport
import ReinsTransport
import Testing

/// Starts `reins sim ...` and returns the process and the link its "connect with" line names.
func startSimulator(_ arguments: [String]) throws -> (SpawnedProcess, String) {
    let process = SpawnedProcess(reinsExecutable, ["sim"] + arguments, workingDirectory: packageRoot)
    let line = try #require(process.waitForLine(containing: "connect with: link: "), "reins sim did not start: \(process.standardError)")
    let link = String(line.dropFirst("connect with: link: ".count).split(separator: ",")[0])
    #expect(process.waitForLine(containing: "ready") != nil)
    return (process, link)
}

@Suite(.serialized) struct SimulatorPeerTests {
    @Test func dynamixelSDKDrivesTheSimulatedArmOverItsPty() throws {
        let (simulator, link) = try startSimulator(["arm", "--duration", "20"])
        defer { simulator.signal(SIGINT); simulator.wait(timeout: 5) }
        #expect(link.hasPrefix("pty:"))
        let client = runProcess("python3", [packageRoot + "/Tests/Peers/dynamixel_sdk_arm_client.py", String(link.dropFirst(4))])
        #expect(client.status == 0, "python3 with dynamixel_sdk is required (pip install -r Tests/requirements.txt): \(client.standardError)")
        let result = try #require(try JSONSerialization.jsonObject(with: Data(client.standardOutput.utf8)) as? [String: Any])
        #expect((result["errors"] as? [String]) == [])
        // Koch-style arm: two XL430-W250 (1060) then four XL330-M288 (1200).
        #expect(result["models"] as? [Int] == [1060, 1060, 1200, 1200, 1200, 1200])
        // [sent, status error]: allowed with torque off, refused with the access error (7) with torque on.
        #expect(result["eeprom_write_torque_off"] as? [Int] == [1, 0])
        #expect(result["eeprom_write_torque_on"] as? [Int] == [1, 7])
        let goals = try #require(result["goals"] as? [Int]), final = try #require(result["final"] as? [Int])
        let start = try #require(result["start"] as? [Int])
        for i in 0..<6 {
            // Loaded joints sag a little below their goal, as real servos do.
            #expect(abs(final[i] - goals[i]) < 30, "joint \(i + 1): goal \(goals[i]) reached \(final[i]) from \(start[i])")
        }
    }

    @Test func pymavlinkArmsTheSimulatedDroneFliesOffboardAndSeesTheFailsafe() throws {
        let (simulator, link) = try startSimulator(["drone", "--link", "udp:127.0.0.1:0", "--duration", "30"])
        defer { simulator.signal(SIGINT); simulator.wait(timeout: 5) }
        #expect(link.hasPrefix("udpout:127.0.0.1:"))
        let client = runProcess("python3", [packageRoot + "/Tests/Peers/pymavlink_drone_client.py", link])
        #expect(client.status == 0, "python3 with pymavlink is required (pip install -r Tests/requirements.txt): \(client.standardError)")
        let result = try #require(try JSONSerialization.jsonObject(with: Data(client.standardOutput.utf8)) as? [String: Any])
        #expect(result["autopilot"] as? Int == 12)
        #expect(result["offboard_before_streaming"] as? Int == 1, "offboard must be refused before set-points stream")
        #expect(result["arm"] as? Int == 0)
        #expect(result["offboard"] as? Int == 0)
        #expect(try #require(result["altitude_after_climb"] as? Double) > 1.2)
        #expect(try #require(result["north_after_cruise"] as? Double) > 1.0)
        #expect(result["mode_while_streaming"] as? Int == Int(PX4CustomMode.offboard.rawValue))
        #expect(result["mode_after_loss"] as? Int == Int(PX4CustomMode.autoLoiter.rawValue))
        #expect(result["mode_later"] as? Int == Int(PX4CustomMode.autoLand.rawValue))
    }
}

@Suite(.serialized) struct VESCSimulatorTests {
    @Test func rpmCommandsSpinTheMotorAndGetValuesReportsIt() throws {
        let robot = try RobotDescription.load(path: packageRoot + "/Robots/sim-car.yaml")
        let simulator = try SimulatorFactory.start(robot)
        defer { simulator.stop() }
        guard case .pty(let path) = simulator.driverLink else { Issue.record("expected a pty"); return }
        let vesc = try TerminalLink(path: path)
        let decoder = VESCFrameDecoder()
        func request(_ command: VESCCommand) throws { try vesc.write(try VESCFraming.frame(command), deadline: MonotonicClock.nowNanoseconds() + 100_000_000) }
        func values() throws -> VESCValues? {
            try request(.requestValues)
            let end = MonotonicClock.nowNanoseconds() + 500_000_000
            var buffer = [UInt8](repeating: 0, count: 512)
            while MonotonicClock.nowNanoseconds() < end {
                let n = try buffer.withUnsafeMutableBytes { try vesc.read(into: $0, deadline: end) }
                decoder.feed(Array(buffer[0..<n]))
                while let frame = decoder.next() {
                    if let reply = try? VESCValues(replyPayload: frame.payload) { return reply }
                }
            }
            return nil
        }
        // 4614 ERPM is 1 m/s with the F1TENTH calibration; the motor lags, so keep commanding.
        for _ in 0..<40 {
            try request(.setElectricalRPM(4614))
            usleep(20_000)
        }
        let spinning = try #require(try values())
        #expect(abs((spinning.electricalRPM ?? 0) - 4614) < 150)
        #expect(spinning.inputVoltage ?? 0 > 15)
        #expect(spinning.tachometer ?? 0 > 0)
        #expect((simulator.car?.body.speed ?? 0) > 0.9)
        // Silence for more than the firmware timeout releases the motor: the car coasts down.
        usleep(1_600_000)
        let released = try #require(try values())
        #expect((released.electricalRPM ?? 9999) < 4614 * 0.8)
    }
}

@Suite struct FaultInjectionTests {
    @Test func faultSpecParsesEveryKeyAndExplainsMistakes() throws {
        let spec = try FaultSpec.parse("drop=0.1,corrupt=0.01,delay=5ms,jitter=250us,disconnect=2s,noise=0.01,bias=-0.02,stuck=2")
        #expect(spec.dropProbability == 0.1 && spec.corruptProbability == 0.01)
        #expect(abs(spec.delaySeconds - 0.005) < 1e-12 && abs(spec.jitterSeconds - 0.00025) < 1e-12)
        #expect(spec.disconnectAfterSeconds == 2 && spec.sensorNoise == 0.01 && spec.sensorBias == -0.02 && spec.stuckComponent == 2)
        #expect(throws: FaultSpec.ParseError.self) { try FaultSpec.parse("dorp=0.1") }
        do { _ = try FaultSpec.parse("drop=2") } catch { #expect(error.description == "--faults `drop=2`: a probability is between 0 and 1") }
    }

    @Test func theSameSeedGivesTheSameFaults() {
        func run(_ seed: UInt64) -> [Bool] {
            var injector = FaultInjector(spec: try! FaultSpec.parse("drop=0.3,noise=0.1"), seed: seed)
            return (0..<200).map { _ in injector.dropMessage() }
        }
        #expect(run(5) == run(5))
        #expect(run(5) != run(6))
        let drops = run(5).filter { $0 }.count
        #expect(drops > 30 && drops < 90)
    }

    @Test func disconnectFaultClosesTheDevice() throws {
        let robot = try RobotDescription.load(path: packageRoot + "/Robots/sim-arm.yaml")
        var options = SimulatorOptions()
        options.faults = try FaultSpec.parse("disconnect=0.3s")
        let simulator = try SimulatorFactory.start(robot, options: options)
        defer { simulator.stop() }
        guard case .pty(let path) = simulator.driverLink else { Issue.record("expected a pty"); return }
        let link = try TerminalLink(path: path)
        var buffer = [UInt8](repeating: 0, count: 64)
        #expect(throws: LinkError.disconnected) {
            let end = MonotonicClock.nowNanoseconds() + 3_000_000_000
            while MonotonicClock.nowNanoseconds() < end {
                _ = try buffer.withUnsafeMutableBytes { try link.read(into: $0, deadline: end) }
            }
        }
    }

    @Test func droppedRepliesAndStuckJointAreDeterministic() throws {
        let robot = try RobotDescription.load(path: packageRoot + "/Robots/sim-arm.yaml")
        var options = SimulatorOptions()
        options.faults = try FaultSpec.parse("stuck=1")
        let simulator = try SimulatorFactory.start(robot, options: options)
        defer { simulator.stop() }
        #expect(simulator.arm?.joints[1].stuck == true)
        #expect(simulator.arm?.joints[0].stuck == false)
    }
}
