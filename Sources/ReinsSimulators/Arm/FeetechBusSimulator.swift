import ReinsConfig
import ReinsCore
import ReinsProtocols
import ReinsTransport

/// STS3215 servos on a simulated Feetech bus, one per arm joint, on a pty.
///
/// Implemented semantics: the STS control table with sign-magnitude fields (homing offset bit 11,
/// velocities bit 15), PING, READ, WRITE, REG_WRITE/ACTION, SYNC_READ (each servo answers in
/// list order) and SYNC_WRITE (no reply), Response Status Level (0: only PING and READ answer),
/// Return Delay Time (2 µs units), torque enable, goal velocity as the speed limit, and an
/// overload that trips torque off and sets the overload bit in every reply.
public final class FeetechBusSimulator: ServoBusSimulator, @unchecked Sendable {
    private let decoder = FeetechDecoder()
    private var registered: [Int: (address: Int, data: [UInt8])] = [:]

    public init(arm: SimulatedArm, description: RobotDescription, linkPath: String? = nil, faults: FaultInjector) throws(DeviceError) {
        guard case .arm(let calibration) = description.calibration else {
            preconditionFailure("FeetechBusSimulator needs an arm description")
        }
        let ids = calibration.joints.map(\.calibration.servoID)
        try super.init(arm: arm, ids: ids, tableSize: 128, linkPath: linkPath, faults: faults)
        for (index, servo) in servos.enumerated() {
            servo.setInteger(0, 1, 3)
            servo.setInteger(1, 1, 10)
            servo.setInteger(3, 2, 777)
            servo.setInteger(5, 1, ids[index])
            servo.setInteger(8, 1, 1)
            servo.setInteger(11, 2, 4095)
            servo.setInteger(13, 1, 70)
            servo.setInteger(16, 2, 1000)
            servo.setInteger(41, 1, 254)
            servo.setInteger(42, 2, ticks(arm.joints[index].position))
            servo.setInteger(48, 2, 1000)
            servo.setInteger(55, 1, 1)
            refresh(servo, dt: 0, time: 0)
        }
    }

    private func signed(_ raw: Int, bit: Int) -> Int {
        raw & (1 << bit) != 0 ? -(raw & ((1 << bit) - 1)) : raw & ((1 << bit) - 1)
    }

    private func signMagnitude(_ value: Int, bit: Int) -> Int {
        let magnitude = min(abs(value), (1 << bit) - 1)
        return value < 0 ? magnitude | (1 << bit) : magnitude
    }

    override func applyGoals() {
        for servo in servos {
            let joint = servo.joint
            arm.joints[joint].torqueEnabled = servo.table[40] != 0
            let offset = signed(servo.integer(31, 2), bit: 11)
            let goal = min(max(servo.integer(42, 2), servo.integer(9, 2)), servo.integer(11, 2)) + offset
            arm.joints[joint].goal = angle(goal)
            // Goal Velocity is the speed limit of a position move, in steps/s; 0 means full speed.
            let speed = Double(abs(signed(servo.integer(46, 2), bit: 15)))
            arm.joints[joint].profileVelocity = speed * 2 * Double.pi / ticksPerRevolution
        }
    }

    override func refresh(_ servo: SimulatedServo, dt: Double, time: Double) {
        let joint = arm.joints[servo.joint]
        let overload = FeetechStatusError.overload.rawValue
        if strained(servo, dt: dt) && servo.table[65] & overload == 0 {
            servo.table[65] |= overload
            servo.table[40] = 0
        }
        let offset = signed(servo.integer(31, 2), bit: 11)
        let position = (ticks(measuredPositions[servo.joint]) - offset) & 0xFFF
        servo.setInteger(56, 2, position)
        servo.setInteger(58, 2, signMagnitude(Int((joint.velocity * ticksPerRevolution / (2 * Double.pi)).rounded()), bit: 15))
        servo.setInteger(60, 2, signMagnitude(Int((joint.effort / 60 * 1000).rounded()), bit: 10))
        servo.setInteger(62, 1, 74)
        servo.temperature += (25 + abs(joint.presentCurrentMilliamps) / 40 - servo.temperature) * min(1, dt / 120)
        servo.setInteger(63, 1, Int(servo.temperature.rounded()))
        servo.setInteger(66, 1, abs(joint.velocity) > 0.02 ? 1 : 0)
        servo.setInteger(69, 2, Int((abs(joint.presentCurrentMilliamps) / 6.5).rounded()))
    }

    override func received(_ bytes: UnsafeRawBufferPointer, at time: Double) {
        decoder.feed(bytes)
        while let packet = decoder.next() {
            guard let instruction = try? packet.instruction() else { continue }
            handle(instruction, at: time)
        }
    }

    private func answer(_ servo: SimulatedServo, data: [UInt8] = [], at time: Double, always: Bool) {
        // Response Status Level 0: only PING and READ answer.
        guard always || servo.table[8] != 0 else { return }
        let status = FeetechStatus(id: servo.table[5], error: FeetechStatusError(rawValue: servo.table[65]), data: data)
        guard let bytes = try? status.encoded() else { return }
        reply(bytes, at: time, delay: Double(servo.table[7]) * 2e-6)
    }

    private func write(_ servo: SimulatedServo, _ address: Int, _ data: [UInt8]) {
        guard address + data.count <= servo.table.count else { return }
        let readOnly = 56..<71
        guard !readOnly.overlaps(address..<(address + data.count)) else { return }
        for (i, byte) in data.enumerated() { servo.table[address + i] = byte }
    }

    private func read(_ servo: SimulatedServo, _ address: UInt8, _ length: UInt8) -> [UInt8]? {
        let start = Int(address), end = start + Int(length)
        guard end <= servo.table.count, length > 0 else { return nil }
        return Array(servo.table[start..<end])
    }

    private func handle(_ instruction: FeetechInstruction, at time: Double) {
        let broadcast = FeetechDeviceID.broadcast
        switch instruction {
        case .ping(let id):
            for servo in servos where servo.table[5] == id || id == broadcast {
                answer(servo, at: time, always: true)
            }
        case .read(let id, let address, let length):
            guard id != broadcast, let servo = servo(id: id, idAddress: 5), let data = read(servo, address, length) else { return }
            answer(servo, data: data, at: time, always: true)
        case .write(let id, let address, let data):
            for servo in servos where servo.table[5] == id || id == broadcast {
                write(servo, Int(address), data)
                if id != broadcast { answer(servo, at: time, always: false) }
            }
        case .regWrite(let id, let address, let data):
            for servo in servos where servo.table[5] == id || id == broadcast {
                registered[servo.joint] = (Int(address), data)
                if id != broadcast { answer(servo, at: time, always: false) }
            }
        case .action(let id):
            for servo in servos where servo.table[5] == id || id == broadcast {
                if let pending = registered.removeValue(forKey: servo.joint) { write(servo, pending.address, pending.data) }
            }
        case .syncRead(let address, let length, let ids):
            for id in ids {
                guard let servo = servo(id: id, idAddress: 5), let data = read(servo, address, length) else { continue }
                answer(servo, data: data, at: time, always: true)
            }
        case .syncWrite(let address, let length, let ids, let data):
            for (index, id) in ids.enumerated() {
                guard let servo = servo(id: id, idAddress: 5) else { continue }
                let start = index * Int(length)
                guard start + Int(length) <= data.count else { break }
                write(servo, Int(address), Array(data[start..<(start + Int(length))]))
            }
        case .specific(let instruction):
            switch instruction {}
        }
    }
}
