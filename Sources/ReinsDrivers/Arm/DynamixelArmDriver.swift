import ReinsConfig
import ReinsCore
import ReinsProtocols
import ReinsTransport

/// An arm of Dynamixel X-series servos on one Protocol 2.0 bus.
///
/// Per tick: one FAST_SYNC_READ of the 21-byte block from Present Current (126) to Present
/// Temperature (146) — current, velocity, position, voltage and temperature of every servo in a
/// single reply — falling back to SYNC_READ when a servo's firmware lacks it, and one SYNC_WRITE of
/// Goal Position. Replies lost to CRC errors are re-requested for the missing servos while the
/// tick's budget allows. A status byte with the hardware-alert bit is a fault.
public final class DynamixelArmDriver: ServoArmDriver, @unchecked Sendable {
    private let decoder = DynamixelDecoder()
    private var goalData: [UInt8]
    private var retryIDs: [UInt8]
    /// Whether FAST_SYNC_READ worked at configure time (X-series firmware 45 and later).
    public private(set) var usesFastSyncRead = true
    private static let stateAddress = DynamixelXSeries.presentStateBlockAddress
    private static let stateLength = DynamixelXSeries.presentStateBlockLength

    public override init(robot: RobotDescription, link: LinkSpec) {
        guard case .arm(let joints) = robot.body else { preconditionFailure("an arm driver needs an arm description") }
        goalData = [UInt8](repeating: 0, count: 4 * joints.count)
        retryIDs = []
        retryIDs.reserveCapacity(joints.count)
        super.init(robot: robot, link: link)
    }

    // MARK: Transactions

    private func sendInstruction(_ instruction: DynamixelInstruction, deadline: UInt64) -> Bool {
        writer.reset()
        guard (try? instruction.encode(into: writer)) != nil else { return false }
        link?.discardInput()
        decoder.reset()
        return send(deadline: deadline)
    }

    /// Waits for one status packet from `id`; returns its error byte and data (copied).
    private func awaitStatus(from id: UInt8, deadline: UInt64) -> (error: DynamixelDeviceError, data: [UInt8])? {
        while MonotonicClock.nowNanoseconds() < deadline {
            let n = receive(deadline: deadline)
            if n < 0 { return nil }
            if n == 0 { continue }
            decoder.feed(UnsafeRawBufferPointer(rebasing: readBuffer[0..<n]))
            while let packet = decoder.next() {
                guard packet.isStatus, packet.id == id, let error = packet.deviceError else { continue }
                return (error, Array(packet.statusData))
            }
        }
        return nil
    }

    override func ping(_ id: UInt8, timeout: Double) -> UInt16? {
        let deadline = MonotonicClock.deadline(in: timeout)
        guard sendInstruction(.ping(id: id), deadline: deadline), let reply = awaitStatus(from: id, deadline: deadline),
              reply.data.count >= 2 else { return nil }
        return UInt16(reply.data[0]) | UInt16(reply.data[1]) << 8
    }

