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

    public init(robot: RobotDescription, link: LinkSpec) {
        guard case .arm(let joints) = robot.body else { preconditionFailure("an arm driver needs an arm description") }
        goalData = [UInt8](repeating: 0, count: 2 * joints.count)
        retryIDs = []
        retryIDs.reserveCapacity(joints.count)
        super.init(robot: robot, link: link, hardwareStatus: ServoHardwareStatus(
            register: "status byte of its reply, register 65",
            describe: { FeetechStatusError(rawValue: UInt8(truncatingIfNeeded: $0)).description },
            recovery: "power-cycle the arm"))
    }

    private func sendInstruction(_ instruction: FeetechInstruction, deadline: UInt64) -> Bool {
        writer.reset()
        guard (try? instruction.encode(into: writer)) != nil else { return false }
        link?.discardInput()
        decoder.reset()
        return send(deadline: deadline)
    }

    /// Waits for one reply from `id` carrying `dataCount` bytes; returns its status byte and data
    /// (copied). A reply of another size is a late answer to an earlier request and is skipped.
    private func awaitReply(from id: UInt8, dataCount: Int, deadline: UInt64) -> (error: FeetechStatusError, data: [UInt8])? {
        while MonotonicClock.nowNanoseconds() < deadline {
            let n = receive(deadline: deadline)
            if n < 0 { return nil }
            if n == 0 { continue }
            decoder.feed(UnsafeRawBufferPointer(rebasing: readBuffer[0..<n]))
            while let packet = decoder.next() {
                if packet.id == id && packet.parameters.count == dataCount { return (packet.error, Array(packet.parameters)) }
            }
        }
        return nil
    }

    override func ping(_ id: UInt8, deadline: UInt64) -> UInt16? {
        guard sendInstruction(.ping(id: id), deadline: deadline), awaitReply(from: id, dataCount: 0, deadline: deadline) != nil else { return nil }
        // PING carries no model: read it.
        let model = FeetechSTS.modelNumber
        guard sendInstruction(.read(id: id, address: model.address, length: UInt8(model.size)), deadline: deadline),
              let reply = awaitReply(from: id, dataCount: model.size, deadline: deadline) else { return nil }
        return UInt16(reply.data[0]) | UInt16(reply.data[1]) << 8
    }

    /// One register of one servo, asked again while replies are lost (set-up only).
    private func read(_ register: FeetechRegister, of id: UInt8) throws(DriverError) -> Int {
        let request = FeetechInstruction.read(id: id, address: register.address, length: UInt8(register.size))
        let (answer, failedTries) = retrying { deadline in
            sendInstruction(request, deadline: deadline) ? awaitReply(from: id, dataCount: register.size, deadline: deadline) : nil
        }
        let what = "READ of \(register.name) (register \(register.address)) from servo \(id)"
        guard let reply = answer else { throw setupFailure(what, failedTries: failedTries) }
        guard let value = try? register.value(in: reply.data, dataAddress: register.address) else {
            throw DriverError(device: deviceName, problem: "servo \(id) answered the \(what) with \(reply.data.count) bytes instead of \(register.size)")
        }
        return value
    }

    /// Writes one register of one servo and waits for its acknowledgement, asking again while
    /// replies are lost (set-up only).
    private func write(_ register: FeetechRegister, of id: UInt8, value: Int) throws(DriverError) {
        let data = (0..<register.size).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) }
        let request = FeetechInstruction.write(id: id, address: register.address, data: data)
        let (answer, failedTries) = retrying { deadline in
            sendInstruction(request, deadline: deadline) ? awaitReply(from: id, dataCount: 0, deadline: deadline) : nil
        }
        if answer == nil {
            throw setupFailure("WRITE of \(value) to \(register.name) (register \(register.address)) of servo \(id)", failedTries: failedTries)
        }
    }

    override func setTorque(_ on: Bool) -> Bool {
        let data = [UInt8](repeating: on ? 1 : 0, count: ids.count)
        guard sendInstruction(.syncWrite(address: FeetechSTS.torqueEnable.address, length: 1, ids: ids, data: data),
                              deadline: MonotonicClock.deadline(in: 0.05)) else { return false }
        for id in ids where (try? read(FeetechSTS.torqueEnable, of: id)) != (on ? 1 : 0) { return false }
        return true
    }

    override func configureServos() throws(DriverError) {
        for (index, id) in ids.enumerated() {
            let status = try read(FeetechSTS.status, of: id)
            if status != 0 {
                throw DriverError(device: deviceName, problem: "servo \(id) (joint \(joints[index].name)) reports \(FeetechStatusError(rawValue: UInt8(status)))",
                                  suggestion: "remove the cause (load, heat, supply voltage), then power-cycle the arm")
            }
            // EEPROM writes need the lock open; close it again so a brown-out cannot corrupt it.
            try write(FeetechSTS.lock, of: id, value: 0)
            try write(FeetechSTS.returnDelayTime, of: id, value: 0)
            try write(FeetechSTS.operatingMode, of: id, value: 0)
            // The calibration loader keeps the range inside the model's position ticks.
            let range = calibrations[index].range
            try write(FeetechSTS.minPositionLimit, of: id, value: range.lowerBound)
            try write(FeetechSTS.maxPositionLimit, of: id, value: range.upperBound)
            try write(FeetechSTS.lock, of: id, value: 1)
        }
        let (read, failedTries) = retrying { deadline in readServos(deadline: deadline) == .fresh ? true : nil }
        guard read != nil else { throw setupFailure("SYNC_READ of registers 56-70", failedTries: failedTries) }
    }

    override func readServos(deadline: UInt64) -> ReadOutcome {
        for i in 0..<readings.received.count { readings.received[i] = false }
        guard sendInstruction(.syncRead(address: Self.stateAddress, length: Self.stateLength, ids: ids), deadline: deadline) else {
            return .fault(.disconnected)
        }
        let checksumErrorsBefore = decoder.counters.checksumErrors
        var remaining = ids.count
        while remaining > 0 {
            let now = MonotonicClock.nowNanoseconds()
            if now >= deadline { break }
            let n = receive(deadline: min(deadline, now + 2_000_000))
            if n < 0 { return .fault(.disconnected) }
            if n == 0 {
                // Re-ask the silent servos as often as the tick's budget allows: each lost reply
                // costs a 2 ms wait, and a second loss in a row is as likely as the first. Bytes
                // already on their way are kept: a late reply of this tick is as good as a new one.
                guard MonotonicClock.nowNanoseconds() + 1_000_000 < deadline else { continue }
                retryIDs.removeAll(keepingCapacity: true)
                for i in 0..<ids.count where !readings.received[i] { retryIDs.append(ids[i]) }
                health.retries &+= 1
                writer.reset()
                guard (try? FeetechInstruction.syncRead(address: Self.stateAddress, length: Self.stateLength, ids: retryIDs).encode(into: writer)) != nil,
                      send(deadline: deadline) else { return .fault(.disconnected) }
                continue
            }
            decoder.feed(UnsafeRawBufferPointer(rebasing: readBuffer[0..<n]))
            while let packet = decoder.next() {
                guard let index = joint(forID: packet.id), packet.parameters.count == Int(Self.stateLength), !readings.received[index] else { continue }
                // The reply's status byte is the servo's own error register (65): overload, heat, voltage.
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
