import ReinsCore

/// A gamepad mapping file (`Robots/gamepads/*.yaml`): which of a pad's axes drive which action
/// entry, per robot kind, and which of its buttons are the operator's buttons. Codes are the
/// kernel's: evdev `ABS_*` and `BTN_*` numbers (input-event-codes.h), or the joystick API's axis
/// and button numbers.
///
/// Reading the file checks everything that does not depend on the robot; which joints an arm has
/// is checked when the mapping is applied to a description (the runtime's `GamepadMapping`), with
/// the line of the entry kept in `Axis.mark`.
public struct GamepadMappingFile: Sendable {
    /// How the device reports: evdev (`/dev/input/event*`, `struct input_event`) or the older
    /// joystick API (`/dev/input/js*`, `struct js_event`).
    public enum API: String, CaseIterable, Sendable {
        case evdev
        case joystick
    }

    /// One axis driving one action entry.
    public struct Axis: Sendable, Equatable {
        /// `ABS_*` code (evdev) or axis number (joystick API).
        public var code: UInt16
        /// `speed`, `steering` (car); `north`, `east`, `down`, `yaw_rate` (drone); a joint name or
        /// `selected` (arm).
        public var action: String
        /// Action units at full deflection (arm: rad/s).
        public var scale: Double
        /// Fraction of the half-range around the centre read as zero.
        public var deadzone: Double
        public var invert: Bool
        /// The raw range; nil: ask the device (evdev), or ±32767 (joystick API).
        public var range: ClosedRange<Int32>?
        /// Where the entry is written.
        public var mark: SourceMark
    }

    /// The axes of one robot kind, and (arms) the buttons that choose the jogged joint.
    public struct Section: Sendable {
        public var axes: [Axis]
        public var selectPrevious: UInt16?
        public var selectNext: UInt16?
        public var mark: SourceMark
    }

    public var path: String
    public var api: API
    /// Operator button name (`takeover`, `start`, ...) and its code, in file order.
    public var buttons: [(name: String, code: UInt16)]
    public var sections: [RobotKind: Section]

    /// Action names a car's and a drone's axes may drive; an arm's are its joint names and `selected`.
    public static func actionNames(for kind: RobotKind) -> [String] {
        switch kind {
        case .car: return ["speed", "steering"]
        case .drone: return ["north", "east", "down", "yaw_rate"]
        case .arm: return ["selected"]
        }
    }

    /// Reads and checks a mapping file.
    /// - Parameter buttonNames: the operator buttons a file may name (the runtime's `OperatorButtons.names`).
    public static func load(path: String, buttonNames: [String]) throws(ConfigErrors) -> GamepadMappingFile {
        let text: String
        do {
            text = try FileBytes.readText(path)
        } catch {
            throw ConfigErrors([ConfigDiagnostic(file: path, mark: nil, keyPath: "", problem: "cannot read the gamepad mapping: \(error.reason)",
                                                 suggestion: "check the path; Robots/gamepads/xbox.yaml is the shipped example")])
        }
        return try parse(text, path: path, buttonNames: buttonNames)
    }

