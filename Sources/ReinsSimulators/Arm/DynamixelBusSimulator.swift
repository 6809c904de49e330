import ReinsConfig
import ReinsCore
import ReinsProtocols
import ReinsTransport

/// X-series Dynamixel servos on a simulated Protocol 2.0 bus, one per arm joint, on a pty that a
/// driver or dynamixel_sdk opens like a U2D2 adapter.
///
/// Implemented semantics: the X-series control table (EEPROM below address 64 writable only with
/// torque off), PING (also broadcast, answered in ID order), READ, WRITE, REG_WRITE/ACTION,
/// REBOOT (clears Hardware Error Status and torque), FACTORY_RESET, SYNC_READ, SYNC_WRITE,
/// FAST_SYNC_READ, BULK_READ/WRITE, FAST_BULK_READ; Status Return Level and Return Delay Time;
/// no replies to broadcast READ/WRITE; full motor output for over a second (a seized joint) latches
/// overload in Hardware Error Status, raises the alert bit and, as Shutdown selects, drops torque.
/// Position-control modes (3, 4, 5) move the joint; other modes hold it where it is.
public final class DynamixelBusSimulator: ServoBusSimulator, @unchecked Sendable {
    private let decoder = DynamixelDecoder()
    private var registered: [Int: (address: Int, data: [UInt8])] = [:]
    private let models: [UInt16]

    public init(arm: SimulatedArm, description: RobotDescription, linkPath: String? = nil, faults: FaultInjector) throws(DeviceError) {
        guard case .arm(let joints) = description.body, case .arm(let calibration) = description.calibration else {
            preconditionFailure("DynamixelBusSimulator needs an arm description")
        }
        let ids = calibration.joints.map(\.calibration.servoID)
        models = joints.map { $0.model?.modelNumber ?? 1060 }
        try super.init(arm: arm, ids: ids, tableSize: 256, linkPath: linkPath, faults: faults)
        for (index, servo) in servos.enumerated() {
            factoryDefaults(servo, id: ids[index], model: models[index])
        }
    }

    private func factoryDefaults(_ servo: SimulatedServo, id: Int, model: UInt16) {
        servo.table = [UInt8](repeating: 0, count: 256)
        servo.setInteger(0, 2, Int(model))
        servo.setInteger(6, 1, 52)
        servo.setInteger(7, 1, id)
        servo.setInteger(8, 1, 3)
        servo.setInteger(9, 1, 250)
        servo.setInteger(11, 1, 3)
        servo.setInteger(31, 1, 80)
        servo.setInteger(32, 2, 140)
        servo.setInteger(34, 2, 60)
        servo.setInteger(36, 2, 885)
        servo.setInteger(44, 4, 265)
        servo.setInteger(48, 4, 4095)
        servo.setInteger(52, 4, 0)
        servo.setInteger(63, 1, 52)
        servo.setInteger(68, 1, 2)
        servo.setInteger(116, 4, ticks(arm.joints[servo.joint].position))
        refresh(servo, dt: 0, time: 0)
    }

    private func isLowVoltageModel(_ model: Int) -> Bool { model == 1190 || model == 1200 }

    override func applyGoals() {
        for servo in servos {
            let joint = servo.joint
            arm.joints[joint].torqueEnabled = servo.table[64] != 0
            let mode = servo.table[11]
            let offset = servo.integer(20, 4, signed: true)
            if mode == 3 || mode == 4 || mode == 5 {
                var goal = servo.integer(116, 4, signed: true) - offset
                if mode == 3 {
                    goal = min(max(goal, servo.integer(52, 4, signed: true)), servo.integer(48, 4, signed: true))
                }
                arm.joints[joint].goal = angle(goal)
            } else {
                arm.joints[joint].goal = arm.joints[joint].position
            }
            let profile = Double(servo.integer(112, 4))
            arm.joints[joint].profileVelocity = profile * 0.229 * 2 * Double.pi / 60
        }
    }

