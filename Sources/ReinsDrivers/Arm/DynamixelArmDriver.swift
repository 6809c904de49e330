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
/// tick's budget allows. A status byte with the hardware-alert bit is a fault, named by the servo's
/// Hardware Error Status (register 70, read at once within the tick's deadline).
public final class DynamixelArmDriver: ServoArmDriver, @unchecked Sendable {
    private let decoder = DynamixelDecoder()
    private var goalData: [UInt8]
    private var retryIDs: [UInt8]
    /// Whether FAST_SYNC_READ worked at configure time (X-series firmware 45 and later).
    public private(set) var usesFastSyncRead = true
    private static let stateAddress = DynamixelXSeries.presentStateBlockAddress
    private static let stateLength = DynamixelXSeries.presentStateBlockLength

    public init(robot: RobotDescription, link: LinkSpec) {
        guard case .arm(let joints) = robot.body else { preconditionFailure("an arm driver needs an arm description") }
        goalData = [UInt8](repeating: 0, count: 4 * joints.count)
        retryIDs = []
        retryIDs.reserveCapacity(joints.count)
        super.init(robot: robot, link: link, hardwareStatus: ServoHardwareStatus(
            register: "Hardware Error Status, register 70",
            describe: { DynamixelHardwareErrorStatus(rawValue: UInt8(truncatingIfNeeded: $0)).description },
            recovery: "power-cycle the arm or REBOOT the servo (the error stays latched until then)"))
    }

    // MARK: Transactions

    private func sendInstruction(_ instruction: DynamixelInstruction, deadline: UInt64) -> Bool {
        writer.reset()
        guard (try? instruction.encode(into: writer)) != nil else { return false }
        link?.discardInput()
        decoder.reset()
        return send(deadline: deadline)
    }

    /// Waits for one status packet from `id` carrying `dataCount` bytes (or an error code); returns
    /// its error byte and data (copied). A status of another size is a late answer to an earlier
    /// request (a reply that took longer than its try) and is skipped.
    private func awaitStatus(from id: UInt8, dataCount: Int, deadline: UInt64) -> (error: DynamixelDeviceError, data: [UInt8])? {
        while MonotonicClock.nowNanoseconds() < deadline {
            let n = receive(deadline: deadline)
            if n < 0 { return nil }
            if n == 0 { continue }
            decoder.feed(UnsafeRawBufferPointer(rebasing: readBuffer[0..<n]))
            while let packet = decoder.next() {
                guard packet.isStatus, packet.id == id, let error = packet.deviceError,
                      packet.statusData.count == dataCount || error.code != nil else { continue }
                return (error, Array(packet.statusData))
            }
        }
        return nil
    }

    override func ping(_ id: UInt8, deadline: UInt64) -> UInt16? {
        // PING's status: model number (2 bytes) and firmware version.
        guard sendInstruction(.ping(id: id), deadline: deadline), let reply = awaitStatus(from: id, dataCount: 3, deadline: deadline),
              reply.data.count == 3 else { return nil }
        return UInt16(reply.data[0]) | UInt16(reply.data[1]) << 8
    }

    /// One register of one servo, asked again while replies are lost (set-up only).
    private func read(_ register: DynamixelRegister, of id: UInt8) throws(DriverError) -> Int {
        let request = DynamixelInstruction.read(id: id, address: register.address, length: UInt16(register.size))
        let (answer, failedTries) = retrying { deadline in
            sendInstruction(request, deadline: deadline) ? awaitStatus(from: id, dataCount: register.size, deadline: deadline) : nil
        }
        let what = "READ of \(register.name) (register \(register.address)) from servo \(id)"
        guard let reply = answer else { throw setupFailure(what, failedTries: failedTries) }
        if let code = reply.error.code { throw DriverError(device: deviceName, problem: "servo \(id) refused the \(what): \(code)") }
        guard let value = try? register.value(in: reply.data, dataAddress: register.address) else {
            throw DriverError(device: deviceName, problem: "servo \(id) answered the \(what) with \(reply.data.count) bytes instead of \(register.size)")
        }
        return value
    }

