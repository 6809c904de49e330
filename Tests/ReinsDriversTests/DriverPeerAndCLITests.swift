import Foundation
import ReinsConfig
import ReinsCore
import ReinsDrivers
import ReinsRecording
import ReinsRuntime
import ReinsSimulators
import ReinsTestSupport
import Testing

@Suite(.serialized) struct DroneDriverAgainstPymavlinkTests {
    @Test func droneDriverFliesAVehicleScriptedWithPymavlink() throws {
        // A free UDP port for the vehicle.
        let probe = freeUDPPort()
        let vehicle = SpawnedProcess("python3", [packageRoot + "/Tests/Peers/pymavlink_vehicle.py", String(probe), "25"])
        defer { vehicle.wait(timeout: 30) }
        #expect(vehicle.waitForLine(containing: "listening") != nil, "python3 with pymavlink is required: \(vehicle.standardError)")
        var robot = try loadRobot("sim-drone")
        robot.link = .udpSend(host: "127.0.0.1", port: probe)
        let session = try RobotSession(robot)
        try session.activate()
        let task = replayPipeline(session, Array(repeating: [0.5, 0.25, 0], count: 100)).pipeline
        let loop = ControlLoop(configuration: LoopConfiguration(rateHz: robot.controlRateHz, realtime: .none), task: task)
        #expect(loop.run() == .finished)
        #expect(task.fault == nil)
        #expect(abs(session.state["velocity.north"]! - 0.5) < 1e-6)
        #expect(session.state["position.north"]! > 0.7)
        session.close()
        vehicle.signal(SIGTERM)
        vehicle.wait(timeout: 5)
    }
}

/// pymavlink vehicles that do not do what the driver asks at configure.
@Suite(.serialized) struct DroneTelemetryRateTests {
    static let vehicleScript = packageRoot + "/Tests/Peers/pymavlink_vehicle.py"

    /// Starts the pymavlink vehicle with `options` and returns it with a driver connected to it.
    func vehicle(_ options: [String]) throws -> (SpawnedProcess, MAVLinkDroneDriver) {
        let port = freeUDPPort()
        let vehicle = SpawnedProcess("python3", [Self.vehicleScript, String(port), "20"] + options)
        #expect(vehicle.waitForLine(containing: "listening") != nil, "python3 with pymavlink is required: \(vehicle.standardError)")
        var robot = try loadRobot("sim-drone")
        robot.link = .udpSend(host: "127.0.0.1", port: port)
        let driver = try MAVLinkDroneDriver(robot: robot, link: robot.link)
        try driver.connect()
        return (vehicle, driver)
    }

    @Test(arguments: [(2, "DENIED"), (3, "UNSUPPORTED"), (4, "FAILED")])
    func aRefusedRateRequestIsAWarningWithTheRateObserved(_ result: Int, _ name: String) throws {
        let (vehicle, driver) = try vehicle(["--interval-result", String(result), "--telemetry-hz", "20"])
        defer {
            driver.disconnect()
            vehicle.signal(SIGTERM)
            vehicle.wait(timeout: 5)
        }
        try driver.configure()
        // Counted over a second: 20 Hz, less when a busy machine slows the Python loop, never the 50 Hz asked for.
        let rates = driver.observedTelemetryRateHz
        #expect(rates.position > 10 && rates.position < 23, "\(rates)")
        #expect(rates.attitude > 10 && rates.attitude < 23, "\(rates)")
        let warnings = driver.health.configurationWarnings
        #expect(warnings.count == 2, "\(warnings)")
        let position = try #require(warnings.first)
        #expect(position.hasPrefix("the vehicle refused SET_MESSAGE_INTERVAL for LOCAL_POSITION_NED (MAV_RESULT \(result) (\(name))); it streams LOCAL_POSITION_NED at "),
                "\(position)")
        #expect(position.hasSuffix(" Hz, below the 50 Hz control rate"), "\(position)")
        #expect(warnings.last?.hasPrefix("the vehicle refused SET_MESSAGE_INTERVAL for ATTITUDE (MAV_RESULT \(result) (\(name)))") == true)
    }

    @Test func aVehicleThatSendsNoTelemetryFailsConfigureAndSaysWhy() throws {
        let (vehicle, driver) = try vehicle(["--interval-result", "4", "--telemetry-hz", "0"])
        defer {
            driver.disconnect()
            vehicle.signal(SIGTERM)
            vehicle.wait(timeout: 5)
        }
        do {
            try driver.configure()
            Issue.record("expected configure to fail without telemetry")
        } catch {
            #expect(error.problem.hasPrefix("no LOCAL_POSITION_NED from the vehicle within 3 s; the vehicle refused SET_MESSAGE_INTERVAL for LOCAL_POSITION_NED (MAV_RESULT 4 (FAILED))"),
                    "\(error)")
            #expect(error.suggestion?.contains("LOCAL_POSITION_NED") == true)
        }
    }

    @Test func aVehicleThatRefusesRatesStillFliesAndTheCLIPrintsTheWarning() throws {
        let port = freeUDPPort()
        let vehicle = SpawnedProcess("python3", [Self.vehicleScript, String(port), "60", "--interval-result", "4", "--telemetry-hz", "25"])
        defer {
            vehicle.signal(SIGTERM)
            vehicle.wait(timeout: 5)
        }
        #expect(vehicle.waitForLine(containing: "listening") != nil, "python3 with pymavlink is required: \(vehicle.standardError)")
        let folder = TemporaryDirectory()
        let description = try String(contentsOfFile: packageRoot + "/Robots/sim-drone.yaml", encoding: .utf8)
            .replacingOccurrences(of: "link: sim", with: "link: udpout:127.0.0.1:\(port)")
            .replacingOccurrences(of: "calibration: ../Calibration/", with: "calibration: \(packageRoot)/Calibration/")
        let robotFile = folder.write("refusing-drone.yaml", description)
        let trajectory = folder.write("east.csv", String(repeating: "0.5,0.25,0\n", count: 100))
        let result = runProcess(reinsExecutable, ["replay", "--robot", robotFile, "--trajectory", trajectory, "--no-realtime"], workingDirectory: packageRoot)
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardError.contains("warning: MAVLink vehicle 1 on udpout:127.0.0.1:\(port): the vehicle refused SET_MESSAGE_INTERVAL for LOCAL_POSITION_NED (MAV_RESULT 4 (FAILED)); it streams LOCAL_POSITION_NED at "),
                "\(result.standardError)")
        #expect(result.standardOutput.contains("replayed 100 of 100 actions"), "\(result.standardOutput)")
        #expect(result.standardOutput.contains("safe stop: hovered 2.0 s, landed, disarmed"), "\(result.standardOutput)")
    }
}

