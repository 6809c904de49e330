import ReinsConfig
import ReinsCore
import ReinsProtocols
import ReinsTransport
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// One simulated servo on a bus: its control table and the joint it drives.
final class SimulatedServo {
    var table: [UInt8]
    let joint: Int
    /// Seconds the motor has been straining against a seized joint (for the overload error).
    var strainSeconds = 0.0
    var temperature = 32.0

    init(tableSize: Int, joint: Int) {
        table = [UInt8](repeating: 0, count: tableSize)
        self.joint = joint
    }

    func integer(_ address: Int, _ size: Int, signed: Bool = false) -> Int {
        var value = 0
        for i in 0..<size { value |= Int(table[address + i]) << (8 * i) }
        if signed && size < 8 && value & (1 << (8 * size - 1)) != 0 { value -= 1 << (8 * size) }
        return value
    }

    func setInteger(_ address: Int, _ size: Int, _ value: Int) {
        for i in 0..<size { table[address + i] = UInt8(truncatingIfNeeded: value >> (8 * i)) }
    }
}

/// What the Dynamixel and Feetech bus simulators share: a pty the driver opens, servos bound to
/// the simulated arm's joints, replies passed through the fault injector, and the link cut.
public class ServoBusSimulator: ByteLinkSimulator, @unchecked Sendable {
    public let arm: SimulatedArm
    let servos: [SimulatedServo]
    let ticksPerRevolution = 4096.0
    /// Sensor noise and bias are drawn once per step, so every read in a step sees the same value.
    var measuredPositions: [Double]

    init(arm: SimulatedArm, ids: [Int], tableSize: Int, linkPath: String?, faults: FaultInjector) throws(DeviceError) {
        self.arm = arm
        servos = ids.enumerated().map { SimulatedServo(tableSize: tableSize, joint: $0.offset) }
        measuredPositions = arm.joints.map(\.position)
        try super.init(link: nil, linkPath: linkPath, faults: faults)
        if let stuck = faults.spec.stuckComponent, stuck < arm.joints.count { arm.joints[stuck].stuck = true }
    }

    /// A simulated operator moves joints whose torque is off through their range, as a person does
    /// during calibration: from where the joint is to one end stop, across to the other, and back.
    public var backdrive = false
    /// A simulated hand moves joints whose torque is off as a person moves a leader arm while
    /// teleoperating: smoothly and slowly, every joint at once, within the arm's safe envelope (a
    /// simulated leader, `role: leader`, has one). `backdrive` takes precedence.
    public var hand = false
    private var backdriveStart: [(time: Double, position: Double)?] = []
    /// Where a bench holds the simulated hand instead of letting it swing (see `holdHand`).
    private let heldHand = Mutex<(joint: Int, displacement: Double)?>(nil)

    /// Holds the simulated hand still, every joint where the hand took it and `joint` displaced
    /// from there by `displacement` radians, from the next physics step on (any thread): a step a
    /// bench can time through a leader arm to its follower's driver write (`reins bench operator`).
    /// The hand's own motion is a smooth sinusoid with no instant to time from.
    public func holdHand(joint: Int, displacement: Double) {
        heldHand.withLock { $0 = (joint, displacement) }
    }

    public override func step(_ dt: Double, simulatedTime: Double) {
        applyGoals()
        arm.step(dt)
        if backdrive || hand {
            let held = backdrive ? nil : heldHand.withLock { $0 }
            if backdriveStart.count != arm.joints.count { backdriveStart = Array(repeating: nil, count: arm.joints.count) }
            for i in arm.joints.indices {
                guard !arm.joints[i].torqueEnabled else { backdriveStart[i] = nil; continue }
                if backdriveStart[i] == nil { backdriveStart[i] = (simulatedTime, arm.joints[i].position) }
                let (start, origin) = backdriveStart[i]!
                let limits = arm.joints[i].parameters.hardLimits
                let position: Double
                if backdrive {
                    position = operatorSweep(from: origin, limits: limits, elapsed: simulatedTime - start)
                } else if let held {
                    position = origin + (held.joint == i ? held.displacement : 0)
                } else {
                    position = handMotion(joint: i, from: origin, limits: limits, elapsed: simulatedTime - start)
                }
                arm.joints[i].velocity = (position - arm.joints[i].position) / dt
                arm.joints[i].position = position
            }
        }
        for i in arm.joints.indices { measuredPositions[i] = faults.measure(arm.joints[i].position) }
        for servo in servos { refresh(servo, dt: dt, time: simulatedTime) }
    }