    /// Writes one register of one servo and waits for its acknowledgement, asking again while
    /// replies are lost (set-up only).
    private func write(_ register: DynamixelRegister, of id: UInt8, value: Int) throws(DriverError) {
        let data = (0..<register.size).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) }
        let request = DynamixelInstruction.write(id: id, address: register.address, data: data)
        let (answer, failedTries) = retrying { deadline in
            sendInstruction(request, deadline: deadline) ? awaitStatus(from: id, dataCount: 0, deadline: deadline) : nil
        }
        guard let reply = answer else {
            throw setupFailure("WRITE of \(value) to \(register.name) (register \(register.address)) of servo \(id)", failedTries: failedTries)
        }
        if let code = reply.error.code {
            throw DriverError(device: deviceName, problem: "servo \(id) refused writing \(value) to \(register.name) (register \(register.address)): \(code)",
                              suggestion: code == .access ? "EEPROM registers (below 64) can be written only with torque off" : nil)
        }
    }

    override func setTorque(_ on: Bool) -> Bool {
        let data = [UInt8](repeating: on ? 1 : 0, count: ids.count)
        guard sendInstruction(.syncWrite(address: DynamixelXSeries.torqueEnable.address, length: 1, ids: ids, data: data),
                              deadline: MonotonicClock.deadline(in: 0.05)) else { return false }
        // SYNC_WRITE has no reply: confirm by reading the register back from every servo.
        for id in ids where (try? read(DynamixelXSeries.torqueEnable, of: id)) != (on ? 1 : 0) { return false }
        return true
    }

    override func configureServos() throws(DriverError) {
        for (index, id) in ids.enumerated() {
            let hardwareError = try read(DynamixelXSeries.hardwareErrorStatus, of: id)
            if hardwareError != 0 {
                let status = DynamixelHardwareErrorStatus(rawValue: UInt8(truncatingIfNeeded: hardwareError))
                throw DriverError(device: deviceName, problem: "servo \(id) (joint \(joints[index].name)) reports hardware error \(status)",
                                  suggestion: "remove the cause (load, heat, supply voltage), then power-cycle the arm or REBOOT the servo")
            }
            // Replies as soon as possible: the factory 500 µs return delay would eat the tick.
            try write(DynamixelXSeries.returnDelayTime, of: id, value: 0)
            let mode = try read(DynamixelXSeries.operatingMode, of: id)
            let positionModes: [DynamixelOperatingMode] = [.position, .extendedPosition, .currentBasedPosition]
            if !positionModes.contains(where: { Int($0.rawValue) == mode }) {
                try write(DynamixelXSeries.operatingMode, of: id, value: Int(DynamixelOperatingMode.position.rawValue))
            }
            // The servo's own limits as a second fence behind the safety filter (the calibration
            // loader keeps the range inside the model's position ticks).
            let range = calibrations[index].range
            try write(DynamixelXSeries.minPositionLimit, of: id, value: range.lowerBound)
            try write(DynamixelXSeries.maxPositionLimit, of: id, value: range.upperBound)
        }
        // FAST_SYNC_READ when the firmware has it, SYNC_READ otherwise; lost replies are asked again.
        usesFastSyncRead = true
        if retrying({ deadline in readServos(deadline: deadline) == .fresh ? true : nil }).value == nil {
            usesFastSyncRead = false
            let (read, failedTries) = retrying { deadline in readServos(deadline: deadline) == .fresh ? true : nil }
            guard read != nil else { throw setupFailure("SYNC_READ of registers 126-146", failedTries: failedTries) }
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
        while remaining > 0 {
            let now = MonotonicClock.nowNanoseconds()
            if now >= deadline { break }
            // Give a lost reply 2 ms, then re-ask only the servos that have not answered.
            let wait = min(deadline, now + 2_000_000)
            let n = receive(deadline: wait)
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
                guard (try? DynamixelInstruction.syncRead(address: Self.stateAddress, length: Self.stateLength, ids: retryIDs).encode(into: writer)) != nil,
                      send(deadline: deadline) else { return .fault(.disconnected) }
                continue
            }
            decoder.feed(UnsafeRawBufferPointer(rebasing: readBuffer[0..<n]))
            while let packet = decoder.next() {
                guard packet.isStatus else { continue }
                if packet.id == DynamixelDeviceID.broadcast {
                    guard let segments = try? packet.fastSyncReadSegments(dataLength: Self.stateLength) else { continue }
                    for segment in segments {
                        if let fault = take(id: segment.id, error: segment.error, data: segment.data, remaining: &remaining, deadline: deadline) { return fault }
                    }
                } else if let error = packet.deviceError {
                    if let fault = take(id: packet.id, error: error, data: packet.statusData, remaining: &remaining, deadline: deadline) { return fault }
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

    /// Stores one servo's 21-byte state block; returns a fault for the hardware-alert bit, with the
    /// servo's Hardware Error Status when it can be read before the deadline.
    private func take(id: UInt8, error: DynamixelDeviceError, data: UnsafeRawBufferPointer, remaining: inout Int, deadline: UInt64) -> ReadOutcome? {
        guard let index = joint(forID: id), data.count == Int(Self.stateLength), !readings.received[index] else { return nil }
        if error.hardwareAlert { return .fault(.hardwareError(id: Int(id), code: hardwareErrorStatus(of: id, deadline: deadline))) }
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

    /// Hardware Error Status (70) of one servo, read inside the tick without allocating; -1 when
    /// no reply came before the deadline.
    private func hardwareErrorStatus(of id: UInt8, deadline: UInt64) -> Int {
        let register = DynamixelXSeries.hardwareErrorStatus
        guard sendInstruction(.read(id: id, address: register.address, length: UInt16(register.size)), deadline: deadline) else { return -1 }
        while MonotonicClock.nowNanoseconds() < deadline {
            let n = receive(deadline: deadline)
            if n < 0 { return -1 }
            if n == 0 { continue }
            decoder.feed(UnsafeRawBufferPointer(rebasing: readBuffer[0..<n]))
            while let packet = decoder.next() {
                guard packet.isStatus, packet.id == id, packet.statusData.count == register.size else { continue }
                return Int(packet.statusData[0])
            }
        }
        return -1
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