@Suite(.serialized) struct DriverConnectErrorTests {
    @Test func aMissingServoIdIsNamedWithItsJoint() throws {
        let robot = try loadRobot("sim-arm")
        let simulator = try SimulatorFactory.start(robot)
        defer { simulator.stop() }
        var wrong = robot
        guard case .arm(var calibration) = robot.calibration else { return }
        calibration.joints[4].calibration.servoID = 9
        wrong.calibration = .arm(calibration)
        let driver = ArmDriver(robot: wrong, link: simulator.driverLink)
        #expect(throws: DeviceError.self) { try driver.connect() }
        do { try driver.connect() } catch {
            #expect(error.problem == "servo id 9 (wrist_roll) does not answer PING (10 tries within 300 ms)")
            #expect(error.suggestion?.contains("its id is 9") == true)
        }
    }

    @Test func aWrongServoModelIsReported() throws {
        let robot = try loadRobot("sim-arm")
        let simulator = try SimulatorFactory.start(robot)
        defer { simulator.stop() }
        var wrong = robot
        guard case .arm(var joints) = robot.body else { return }
        joints[0].model = ServoModel.known.first { $0.name == "xm430-w350" }
        wrong.body = .arm(joints: joints)
        do {
            try ArmDriver(robot: wrong, link: simulator.driverLink).connect()
            Issue.record("expected an error")
        } catch {
            #expect(error.problem == "servo 1 (joint shoulder_pan) is xl430-w250, but the description says xm430-w350")
        }
    }

    @Test func aBusWhereNothingAnswersSuggestsTheBaudRate() throws {
        // A Feetech bus answers nothing a Dynamixel driver says, like servos at another baud rate.
        let feetech = try loadRobot("sim-so101-arm")
        let simulator = try SimulatorFactory.start(feetech)
        defer { simulator.stop() }
        let dynamixel = try loadRobot("sim-arm")
        do {
            try ArmDriver(robot: dynamixel, link: simulator.driverLink).connect()
            Issue.record("expected an error")
        } catch {
            // Every servo was asked again until the set-up deadline, and the message says how often.
            #expect(error.problem == "no servo answers PING (10 tries each within 300 ms)")
            #expect(error.suggestion?.contains("baud rate") == true)
        }
    }

    @Test(arguments: ["sim-arm", "sim-so101-arm"])
    func lostRepliesDuringSetUpAreAskedAgain(_ name: String) throws {
        // A bus that loses three replies in ten: connect, configure and activate still get through,
        // as the ticks do, by asking again.
        let robot = try loadRobot(name)
        for seed in UInt64(1)...5 {
            var options = SimulatorOptions()
            options.faults = try FaultSpec.parse("drop=0.3")
            options.seed = seed
            let simulator = try SimulatorFactory.start(robot, options: options)
            defer { simulator.stop() }
            let driver = try DriverFactory.make(robot, link: simulator.driverLink)
            defer { driver.disconnect() }
            do {
                try driver.connect()
                try driver.configure()
                try driver.activate()
                driver.deactivate()
            } catch {
                Issue.record("\(name), seed \(seed): \(error)")
            }
        }
    }

