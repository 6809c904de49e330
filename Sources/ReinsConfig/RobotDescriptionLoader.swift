import ReinsCore

extension RobotDescription {
    static let topLevelKeys = [
        "name", "kind", "driver", "link", "baud", "flow_control", "control_rate_hz", "calibration",
        "joints", "car", "drone", "workspace", "observation", "action", "safety", "monitor", "zmq", "localization", "mavlink",
        "role", "leader",
    ]

    /// Reads, parses and validates a robot description and the calibration file it names.
    /// Every problem in both files is reported at once.
    /// - Parameter calibrationRequired: false for `reins calibrate`, which writes the calibration:
    ///   a missing calibration file then leaves an empty arm calibration instead of an error.
    public static func load(path: String, calibrationRequired: Bool = true) throws(ConfigErrors) -> RobotDescription {
        let text: String
        do {
            text = try FileBytes.readText(path)
        } catch {
            throw ConfigErrors([ConfigDiagnostic(
                file: path, mark: nil, keyPath: "", problem: "cannot read the file: \(error.reason)",
                suggestion: "check the path; robot descriptions live in Robots/")])
        }
        return try parse(text, path: path, calibrationRequired: calibrationRequired)
    }

    /// Validates description text as if it were the file at `path` (the calibration path is
    /// resolved next to it).
    public static func parse(_ text: String, path: String, calibrationRequired: Bool = true) throws(ConfigErrors) -> RobotDescription {
        let reader = ConfigReader(file: path)
        let root: YAMLNode
        do {
            root = try YAMLDocument(parsing: text).root
        } catch {
            throw ConfigErrors([ConfigDiagnostic(
                file: path, mark: error.mark, keyPath: "", problem: "not valid YAML: \(error.problem)")])
        }
        let decoded = decode(root, reader: reader)
        guard reader.diagnostics.isEmpty, case (var description, let calibrationMark)? = decoded else {
            throw ConfigErrors(reader.diagnostics)
        }
        description.sourceMarks = reader.marks
        // The calibration is read only once the description is sound, so its checks can rely on
        // the joint list and the driver.
        if !calibrationRequired && !FileBytes.exists(description.calibrationPath) { return description }
        switch Calibration.load(path: description.calibrationPath, for: description, referencedAt: calibrationMark) {
        case .success(let calibration): description.calibration = calibration
        case .failure(let errors): throw errors
        }
        return description
    }

