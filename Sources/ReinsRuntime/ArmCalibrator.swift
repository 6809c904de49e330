import ReinsConfig
import ReinsCore
import ReinsDrivers

/// Records an arm's joint ranges while someone moves it by hand with torque off, and turns them
/// into a calibration (servo ids, homing offsets, directions, ranges in raw ticks).
public enum ArmCalibrator {
    public enum ZeroPose: String, CaseIterable, Sendable {
        /// The pose the arm is in when recording starts is the zero angle of every joint.
        case current
        /// The middle of each joint's recorded range is its zero angle.
        case midRange = "mid-range"
    }

    public struct Recording: Sendable {
        public var startTicks: [Int]
        public var minimumTicks: [Int]
        public var maximumTicks: [Int]
        public var samples: Int

        public init(startTicks: [Int], minimumTicks: [Int], maximumTicks: [Int], samples: Int) {
            self.startTicks = startTicks
            self.minimumTicks = minimumTicks
            self.maximumTicks = maximumTicks
            self.samples = samples
        }
    }

    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// The description with a provisional calibration (no offsets, full turn) so the driver reports
    /// raw positions: ids and directions come from the existing calibration, or `ids`.
    public static func provisional(_ robot: RobotDescription, ids: [Int]?, inverted: Set<String>) throws(Failure) -> RobotDescription {
        guard case .arm(let joints) = robot.body else { throw Failure(description: "\(robot.sourcePath) is not an arm; only arms are calibrated this way") }
        var existing: ArmCalibration?
        if case .arm(let calibration) = robot.calibration, !calibration.joints.isEmpty { existing = calibration }
        let servoIDs: [Int]
        if let ids {
            guard ids.count == joints.count else { throw Failure(description: "--ids lists \(ids.count) ids but the arm has \(joints.count) joints") }
            guard Set(ids).count == ids.count else { throw Failure(description: "--ids repeats an id") }
            servoIDs = ids
        } else if let existing {
            servoIDs = existing.joints.map(\.calibration.servoID)
        } else {
            throw Failure(description: "no calibration file yet (\(robot.calibrationPath)): pass the servo ids in joint order, e.g. --ids \((1...joints.count).map(String.init).joined(separator: ","))")
        }
        var provisional = robot
        provisional.calibration = .arm(ArmCalibration(joints: joints.enumerated().map { index, joint in
            let direction = inverted.contains(joint.name) ? -1 : (existing?.joint(joint.name)?.direction ?? 1)
            return (joint.name, JointCalibration(servoID: servoIDs[index], homingOffset: 0, direction: direction, range: 0...4095))
        }))
        return provisional
    }

    /// Reads the arm for `seconds` (or until `shouldStop`), keeping each joint's extreme raw ticks.
    public static func record(_ session: RobotSession, seconds: Double, shouldStop: () -> Bool = { false }) throws(Failure) -> Recording {
        guard case .arm(let calibration) = session.robot.calibration else { throw Failure(description: "not an arm") }
        let n = calibration.joints.count
        var recording = Recording(startTicks: [], minimumTicks: [Int](repeating: .max, count: n), maximumTicks: [Int](repeating: .min, count: n), samples: 0)
        let end = MonotonicClock.nowNanoseconds() + UInt64(seconds * 1e9)
        while MonotonicClock.nowNanoseconds() < end && !shouldStop() {
            let next = MonotonicClock.nowNanoseconds() + 20_000_000
            switch session.driver.read(into: session.state, deadline: next) {
            case .fresh:
                let arm = ArmStateView(UnsafeBufferPointer(session.state.values), jointCount: n)
                var ticks: [Int] = []
                for (i, joint) in calibration.joints.enumerated() {
                    ticks.append(joint.calibration.ticks(angle: arm.position(i)))
                }
                if recording.startTicks.isEmpty { recording.startTicks = ticks }
                for i in 0..<n {
                    recording.minimumTicks[i] = min(recording.minimumTicks[i], ticks[i])
                    recording.maximumTicks[i] = max(recording.maximumTicks[i], ticks[i])
                }
                recording.samples += 1
            case .stale:
                break
            case .fault(let fault):
                throw Failure(description: "\(session.driver.deviceName): \(fault)")
            }
            MonotonicClock.sleep(untilNanoseconds: next)
        }
        guard recording.samples > 0 else { throw Failure(description: "\(session.driver.deviceName): no readings while recording") }
        return recording
    }

    /// Joints that barely moved while recording (probably not moved by hand at all).
    public static func unmovedJoints(_ recording: Recording, names: [String], minimumTicks: Int = 200) -> [String] {
        names.indices.filter { recording.maximumTicks[$0] - recording.minimumTicks[$0] < minimumTicks }.map { names[$0] }
    }

    /// The ranges are the extreme readings as recorded. A joint that never moved gets [t, t], which
    /// `reins check` refuses with "record both ends" (widening it by a tick it never reached would
    /// write a range the joint was never seen to cover).
    public static func calibration(from recording: Recording, provisional robot: RobotDescription, zero: ZeroPose) -> ArmCalibration {
        guard case .arm(let provisional) = robot.calibration else { return ArmCalibration(joints: []) }
        return ArmCalibration(joints: provisional.joints.enumerated().map { index, joint in
            let low = recording.minimumTicks[index], high = recording.maximumTicks[index]
            let zeroTicks = zero == .current ? recording.startTicks[index] : (low + high) / 2
            return (joint.name, JointCalibration(servoID: joint.calibration.servoID, homingOffset: zeroTicks - 2048,
                                                 direction: joint.calibration.direction, range: low...high))
        })
    }

    /// The calibration as the YAML `Calibration/*.yaml` holds.
    public static func yaml(_ calibration: ArmCalibration, robot: RobotDescription, zero: ZeroPose) -> String {
        let width = calibration.joints.map(\.name.count).max() ?? 0
        var text = "# Calibration of \(robot.name), written by `reins calibrate` (zero pose: \(zero.rawValue)).\n"
        text += "# angle = direction * (ticks - 2048 - homing_offset) * 2π / 4096; ranges are raw encoder ticks.\n"
        text += "kind: arm\njoints:\n"
        for (name, joint) in calibration.joints {
            let padding = String(repeating: " ", count: width - name.count)
            text += "  \(name):\(padding) {id: \(joint.servoID), homing_offset: \(joint.homingOffset), direction: \(joint.direction), range: [\(joint.range.lowerBound), \(joint.range.upperBound)]}\n"
        }
        return text
    }
}
