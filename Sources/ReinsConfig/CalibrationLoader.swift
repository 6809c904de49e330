import ReinsCore

extension Calibration {
    /// Reads a calibration file on its own (as `reins check` does); the file's `kind` says how to read it.
    public static func load(path: String) throws(ConfigErrors) -> Calibration {
        let reader = ConfigReader(file: path)
        guard let root = readRoot(path: path, reader: reader, referencedAt: nil, from: nil) else {
            throw ConfigErrors(reader.diagnostics)
        }
        let calibration = decode(root, expecting: nil, driver: nil, reader: reader)
        guard reader.diagnostics.isEmpty, let calibration else { throw ConfigErrors(reader.diagnostics) }
        return calibration
    }

    /// Reads the calibration a description names and checks it against that description.
    static func load(path: String, for description: RobotDescription, referencedAt mark: SourceMark?) -> Result<Calibration, ConfigErrors> {
        let reader = ConfigReader(file: path)
        guard let root = readRoot(path: path, reader: reader, referencedAt: mark, from: description.sourcePath) else {
            return .failure(ConfigErrors(reader.diagnostics))
        }
        let decoded = decode(root, expecting: description.kind, driver: description.driver, reader: reader)
        if case .car(let car)? = decoded, case .car(let limits) = description.body {
            // Full steering lock on either side must stay inside the servo's range.
            let left = car.servoCentre + car.servoPerRadian * limits.steering
            let right = car.servoCentre - car.servoPerRadian * limits.steering
            if !car.servoRange.contains(left) || !car.servoRange.contains(right) {
                let reachable = min(car.servoRange.upperBound - car.servoCentre, car.servoCentre - car.servoRange.lowerBound) / abs(car.servoPerRadian)
                reader.report(ConfigDiagnostic(
                    file: description.sourcePath, mark: description.sourceMarks["car.steering"], keyPath: "car.steering",
                    problem: "steering \(fixed3(limits.steering)) rad needs servo commands \(fixed3(min(left, right)))...\(fixed3(max(left, right))) outside the calibrated servo_range \(fixed3(car.servoRange.lowerBound))...\(fixed3(car.servoRange.upperBound))",
                    suggestion: "lower `steering` to at most \(fixed3((reachable * 1000).rounded(.down) / 1000)) rad"))
            }
        }
        if let decoded, reader.diagnostics.isEmpty, case .arm(let calibration) = decoded, case .arm(let joints) = description.body {
            if let ordered = match(calibration, to: joints, root: root, reader: reader) {
                return .success(.arm(ordered))
            }
        }
        guard reader.diagnostics.isEmpty, let decoded else { return .failure(ConfigErrors(reader.diagnostics)) }
        return .success(decoded)
    }

    private static func readRoot(path: String, reader: ConfigReader, referencedAt mark: SourceMark?, from description: String?) -> YAMLNode? {
        let text: String
        do {
            text = try FileBytes.readText(path)
        } catch {
            // Point at the description line that names the file: that is where the fix goes.
            if let description {
                let diagnostic = ConfigDiagnostic(
                    file: description, mark: mark, keyPath: "calibration",
                    problem: "cannot read calibration file \(path): \(error.reason)",
                    suggestion: "the path is relative to \(FilePath.directory(of: description))/; create the file or fix the path (for an arm, `reins calibrate` writes it)")
                reader.report(diagnostic)
            } else {
                reader.report(nil, "", "cannot read the file: \(error.reason)", suggestion: "check the path; calibration files live in Calibration/")
            }
            return nil
        }
        do {
            return try YAMLDocument(parsing: text).root
        } catch {
            reader.report(error.mark, "", "not valid YAML: \(error.problem)")
            return nil
        }
    }

    private static func decode(_ root: YAMLNode, expecting expected: RobotKind?, driver: DriverKind?, reader: ConfigReader) -> Calibration? {
        // Read `kind` first: it decides which other keys are valid.
        var kind: RobotKind?
        if case .mapping(let pairs) = root.content,
           let entry = pairs.first(where: { if case .scalar("kind", _) = $0.key.content { return true } else { return false } }) {
            kind = reader.choice(entry.value, path: "kind", as: RobotKind.self)
            if let found = kind, let expected, found != expected {
                reader.report(entry.value.mark, "kind", "this calibration is for \(found.withArticle) but the robot is \(expected.withArticle)",
                              suggestion: "point the description's `calibration` at \(expected.withArticle) calibration file")
                return nil
            }
        } else if case .mapping = root.content {
            reader.report(root.mark, "kind", "required key is missing", suggestion: "add `kind: \(expected?.rawValue ?? "arm")`")
            return nil
        }
        switch kind ?? expected {
        case .arm: return decodeArm(root, driver: driver, reader: reader).map(Calibration.arm)
        case .car: return decodeCar(root, reader: reader).map(Calibration.car)
        case .drone: return decodeDrone(root, reader: reader).map(Calibration.drone)
        case nil:
            _ = reader.mapping(root, path: "", keys: ["kind"])
            return nil
        }
    }

