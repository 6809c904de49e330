import Foundation
import ReinsConfig
import ReinsCore
import ReinsRecording

/// A sequence of actions to replay, read from CSV or JSON lines.
///
/// CSV: one row per tick; an optional header names the columns (columns named after the robot's
/// actions are used, others such as `time` ignored); without a header every row holds exactly the
/// robot's action values in order. JSON lines: one array of numbers per line, or an object with
/// every action name as a key, or an object with an `action` array. Every value is checked
/// against the robot's limits, and errors name the file, line and column.
public struct Trajectory: Sendable {
    public var actions: [[Double]]

    public init(actions: [[Double]]) {
        self.actions = actions
    }

    public struct LoadError: Error, Sendable, CustomStringConvertible {
        public var file: String
        public var line: Int?
        public var problem: String
        public var description: String { file + (line.map { ":\($0)" } ?? "") + ": " + problem }
    }

    /// - Parameter episode: for an MCAP recording, which episode to replay (nil: every episode in
    ///   order); its applied actions are replayed.
    public static func load(path: String, robot: RobotDescription, episode: UInt32? = nil) throws(LoadError) -> Trajectory {
        if path.hasSuffix(".mcap") { return try fromRecording(path: path, robot: robot, episode: episode) }
        let text: String
        do { text = try FileBytes.readText(path) } catch { throw LoadError(file: path, line: nil, problem: "cannot read: \(error.reason)") }
        let isJSON = path.hasSuffix(".jsonl") || path.hasSuffix(".json") || text.drop { $0.isWhitespace }.first.map { $0 == "[" || $0 == "{" } == true
        let trajectory = isJSON ? try parseJSONLines(text, path: path, robot: robot) : try parseCSV(text, path: path, robot: robot)
        guard !trajectory.actions.isEmpty else { throw LoadError(file: path, line: nil, problem: "no actions in the file") }
        return trajectory
    }

    /// The actions a recorded run applied, checked like any other trajectory (the tick number
    /// stands in for the line).
    static func fromRecording(path: String, robot: RobotDescription, episode: UInt32?) throws(LoadError) -> Trajectory {
        let recording: Recording
        do { recording = try RecordingReader.read(path: path) } catch { throw LoadError(file: path, line: nil, problem: "\(error)") }
        if let recorded = recording.robot, recorded.actionNames != robot.actionNames {
            throw LoadError(file: path, line: nil, problem: "recorded actions [\(recorded.actionNames.joined(separator: ", "))] differ from \(robot.name)'s [\(robot.actionNames.joined(separator: ", "))]")
        }
        let episodes = recording.episodes.filter { episode == nil || $0.episode == episode }
        guard !episodes.isEmpty else {
            let available = recording.episodes.map { String($0.episode) }.joined(separator: ", ")
            throw LoadError(file: path, line: nil, problem: "no episode \(episode.map { "\($0) " } ?? "")in the recording; it has \(available.isEmpty ? "none" : available)")
        }
        var actions: [[Double]] = []
        for recorded in episodes {
            for tick in recorded.ticks {
                try check(tick.applied, line: Int(tick.tick), path: path, robot: robot)
                actions.append(tick.applied)
            }
        }
        return Trajectory(actions: actions)
    }

    static func check(_ values: [Double], line: Int, path: String, robot: RobotDescription) throws(LoadError) {
        let names = robot.actionNames
        let bounds = robot.actionBounds
        for (i, value) in values.enumerated() {
            guard value.isFinite else { throw LoadError(file: path, line: line, problem: "\(names[i]) is not a finite number") }
            if i < bounds.count && !bounds[i].contains(value) {
                throw LoadError(file: path, line: line, problem: "\(names[i]) = \(value) is outside the robot's limits [\(bounds[i].lowerBound), \(bounds[i].upperBound)]")
            }
        }
    }

    static func parseCSV(_ text: String, path: String, robot: RobotDescription) throws(LoadError) -> Trajectory {
        let names = robot.actionNames
        var columns: [Int]?
        var actions: [[Double]] = []
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            if actions.isEmpty && columns == nil && fields.contains(where: { Double($0) == nil }) {
                var mapping: [Int] = []
                for name in names {
                    guard let column = fields.firstIndex(of: name) else {
                        throw LoadError(file: path, line: index + 1, problem: "the header has no column `\(name)`; it needs \(names.joined(separator: ", "))")
                    }
                    mapping.append(column)
                }
                columns = mapping
                continue
            }
            let mapping = columns ?? Array(0..<names.count)
            if columns == nil && fields.count != names.count {
                throw LoadError(file: path, line: index + 1, problem: "expected \(names.count) numbers (\(names.joined(separator: ", "))), found \(fields.count)")
            }
            var values: [Double] = []
            for (entry, column) in mapping.enumerated() {
                guard column < fields.count else { throw LoadError(file: path, line: index + 1, problem: "row is missing column \(column + 1) (\(names[entry]))") }
                guard let value = Double(fields[column]) else {
                    throw LoadError(file: path, line: index + 1, problem: "column \(column + 1) (\(names[entry])): `\(fields[column])` is not a number")
                }
                values.append(value)
            }
            try check(values, line: index + 1, path: path, robot: robot)
            actions.append(values)
        }
        return Trajectory(actions: actions)
    }

    static func parseJSONLines(_ text: String, path: String, robot: RobotDescription) throws(LoadError) -> Trajectory {
        let names = robot.actionNames
        var actions: [[Double]] = []
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty { continue }
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8), options: [.fragmentsAllowed]) else {
                throw LoadError(file: path, line: index + 1, problem: "not valid JSON")
            }
            var values: [Double]
            if let array = object as? [Any] {
                values = try numbers(array, line: index + 1, path: path)
            } else if let dictionary = object as? [String: Any] {
                if let array = dictionary["action"] as? [Any] {
                    values = try numbers(array, line: index + 1, path: path)
                } else {
                    values = []
                    for name in names {
                        guard let number = dictionary[name] as? NSNumber else {
                            throw LoadError(file: path, line: index + 1, problem: "no number for `\(name)` (give every action name, or an `action` array)")
                        }
                        values.append(number.doubleValue)
                    }
                }
            } else {
                throw LoadError(file: path, line: index + 1, problem: "expected an array of numbers or an object")
            }
            guard values.count == names.count else {
                throw LoadError(file: path, line: index + 1, problem: "expected \(names.count) numbers (\(names.joined(separator: ", "))), found \(values.count)")
            }
            try check(values, line: index + 1, path: path, robot: robot)
            actions.append(values)
        }
        return Trajectory(actions: actions)
    }

    private static func numbers(_ array: [Any], line: Int, path: String) throws(LoadError) -> [Double] {
        var values: [Double] = []
        for (i, item) in array.enumerated() {
            // JSON true/false also arrive as NSNumber; their objCType is "c".
            guard let number = item as? NSNumber, String(cString: number.objCType) != "c" else {
                throw LoadError(file: path, line: line, problem: "element \(i + 1) is not a number")
            }
            values.append(number.doubleValue)
        }
        return values
    }
}
