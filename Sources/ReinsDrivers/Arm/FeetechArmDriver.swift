import ReinsConfig
import ReinsCore
import ReinsProtocols
import ReinsTransport

/// An arm of Feetech STS servos (STS3215, as in SO-100/SO-101) on one bus.
///
/// Per tick: one SYNC_READ of the 15 bytes from Present Position (56) to Present Current (69),
/// which every servo answers separately, and one SYNC_WRITE of Goal Position (42). Velocities are
/// sign-magnitude (bit 15) in steps per second. A reply with error bits set is a fault.
public final class FeetechArmDriver: ServoArmDriver, @unchecked Sendable {
    private let decoder = FeetechDecoder()
    private var goalData: [UInt8]
    private var retryIDs: [UInt8]
    private static let stateAddress: UInt8 = 56
    private static let stateLength: UInt8 = 15

    public override init(robot: RobotDescription, link: LinkSpec) {
        guard case .arm(let joints) = robot.body else { preconditionFailure("an arm driver needs an arm description") }
        goalData = [UInt8](repeating: 0, count: 2 * joints.count)
        retryIDs = []
        retryIDs.reserveCapacity(joints.count)
        super.init(robot: robot, link: link)
    }

    private func sendInstruction(_ instruction: FeetechInstruction, deadline: UInt64) -> Bool {
        writer.reset()
        guard (try? instruction.encode(into: writer)) != nil else { return false }
        link?.discardInput()
        decoder.reset()
        return send(deadline: deadline)
    }

    private func awaitReply(from id: UInt8, deadline: UInt64) -> (error: FeetechStatusError, data: [UInt8])? {
        while MonotonicClock.nowNanoseconds() < deadline {
            let n = receive(deadline: deadline)
            if n < 0 { return nil }
            if n == 0 { continue }
            decoder.feed(UnsafeRawBufferPointer(rebasing: readBuffer[0..<n]))
            while let packet = decoder.next() {
                if packet.id == id { return (packet.error, Array(packet.parameters)) }
            }
        }
        return nil
    }

    override func ping(_ id: UInt8, timeout: Double) -> UInt16? {
        let deadline = MonotonicClock.deadline(in: timeout)
        guard sendInstruction(.ping(id: id), deadline: deadline), awaitReply(from: id, deadline: deadline) != nil else { return nil }
        // PING carries no model: read it.
        guard sendInstruction(.read(id: id, address: FeetechSTS.modelNumber.address, length: 2), deadline: deadline),
              let reply = awaitReply(from: id, deadline: MonotonicClock.deadline(in: timeout)), reply.data.count == 2 else { return nil }
        return UInt16(reply.data[0]) | UInt16(reply.data[1]) << 8
    }

