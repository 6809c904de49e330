import Foundation
import ReinsConfig
import ReinsTestSupport

/// A small valid arm description and calibration; tests break one thing at a time.
enum Fixtures {
    static let arm = """
        name: test-arm
        kind: arm
        driver: dynamixel
        link: sim
        control_rate_hz: 100
        calibration: cal.yaml
        joints:
          - name: shoulder
            model: xl430-w250
            position: [-1.5, 1.5]
            velocity: 3.0
            acceleration: 20.0
          - name: elbow
            model: xl430-w250
            position: [-1.5, 1.5]
            velocity: 3.0
            acceleration: 20.0
        observation: [joint_position, joint_velocity]
        action: joint_position
        safety:
          watchdog_timeout_ms: 50
          max_change_per_tick: 0.05
          safe_stop: hold_then_torque_off
        monitor:
          sensor_noise_bound: 0.01
          action_tolerance: 0.1

        """

    static let armCalibration = """
        kind: arm
        joints:
          shoulder: {id: 1, homing_offset: 0, direction: 1, range: [0, 4095]}
          elbow: {id: 2, homing_offset: 0, direction: 1, range: [0, 4095]}

        """

    static let car = """
        name: test-car
        kind: car
        driver: vesc
        link: sim
        control_rate_hz: 50
        calibration: cal.yaml
        car: {wheelbase: 0.33, speed: [-1, 3], steering: 0.26, steering_rate: 3, acceleration: 3}
        observation: [speed, steering]
        action: speed_steering
        safety: {watchdog_timeout_ms: 100, max_change_per_tick: 0.1, safe_stop: brake_and_centre}
        monitor: {sensor_noise_bound: 0.02, action_tolerance: 0.2}

        """

    static let carCalibration = """
        kind: car
        erpm_per_mps: 4614
        servo_centre: 0.5304
        servo_per_rad: -1.2135
        servo_range: [0.15, 0.85]

        """

    /// Writes a description and its calibration and loads them; returns the diagnostics (empty on success).
    static func diagnostics(description: String, calibration: String = armCalibration) -> [ConfigDiagnostic] {
        let folder = TemporaryDirectory()
        let path = folder.write("robot.yaml", description)
        folder.write("cal.yaml", calibration)
        do {
            _ = try RobotDescription.load(path: path)
            return []
        } catch {
            // Report paths relative to the folder so assertions read naturally.
            return error.diagnostics.map { diagnostic in
                var relative = diagnostic
                relative.file = String(diagnostic.file.dropFirst(folder.path.count + 1))
                return relative
            }
        }
    }

    /// Replaces the first occurrence of `old` (which must exist) in `text`.
    static func replacing(_ old: String, with new: String, in text: String) -> String {
        guard let range = text.range(of: old) else { fatalError("fixture has no `\(old)`") }
        return text.replacingCharacters(in: range, with: new)
    }
}