    /// A TCP "bridge" on loopback that accepts one connection and hangs up 100 ms later (by a FIN,
    /// or by a reset), the way a host that is not a serial bridge (or a proxy in between) behaves.
    static func hangingUpBridge(reset: Bool) -> (port: UInt16, thread: TestThread) {
        let (listener, port) = loopbackTCPListener(backlog: 1)
        let thread = TestThread {
            let connection = accept(listener, nil, nil)
            usleep(100_000)
            if reset {
                var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
                setsockopt(connection, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
                close(connection)
            } else {
                // A FIN even though the driver's PINGs sit unread (close() would send a reset).
                shutdown(connection, Int32(SHUT_WR))
                usleep(2_000_000)
                close(connection)
            }
            close(listener)
        }
        return (port, thread)
    }

    @Test func aTCPBridgeThatHangsUpIsReportedAsSuchNotAsASilentBus() throws {
        var robot = try loadRobot("sim-arm")
        for reset in [false, true] {
            let bridge = Self.hangingUpBridge(reset: reset)
            defer { bridge.thread.join() }
            robot.link = .tcp(host: "127.0.0.1", port: bridge.port)
            let driver = ArmDriver(robot: robot, link: robot.link)
            defer { driver.disconnect() }
            do {
                try driver.connect()
                Issue.record("expected an error")
            } catch {
                #expect(error.device == "dynamixel bus on tcp:127.0.0.1:\(bridge.port)")
                #expect(error.problem == "the link failed during PING of servo 1: "
                        + (reset ? "connection to 127.0.0.1:\(bridge.port): Connection reset by peer" : "127.0.0.1:\(bridge.port) closed the connection"))
                #expect(error.suggestion?.contains("serial bridge") == true)
            }
        }
    }

    @Test func aMissingDeviceAndASilentVehicleAreExplained() throws {
        var robot = try loadRobot("sim-arm")
        robot.link = .serial(path: "/dev/ttyREINS404", baud: 1_000_000, flowControl: .none)
        do {
            try ArmDriver(robot: robot, link: robot.link).connect()
            Issue.record("expected an error")
        } catch {
            #expect(error.description.hasPrefix("/dev/ttyREINS404: no such device"))
        }
        var drone = try loadRobot("sim-drone")
        drone.link = .udpSend(host: "127.0.0.1", port: freeUDPPort())
        let droneDriver = try MAVLinkDroneDriver(robot: drone, link: drone.link)
        do {
            try droneDriver.connect()
            Issue.record("expected an error")
        } catch {
            #expect(error.problem == "no heartbeat from system 1 within 5 s")
        }
    }
}

