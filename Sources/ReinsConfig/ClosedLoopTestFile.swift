import ReinsCore

/// A closed-loop test file (`reins test FILE`): which policy runs on which robot, under which
/// conditions, inside which safety envelope, and what its results must meet. Paths are relative
/// to the file. Everything that does not need the robot is checked here; which envelope keys fit
/// the robot's kind is checked by `diagnostics(for:)` once the robot is loaded.
public struct ClosedLoopTestFile: Sendable {
    /// One row of the matrix, run for the file's full episode count.
    public struct Condition: Sendable, Equatable {
        public var name: String
        /// Simulator faults as `--faults` takes them (`noise=0.01,drop=0.02`); nil: none.
        public var faults: String?
        /// L2 size ε of the bounded adversarial observation attack; nil: none.
        public var attack: Double?
        /// The scripted operator may take over (RaC), as `deploy --operator sim`.
        public var scriptedOperator: Bool
        /// This condition's own requirement bounds, over the file's.
        public var requirements: Requirements
        public var mark: SourceMark
    }

    /// Invariants checked every tick while the robot moves; the first that breaks stops the
    /// episode with the kind's safe stop. Whether an action that is not finite reached the driver,
    /// and whether the watchdog fired, are always checked.
    public struct Envelope: Sendable, Equatable {
        /// Arm: every joint stays this far inside its position limits, rad.
        public var jointMargin: Double?
        /// Arm: the tool point stays inside the description's workspace box.
        public var workspace = false
        /// Arm: largest measured joint speed, rad/s.
        public var jointSpeed: Double?
        /// Car: the car stays inside the track's lane (centre line ± half the lane width).
        public var lane = false
        /// Car: largest measured speed; drone: largest measured velocity magnitude, m/s.
        public var speed: Double?
        /// Drone: inside the description's geofence radius, and its altitude band once airborne.
        public var geofence = false
        public var altitudeBand = false
        /// Drone: largest roll or pitch, rad.
        public var tilt: Double?
        /// The run: 99th percentile of the loop's period error, seconds; most overruns.
        public var periodErrorP99: Double?
        public var overruns: Int?
        /// Where each key was written, for kind checks.
        public var marks: [String: SourceMark] = [:]

        public init() {}

        /// Keys that only make sense for one robot kind.
        public static let kindKeys: [String: RobotKind] = [
            "joint_margin": .arm, "workspace": .arm, "joint_speed": .arm, "lane": .car,
            "geofence": .drone, "altitude_band": .drone, "tilt": .drone,
        ]
        public static let keys = ["joint_margin", "workspace", "joint_speed", "lane", "speed", "geofence", "altitude_band", "tilt",
                                  "period_error_p99_ms", "overruns"]
    }

    /// Bounds on a condition's results; nil: not required.
    public struct Requirements: Sendable, Equatable {
        /// The lower end of the 95 % Wilson interval of the success rate must reach this.
        public var successRate: Double?
        /// Largest mean task cost (the task's units: rad, m).
        public var meanCost: Double?
        /// Most episodes that may end in a safety stop (an envelope break or a fault).
        public var safetyStops: Int?
        /// The policy's certificate L·ε must be within the action tolerance.
        public var certified: Bool?
        /// Largest measured local Lipschitz sensitivity.
        public var sensitivity: Double?
        /// Under an attack, the largest action change the adversary achieved must be within L·ε.
        public var attackWithinBound: Bool?

        public init() {}

        /// These bounds, with `other`'s wherever it sets one.
        public func overridden(by other: Requirements) -> Requirements {
            var merged = self
            merged.successRate = other.successRate ?? successRate
            merged.meanCost = other.meanCost ?? meanCost
            merged.safetyStops = other.safetyStops ?? safetyStops
            merged.certified = other.certified ?? certified
            merged.sensitivity = other.sensitivity ?? sensitivity
            merged.attackWithinBound = other.attackWithinBound ?? attackWithinBound
            return merged
        }

        public static let keys = ["success_rate", "mean_cost", "safety_stops", "certified", "sensitivity", "attack_within_bound"]
    }

    public var path: String
    public var name: String
    public var robotPath: String
    public var policyPath: String
    public var episodes: Int
    public var seed: UInt64
    /// Simulated seconds per real second (simulated robots only).
    public var speed: Double
    public var matrix: [Condition]
    public var envelope: Envelope
    public var requirements: Requirements

    public static let maximumEpisodes = 100_000
    public static let speedRange: ClosedRange<Double> = 0.1...50