    override func refresh(_ servo: SimulatedServo, dt: Double, time: Double) {
        let joint = arm.joints[servo.joint]
        // Overload latches in Hardware Error Status (so every status packet carries the alert bit)
        // and, when the Shutdown register selects it (the factory default does), drops torque.
        let overload = UInt8(DynamixelHardwareErrorStatus.overload.rawValue)
        if strained(servo, dt: dt) && servo.table[70] & overload == 0 {
            servo.table[70] |= overload
            if servo.table[63] & overload != 0 { servo.table[64] = 0 }
        }
        let offset = servo.integer(20, 4, signed: true)
        servo.setInteger(132, 4, ticks(measuredPositions[servo.joint]) + offset)
        servo.setInteger(128, 4, Int((joint.velocity * 60 / (2 * Double.pi) / 0.229).rounded()))
        servo.setInteger(126, 2, Int(joint.presentCurrentMilliamps.rounded()))
        servo.setInteger(124, 2, Int((joint.effort / 60 * 885).rounded()))
        servo.temperature += (25 + abs(joint.presentCurrentMilliamps) / 40 - servo.temperature) * min(1, dt / 120)
        servo.setInteger(146, 1, Int(servo.temperature.rounded()))
        servo.setInteger(144, 2, isLowVoltageModel(servo.integer(0, 2)) ? 50 : 120)
        servo.setInteger(122, 1, abs(joint.velocity) > 0.02 ? 1 : 0)
        servo.setInteger(120, 2, Int((time * 1000).rounded()) % 32768)
    }

    override func received(_ bytes: UnsafeRawBufferPointer, at time: Double) {
        decoder.feed(bytes)
        while let packet = decoder.next() {
            guard !packet.isStatus, let instruction = try? packet.instruction() else { continue }
            handle(instruction, at: time)
        }
    }

    private func status(_ servo: SimulatedServo, _ error: UInt8 = 0, data: [UInt8] = []) -> DynamixelStatus {
        let alert: UInt8 = servo.table[70] != 0 ? 0x80 : 0
        return DynamixelStatus(id: servo.table[7], error: DynamixelDeviceError(rawValue: error | alert), data: data)
    }

    private func send(_ status: DynamixelStatus, from servo: SimulatedServo, at time: Double, kind: ReplyKind) {
        let level = servo.table[68]
        switch kind {
        case .ping: break
        case .read: if level < 1 { return }
        case .other: if level < 2 { return }
        }
        guard let bytes = try? status.encoded() else { return }
        reply(bytes, at: time, delay: Double(servo.table[9]) * 2e-6)
    }

    private enum ReplyKind { case ping, read, other }

    /// Reads `length` bytes, or the Data Range error code when the block runs off the table.
    private func read(_ servo: SimulatedServo, _ address: UInt16, _ length: UInt16) -> (error: UInt8, data: [UInt8]) {
        let start = Int(address), end = Int(address) + Int(length)
        guard end <= servo.table.count, length > 0 else { return (4, []) }
        return (0, Array(servo.table[start..<end]))
    }

    /// Model number, firmware, hardware status and present values.
    private static let readOnly = [0..<7, 70..<71, 120..<147]

    /// Writes bytes with the X series' access rules; returns the status error code.
    private func write(_ servo: SimulatedServo, _ address: Int, _ data: [UInt8]) -> UInt8 {
        let end = address + data.count
        guard end <= servo.table.count, !data.isEmpty else { return 4 }
        if address < 64 && servo.table[64] != 0 { return 7 }
        for range in Self.readOnly where range.overlaps(address..<end) { return 7 }
        if address <= 7 && end > 7 && data[7 - address] > 252 { return 4 }
        for (i, byte) in data.enumerated() { servo.table[address + i] = byte }
        return 0
    }