    private static func decode(_ root: YAMLNode, reader: ConfigReader) -> (RobotDescription, SourceMark?)? {
        guard let top = reader.mapping(root, path: "", keys: topLevelKeys) else { return nil }

        let name = top.requiredString("name", hint: "my-arm")
        let kind = top.requiredChoice("kind", as: RobotKind.self)
        let driver = top.requiredChoice("driver", as: DriverKind.self)
        if let kind, let driver, !driver.kinds.contains(kind) {
            let fitting = DriverKind.allCases.filter { $0.kinds.contains(kind) }.map(\.rawValue)
            reader.report(top.keyMark("driver"), "driver", "the \(driver.rawValue) driver does not drive \(kind.rawValue)s",
                          suggestion: "for \(kind.withArticle) use " + fitting.joined(separator: " or "))
        }

        let link = decodeLink(top, reader: reader)
        if let link, let driver, !driver.accepts(link) {
            reader.report(top.optional("link")?.mark, "link", "the \(driver.rawValue) driver cannot talk over \(link)",
                          suggestion: driver == .zmq ? "write zmq:tcp://HOST:PORT" : "use a serial, pty or tcp link (UDP carries only MAVLink)")
        }
        let rate = top.requiredDouble("control_rate_hz", in: 1...10_000, unit: "Hz", hint: "100")

        let body = kind.flatMap { decodeBody($0, driver: driver, top, reader: reader) }
        let workspace = decodeWorkspace(top, kind: kind, body: body, reader: reader)

        let observation = decodeObservation(top, kind: kind, reader: reader)
        var action: ActionKind?
        if let node = top.require("action", hint: ActionKind.allCases.map(\.rawValue).joined(separator: " | ")) {
            action = reader.choice(node, path: "action", as: ActionKind.self)
            if let chosen = action, let kind, !chosen.kinds.contains(kind) {
                let fitting = ActionKind.allCases.filter { $0.kinds.contains(kind) }.map(\.rawValue)
                reader.report(node.mark, "action", "`\(chosen.rawValue)` is not an action for \(kind.rawValue)s",
                              suggestion: "use " + fitting.joined(separator: " or "))
                action = nil
            }
        }

        let safety = kind.flatMap { decodeSafety(top, kind: $0, driver: driver, reader: reader) }
        let monitor = decodeMonitor(top, reader: reader)
        let zmqSecurity = decodeZMQSecurity(top, reader: reader)
        let localization = decodeLocalization(top, kind: kind, driver: driver, link: link, observation: observation, reader: reader)
        let mavlink = decodeMAVLink(top, driver: driver, reader: reader)
        let (role, leader) = decodeRole(top, kind: kind, driver: driver, reader: reader)

        var calibrationPath: String?
        if let relative = top.requiredString("calibration", hint: "../Calibration/my-robot.yaml") {
            calibrationPath = FilePath.resolve(relative, besideFile: reader.file)
        }

        guard let name, let kind, let driver, let link, let rate, let body, let observation, let action,
              let safety, let monitor, let calibrationPath else { return nil }
        // Replaced by the real calibration in `parse` once the description itself is valid.
        let placeholder: Calibration
        switch kind {
        case .arm: placeholder = .arm(ArmCalibration(joints: []))
        case .car: placeholder = .car(CarCalibration(erpmPerMetrePerSecond: 0, servoCentre: 0, servoPerRadian: 0, servoRange: 0...0))
        case .drone: placeholder = .drone(DroneCalibration(hoverThrust: 0, frame: .ned, yawOffset: 0))
        }
        var description = RobotDescription(
            sourcePath: reader.file, name: name, kind: kind, driver: driver, link: link, controlRateHz: rate,
            body: body, observation: observation, action: action, safety: safety, monitor: monitor,
            calibrationPath: calibrationPath, calibration: placeholder)
        description.zmqSecurity = zmqSecurity
        description.localization = localization
        description.mavlink = mavlink
        description.workspace = workspace
        description.role = role
        description.leader = leader
        return (description, top.optional("calibration")?.mark)
    }

    private static func decodeLink(_ top: MappingView, reader: ConfigReader) -> LinkSpec? {
        guard let text = top.requiredString("link", hint: "sim") else { return nil }
        let linkMark = top.optional("link")?.mark
        var baud: Int?
        if let node = top.optional("baud") {
            baud = reader.integer(node, path: "baud", in: 300...12_000_000)
        }
        let flow = top.choice("flow_control", default: LinkSpec.FlowControl.none)
        do {
            let link = try LinkSpec.parse(text, baud: baud, flowControl: flow)
            if case .serial = link {} else if top.has("baud") {
                reader.report(top.keyMark("baud"), "baud", "a baud rate applies only to serial links",
                              suggestion: "remove `baud` or use link: serial:/dev/ttyUSB0")
            }
            return link
        } catch {
            reader.report(linkMark, "link", error.problem, suggestion: error.suggestion)
            return nil
        }
    }

    // MARK: Role