    override func writeRegister(_ id: UInt8, address: Int, size: Int, value: Int) throws(DriverError) {
        let data = (0..<size).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) }
        for attempt in 0..<3 {
            let deadline = MonotonicClock.deadline(in: 0.1)
            guard sendInstruction(.write(id: id, address: UInt16(address), data: data), deadline: deadline),
                  let reply = awaitStatus(from: id, deadline: deadline) else { continue }
            if let code = reply.error.code {
                throw DriverError(device: deviceName, problem: "servo \(id) refused writing \(value) to register \(address): \(code)",
                                  suggestion: code == .access ? "EEPROM registers (below 64) can be written only with torque off" : nil)
            }
            if attempt > 0 { health.retries &+= UInt64(attempt) }
            return
        }
        throw DriverError(device: deviceName, problem: "servo \(id) did not acknowledge writing register \(address)")
    }

    override func readRegister(_ id: UInt8, address: Int, size: Int) throws(DriverError) -> Int {
        for _ in 0..<3 {
            let deadline = MonotonicClock.deadline(in: 0.1)
            guard sendInstruction(.read(id: id, address: UInt16(address), length: UInt16(size)), deadline: deadline),
                  let reply = awaitStatus(from: id, deadline: deadline), reply.data.count == size else { continue }
            var value = 0
            for (i, byte) in reply.data.enumerated() { value |= Int(byte) << (8 * i) }
            return value
        }
        throw DriverError(device: deviceName, problem: "servo \(id) did not answer a READ of register \(address)")
    }

    override func setTorque(_ on: Bool) -> Bool {
        let data = [UInt8](repeating: on ? 1 : 0, count: ids.count)
        guard sendInstruction(.syncWrite(address: DynamixelXSeries.torqueEnable.address, length: 1, ids: ids, data: data),
                              deadline: MonotonicClock.deadline(in: 0.05)) else { return false }
        // SYNC_WRITE has no reply: confirm by reading the register back from every servo.
        for id in ids where (try? readRegister(id, address: 64, size: 1)) != (on ? 1 : 0) { return false }
        return true
    }

    override func configureServos() throws(DriverError) {
        for (index, id) in ids.enumerated() {
            let hardwareError = try readRegister(id, address: 70, size: 1)
            if hardwareError != 0 {
                let status = DynamixelHardwareErrorStatus(rawValue: UInt8(truncatingIfNeeded: hardwareError))
                throw DriverError(device: deviceName, problem: "servo \(id) (joint \(joints[index].name)) reports hardware error \(status)",
                                  suggestion: "remove the cause (load, heat, supply voltage), then power-cycle the arm or REBOOT the servo")
            }
            // Replies as soon as possible: the factory 500 µs return delay would eat the tick.
            try writeRegister(id, address: 9, size: 1, value: 0)
            let mode = try readRegister(id, address: 11, size: 1)
            if mode != 3 && mode != 4 && mode != 5 { try writeRegister(id, address: 11, size: 1, value: 3) }
            // The servo's own limits as a second fence behind the safety filter.
            let range = calibrations[index].range
            try writeRegister(id, address: 52, size: 4, value: max(0, range.lowerBound))
            try writeRegister(id, address: 48, size: 4, value: min(4095, range.upperBound))
        }
        usesFastSyncRead = true
        if readServos(deadline: MonotonicClock.deadline(in: 0.1)) != .fresh {
            usesFastSyncRead = false
            guard readServos(deadline: MonotonicClock.deadline(in: 0.1)) == .fresh else {
                throw DriverError(device: deviceName, problem: "the servos do not answer SYNC_READ of registers 126-146")
            }
        }
    }

    // MARK: Per tick

    override func readServos(deadline: UInt64) -> ReadOutcome {
        for i in 0..<readings.received.count { readings.received[i] = false }
        let firstTry = usesFastSyncRead
            ? DynamixelInstruction.fastSyncRead(address: Self.stateAddress, length: Self.stateLength, ids: ids)
            : DynamixelInstruction.syncRead(address: Self.stateAddress, length: Self.stateLength, ids: ids)
        guard sendInstruction(firstTry, deadline: deadline) else { return .fault(.disconnected) }
        let checksumErrorsBefore = decoder.counters.checksumErrors
        var remaining = ids.count
        var retried = false
        while remaining > 0 {
            let now = MonotonicClock.nowNanoseconds()
            if now >= deadline { break }
            // Give a lost reply 2 ms, then re-ask only the servos that have not answered.
            let wait = min(deadline, now + 2_000_000)
            let n = receive(deadline: wait)
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
                guard packet.isStatus else { continue }
                if packet.id == DynamixelDeviceID.broadcast {
                    guard let segments = try? packet.fastSyncReadSegments(dataLength: Self.stateLength) else { continue }
                    for segment in segments {
                        if let fault = take(id: segment.id, error: segment.error, data: segment.data, remaining: &remaining) { return fault }
                    }
                } else if let error = packet.deviceError {
                    if let fault = take(id: packet.id, error: error, data: packet.statusData, remaining: &remaining) { return fault }
                }
            }
        }
        health.checksumErrors &+= decoder.counters.checksumErrors &- checksumErrorsBefore
        if remaining > 0 {
            missedReplies &+= UInt64(remaining)
            return .stale
        }
        return .fresh
    }

    /// Stores one servo's 21-byte state block; returns a fault for the hardware-alert bit.
    private func take(id: UInt8, error: DynamixelDeviceError, data: UnsafeRawBufferPointer, remaining: inout Int) -> ReadOutcome? {
        guard let index = joint(forID: id), data.count == Int(Self.stateLength), !readings.received[index] else { return nil }
        if error.hardwareAlert { return .fault(.hardwareError(id: Int(id), code: Int(error.rawValue))) }
        func signed(_ offset: Int, _ size: Int) -> Int {
            var value = 0
            for i in 0..<size { value |= Int(data[offset + i]) << (8 * i) }
            return value & (1 << (8 * size - 1)) != 0 ? value - (1 << (8 * size)) : value
        }
        readings.currentAmperes[index] = Double(signed(0, 2)) / 1000
        readings.velocityRadiansPerSecond[index] = Double(signed(2, 4)) * 0.229 * 2 * Double.pi / 60
        readings.positionTicks[index] = signed(6, 4)
        readings.voltage[index] = Double(signed(18, 2)) / 10
        readings.temperature[index] = Double(data[20])
        readings.received[index] = true
        remaining -= 1
        return nil
    }

    override func writeGoals(deadline: UInt64) -> Bool {
        for i in 0..<goalTicks.count {
            let value = goalTicks[i]
            goalData[4 * i] = UInt8(truncatingIfNeeded: value)
            goalData[4 * i + 1] = UInt8(truncatingIfNeeded: value >> 8)
            goalData[4 * i + 2] = UInt8(truncatingIfNeeded: value >> 16)
            goalData[4 * i + 3] = UInt8(truncatingIfNeeded: value >> 24)
        }
        writer.reset()
        guard (try? DynamixelInstruction.syncWrite(address: DynamixelXSeries.goalPosition.address, length: 4, ids: ids, data: goalData)
            .encode(into: writer)) != nil else { return false }
        return send(deadline: deadline)
    }
}