@Suite(.serialized) struct ReplayAndCalibrateCommandTests {
    @Test func replayCommandDrivesTheSimulatedArmAndReportsTheState() throws {
        let folder = TemporaryDirectory()
        var csv = "time,shoulder_pan.goal,shoulder_lift.goal,elbow_flex.goal,wrist_flex.goal,wrist_roll.goal,gripper.goal\n"
        for i in 0..<150 { csv += "\(Double(i) / 100),0.3,0,0,0,0,0\n" }
        let file = folder.write("wave.csv", csv)
        // A generous watchdog: this checks the command, not the timing of a machine shared with other tests.
        let description = try String(contentsOfFile: packageRoot + "/Robots/sim-arm.yaml", encoding: .utf8)
            .replacingOccurrences(of: "calibration: ../Calibration/sim-arm.yaml", with: "calibration: \(packageRoot)/Calibration/sim-arm.yaml")
            .replacingOccurrences(of: "watchdog_timeout_ms: 50", with: "watchdog_timeout_ms: 500")
        let robotFile = folder.write("robot.yaml", description)
        let result = runProcess(reinsExecutable, ["replay", "--robot", robotFile, "--trajectory", file, "--no-realtime"], workingDirectory: packageRoot)
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput.contains("replayed 150 of 150 actions"))
        #expect(result.standardOutput.contains("shoulder_pan.pos 0.30"))
    }

    @Test func replayOfARecordedDeployResendsItsAppliedActions() throws {
        let folder = TemporaryDirectory()
        let description = try String(contentsOfFile: packageRoot + "/Robots/sim-arm.yaml", encoding: .utf8)
            .replacingOccurrences(of: "calibration: ../Calibration/sim-arm.yaml", with: "calibration: \(packageRoot)/Calibration/sim-arm.yaml")
            .replacingOccurrences(of: "watchdog_timeout_ms: 50", with: "watchdog_timeout_ms: 500")
        let robotFile = folder.write("robot.yaml", description)
        let recording = folder.file("run.mcap")
        let deploy = runProcess(reinsExecutable, ["deploy", "--robot", robotFile, "--policy", "Robots/policies/sim-arm.safetensors",
                                                  "--duration", "1", "--record", recording, "--no-realtime"], workingDirectory: packageRoot)
        #expect(deploy.status == 0, "\(deploy.standardError)")
        let recorded = try RecordingReader.read(path: recording)
        let first = try #require(recorded.episodes.first)
        let robot = try RobotDescription.load(path: robotFile)
        let trajectory = try Trajectory.load(path: recording, robot: robot, episode: first.episode)
        #expect(trajectory.actions == first.ticks.map(\.applied))

        let result = runProcess(reinsExecutable, ["replay", "--robot", robotFile, "--trajectory", recording, "--episode", String(first.episode),
                                                  "--no-realtime"], workingDirectory: packageRoot)
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput.contains("replayed \(first.ticks.count) of \(first.ticks.count) actions"))
        let missing = runProcess(reinsExecutable, ["replay", "--robot", robotFile, "--trajectory", recording, "--episode", "99"],
                                 workingDirectory: packageRoot)
        #expect(missing.status == 2)
        #expect(missing.standardError.contains("run.mcap: no episode 99 in the recording; it has 0"))
    }

    @Test func trajectoryErrorsNameTheLineAndRefuseToMove() throws {
        let folder = TemporaryDirectory()
        let bad = folder.write("bad.csv", "0.1,0,0,0,0,0\n0.2,0,0,0,0\n")
        var result = runProcess(reinsExecutable, ["replay", "--robot", "Robots/sim-arm.yaml", "--trajectory", bad], workingDirectory: packageRoot)
        #expect(result.status == 2)
        #expect(result.standardError.contains("bad.csv:2: expected 6 numbers (shoulder_pan.goal, shoulder_lift.goal, elbow_flex.goal, wrist_flex.goal, wrist_roll.goal, gripper.goal), found 5"))
        let far = folder.write("far.jsonl", "[0, 0, 0, 0, 0, 0]\n{\"action\": [2.5, 0, 0, 0, 0, 0]}\n")
        result = runProcess(reinsExecutable, ["replay", "--robot", "Robots/sim-arm.yaml", "--trajectory", far], workingDirectory: packageRoot)
        #expect(result.status == 2)
        #expect(result.standardError.contains("far.jsonl:2: shoulder_pan.goal = 2.5 is outside the robot's limits [-1.9, 1.9]"))
    }

    @Test func calibrateWritesACalibrationThatChecksOut() throws {
        let folder = TemporaryDirectory()
        let calibration = folder.file("calibration.yaml")
        let result = runProcess(reinsExecutable, ["calibrate", "--robot", "Robots/sim-arm.yaml", "--out", calibration, "--seconds", "8",
                                                  "--zero-pose", "current", "--no-realtime"], workingDirectory: packageRoot)
        #expect(result.status == 0, "\(result.standardError)")
        let description = try String(contentsOfFile: packageRoot + "/Robots/sim-arm.yaml", encoding: .utf8)
            .replacingOccurrences(of: "calibration: ../Calibration/sim-arm.yaml", with: "calibration: \(calibration)")
        let robotFile = folder.write("robot.yaml", description)
        let check = runProcess(reinsExecutable, ["check", robotFile])
        #expect(check.status == 0, "\(check.standardError)")
        let loaded = try RobotDescription.load(path: robotFile)
        guard case .arm(let written) = loaded.calibration else { Issue.record("not an arm calibration"); return }
        #expect(written.joints.map(\.calibration.servoID) == [1, 2, 3, 4, 5, 6])
        for (name, joint) in written.joints {
            // The simulated operator swept every joint end stop to end stop from the zero pose (its
            // sweep starts 1 s after the torque goes off and takes 4.5 s of simulated time; 8 s leaves room
            // for a loaded machine).
            #expect(abs(joint.homingOffset) <= 2, "\(name) offset \(joint.homingOffset)")
            #expect(joint.range.count > 1000, "\(name) range \(joint.range)")
        }
    }

    @Test func calibrateRefusesJointsThatDidNotMove() throws {
        // In 0.1 s the simulated operator cannot move any joint far: the recording is refused.
        let folder = TemporaryDirectory()
        let result = runProcess(reinsExecutable, ["calibrate", "--robot", "Robots/sim-arm.yaml", "--out", folder.file("c.yaml"),
                                                  "--seconds", "0.1", "--no-realtime"], workingDirectory: packageRoot)
        #expect(result.status == 1)
        #expect(result.standardError.contains("moved less than 200 ticks"))
        #expect(!FileBytes.exists(folder.file("c.yaml")))
    }
}