    override func writeRegister(_ id: UInt8, address: Int, size: Int, value: Int) throws(DriverError) {
        let data = (0..<size).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) }
        for _ in 0..<3 {
            let deadline = MonotonicClock.deadline(in: 0.1)
            guard sendInstruction(.write(id: id, address: UInt8(address), data: data), deadline: deadline),
                  awaitReply(from: id, deadline: deadline) != nil else { continue }
            return
        }
        throw DriverError(device: deviceName, problem: "servo \(id) did not acknowledge writing register \(address)")
    }

    override func readRegister(_ id: UInt8, address: Int, size: Int) throws(DriverError) -> Int {
        for _ in 0..<3 {
            let deadline = MonotonicClock.deadline(in: 0.1)
            guard sendInstruction(.read(id: id, address: UInt8(address), length: UInt8(size)), deadline: deadline),
                  let reply = awaitReply(from: id, deadline: deadline), reply.data.count == size else { continue }
            var value = 0
            for (i, byte) in reply.data.enumerated() { value |= Int(byte) << (8 * i) }
            return value
        }
        throw DriverError(device: deviceName, problem: "servo \(id) did not answer a READ of register \(address)")
    }

    override func setTorque(_ on: Bool) -> Bool {
        let data = [UInt8](repeating: on ? 1 : 0, count: ids.count)
        guard sendInstruction(.syncWrite(address: FeetechSTS.torqueEnable.address, length: 1, ids: ids, data: data),
                              deadline: MonotonicClock.deadline(in: 0.05)) else { return false }
        for id in ids where (try? readRegister(id, address: Int(FeetechSTS.torqueEnable.address), size: 1)) != (on ? 1 : 0) { return false }
        return true
    }

    override func configureServos() throws(DriverError) {
        for (index, id) in ids.enumerated() {
            let status = try readRegister(id, address: Int(FeetechSTS.status.address), size: 1)
            if status != 0 {
                throw DriverError(device: deviceName, problem: "servo \(id) (joint \(joints[index].name)) reports \(FeetechStatusError(rawValue: UInt8(status)))",
                                  suggestion: "remove the cause (load, heat, supply voltage), then power-cycle the arm")
            }
            // EEPROM writes need the lock open; close it again so a brown-out cannot corrupt it.
            try writeRegister(id, address: Int(FeetechSTS.lock.address), size: 1, value: 0)
            try writeRegister(id, address: Int(FeetechSTS.returnDelayTime.address), size: 1, value: 0)
            try writeRegister(id, address: Int(FeetechSTS.operatingMode.address), size: 1, value: 0)
            let range = calibrations[index].range
            try writeRegister(id, address: Int(FeetechSTS.minPositionLimit.address), size: 2, value: max(0, range.lowerBound))
            try writeRegister(id, address: Int(FeetechSTS.maxPositionLimit.address), size: 2, value: min(4095, range.upperBound))
            try writeRegister(id, address: Int(FeetechSTS.lock.address), size: 1, value: 1)
        }
        guard readServos(deadline: MonotonicClock.deadline(in: 0.1)) == .fresh else {
            throw DriverError(device: deviceName, problem: "the servos do not answer SYNC_READ of registers 56-70")
        }
    }

    override func readServos(deadline: UInt64) -> ReadOutcome {
        for i in 0..<readings.received.count { readings.received[i] = false }
        guard sendInstruction(.syncRead(address: Self.stateAddress, length: Self.stateLength, ids: ids), deadline: deadline) else {
            return .fault(.disconnected)
        }
        let checksumErrorsBefore = decoder.counters.checksumErrors
        var remaining = ids.count
        var retried = false
        while remaining > 0 {
            let now = MonotonicClock.nowNanoseconds()
            if now >= deadline { break }
            let n = receive(deadline: min(deadline, now + 2_000_000))
            if n < 0 { return .fault(.disconnected) }
            if n == 0 {
                guard !retried, MonotonicClock.nowNanoseconds() + 1_000_000 < deadline else { continue }
                retried = true
                retryIDs.removeAll(keepingCapacity: true)
                for i in 0..<ids.count where !readings.received[i] { retryIDs.append(ids[i]) }
                health.retries &+= 1
                _ = sendInstruction(.syncRead(address: Self.stateAddress, length: Self.stateLength, ids: retryIDs), deadline: deadline)
                continue
            }
            decoder.feed(UnsafeRawBufferPointer(rebasing: readBuffer[0..<n]))
            while let packet = decoder.next() {
                guard let index = joint(forID: packet.id), packet.parameters.count == Int(Self.stateLength), !readings.received[index] else { continue }
                if packet.instructionOrError != 0 { return .fault(.hardwareError(id: Int(packet.id), code: Int(packet.instructionOrError))) }
                let data = packet.parameters
                let position = Int(data[0]) | Int(data[1]) << 8
                let velocity = SignMagnitude.decode(UInt32(data[2]) | UInt32(data[3]) << 8, signBit: 15)
                readings.positionTicks[index] = position
                readings.velocityRadiansPerSecond[index] = Double(velocity) * 2 * Double.pi / 4096
                readings.voltage[index] = Double(data[6]) / 10
                readings.temperature[index] = Double(data[7])
                readings.currentAmperes[index] = Double(Int(data[13]) | Int(data[14]) << 8) * 0.0065
                readings.received[index] = true
                remaining -= 1
            }
        }
        health.checksumErrors &+= decoder.counters.checksumErrors &- checksumErrorsBefore
        if remaining > 0 {
            missedReplies &+= UInt64(remaining)
            return .stale
        }
        return .fresh
    }

    override func writeGoals(deadline: UInt64) -> Bool {
        // Goals are already inside the calibrated range, which the calibration loader keeps within
        // the servo's 0...4095 ticks.
        for i in 0..<goalTicks.count {
            let value = goalTicks[i]
            goalData[2 * i] = UInt8(truncatingIfNeeded: value)
            goalData[2 * i + 1] = UInt8(truncatingIfNeeded: value >> 8)
        }
        writer.reset()
        guard (try? FeetechInstruction.syncWrite(address: FeetechSTS.goalPosition.address, length: 2, ids: ids, data: goalData)
            .encode(into: writer)) != nil else { return false }
        return send(deadline: deadline)
    }
}