    private static func decodeRole(_ top: MappingView, kind: RobotKind?, driver: DriverKind?, reader: ConfigReader) -> (RobotRole, LeaderSettings) {
        let role = top.choice("role", default: RobotRole.follower)
        var settings = LeaderSettings()
        if role == .leader, let kind, let driver, kind != .arm || (driver != .dynamixel && driver != .feetech) {
            reader.report(top.optional("role")?.mark, "role", "a leader is a servo arm a person moves by hand, not \(kind.withArticle) on \(driver.rawValue)",
                          suggestion: "use `role: leader` with `kind: arm` and `driver: dynamixel` or `feetech`, or remove it")
        }
        guard let node = top.optional("leader") else { return (role, settings) }
        guard role == .leader else {
            reader.report(top.keyMark("leader"), "leader", "leader settings apply only to a leader arm",
                          suggestion: "add `role: leader`, or remove `leader`")
            return (role, settings)
        }
        guard let map = reader.mapping(node, path: "leader", keys: ["max_start_difference_rad"]) else { return (role, settings) }
        settings.maxStartDifference = map.double("max_start_difference_rad", default: LeaderSettings.defaultMaxStartDifference, in: 0.01...6.3, unit: "rad")
        return (role, settings)
    }

    // MARK: Connections

    private static func decodeZMQSecurity(_ top: MappingView, reader: ConfigReader) -> ZMQSecuritySettings? {
        guard let node = top.optional("zmq"), let zmq = reader.mapping(node, path: "zmq", keys: ["server_key", "client_key"]) else { return nil }
        var paths: [String] = []
        for key in ["server_key", "client_key"] {
            let hint = key == "server_key" ? "../keys/robot.key" : "../keys/runtime.key_secret"
            guard let relative = zmq.requiredString(key, hint: hint) else { continue }
            let path = FilePath.resolve(relative, besideFile: reader.file)
            if !FileBytes.exists(path) {
                reader.report(zmq.optional(key)?.mark, zmq.keyPath(key), "no such file \(path)",
                              suggestion: "create keys with `reins keys new NAME` and point at NAME.key (server) and NAME.key_secret (client)")
            }
            paths.append(path)
        }
        guard paths.count == 2 else { return nil }
        return ZMQSecuritySettings(serverKeyPath: paths[0], clientKeyPath: paths[1])
    }

    private static func decodeLocalization(_ top: MappingView, kind: RobotKind?, driver: DriverKind?, link: LinkSpec?,
                                           observation: [ObservationFeature]?, reader: ConfigReader) -> LinkSpec? {
        if let node = top.optional("localization") {
            guard kind == .car else {
                reader.report(top.keyMark("localization"), "localization", "a localization stream applies to cars only", suggestion: "remove it")
                return nil
            }
            guard let text = reader.string(node, path: "localization") else { return nil }
            guard let parsed = try? LinkSpec.parse(text), case .zmq = parsed else {
                reader.report(node.mark, "localization", "`\(text)` is not a ZeroMQ endpoint",
                              suggestion: "write zmq:tcp://HOST:PORT of the process that publishes the car's pose")
                return nil
            }
            return parsed
        }
        // A real car whose policy sees its pose or the track needs somebody to say where it is.
        let needsPose = observation?.contains { [.pose, .trackError, .trackAhead].contains($0) } ?? false
        if kind == .car, driver == .vesc, let link, link != .sim, needsPose {
            reader.report(top.mark, "localization", "the observation uses the car's pose but no localization stream is given",
                          suggestion: "add `localization: zmq:tcp://127.0.0.1:5601` (a Reins robot-protocol STATE stream with pose.x, pose.y, pose.yaw)")
        }
        return nil
    }

