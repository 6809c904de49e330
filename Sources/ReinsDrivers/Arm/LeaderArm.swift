import ReinsConfig
import ReinsCore
import ReinsProtocols
import ReinsTransport

/// An arm a person moves by hand to lead another (teleoperation, taking over from a policy): the
/// same servo bus an arm driver uses, read only. Torque goes off at `connect` and is never switched
/// on, so the joints move freely; `read` turns the servos' positions into joint angles through the
/// leader's own calibration.
///
/// `connect` makes the checks an arm driver makes (a missing id, a wrong model, a silent bus, a
/// failed link) and may block; `read` allocates nothing and never waits past its deadline, so an
/// operator device can call it at the control rate.
public final class LeaderArm: @unchecked Sendable {
    /// The leader's description: its joints, servo models and calibration (its own, not the
    /// follower's).
    public let robot: RobotDescription
    public let bus: any ServoBus
    private let arm: ServoArm

    public init(robot: RobotDescription, bus: any ServoBus) {
        self.robot = robot
        self.bus = bus
        arm = ServoArm(robot: robot)
        precondition(bus.ids == arm.ids, "the bus's servo ids \(bus.ids) are not the calibration's \(arm.ids)")
    }

    /// A leader arm on the bus the description's driver names (`DriverFactory.servoBus`).
    public convenience init(robot: RobotDescription, link: LinkSpec) {
        self.init(robot: robot, bus: DriverFactory.servoBus(for: robot, link: link))
    }

    public var deviceName: String { bus.deviceName }

    /// Joint names, in the order `read` fills positions.
    public var jointNames: [String] { arm.joints.map(\.name) }

    /// Opens the bus, finds every servo, switches torque off so the arm can be moved by hand, and
    /// makes sure the servos' positions read.
    public func connect() throws(DeviceError) {
        try bus.open()
        try arm.findServos(on: bus)
        guard bus.setTorque(false) else {
            throw DeviceError(device: deviceName, problem: "torque off was not confirmed by every servo",
                              suggestion: "check the servos' power and cable; a leader arm must move freely by hand")
        }
        try bus.startStateReads()
    }

    /// The leader's joint angles (rad, through its calibration) into `positions` (one per joint),
    /// waiting at most until `deadline`. Never allocates. On `.stale` or a fault `positions` keeps its
    /// previous values.
    public func read(into positions: UnsafeMutableBufferPointer<Double>, deadline: UInt64) -> ReadOutcome {
        let outcome = bus.readState(deadline: deadline)
        guard outcome == .fresh else { return outcome }
        let ticks = bus.readings.positionTicks
        for i in 0..<arm.calibrations.count {
            positions[i] = arm.calibrations[i].angle(ticks: ticks[i])
        }
        return .fresh
    }

    /// A sentence for a fault `read` returned: the device, the servo and its joint, and what to do.
    public func explain(_ fault: DriverFault) -> String {
        arm.explain(fault, on: bus) ?? "\(deviceName): \(fault)"
    }

    public func disconnect() {
        bus.close()
    }
}