    private func handle(_ instruction: DynamixelInstruction, at time: Double) {
        let broadcast = DynamixelDeviceID.broadcast
        switch instruction {
        case .ping(let id):
            let targets = id == broadcast ? servos.sorted { $0.table[7] < $1.table[7] } : servos.filter { $0.table[7] == id }
            for servo in targets {
                send(status(servo, data: [UInt8(servo.table[0]), servo.table[1], servo.table[6]]), from: servo, at: time, kind: .ping)
            }
        case .read(let id, let address, let length):
            guard id != broadcast, let servo = servo(id: id, idAddress: 7) else { return }
            let result = read(servo, address, length)
            send(status(servo, result.error, data: result.data), from: servo, at: time, kind: .read)
        case .write(let id, let address, let data):
            for servo in servos where servo.table[7] == id || id == broadcast {
                let error = write(servo, Int(address), data)
                if id != broadcast { send(status(servo, error), from: servo, at: time, kind: .other) }
            }
        case .regWrite(let id, let address, let data):
            for servo in servos where servo.table[7] == id || id == broadcast {
                registered[servo.joint] = (Int(address), data)
                servo.table[69] = 1
                if id != broadcast { send(status(servo), from: servo, at: time, kind: .other) }
            }
        case .action(let id):
            for servo in servos where servo.table[7] == id || id == broadcast {
                if let pending = registered.removeValue(forKey: servo.joint) {
                    _ = write(servo, pending.address, pending.data)
                    servo.table[69] = 0
                    if id != broadcast { send(status(servo), from: servo, at: time, kind: .other) }
                } else if id != broadcast {
                    send(status(servo, 2), from: servo, at: time, kind: .other)
                }
            }
        case .specific(.reboot(let id)):
            guard let servo = servo(id: id, idAddress: 7) else { return }
            servo.table[70] = 0
            servo.table[64] = 0
            servo.strainSeconds = 0
            send(status(servo), from: servo, at: time, kind: .other)
        case .specific(.factoryReset(let id, _)):
            guard let servo = servo(id: id, idAddress: 7) else { return }
            send(status(servo), from: servo, at: time, kind: .other)
            factoryDefaults(servo, id: Int(servo.table[7]), model: models[servo.joint])
        case .specific(.clearMultiTurn(let id)):
            guard let servo = servo(id: id, idAddress: 7) else { return }
            send(status(servo), from: servo, at: time, kind: .other)
        case .syncRead(let address, let length, let ids):
            for id in ids {
                guard let servo = servo(id: id, idAddress: 7) else { continue }
                let result = read(servo, address, length)
                send(status(servo, result.error, data: result.data), from: servo, at: time, kind: .read)
            }
        case .syncWrite(let address, let length, let ids, let data):
            for (index, id) in ids.enumerated() {
                guard let servo = servo(id: id, idAddress: 7) else { continue }
                let start = index * Int(length)
                guard start + Int(length) <= data.count else { break }
                _ = write(servo, Int(address), Array(data[start..<(start + Int(length))]))
            }
        case .specific(.fastSyncRead(let address, let length, let ids)):
            let statuses = ids.compactMap { id -> DynamixelStatus? in
                guard let servo = servo(id: id, idAddress: 7) else { return nil }
                let result = read(servo, address, length)
                return status(servo, result.error, data: result.error == 0 ? result.data : [UInt8](repeating: 0, count: Int(length)))
            }
            // A missing device leaves the whole reply incomplete, as on a real bus.
            guard statuses.count == ids.count, let first = servo(id: ids[0], idAddress: 7),
                  let bytes = try? DynamixelFastReply.encoded(statuses) else { return }
            reply(bytes, at: time, delay: Double(first.table[9]) * 2e-6)
        case .specific(.bulkRead(let entries)):
            for entry in entries {
                guard let servo = servo(id: entry.id, idAddress: 7) else { continue }
                let result = read(servo, entry.address, entry.length)
                send(status(servo, result.error, data: result.data), from: servo, at: time, kind: .read)
            }
        case .specific(.bulkWrite(let entries)):
            for entry in entries {
                guard let servo = servo(id: entry.id, idAddress: 7) else { continue }
                _ = write(servo, Int(entry.address), entry.data)
            }
        case .specific(.fastBulkRead(let entries)):
            let statuses = entries.compactMap { entry -> DynamixelStatus? in
                guard let servo = servo(id: entry.id, idAddress: 7) else { return nil }
                let result = read(servo, entry.address, entry.length)
                return status(servo, result.error, data: result.error == 0 ? result.data : [UInt8](repeating: 0, count: Int(entry.length)))
            }
            guard statuses.count == entries.count, let first = servo(id: entries[0].id, idAddress: 7),
                  let bytes = try? DynamixelFastReply.encoded(statuses) else { return }
            reply(bytes, at: time, delay: Double(first.table[9]) * 2e-6)
        }
    }
}