    private static func decodeMAVLink(_ top: MappingView, driver: DriverKind?, reader: ConfigReader) -> MAVLinkSettings {
        var settings = MAVLinkSettings()
        guard let node = top.optional("mavlink") else { return settings }
        if driver != .mavlink {
            reader.report(top.keyMark("mavlink"), "mavlink", "MAVLink settings apply only to the mavlink driver", suggestion: "remove them")
            return settings
        }
        guard let map = reader.mapping(node, path: "mavlink", keys: ["system_id", "component_id", "target_system", "target_component", "signing_key"]) else {
            return settings
        }
        settings.systemID = map.integer("system_id", default: 255, in: 1...255)
        settings.componentID = map.integer("component_id", default: 190, in: 0...255)
        settings.targetSystem = map.integer("target_system", default: 1, in: 1...255)
        settings.targetComponent = map.integer("target_component", default: 1, in: 0...255)
        if let relative = map.optional("signing_key").flatMap({ reader.string($0, path: "mavlink.signing_key") }) {
            let path = FilePath.resolve(relative, besideFile: reader.file)
            if !FileBytes.exists(path) {
                reader.report(map.optional("signing_key")?.mark, "mavlink.signing_key", "no such file \(path)",
                              suggestion: "write the vehicle's 32-byte signing key as 64 hex characters into that file")
            }
            settings.signingKeyPath = path
        }
        return settings
    }

    // MARK: Body

    private static func decodeBody(_ kind: RobotKind, driver: DriverKind?, _ top: MappingView, reader: ConfigReader) -> RobotBody? {
        let sections: [RobotKind: String] = [.arm: "joints", .car: "car", .drone: "drone"]
        for (otherKind, key) in sections where otherKind != kind && top.has(key) {
            reader.report(top.keyMark(key), key, "`\(key)` describes \(otherKind.rawValue)s but this robot's kind is \(kind.rawValue)",
                          suggestion: "remove it, or describe the \(kind.rawValue) under `\(sections[kind]!)`")
        }
        switch kind {
        case .arm:
            guard let node = top.require("joints", hint: "[{name: shoulder, model: xl430-w250, position: [-3.14, 3.14], velocity: 4, acceleration: 20}]"),
                  let items = reader.sequence(node, path: "joints") else { return nil }
            guard !items.isEmpty else {
                reader.report(node.mark, "joints", "an arm needs at least one joint", suggestion: "list each joint with name, position, velocity and acceleration")
                return nil
            }
            var joints: [JointSpec] = []
            var firstLine: [String: Int] = [:]
            var failed = false
            for (index, item) in items.enumerated() {
                let path = "joints[\(index)]"
                guard let joint = decodeJoint(item, path: path, driver: driver, reader: reader) else { failed = true; continue }
                if let line = firstLine[joint.name] {
                    reader.report(item.mark, path + ".name", "duplicate joint name `\(joint.name)` (first at line \(line))",
                                  suggestion: "give every joint its own name")
                    failed = true
                    continue
                }
                firstLine[joint.name] = item.mark.line
                joints.append(joint)
            }
            return failed ? nil : .arm(joints: joints)
        case .car:
            guard let node = top.require("car", hint: "{wheelbase: 0.33, speed: [-1, 3], steering: 0.34, steering_rate: 3, acceleration: 4}"),
                  let car = reader.mapping(node, path: "car", keys: ["wheelbase", "speed", "steering", "steering_rate", "acceleration"]) else { return nil }
            let wheelbase = car.requiredDouble("wheelbase", in: 0.05...5, unit: "m", hint: "0.33")
            let speed = car.requiredInterval("speed", within: -50...50, unit: "m/s", hint: "[-1.0, 3.0]")
            if let speed, !speed.contains(0) {
                reader.report(car.optional("speed")?.mark, "car.speed", "the speed range must include 0 so the car can stop",
                              suggestion: "write [\(ConfigReader.format(min(0, speed.lowerBound))), \(ConfigReader.format(max(0, speed.upperBound)))]")
            }
            let steering = car.requiredDouble("steering", in: 0.01...1.2, unit: "rad", hint: "0.34")
            let steeringRate = car.requiredDouble("steering_rate", in: 0.01...50, unit: "rad/s", hint: "3.0")
            let acceleration = car.requiredDouble("acceleration", in: 0.01...50, unit: "m/s²", hint: "4.0")
            guard let wheelbase, let speed, speed.contains(0), let steering, let steeringRate, let acceleration else { return nil }
            return .car(CarLimits(wheelbase: wheelbase, speed: speed, steering: steering, steeringRate: steeringRate, acceleration: acceleration))
        case .drone:
            guard let node = top.require("drone", hint: "{horizontal_velocity: 2, vertical_velocity: 1, altitude: [0.5, 10], geofence_radius: 20, yaw_rate: 1}"),
                  let drone = reader.mapping(node, path: "drone", keys: ["horizontal_velocity", "vertical_velocity", "altitude", "geofence_radius", "yaw_rate"]) else { return nil }
            let horizontal = drone.requiredDouble("horizontal_velocity", in: 0.01...30, unit: "m/s", hint: "2.0")
            let vertical = drone.requiredDouble("vertical_velocity", in: 0.01...10, unit: "m/s", hint: "1.0")
            let altitude = drone.requiredInterval("altitude", within: 0...500, unit: "m", hint: "[0.5, 10.0]")
            let radius = drone.requiredDouble("geofence_radius", in: 0.5...10_000, unit: "m", hint: "20")
            let yawRate = drone.requiredDouble("yaw_rate", in: 0.01...10, unit: "rad/s", hint: "1.0")
            guard let horizontal, let vertical, let altitude, let radius, let yawRate else { return nil }
            return .drone(DroneLimits(horizontalVelocity: horizontal, verticalVelocity: vertical, altitude: altitude,
                                      geofenceRadius: radius, yawRate: yawRate))
        }
    }

