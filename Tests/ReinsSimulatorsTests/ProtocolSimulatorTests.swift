import ReinsConfig
import ReinsCore
import ReinsProtocols
import ReinsSimulators
import ReinsTestSupport
import ReinsTransport
import Testing

#if canImport(Glibc)
import Glibc
#endif

private func soon(_ seconds: Double = 1) -> UInt64 { MonotonicClock.nowNanoseconds() + UInt64(seconds * 1e9) }

@Suite(.serialized) struct FeetechSimulatorTests {
    @Test func stsServosAnswerPingAndFollowSyncWrites() throws {
        let robot = try RobotDescription.load(path: packageRoot + "/Robots/so101-arm.yaml")
        var simulated = robot
        simulated.link = .sim
        let simulator = try SimulatorFactory.start(simulated)
        defer { simulator.stop() }
        guard case .pty(let path) = simulator.driverLink else { Issue.record("expected a pty"); return }
        let bus = try TerminalLink(path: path)
        let decoder = FeetechDecoder()
        func exchange(_ instruction: FeetechInstruction, replies: Int) throws -> [FeetechStatus] {
            try bus.write(try instruction.encoded(), deadline: soon())
            var statuses: [FeetechStatus] = []
            var buffer = [UInt8](repeating: 0, count: 256)
            let end = soon(0.5)
            while statuses.count < replies && MonotonicClock.nowNanoseconds() < end {
                let n = try buffer.withUnsafeMutableBytes { try bus.read(into: $0, deadline: end) }
                decoder.feed(Array(buffer[0..<n]))
                while let packet = decoder.next() { statuses.append(packet.status()) }
            }
            return statuses
        }
        let ping = try exchange(.ping(id: 3), replies: 1)
        #expect(ping.map(\.id) == [3])
        let model = try exchange(.read(id: 3, address: FeetechSTS.modelNumber.address, length: 2), replies: 1)
        #expect(model.first?.data == [0x09, 0x03])  // 777, little-endian
        // Torque on for all six, then a goal 400 ticks away for each.
        _ = try exchange(.syncWrite(address: FeetechSTS.torqueEnable.address, length: 1, ids: [1, 2, 3, 4, 5, 6], data: [1, 1, 1, 1, 1, 1]), replies: 0)
        let start = try exchange(.syncRead(address: FeetechSTS.presentPosition.address, length: 2, ids: [1, 2, 3, 4, 5, 6]), replies: 6)
        #expect(start.map(\.id) == [1, 2, 3, 4, 5, 6])
        let startTicks = start.map { Int($0.data[0]) | Int($0.data[1]) << 8 }
        var goals: [UInt8] = []
        for ticks in startTicks { goals += [UInt8((ticks + 400) & 0xFF), UInt8((ticks + 400) >> 8)] }
        _ = try exchange(.syncWrite(address: FeetechSTS.goalPosition.address, length: 2, ids: [1, 2, 3, 4, 5, 6], data: goals), replies: 0)
        usleep(1_200_000)
        let final = try exchange(.syncRead(address: FeetechSTS.presentPosition.address, length: 2, ids: [1, 2, 3, 4, 5, 6]), replies: 6)
        for (index, status) in final.enumerated() {
            let ticks = Int(status.data[0]) | Int(status.data[1]) << 8
            #expect(abs(ticks - (startTicks[index] + 400)) < 30, "servo \(index + 1) at \(ticks)")
        }
    }
}

@Suite(.serialized) struct MAVLinkSigningSimulatorTests {
    @Test func aSigningVehicleIgnoresUnsignedCommandsAndObeysSignedOnes() throws {
        let robot = try RobotDescription.load(path: packageRoot + "/Robots/sim-drone.yaml")
        let key = try MAVLinkSigningKey(Array(1...32))
        var options = SimulatorOptions()
        options.signingKey = key
        let simulator = try SimulatorFactory.start(robot, options: options)
        defer { simulator.stop() }
        guard case .pty(let path) = simulator.driverLink else { Issue.record("expected a pty"); return }
        let link = try TerminalLink(path: path)
        let decoder = MAVLinkDecoder(signatureVerifier: MAVLinkSignatureVerifier(key: key))
        func acks(within seconds: Double) throws -> [MAVLinkCommandAck] {
            var found: [MAVLinkCommandAck] = []
            var buffer = [UInt8](repeating: 0, count: 1024)
            let end = soon(seconds)
            while MonotonicClock.nowNanoseconds() < end {
                let n = try buffer.withUnsafeMutableBytes { try link.read(into: $0, deadline: end) }
                decoder.feed(Array(buffer[0..<n]))
                while let frame = decoder.next() {
                    #expect(frame.signatureStatus == .verified)
                    if let ack = frame.message(as: MAVLinkCommandAck.self) { found.append(ack) }
                }
            }
            return found
        }
        let unsigned = MAVLinkEncoder(systemID: 255, componentID: 190)
        try link.write(try unsigned.frame(MAVLinkCommandLong.arm(true, targetSystem: 1)), deadline: soon())
        #expect(try acks(within: 0.4).isEmpty)
        let signing = try MAVLinkSigningContext(key: key, linkID: 1,
                                                timestamp: MAVLinkSigningTime.timestamp(unixMicroseconds: WallClock.nowNanoseconds() / 1000))
        let signed = MAVLinkEncoder(systemID: 255, componentID: 190, signing: signing)
        try link.write(try signed.frame(MAVLinkCommandLong.arm(true, targetSystem: 1)), deadline: soon())
        let answered = try acks(within: 0.4)
        #expect(answered.map(\.command) == [.componentArmDisarm])
        #expect(answered.first?.result == .accepted)
        #expect(simulator.drone?.armed == true)
    }
}