    private static func decodeArm(_ root: YAMLNode, driver: DriverKind?, reader: ConfigReader) -> ArmCalibration? {
        guard let top = reader.mapping(root, path: "", keys: ["kind", "joints"]),
              let node = top.require("joints", hint: "{shoulder_pan: {id: 1, homing_offset: 0, direction: 1, range: [0, 4095]}}"),
              let jointsMap = reader.mapping(node, path: "joints", keys: jointKeys(node)) else { return nil }
        // Feetech stores homing offsets as 12-bit sign-magnitude; Dynamixel as a 32-bit register limited to ±1044479.
        let offsetLimit = driver == .feetech ? 2047 : 1_044_479
        var joints: [(String, JointCalibration)] = []
        var ids: [Int: (name: String, line: Int)] = [:]
        var failed = false
        for name in jointsMap.order {
            guard let value = jointsMap.optional(name),
                  let joint = reader.mapping(value, path: "joints.\(name)", keys: ["id", "homing_offset", "direction", "range"]) else {
                failed = true
                continue
            }
            let id = joint.requiredInteger("id", in: 0...252, hint: "1")
            let offset = joint.requiredInteger("homing_offset", in: -offsetLimit...offsetLimit, hint: "0")
            var direction = joint.requiredInteger("direction", hint: "1")
            if let d = direction, d != 1 && d != -1 {
                reader.report(joint.optional("direction")?.mark, joint.keyPath("direction"), "direction must be 1 or -1, found \(d)",
                              suggestion: "write 1, or -1 for a servo mounted the other way round")
                direction = nil
            }
            let range = integerInterval(joint, "range", reader: reader)
            if let id {
                if let first = ids[id] {
                    reader.report(joint.optional("id")?.mark, joint.keyPath("id"), "servo id \(id) is also used by joint `\(first.name)` (line \(first.line))",
                                  suggestion: "give every servo its own id (change it on the bus with the vendor's tool or `reins calibrate`)")
                    failed = true
                } else {
                    ids[id] = (name, value.mark.line)
                }
            }
            guard let id, let offset, let direction, let range else { failed = true; continue }
            joints.append((name, JointCalibration(servoID: id, homingOffset: offset, direction: direction, range: range)))
        }
        return failed ? nil : ArmCalibration(joints: joints)
    }

    /// Joint names are free-form; accept whatever keys the file has and validate them against the
    /// description afterwards (where a typo can be matched to the joint it was meant to be).
    private static func jointKeys(_ node: YAMLNode) -> [String] {
        guard case .mapping(let pairs) = node.content else { return [] }
        return pairs.compactMap { if case .scalar(let key, _) = $0.key.content { return key } else { return nil } }
    }

    private static func integerInterval(_ map: MappingView, _ key: String, reader: ConfigReader) -> ClosedRange<Int>? {
        guard let node = map.require(key, hint: "[0, 4095]"), let items = reader.sequence(node, path: map.keyPath(key)) else { return nil }
        guard items.count == 2 else {
            reader.report(node.mark, map.keyPath(key), "expected two encoder ticks [min, max], found \(items.count) values",
                          suggestion: "write `[min, max]` such as [0, 4095]")
            return nil
        }
        guard let low = reader.integer(items[0], path: map.keyPath(key) + "[0]", in: -1_048_575...1_048_575),
              let high = reader.integer(items[1], path: map.keyPath(key) + "[1]", in: -1_048_575...1_048_575) else { return nil }
        guard low < high else {
            reader.report(node.mark, map.keyPath(key), "min \(low) is not below max \(high)",
                          suggestion: low == high ? "move the joint through its range and record both ends" : "swap them: [\(high), \(low)]")
            return nil
        }
        return low...high
    }