    private static func decodeJoint(_ node: YAMLNode, path: String, driver: DriverKind?, reader: ConfigReader) -> JointSpec? {
        guard let joint = reader.mapping(node, path: path, keys: ["name", "model", "position", "velocity", "acceleration"]) else { return nil }
        let name = joint.requiredString("name", hint: "shoulder_pan")
        var model: ServoModel?
        let servoDriver = driver == .dynamixel || driver == .feetech ? driver : nil
        let candidates = ServoModel.known.filter { servoDriver == nil || $0.driver == servoDriver }.map(\.name)
        if let servoDriver {
            if let text = joint.requiredString("model", hint: candidates.first ?? "xl430-w250") {
                if let known = ServoModel.known.first(where: { $0.name == text.lowercased() }) {
                    if known.driver != servoDriver {
                        reader.report(joint.optional("model")?.mark, joint.keyPath("model"),
                                      "\(known.name) is a \(known.driver.rawValue) servo but this arm's driver is \(servoDriver.rawValue)",
                                      suggestion: "use one of " + candidates.joined(separator: ", "))
                    } else {
                        model = known
                    }
                } else {
                    reader.report(joint.optional("model")?.mark, joint.keyPath("model"), "unknown servo model `\(text)`",
                                  suggestion: Spelling.suggestion(for: text.lowercased(), in: candidates, noun: "\(servoDriver.rawValue) models"))
                }
            }
        } else if let node = joint.optional("model") {
            reader.report(node.mark, joint.keyPath("model"), "a servo model applies only to dynamixel and feetech arms",
                          suggestion: "remove `model`")
        }
        let position = joint.requiredInterval("position", within: -12.6...12.6, unit: "rad", hint: "[-3.14, 3.14]")
        let velocity = joint.requiredDouble("velocity", in: 0.001...100, unit: "rad/s", hint: "4.0")
        let acceleration = joint.requiredDouble("acceleration", in: 0.001...10_000, unit: "rad/s²", hint: "20.0")
        guard let name, let position, let velocity, let acceleration else { return nil }
        if servoDriver != nil && model == nil { return nil }
        return JointSpec(name: name, model: model, position: position, velocity: velocity, acceleration: acceleration)
    }

    // MARK: Workspace