@Suite(.serialized) struct DynamixelOverloadTests {
    /// An X-series bus with servo 3 seized, spoken to with raw Protocol 2.0 packets.
    final class Bus {
        let simulator: RunningSimulator
        let link: TerminalLink
        let decoder = DynamixelDecoder()

        init() throws {
            let robot = try RobotDescription.load(path: packageRoot + "/Robots/sim-arm.yaml")
            var options = SimulatorOptions()
            options.faults = try FaultSpec.parse("stuck=2")
            simulator = try SimulatorFactory.start(robot, options: options)
            guard case .pty(let path) = simulator.driverLink else { preconditionFailure("the arm simulator serves a pty") }
            link = try TerminalLink(path: path)
        }

        deinit { simulator.stop() }

        func exchange(_ instruction: DynamixelInstruction) throws -> DynamixelStatus? {
            link.discardInput()
            try link.write(try instruction.encoded(), deadline: soon())
            var buffer = [UInt8](repeating: 0, count: 256)
            let end = soon(0.5)
            while MonotonicClock.nowNanoseconds() < end {
                let n = try buffer.withUnsafeMutableBytes { try link.read(into: $0, deadline: end) }
                decoder.feed(Array(buffer[0..<n]))
                if let packet = decoder.next(), packet.isStatus { return try packet.status() }
            }
            return nil
        }

        func write(_ register: DynamixelRegister, _ value: Int) throws {
            let data = (0..<register.size).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) }
            _ = try exchange(.write(id: 3, address: register.address, data: data))
        }

        func read(_ register: DynamixelRegister) throws -> (alert: Bool, value: Int)? {
            guard let status = try exchange(.read(id: 3, address: register.address, length: UInt16(register.size))),
                  let value = try? register.value(in: status.data, dataAddress: register.address) else { return nil }
            return (status.error.hardwareAlert, value)
        }
    }

    /// A goal 80 ticks (0.12 rad) past a seized joint: the lead a policy gives a moving joint, which
    /// already keeps the motor at its output limit.
    static func strain(_ bus: Bus) throws {
        try bus.write(DynamixelXSeries.torqueEnable, 1)
        try bus.write(DynamixelXSeries.goalPosition, 2048 + 80)
    }

    @Test func fullOutputAgainstASeizedJointLatchesOverloadAndDropsTorque() throws {
        let bus = try Bus()
        try Self.strain(bus)
        usleep(500_000)
        // Half a second of strain is not yet an overload.
        #expect(try bus.read(DynamixelXSeries.hardwareErrorStatus)?.value == 0)
        usleep(1_000_000)
        let status = try #require(try bus.read(DynamixelXSeries.hardwareErrorStatus))
        #expect(status.value == Int(DynamixelHardwareErrorStatus.overload.rawValue))
        #expect(status.alert)
        // Shutdown's factory default selects overload: torque is off, and the error stays latched.
        #expect(try bus.read(DynamixelXSeries.torqueEnable)?.value == 0)
        #expect(try bus.read(DynamixelXSeries.presentPosition)?.alert == true)
        // REBOOT clears it.
        _ = try bus.exchange(.reboot(id: 3))
        #expect(try bus.read(DynamixelXSeries.hardwareErrorStatus)?.value == 0)
    }

    @Test func withOverloadOutOfShutdownTheServoAlertsButKeepsTorque() throws {
        let bus = try Bus()
        try bus.write(DynamixelXSeries.shutdown, 0)
        try Self.strain(bus)
        usleep(1_500_000)
        #expect(try bus.read(DynamixelXSeries.hardwareErrorStatus)?.value == Int(DynamixelHardwareErrorStatus.overload.rawValue))
        #expect(try bus.read(DynamixelXSeries.torqueEnable)?.value == 1)
    }
}
