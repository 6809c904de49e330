import Foundation

/// What a robot announces in its HELLO: who it is and the meaning of each STATE and ACTION value.
/// The runtime checks it against the robot description before the first tick.
public struct RobotLayout: Codable, Sendable, Equatable {
    public var `protocol` = "reins-robot"
    public var version = 1
    public var robot: String
    public var kind: String
    /// Names of the STATE values, in order (e.g. `shoulder_pan.pos`).
    public var state: [String]
    /// Names of the ACTION values, in order (e.g. `shoulder_pan.goal`).
    public var action: [String]
    /// Rate at which the robot publishes STATE, Hz.
    public var rateHz: Double

    enum CodingKeys: String, CodingKey {
        case `protocol`, version, robot, kind, state, action
        case rateHz = "rate_hz"
    }

    public init(robot: String, kind: String, state: [String], action: [String], rateHz: Double) {
        self.robot = robot
        self.kind = kind
        self.state = state
        self.action = action
        self.rateHz = rateHz
    }

    public func json() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard let data = try? encoder.encode(self) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }

    public struct ParseError: Error, Sendable, CustomStringConvertible {
        public var problem: String
        public var description: String { "HELLO layout: \(problem)" }
    }

    public static func parse(_ json: String) throws(ParseError) -> RobotLayout {
        do {
            let layout = try JSONDecoder().decode(RobotLayout.self, from: Data(json.utf8))
            guard layout.protocol == "reins-robot" else { throw ParseError(problem: "protocol is `\(layout.protocol)`, expected `reins-robot`") }
            guard layout.version == 1 else { throw ParseError(problem: "version \(layout.version) is not supported (this runtime speaks 1)") }
            return layout
        } catch let error as ParseError {
            throw error
        } catch {
            throw ParseError(problem: "not the expected JSON (\(error))")
        }
    }
}