    private static func decodeWorkspace(_ top: MappingView, kind: RobotKind?, body: RobotBody?, reader: ConfigReader) -> ArmWorkspace? {
        guard let node = top.optional("workspace") else { return nil }
        guard kind == .arm else {
            reader.report(top.keyMark("workspace"), "workspace", "a workspace box applies to arms only",
                          suggestion: kind == .drone ? "a drone's space is its altitude band and geofence under `drone`" : "remove it")
            return nil
        }
        guard let map = reader.mapping(node, path: "workspace", keys: ["box", "chain", "tool"]) else { return nil }
        var bounds: [ClosedRange<Double>] = []
        if let boxNode = map.require("box", hint: "{x: [-0.3, 0.3], y: [-0.3, 0.3], z: [0.02, 0.4]}"),
           let box = reader.mapping(boxNode, path: "workspace.box", keys: ["x", "y", "z"]) {
            for axis in ["x", "y", "z"] {
                if let range = box.requiredInterval(axis, within: -100...100, unit: "m", hint: "[-0.3, 0.3]") { bounds.append(range) }
            }
        }
        let tool = map.require("tool", hint: "[0, 0, 0.1]").flatMap { reader.doubles($0, path: "workspace.tool", count: 3, unit: "m") }
        let joints: [JointSpec]
        if case .arm(let list)? = body { joints = list } else { joints = [] }
        var links: [ArmWorkspace.Link] = []
        var failed = false
        if let chainNode = map.require("chain", hint: "[{joint: shoulder_pan, xyz: [0, 0, 0.05], rpy: [0, 0, 0], axis: [0, 0, 1]}]"),
           let items = reader.sequence(chainNode, path: "workspace.chain") {
            if items.isEmpty {
                reader.report(chainNode.mark, "workspace.chain", "the chain is empty",
                              suggestion: "list the joints from the base to the tool, each with xyz, rpy and axis as in the arm's URDF")
                failed = true
            }
            var firstLine: [Int: Int] = [:]
            for (index, item) in items.enumerated() {
                let path = "workspace.chain[\(index)]"
                guard let link = reader.mapping(item, path: path, keys: ["joint", "xyz", "rpy", "axis"]) else { failed = true; continue }
                let name = link.requiredString("joint", hint: joints.first?.name ?? "shoulder_pan")
                let xyz = link.require("xyz", hint: "[0, 0, 0.05]").flatMap { reader.doubles($0, path: link.keyPath("xyz"), count: 3, unit: "m") }
                let rpy = link.optional("rpy").map { reader.doubles($0, path: link.keyPath("rpy"), count: 3, unit: "rad") } ?? [0, 0, 0]
                var axis = link.require("axis", hint: "[0, 0, 1]").flatMap { reader.doubles($0, path: link.keyPath("axis"), count: 3) }
                if let vector = axis {
                    let length = (vector[0] * vector[0] + vector[1] * vector[1] + vector[2] * vector[2]).squareRoot()
                    if length < 1e-9 {
                        reader.report(link.optional("axis")?.mark, link.keyPath("axis"), "the axis [0, 0, 0] has no direction",
                                      suggestion: "write the joint's rotation axis, e.g. [0, 0, 1]")
                        axis = nil
                    } else {
                        axis = vector.map { $0 / length }
                    }
                }
                var jointIndex: Int?
                if let name {
                    jointIndex = joints.firstIndex { $0.name == name }
                    if jointIndex == nil, !joints.isEmpty {
                        reader.report(link.optional("joint")?.mark, link.keyPath("joint"), "no joint named `\(name)` under `joints`",
                                      suggestion: Spelling.suggestion(for: name, in: joints.map(\.name), noun: "joints"))
                    } else if let found = jointIndex, let line = firstLine[found] {
                        reader.report(link.optional("joint")?.mark, link.keyPath("joint"), "joint `\(name)` is already in the chain (line \(line))",
                                      suggestion: "list each joint once, from the base to the tool")
                        jointIndex = nil
                    } else if let found = jointIndex {
                        firstLine[found] = item.mark.line
                    }
                }
                guard let jointIndex, let xyz, let rpy, let axis else { failed = true; continue }
                links.append(ArmWorkspace.Link(joint: jointIndex, xyz: SIMD3(xyz[0], xyz[1], xyz[2]),
                                               rpy: SIMD3(rpy[0], rpy[1], rpy[2]), axis: SIMD3(axis[0], axis[1], axis[2])))
            }
        }
        guard !failed, !links.isEmpty, bounds.count == 3, let tool else { return nil }
        return ArmWorkspace(chain: links, tool: SIMD3(tool[0], tool[1], tool[2]), x: bounds[0], y: bounds[1], z: bounds[2])
    }

