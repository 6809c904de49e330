import ReinsConfig
import ReinsCore
import ReinsProtocols

/// A gamepad mapping file applied to one robot: what the pad's axes and buttons do to its
/// command. Pure: gamepad inputs and times in, commands out; the device thread feeds it and tests
/// call it directly.
///
/// Cars and drones: each axis gives an absolute action value (deflection × scale, summed over the
/// axes driving the same entry), clamped to the robot's action bounds. Arms: axes give joint
/// rates (clamped to each joint's velocity limit) integrated into offsets, as the keyboard jogs
/// them; an axis drives a fixed joint or the `selected` one, which the select buttons step
/// through.
public struct GamepadMapping: Sendable {
    /// One axis, resolved to an action entry.
    public struct Axis: Sendable {
        public var code: UInt16
        /// Action entry index; -1: the arm's selected joint.
        public var target: Int
        public var scale: Double
        public var deadzone: Double
        public var invert: Bool
        /// Raw range; nil until the device reports it (`setRange`).
        public var range: ClosedRange<Int32>?
        /// The latest raw value (nil: none yet, read as centred).
        var raw: Int32?
        public var mark: SourceMark

        /// The deflection in -1...1: centred, with the deadzone cut out (the output starts from 0
        /// at its edge, so it stays continuous), inverted if asked.
        public var deflection: Double {
            guard let raw, let range else { return 0 }
            let centre = (Double(range.lowerBound) + Double(range.upperBound)) / 2
            let half = (Double(range.upperBound) - Double(range.lowerBound)) / 2
            let n = max(-1, min(1, (Double(raw) - centre) / half))
            let magnitude = abs(n) <= deadzone ? 0 : (abs(n) - deadzone) / (1 - deadzone)
            let signed = n < 0 ? -magnitude : magnitude
            return invert ? -signed : signed
        }
    }

    public let kind: RobotKind
    public let api: GamepadMappingFile.API
    public let file: String
    public let actionCount: Int
    public private(set) var axes: [Axis]
    public let buttons: [(code: UInt16, button: OperatorButtons)]
    public let selectPrevious: UInt16?
    public let selectNext: UInt16?
    /// Arms: the joint `selected` axes drive.
    public private(set) var selectedJoint = 0
    /// Absolute values (car, drone) or jog offsets (arm), as the last `command` gave them.
    public private(set) var values: [Double]
    /// Absolute values: the robot's action bounds. Arms: joint rate limits (rad/s).
    private let bounds: [ClosedRange<Double>]
    /// Arms: how far an offset may wind up (the joint's span), so letting go of a stick held
    /// against a limit does not take as long again to come back.
    private let offsetLimits: [Double]
    /// Arms: the joint rates of the last `advance` (kept, so the device thread does not allocate).
    private var rates: [Double]
    private var pressed: OperatorButtons = []
    private var lastAdvance: UInt64?
    /// Longest step integrated at once (a stalled thread must not turn into a jump).
    public static let maximumStepSeconds = 0.1

    /// Applies a mapping file to a robot; errors name the file and the entry's line.
    public init(file: GamepadMappingFile, robot: RobotDescription) throws(ConfigErrors) {
        kind = robot.kind
        api = file.api
        self.file = file.path
        actionCount = min(robot.actionNames.count, OperatorCommand.capacity)
        values = [Double](repeating: 0, count: actionCount)
        rates = values
        var diagnostics: [ConfigDiagnostic] = []
        guard let section = file.sections[robot.kind] else {
            throw ConfigErrors([ConfigDiagnostic(file: file.path, mark: nil, keyPath: robot.kind.rawValue,
                                                 problem: "no `\(robot.kind.rawValue):` section, and \(robot.name) is \(robot.kind.withArticle)",
                                                 suggestion: "add the `\(robot.kind.rawValue):` section with `axes:` (see Robots/gamepads/xbox.yaml)")])
        }
        var jointNames: [String] = []
        var limits: [ClosedRange<Double>] = robot.actionBounds
        var spans: [Double] = []
        if case .arm(let joints) = robot.body {
            jointNames = joints.map(\.name)
            limits = joints.map { -$0.velocity...$0.velocity }
            spans = joints.map { $0.position.upperBound - $0.position.lowerBound }
        }
        bounds = Array(limits.prefix(actionCount))
        offsetLimits = spans
        var resolved: [Axis] = []
        for (index, axis) in section.axes.enumerated() {
            var target: Int?
            switch robot.kind {
            case .arm:
                let name = axis.action.hasSuffix(".goal") ? String(axis.action.dropLast(5)) : axis.action
                target = name == "selected" ? -1 : jointNames.firstIndex(of: name)
                if target == nil {
                    diagnostics.append(ConfigDiagnostic(
                        file: file.path, mark: axis.mark, keyPath: "arm.axes[\(index)].action",
                        problem: "`\(axis.action)` is not a joint of \(robot.name)",
                        suggestion: "use `selected` or one of " + jointNames.map { "`\($0)`" }.joined(separator: ", ")))
                }
            case .car, .drone:
                // A drone flown by velocity alone has no yaw-rate entry: that axis does nothing.
                guard let position = GamepadMappingFile.actionNames(for: robot.kind).firstIndex(of: axis.action), position < actionCount else { continue }
                target = position
            }
            guard let target else { continue }
            var range = axis.range
            // The joystick API scales every axis to ±32767 itself.
            if range == nil && file.api == .joystick { range = -32767...32767 }
            resolved.append(Axis(code: axis.code, target: target, scale: axis.scale, deadzone: axis.deadzone,
                                 invert: axis.invert, range: range, raw: nil, mark: axis.mark))
        }
        guard diagnostics.isEmpty else { throw ConfigErrors(diagnostics) }
        axes = resolved
        buttons = file.buttons.compactMap { entry in OperatorButtons.named(entry.name).map { (entry.code, $0) } }
        selectPrevious = robot.kind == .arm ? section.selectPrevious : nil
        selectNext = robot.kind == .arm ? section.selectNext : nil
    }