    public static func load(path: String, validateFaults: (String) -> String?) throws(ConfigErrors) -> ClosedLoopTestFile {
        let text: String
        do {
            text = try FileBytes.readText(path)
        } catch {
            throw ConfigErrors([ConfigDiagnostic(file: path, mark: nil, keyPath: "", problem: "cannot read the test file: \(error.reason)",
                                                 suggestion: "check the path; Robots/tests/sim-arm.yaml is a shipped example")])
        }
        return try parse(text, path: path, validateFaults: validateFaults)
    }

    /// - Parameter validateFaults: nil when a `faults:` value is valid, else what is wrong with it.
    public static func parse(_ text: String, path: String, validateFaults: (String) -> String?) throws(ConfigErrors) -> ClosedLoopTestFile {
        let reader = ConfigReader(file: path)
        let root: YAMLNode
        do {
            root = try YAMLDocument(parsing: text).root
        } catch {
            throw ConfigErrors([ConfigDiagnostic(file: path, mark: error.mark, keyPath: "", problem: "not valid YAML: \(error.problem)")])
        }
        let keys = ["name", "robot", "policy", "episodes", "seed", "speed", "matrix", "envelope", "requirements"]
        guard let top = reader.mapping(root, path: "", keys: keys) else { throw ConfigErrors(reader.diagnostics) }
        let robot = top.requiredString("robot", hint: "../sim-arm.yaml").map { FilePath.resolve($0, besideFile: path) }
        let policy = top.requiredString("policy", hint: "../policies/sim-arm.safetensors").map { FilePath.resolve($0, besideFile: path) }
        let episodes = top.requiredInteger("episodes", in: 1...maximumEpisodes, hint: "50")
        let seed = top.integer("seed", default: 1, in: 0...Int(Int32.max))
        let speed = top.double("speed", default: 1, in: speedRange)
        let name = top.optional("name").flatMap { reader.string($0, path: "name") } ?? defaultName(path)

        var envelope = Envelope()
        if let node = top.optional("envelope"), let map = reader.mapping(node, path: "envelope", keys: Envelope.keys) {
            for key in map.order { envelope.marks[key] = map.optional(key)?.mark }
            if map.has("joint_margin") { envelope.jointMargin = map.double("joint_margin", default: 0, in: 0...1, unit: "rad") }
            if map.has("joint_speed") { envelope.jointSpeed = map.double("joint_speed", default: 0, in: 0.001...100, unit: "rad/s") }
            if map.has("speed") { envelope.speed = map.double("speed", default: 0, in: 0.001...100, unit: "m/s") }
            if map.has("tilt") { envelope.tilt = map.double("tilt", default: 0, in: 0.001...1.5, unit: "rad") }
            if map.has("period_error_p99_ms") {
                envelope.periodErrorP99 = map.double("period_error_p99_ms", default: 0, in: 0.001...10_000, unit: "ms") / 1000
            }
            if map.has("overruns") { envelope.overruns = map.integer("overruns", default: 0, in: 0...1_000_000_000) }
            envelope.workspace = flag(map, "workspace")
            envelope.lane = flag(map, "lane")
            envelope.geofence = flag(map, "geofence")
            envelope.altitudeBand = flag(map, "altitude_band")
        }
        let requirements = top.optional("requirements").map { requirementsBlock($0, path: "requirements", reader: reader) } ?? Requirements()

        var matrix: [Condition] = []
        if let node = top.require("matrix", hint: "[{name: nominal}]"), let items = reader.sequence(node, path: "matrix") {
            if items.isEmpty { reader.report(node.mark, "matrix", "the matrix is empty", suggestion: "add `- name: nominal`") }
            var names: [String: Int] = [:]
            for (index, item) in items.enumerated() {
                let itemPath = "matrix[\(index)]"
                guard let map = reader.mapping(item, path: itemPath, keys: ["name", "faults", "attack", "operator", "requirements"]) else { continue }
                guard let conditionName = map.requiredString("name", hint: "nominal") else { continue }
                if conditionName.isEmpty || conditionName.contains(where: { !($0.isLetter || $0.isNumber || "-_.".contains($0)) }) {
                    reader.report(map.optional("name")?.mark, map.keyPath("name"), "`\(conditionName)` is not a usable condition name",
                                  suggestion: "use letters, digits, `-`, `_` and `.` (it names files in the output folder)")
                    continue
                }
                if let first = names[conditionName] {
                    reader.report(map.optional("name")?.mark, map.keyPath("name"), "`\(conditionName)` is also the name of matrix[\(first)]",
                                  suggestion: "give every condition its own name")
                }
                names[conditionName] = index
                var condition = Condition(name: conditionName, faults: nil, attack: nil, scriptedOperator: false,
                                          requirements: Requirements(), mark: item.mark)
                if let faults = map.optional("faults"), let spec = reader.string(faults, path: map.keyPath("faults")) {
                    if let problem = validateFaults(spec) {
                        reader.report(faults.mark, map.keyPath("faults"), problem, suggestion: "write them as `--faults` takes them, e.g. noise=0.01,drop=0.02")
                    } else {
                        condition.faults = spec
                    }
                }
                if map.has("attack") { condition.attack = map.double("attack", default: 0, in: 0.000001...10) }
                if let node = map.optional("operator"), let text = reader.string(node, path: map.keyPath("operator")) {
                    if text == "sim" {
                        condition.scriptedOperator = true
                    } else {
                        reader.report(node.mark, map.keyPath("operator"), "`\(text)` is not an operator a test can run",
                                      suggestion: "write `operator: sim` (the scripted operator); a person's device cannot run unattended")
                    }
                }
                if let node = map.optional("requirements") {
                    condition.requirements = requirementsBlock(node, path: map.keyPath("requirements"), reader: reader)
                }
                matrix.append(condition)
            }
        }
        guard reader.diagnostics.isEmpty, let robot, let policy, let episodes else { throw ConfigErrors(reader.diagnostics) }
        return ClosedLoopTestFile(path: path, name: name, robotPath: robot, policyPath: policy, episodes: episodes, seed: UInt64(seed),
                                  speed: speed, matrix: matrix, envelope: envelope, requirements: requirements)
    }