    // MARK: Observation

    private static func decodeObservation(_ top: MappingView, kind: RobotKind?, reader: ConfigReader) -> [ObservationFeature]? {
        let all = ObservationFeature.allCases.filter { kind == nil || $0.kinds.contains(kind!) }.map(\.rawValue)
        guard let node = top.require("observation", hint: "[" + all.joined(separator: ", ") + "]"),
              let items = reader.sequence(node, path: "observation") else { return nil }
        guard !items.isEmpty else {
            reader.report(node.mark, "observation", "the observation is empty", suggestion: "list features such as " + all.joined(separator: ", "))
            return nil
        }
        var features: [ObservationFeature] = []
        var failed = false
        for (index, item) in items.enumerated() {
            let path = "observation[\(index)]"
            guard let feature = reader.choice(item, path: path, as: ObservationFeature.self) else { failed = true; continue }
            if let kind, !feature.kinds.contains(kind) {
                reader.report(item.mark, path, "`\(feature.rawValue)` is not observed on \(kind.rawValue)s",
                              suggestion: "features for \(kind.rawValue)s: " + all.joined(separator: ", "))
                failed = true
                continue
            }
            if features.contains(feature) {
                reader.report(item.mark, path, "`\(feature.rawValue)` is listed twice", suggestion: "list each feature once")
                failed = true
                continue
            }
            features.append(feature)
        }
        return failed ? nil : features
    }

    // MARK: Safety and monitor

    private static func decodeSafety(_ top: MappingView, kind: RobotKind, driver: DriverKind?, reader: ConfigReader) -> SafetySettings? {
        let expected = SafeStopBehaviour.behaviour(for: kind)
        guard let node = top.require("safety", hint: "{watchdog_timeout_ms: 50, max_change_per_tick: 0.05, safe_stop: \(expected.rawValue)}"),
              let safety = reader.mapping(node, path: "safety", keys: ["watchdog_timeout_ms", "max_change_per_tick", "safe_stop", "hold_seconds",
                                                                        "max_consecutive_overruns", "tracking_error_rad", "tracking_error_ms",
                                                                        "operator_timeout_ms", "takeover_wait_ms"]) else { return nil }
        let watchdog = safety.requiredDouble("watchdog_timeout_ms", in: 1...10_000, unit: "ms", hint: "50")
        let maxChange = safety.requiredDouble("max_change_per_tick", in: 1e-6...1e6, unit: "action units", hint: "0.05")
        var stop = safety.requiredChoice("safe_stop", as: SafeStopBehaviour.self)
        if let chosen = stop, chosen.kind != kind {
            reader.report(safety.optional("safe_stop")?.mark, "safety.safe_stop",
                          "`\(chosen.rawValue)` is the safe stop of \(chosen.kind.rawValue)s, not \(kind.rawValue)s",
                          suggestion: "write `safe_stop: \(expected.rawValue)`")
            stop = nil
        }
        let hold = safety.double("hold_seconds", default: 1.0, in: 0...60, unit: "s")
        let overruns = safety.integer("max_consecutive_overruns", default: 10, in: 1...100_000)
        // The servo-arm drivers check tracking error: they know the goal they sent and where the
        // joint is. A key nothing reads would promise a check that never runs.
        for key in ["tracking_error_rad", "tracking_error_ms"] where safety.has(key) {
            if kind != .arm {
                reader.report(safety.keyMark(key), safety.keyPath(key), "tracking error applies to arms only, not \(kind.rawValue)s", suggestion: "remove `\(key)`")
            } else if driver == .zmq {
                reader.report(safety.keyMark(key), safety.keyPath(key), "the zmq driver does not check tracking error: the robot's own driver process watches its joints",
                              suggestion: "remove `\(key)`; it applies to dynamixel and feetech arms")
            }
        }
        let trackingError = safety.double("tracking_error_rad", default: SafetySettings.defaultTrackingErrorRadians, in: 0.005...3.2, unit: "rad")
        let trackingTime = safety.double("tracking_error_ms", default: SafetySettings.defaultTrackingErrorSeconds * 1000, in: 10...60_000, unit: "ms")
        let operatorTimeout = safety.double("operator_timeout_ms", default: SafetySettings.defaultOperatorTimeoutSeconds * 1000, in: 10...10_000, unit: "ms")
        let takeoverWait = safety.double("takeover_wait_ms", default: SafetySettings.defaultTakeoverWaitSeconds * 1000, in: 0...600_000, unit: "ms")
        guard let watchdog, let maxChange, let stop else { return nil }
        return SafetySettings(watchdogTimeout: watchdog / 1000, maxChangePerTick: maxChange, safeStop: stop,
                              safeStopHoldSeconds: hold, maxConsecutiveOverruns: overruns,
                              trackingErrorRadians: trackingError, trackingErrorSeconds: trackingTime / 1000,
                              operatorTimeout: operatorTimeout / 1000, takeoverWait: takeoverWait / 1000)
    }