    /// Loads `path` and applies it to `robot`.
    public init(path: String, robot: RobotDescription) throws(ConfigErrors) {
        try self.init(file: GamepadMappingFile.load(path: path, buttonNames: OperatorButtons.names.map(\.1)), robot: robot)
    }

    /// The command mode of this kind's values.
    public var mode: OperatorCommandMode { kind == .arm ? .offset : .absolute }

    /// Axes whose raw range the file leaves to the device (indices into `axes`).
    public var axesWithoutRange: [Int] { axes.indices.filter { axes[$0].range == nil } }

    /// Sets an axis's raw range, as the device reports it.
    public mutating func setRange(_ range: ClosedRange<Int32>, ofAxis index: Int) {
        axes[index].range = range
    }

    /// One input from the pad. Axes take their new value; a button press (not a release, not the
    /// joystick API's report of the state on open) is remembered until the next `command`.
    public mutating func apply(_ input: GamepadInput) {
        switch input {
        case .axis(let code, let value):
            for i in axes.indices where axes[i].code == code { axes[i].raw = value }
        case .button(let code, let pressed, let initial):
            guard pressed && !initial else { return }
            for entry in buttons where entry.code == code { self.pressed.insert(entry.button) }
            if code == selectPrevious { selectedJoint = max(0, selectedJoint - 1) }
            if code == selectNext { selectedJoint = min(actionCount - 1, selectedJoint + 1) }
        case .synchronization:
            break
        }
    }

    /// Arms: integrates the joint rates the axes give now over the time since the previous call
    /// (at most `maximumStepSeconds`). Call it before applying new inputs, so a rate counts for as
    /// long as the stick was held there. Cars and drones: only takes the time.
    public mutating func advance(to timestamp: UInt64) {
        defer { lastAdvance = timestamp }
        guard kind == .arm, let last = lastAdvance, timestamp > last else { return }
        let dt = min(Self.maximumStepSeconds, Double(timestamp - last) / 1e9)
        Self.sum(axes, selectedJoint: selectedJoint, bounds: bounds, into: &rates)
        for i in 0..<actionCount {
            let limit = i < offsetLimits.count ? offsetLimits[i] : .infinity
            values[i] = max(-limit, min(limit, values[i] + rates[i] * dt))
        }
    }

    /// The command now, with the buttons pressed since the previous one (which are then cleared).
    public mutating func command(at timestamp: UInt64) -> OperatorCommand {
        advance(to: timestamp)
        if kind != .arm { Self.sum(axes, selectedJoint: selectedJoint, bounds: bounds, into: &values) }
        var command = OperatorCommand()
        for i in 0..<actionCount { command[i] = values[i] }
        command.count = UInt8(actionCount)
        command.mode = mode
        command.buttons = pressed
        command.timestamp = timestamp
        pressed = []
        return command
    }

    /// Each entry's axes summed, then clamped to its bounds.
    private static func sum(_ axes: [Axis], selectedJoint: Int, bounds: [ClosedRange<Double>], into out: inout [Double]) {
        let actionCount = out.count
        for i in 0..<actionCount { out[i] = 0 }
        for axis in axes {
            let target = axis.target < 0 ? selectedJoint : axis.target
            guard target < actionCount else { continue }
            out[target] += axis.deflection * axis.scale
        }
        for i in 0..<min(actionCount, bounds.count) {
            out[i] = max(bounds[i].lowerBound, min(bounds[i].upperBound, out[i]))
        }
    }

    /// What the pad's buttons and axes do, printed when a run starts.
    public var help: String {
        let names = OperatorButtons.names
        var parts = buttons.map { entry in "\(names.first { $0.0 == entry.button }?.1 ?? "?") \(entry.code)" }
        if let selectPrevious, let selectNext { parts.append("joint -/+ \(selectPrevious)/\(selectNext)") }
        return "buttons: " + parts.joined(separator: ", ") + " (codes from \(file))"
    }
}
