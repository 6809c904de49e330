import ReinsCore

/// `reins check`'s view of a file: a robot description (checked with its calibration) or a
/// calibration file on its own.
public enum ConfigFile {
    public enum Role: Sendable { case description, calibration }

    /// Calibration files carry `kind` but none of a description's identifying keys; files under a
    /// `Calibration/` folder are calibrations too.
    public static func role(of path: String, text: String) -> Role {
        if path.contains("Calibration/") || path.hasPrefix("Calibration") { return .calibration }
        guard let root = try? YAMLDocument(parsing: text).root, case .mapping(let pairs) = root.content else { return .description }
        let keys = pairs.compactMap { pair -> String? in
            if case .scalar(let key, _) = pair.key.content { return key } else { return nil }
        }
        let descriptionKeys = ["name", "driver", "link", "control_rate_hz"]
        return keys.contains("kind") && !keys.contains(where: descriptionKeys.contains) ? .calibration : .description
    }

    /// Validates one file; on success returns a one-line summary of what it describes.
    public static func check(_ path: String) -> Result<String, ConfigErrors> {
        let text: String
        do {
            text = try FileBytes.readText(path)
        } catch {
            return .failure(ConfigErrors([ConfigDiagnostic(file: path, mark: nil, keyPath: "", problem: "cannot read the file: \(error.reason)")]))
        }
        do {
            switch role(of: path, text: text) {
            case .description:
                let robot = try RobotDescription.parse(text, path: path)
                return .success(robot.summary)
            case .calibration:
                let calibration = try Calibration.load(path: path)
                return .success(calibration.summary)
            }
        } catch {
            return .failure(error)
        }
    }
}

extension RobotDescription {
    /// `arm "koch" over dynamixel at sim, 6 joints, 100 Hz, 18 observations -> 6 actions; calibration Calibration/koch.yaml`
    public var summary: String {
        var parts = ["\(role == .leader ? "leader arm" : kind.rawValue) \"\(name)\", \(driver.rawValue) over \(link)"]
        if case .arm(let joints) = body {
            parts.append("\(joints.count) joints" + (workspace.map { " (workspace box over a \($0.chain.count)-joint chain)" } ?? ""))
        }
        parts.append("\(ConfigReader.format(controlRateHz)) Hz")
        if role == .leader {
            parts.append("read by hand, torque off, within \(ConfigReader.format(leader.maxStartDifference)) rad of the follower to start")
        } else {
            parts.append("\(observationNames.count) observations -> \(actionNames.count) actions")
        }
        return parts.joined(separator: ", ") + "; calibration \(calibrationPath)"
    }
}

extension Calibration {
    public var summary: String {
        switch self {
        case .arm(let arm): return "arm calibration for \(arm.joints.count) joints (servo ids \(arm.joints.map { String($0.calibration.servoID) }.joined(separator: ", ")))"
        case .car(let car): return "car calibration, \(ConfigReader.format(car.erpmPerMetrePerSecond)) ERPM per m/s, servo centre \(ConfigReader.format(car.servoCentre))"
        case .drone(let drone): return "drone calibration, hover thrust \(ConfigReader.format(drone.hoverThrust)), \(drone.frame.rawValue) frame"
        }
    }
}