    private static func decodeMonitor(_ top: MappingView, reader: ConfigReader) -> MonitorSettings? {
        let keys = ["sensor_noise_bound", "action_tolerance", "probes", "sensitivity_limit", "confidence_high",
                    "confidence_low", "entropy_max", "bin_tolerance", "response", "slow_factor"]
        guard let node = top.require("monitor", hint: "{sensor_noise_bound: 0.01, action_tolerance: 0.05}"),
              let monitor = reader.mapping(node, path: "monitor", keys: keys) else { return nil }
        let epsilon = monitor.requiredDouble("sensor_noise_bound", in: 1e-9...1e6, unit: "observation units", hint: "0.01")
        let tolerance = monitor.requiredDouble("action_tolerance", in: 1e-9...1e6, unit: "action units", hint: "0.05")
        let probes = monitor.integer("probes", default: 8, in: 1...64)
        // Default: the sensitivity at which noise of size ε could just move the action by the tolerance.
        let defaultLimit = (epsilon != nil && tolerance != nil) ? tolerance! / epsilon! : 1
        let limit = monitor.double("sensitivity_limit", default: defaultLimit, in: 1e-9...1e12)
        let high = monitor.double("confidence_high", default: 0.9, in: 0...1)
        let low = monitor.double("confidence_low", default: 0.5, in: 0...1)
        if low > high {
            reader.report(monitor.keyMark("confidence_low") ?? monitor.mark, "monitor.confidence_low",
                          "confidence_low \(ConfigReader.format(low)) is greater than confidence_high \(ConfigReader.format(high))",
                          suggestion: "keep confidence_low <= confidence_high (paper defaults 0.5 and 0.9)")
        }
        let entropy = monitor.double("entropy_max", default: 1.5, in: 0...100)
        let tolerance_bins = monitor.integer("bin_tolerance", default: 1, in: 0...1000)
        let response = monitor.choice("response", default: LowConfidenceResponse.slow)
        let slow = monitor.double("slow_factor", default: 0.5, in: 0.01...1)
        guard let epsilon, let tolerance else { return nil }
        return MonitorSettings(sensorNoiseBound: epsilon, actionTolerance: tolerance, probes: probes, sensitivityLimit: limit,
                               confidenceHigh: high, confidenceLow: low, entropyMax: entropy, binTolerance: tolerance_bins,
                               response: response, slowFactor: slow)
    }
}