    /// Where the simulated operator holds a joint `elapsed` seconds after the torque went off: still
    /// for the first second (a person reads the prompt; `--zero-pose current` reads the pose then,
    /// however loaded the machine), then origin to the low end stop, across to the high one, back
    /// to the origin, 1.5 s per leg with smooth ends.
    func operatorSweep(from origin: Double, limits: ClosedRange<Double>, elapsed: Double) -> Double {
        let elapsed = elapsed - 1
        guard elapsed > 0 else { return origin }
        let low = limits.lowerBound + 0.02, high = limits.upperBound - 0.02
        let legs = [(origin, low), (low, high), (high, origin)]
        let leg = Int(elapsed / 1.5) % 3
        let fraction = (elapsed.truncatingRemainder(dividingBy: 1.5)) / 1.5
        let blend = (1 - cos(Double.pi * fraction)) / 2
        return legs[leg].0 + (legs[leg].1 - legs[leg].0) * blend
    }

    /// Where the simulated hand holds joint `index` `elapsed` seconds after it took it at `origin`:
    /// a slow sinusoid, `origin + a·(1 − cos ωt)`, so it starts at rest from where the joint was and
    /// swings toward the side with more room, up to 1.2 rad and back. Each joint has its own period
    /// (6 s, 7 s, ...), and the peak speed (0.63 rad/s at most) stays under a quarter of a follower's
    /// typical joint speed limit, the rate at which a follower engages.
    func handMotion(joint index: Int, from origin: Double, limits: ClosedRange<Double>, elapsed: Double) -> Double {
        // The hard limits sit 0.15 rad outside the description's envelope; keep 0.05 rad inside it.
        let low = limits.lowerBound + 0.2, high = limits.upperBound - 0.2
        let above = high - origin, below = origin - low
        let room = max(0, max(above, below))
        let amplitude = min(0.6, room / 2)
        let period = 6.0 + Double(index)
        let offset = amplitude * (1 - cos(2 * Double.pi * elapsed / period))
        return above >= below ? origin + offset : origin - offset
    }

    /// Copies goal registers into the joints (subclass: protocol register map).
    func applyGoals() {}

    /// Copies the joint's state into the servo's present-value registers.
    func refresh(_ servo: SimulatedServo, dt: Double, time: Double) {}

    func servo(id: UInt8, idAddress: Int) -> SimulatedServo? {
        servos.first { $0.table[idAddress] == id }
    }

    /// Joint angle to raw ticks around the 2048 centre.
    func ticks(_ angle: Double) -> Int {
        Int((angle * ticksPerRevolution / (2 * Double.pi)).rounded()) + Int(ticksPerRevolution / 2)
    }

    func angle(_ ticks: Int) -> Double {
        Double(ticks - Int(ticksPerRevolution / 2)) * 2 * Double.pi / ticksPerRevolution
    }

    /// Seconds of full motor output after which a servo reports overload.
    static let overloadSeconds = 1.0

    /// Overload as the servos detect it ("persistent load that exceeds maximum output"): the motor
    /// at its output limit for more than `overloadSeconds` in all, counted down again while it is
    /// not. A seized joint or one pushed into its end stop gets there; the short bursts of full
    /// output that start and stop a move do not.
    func strained(_ servo: SimulatedServo, dt: Double) -> Bool {
        let joint = arm.joints[servo.joint]
        if joint.torqueEnabled && abs(joint.effort) >= 0.95 * joint.parameters.maximumAcceleration {
            servo.strainSeconds += dt
        } else {
            servo.strainSeconds = max(0, servo.strainSeconds - dt)
        }
        return servo.strainSeconds > Self.overloadSeconds
    }
}