    /// Problems with this file for a robot of `kind` on `link` (envelope keys of another kind;
    /// `speed` for a robot that is not simulated).
    public func diagnostics(for robot: RobotDescription) -> [ConfigDiagnostic] {
        var problems: [ConfigDiagnostic] = []
        for (key, mark) in envelope.marks.sorted(by: { $0.value.line < $1.value.line }) {
            if let kind = Envelope.kindKeys[key], kind != robot.kind {
                problems.append(ConfigDiagnostic(file: path, mark: mark, keyPath: "envelope.\(key)",
                                                 problem: "applies to \(Self.article(kind)); \(robot.name) is \(Self.article(robot.kind))",
                                                 suggestion: "envelope keys for a \(robot.kind.rawValue): " + Envelope.keys.filter {
                                                     Envelope.kindKeys[$0] == nil || Envelope.kindKeys[$0] == robot.kind
                                                 }.filter { !($0 == "speed" && robot.kind == .arm) }.joined(separator: ", ")))
            }
            if key == "speed" && robot.kind == .arm {
                problems.append(ConfigDiagnostic(file: path, mark: mark, keyPath: "envelope.speed", problem: "an arm's speed bound is per joint",
                                                 suggestion: "write `joint_speed:` in rad/s"))
            }
            if key == "workspace" && envelope.workspace && robot.workspace == nil {
                problems.append(ConfigDiagnostic(file: path, mark: mark, keyPath: "envelope.workspace",
                                                 problem: "\(robot.name) declares no workspace box", suggestion: "add `workspace:` to \(robot.sourcePath) or drop this key"))
            }
        }
        return problems
    }

    private static func article(_ kind: RobotKind) -> String { (kind == .arm ? "an " : "a ") + kind.rawValue }

    /// The file's name without `.yaml`.
    private static func defaultName(_ path: String) -> String {
        let last = FilePath.lastComponent(path)
        for suffix in [".yaml", ".yml"] where last.hasSuffix(suffix) { return String(last.dropLast(suffix.count)) }
        return last
    }

    private static func flag(_ map: MappingView, _ key: String) -> Bool {
        guard let node = map.optional(key) else { return false }
        return map.reader.bool(node, path: map.keyPath(key)) ?? false
    }

    private static func requirementsBlock(_ node: YAMLNode, path: String, reader: ConfigReader) -> Requirements {
        var requirements = Requirements()
        guard let map = reader.mapping(node, path: path, keys: Requirements.keys) else { return requirements }
        if map.has("success_rate") { requirements.successRate = map.double("success_rate", default: 0, in: 0...1) }
        if map.has("mean_cost") { requirements.meanCost = map.double("mean_cost", default: 0, in: 0...1e9) }
        if map.has("safety_stops") { requirements.safetyStops = map.integer("safety_stops", default: 0, in: 0...maximumEpisodes) }
        if map.has("sensitivity") { requirements.sensitivity = map.double("sensitivity", default: 0, in: 0...1e9) }
        if let node = map.optional("certified") { requirements.certified = reader.bool(node, path: map.keyPath("certified")) }
        if let node = map.optional("attack_within_bound") {
            requirements.attackWithinBound = reader.bool(node, path: map.keyPath("attack_within_bound"))
        }
        return requirements
    }
}