    public static func parse(_ text: String, path: String, buttonNames: [String]) throws(ConfigErrors) -> GamepadMappingFile {
        let reader = ConfigReader(file: path)
        let root: YAMLNode
        do {
            root = try YAMLDocument(parsing: text).root
        } catch {
            throw ConfigErrors([ConfigDiagnostic(file: path, mark: error.mark, keyPath: "", problem: "not valid YAML: \(error.problem)")])
        }
        guard let top = reader.mapping(root, path: "", keys: ["api", "buttons"] + RobotKind.allCases.map(\.rawValue)) else {
            throw ConfigErrors(reader.diagnostics)
        }
        let api = top.choice("api", default: API.evdev)
        let axisCodes: ClosedRange<Int> = api == .evdev ? 0...0x3f : 0...255
        let buttonCodes: ClosedRange<Int> = api == .evdev ? 0...0x2ff : 0...255

        var buttons: [(name: String, code: UInt16)] = []
        var usedCodes: [Int: (name: String, line: Int)] = [:]
        func claim(_ code: Int, name: String, node: YAMLNode, path: String) {
            if let first = usedCodes[code] {
                reader.report(node.mark, path, "button \(code) is also `\(first.name)` (line \(first.line))",
                              suggestion: "give each operator button its own code")
            } else {
                usedCodes[code] = (name, node.mark.line)
            }
        }
        if let node = top.require("buttons", hint: "{start: 315, stop: 314}"),
           let map = reader.mapping(node, path: "buttons", keys: buttonNames) {
            for name in map.order {
                guard let value = map.optional(name), let code = reader.integer(value, path: map.keyPath(name), in: buttonCodes) else { continue }
                claim(code, name: name, node: value, path: map.keyPath(name))
                buttons.append((name, UInt16(code)))
            }
        }

        var sections: [RobotKind: Section] = [:]
        for kind in RobotKind.allCases {
            guard let node = top.optional(kind.rawValue) else { continue }
            let keys = kind == .arm ? ["axes", "select_previous", "select_next"] : ["axes"]
            guard let section = reader.mapping(node, path: kind.rawValue, keys: keys) else { continue }
            var selectPrevious: UInt16?, selectNext: UInt16?
            for (key, name) in [("select_previous", "select previous joint"), ("select_next", "select next joint")] {
                guard let value = section.optional(key), let code = reader.integer(value, path: section.keyPath(key), in: buttonCodes) else { continue }
                claim(code, name: name, node: value, path: section.keyPath(key))
                if key == "select_previous" { selectPrevious = UInt16(code) } else { selectNext = UInt16(code) }
            }
            var axes: [Axis] = []
            if let list = section.require("axes", hint: "[{axis: 1, action: \(actionNames(for: kind)[0]), scale: 1.0}]"),
               let items = reader.sequence(list, path: section.keyPath("axes")) {
                for (index, item) in items.enumerated() {
                    if let axis = decodeAxis(item, path: "\(kind.rawValue).axes[\(index)]", kind: kind, codes: axisCodes, reader: reader) {
                        axes.append(axis)
                    }
                }
            }
            if kind == .arm, axes.contains(where: { $0.action == "selected" }), selectPrevious == nil || selectNext == nil {
                reader.report(section.mark, "arm", "an axis drives the `selected` joint but there is no way to select one",
                              suggestion: "add `select_previous:` and `select_next:` button codes (Xbox pad: 310 and 311, the bumpers)")
            }
            sections[kind] = Section(axes: axes, selectPrevious: selectPrevious, selectNext: selectNext, mark: section.mark)
        }
        if sections.isEmpty && reader.diagnostics.isEmpty {
            reader.report(root.mark, "", "no robot kind is mapped", suggestion: "add an `arm:`, `car:` or `drone:` section with `axes:`")
        }
        guard reader.diagnostics.isEmpty else { throw ConfigErrors(reader.diagnostics) }
        return GamepadMappingFile(path: path, api: api, buttons: buttons, sections: sections)
    }

    private static func decodeAxis(_ node: YAMLNode, path: String, kind: RobotKind, codes: ClosedRange<Int>, reader: ConfigReader) -> Axis? {
        guard let entry = reader.mapping(node, path: path, keys: ["axis", "action", "scale", "deadzone", "invert", "range"]) else { return nil }
        let code = entry.requiredInteger("axis", in: codes, hint: "1")
        var action = entry.requiredString("action", hint: actionNames(for: kind).joined(separator: " | "))
        if let name = action, kind != .arm, !actionNames(for: kind).contains(name) {
            reader.report(entry.optional("action")?.mark, entry.keyPath("action"), "`\(name)` is not \(kind.withArticle)'s action",
                          suggestion: Spelling.suggestion(for: name, in: actionNames(for: kind), noun: "actions"))
            action = nil
        }
        let scale = entry.requiredDouble("scale", unit: kind == .arm ? "rad/s" : "action units", hint: "1.0")
        let deadzone = entry.double("deadzone", default: 0, in: 0...0.95)
        let invert = entry.optional("invert").flatMap { reader.bool($0, path: entry.keyPath("invert")) } ?? false
        var range: ClosedRange<Int32>?
        if let node = entry.optional("range") {
            let rangePath = entry.keyPath("range")
            if let items = reader.sequence(node, path: rangePath) {
                if items.count != 2 {
                    reader.report(node.mark, rangePath, "expected two whole numbers [min, max], found \(items.count)",
                                  suggestion: "write the raw range the device reports, e.g. [-32768, 32767]")
                } else if let low = reader.integer(items[0], path: rangePath + "[0]", in: Int(Int32.min)...Int(Int32.max)),
                          let high = reader.integer(items[1], path: rangePath + "[1]", in: Int(Int32.min)...Int(Int32.max)) {
                    if low < high {
                        range = Int32(low)...Int32(high)
                    } else {
                        reader.report(node.mark, rangePath, "min \(low) is not below max \(high)",
                                      suggestion: "write [min, max] with min < max (use `invert: true` to reverse an axis)")
                    }
                }
            }
        }
        guard let code, let action, let scale else { return nil }
        return Axis(code: UInt16(code), action: action, scale: scale, deadzone: deadzone, invert: invert, range: range, mark: node.mark)
    }
}