    /// Puts the calibration in the description's joint order and reports joints missing on either side.
    private static func match(_ calibration: ArmCalibration, to joints: [JointSpec], root: YAMLNode, reader: ConfigReader) -> ArmCalibration? {
        let names = joints.map(\.name)
        var ordered: [(String, JointCalibration)] = []
        var jointsMark = root.mark
        var keyMarks: [String: SourceMark] = [:]
        if case .mapping(let pairs) = root.content {
            for pair in pairs {
                guard case .scalar("joints", _) = pair.key.content else { continue }
                jointsMark = pair.value.mark
                if case .mapping(let jointPairs) = pair.value.content {
                    for jointPair in jointPairs {
                        if case .scalar(let key, _) = jointPair.key.content { keyMarks[key] = jointPair.key.mark }
                    }
                }
            }
        }
        for (name, _) in calibration.joints where !names.contains(name) {
            reader.report(keyMarks[name], "joints.\(name)", "the robot description has no joint named `\(name)`",
                          suggestion: Spelling.suggestion(for: name, in: names, noun: "joints"))
        }
        for joint in joints {
            let name = joint.name
            if let found = calibration.joint(name) {
                // Goal positions are single-turn ticks on every servo model: a range beyond them could
                // not be commanded (the servo would clamp goals the safety filter let through).
                if let model = joint.model, !model.positionTicks.contains(found.range.lowerBound) || !model.positionTicks.contains(found.range.upperBound) {
                    let ticks = model.positionTicks
                    reader.report(reader.marks["joints.\(name).range"] ?? keyMarks[name], "joints.\(name).range",
                                  "[\(found.range.lowerBound), \(found.range.upperBound)] leaves the \(model.name)'s position ticks \(ticks.lowerBound)...\(ticks.upperBound)",
                                  suggestion: "re-run `reins calibrate`, or keep the range within [\(ticks.lowerBound), \(ticks.upperBound)]")
                }
                // The description's limits must be reachable: a limit beyond the calibrated range
                // would let the safety filter pass goals the servo cannot reach.
                let reach = found.angleRange(ticksPerRevolution: joint.model?.ticksPerRevolution ?? 4096)
                if !reach.contains(joint.position.lowerBound) || !reach.contains(joint.position.upperBound) {
                    reader.report(keyMarks[name], "joints.\(name).range",
                                  "the calibrated range reaches [\(fixed3(reach.lowerBound)), \(fixed3(reach.upperBound))] rad but the description allows [\(fixed3(joint.position.lowerBound)), \(fixed3(joint.position.upperBound))] rad",
                                  suggestion: "narrow the joint's `position` limits in the description, or re-run `reins calibrate` moving the joint through its full range")
                }
                ordered.append((name, found))
            } else {
                reader.report(jointsMark, "joints", "no calibration for joint `\(name)`",
                              suggestion: "add `\(name): {id: N, homing_offset: 0, direction: 1, range: [0, 4095]}` or run `reins calibrate`")
            }
        }
        return reader.diagnostics.isEmpty ? ArmCalibration(joints: ordered) : nil
    }

    private static func fixed3(_ value: Double) -> String {
        ConfigReader.format((value * 10000).rounded() / 10000)
    }

    private static func decodeCar(_ root: YAMLNode, reader: ConfigReader) -> CarCalibration? {
        guard let top = reader.mapping(root, path: "", keys: ["kind", "erpm_per_mps", "servo_centre", "servo_per_rad", "servo_range"]) else { return nil }
        var erpm = top.requiredDouble("erpm_per_mps", in: -1e6...1e6, unit: "ERPM per m/s", hint: "4614")
        if erpm == 0 {
            reader.report(top.optional("erpm_per_mps")?.mark, "erpm_per_mps", "0 would make every speed command zero",
                          suggestion: "measure it: ERPM at a known speed divided by that speed (F1TENTH default 4614)")
            erpm = nil
        }
        let centre = top.requiredDouble("servo_centre", in: 0...1, hint: "0.5304")
        var gain = top.requiredDouble("servo_per_rad", in: -10...10, unit: "per rad", hint: "-1.2135")
        if gain == 0 {
            reader.report(top.optional("servo_per_rad")?.mark, "servo_per_rad", "0 would make every steering command straight",
                          suggestion: "F1TENTH default -1.2135")
            gain = nil
        }
        let range = top.requiredInterval("servo_range", within: 0...1, hint: "[0.15, 0.85]")
        if let centre, let range, !range.contains(centre) {
            reader.report(top.optional("servo_centre")?.mark, "servo_centre", "centre \(ConfigReader.format(centre)) lies outside servo_range",
                          suggestion: "widen servo_range or re-measure the centre")
            return nil
        }
        guard let erpm, let centre, let gain, let range else { return nil }
        return CarCalibration(erpmPerMetrePerSecond: erpm, servoCentre: centre, servoPerRadian: gain, servoRange: range)
    }

    private static func decodeDrone(_ root: YAMLNode, reader: ConfigReader) -> DroneCalibration? {
        guard let top = reader.mapping(root, path: "", keys: ["kind", "hover_thrust", "frame", "yaw_offset"]) else { return nil }
        let hover = top.requiredDouble("hover_thrust", in: 0.05...0.95, hint: "0.5")
        let frame = top.requiredChoice("frame", as: LocalFrame.self)
        let yaw = top.double("yaw_offset", default: 0, in: -3.1416...3.1416, unit: "rad")
        guard let hover, let frame else { return nil }
        return DroneCalibration(hoverThrust: hover, frame: frame, yawOffset: yaw)
    }
}
