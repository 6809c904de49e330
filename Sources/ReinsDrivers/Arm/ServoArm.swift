import ReinsConfig
import ReinsCore
import ReinsProtocols

/// An arm description as a servo bus sees it: joints, their calibration and servo ids, and the
/// set-up checks every arm on a bus makes, whether it is driven (`ArmDriver`) or read by hand
/// (`LeaderArm`).
struct ServoArm {
    let robot: RobotDescription
    let joints: [JointSpec]
    let calibrations: [JointCalibration]
    /// Servo ids in joint order.
    let ids: [UInt8]

    init(robot: RobotDescription) {
        guard case .arm(let joints) = robot.body, case .arm(let calibration) = robot.calibration else {
            preconditionFailure("a servo arm needs an arm description with its calibration")
        }
        self.robot = robot
        self.joints = joints
        calibrations = calibration.joints.map(\.calibration)
        ids = calibrations.map { UInt8($0.servoID) }
    }

    /// PINGs every servo: a missing id, a wrong model and a silent bus each get their own message,
    /// and a link that fails says so.
    func findServos(on bus: any ServoBus) throws(DeviceError) {
        var silent: [(index: Int, failedTries: Int)] = []
        for (index, id) in ids.enumerated() {
            let answer = try bus.ping(id)
            guard let model = answer.modelNumber else { silent.append((index, answer.failedTries)); continue }
            if let expected = joints[index].model, expected.modelNumber != model {
                let name = ServoModel.known.first { $0.modelNumber == model && $0.driver == robot.driver }?.name ?? "model \(model)"
                throw DeviceError(device: bus.deviceName, problem: "servo \(id) (joint \(joints[index].name)) is \(name), but the description says \(expected.name)",
                                  suggestion: "fix the joint's `model` in \(robot.sourcePath), or check that servo ids are not swapped")
            }
        }
        let window = ServoSetUp.window
        if silent.count == ids.count {
            throw DeviceError(device: bus.deviceName, problem: "no servo answers PING (\(silent[0].failedTries) tries each within \(window))",
                              suggestion: "check the bus power and cable, and that every servo runs at the adapter's baud rate (a wrong baud rate makes all of them silent)")
        }
        if let first = silent.first {
            let names = silent.map { "\(ids[$0.index]) (\(joints[$0.index].name))" }.joined(separator: ", ")
            throw DeviceError(device: bus.deviceName, problem: "servo id\(silent.count > 1 ? "s" : "") \(names) do\(silent.count > 1 ? "" : "es") not answer PING (\(first.failedTries) tries within \(window))",
                              suggestion: "check the cable to servo \(ids[first.index]) and that its id is \(ids[first.index]) (the calibration file \(robot.calibrationPath) lists the ids)")
        }
    }

    /// Refuses a servo that reports a latched hardware error of its own (overload, heat, voltage).
    func checkHardware(joint index: Int, on bus: any ServoBus) throws(DeviceError) {
        let code = try bus.hardwareErrorCode(of: ids[index])
        guard code != 0 else { return }
        throw DeviceError(device: bus.deviceName, problem: "servo \(ids[index]) (joint \(joints[index].name)) reports \(bus.describeHardwareError(code))",
                          suggestion: "remove the cause (load, heat, supply voltage), then \(bus.hardwareErrorRecovery)")
    }

    /// A sentence for a fault the bus reported (a servo's hardware error, a silent servo, a lost
    /// link); nil for the faults of whoever drives the arm.
    func explain(_ fault: DriverFault, on bus: any ServoBus) -> String? {
        let device = bus.deviceName
        switch fault {
        case .hardwareError(let id, let code):
            guard code >= 0 else {
                return "\(device): \(servo(id)) raised its hardware alert, and \(bus.hardwareErrorSource) could not be read within the tick; "
                    + "read it with the vendor's tool, remove the cause, then \(bus.hardwareErrorRecovery)"
            }
            let hex = "0x" + (code < 16 ? "0" : "") + String(code, radix: 16, uppercase: true)
            return "\(device): \(servo(id)) reports \(bus.describeHardwareError(code)) (\(bus.hardwareErrorSource) = \(hex)); "
                + "remove the cause (a seized or blocked joint, too much load, heat, supply voltage), then \(bus.hardwareErrorRecovery)"
        case .noResponse(let id):
            return "\(device): \(servo(id)) stopped answering; check its cable and power"
        case .disconnected:
            // Say what the link reported when it says more than "disconnected".
            var cause = ""
            if let failure = bus.linkFailure {
                var isTCP = false
                if case .tcp = bus.linkSpec { isTCP = true }
                if isTCP || failure != .disconnected { cause = " (\(bus.linkSpec.failureText(failure)))" }
            }
            return "\(device): link lost\(cause); \(bus.linkSpec.failureSuggestion)"
        case .trackingError, .modeLost, .writeFailed:
            return nil
        }
    }

    /// "servo 3 (joint elbow_flex)", for messages.
    func servo(_ id: Int) -> String {
        for index in ids.indices where Int(ids[index]) == id { return "servo \(id) (joint \(joints[index].name))" }
        return "servo \(id)"
    }
}
