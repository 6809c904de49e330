/// What a safe stop really did, in the robot's terms, for the run summary: the steps the device
/// confirmed ("hovered 2.0 s", "landed", "disarmed") and, when it could not finish, why ("vehicle
/// lost: LAND not acknowledged"). A driver never reports a step it did not see happen.
public struct SafeStopReport: Sendable, Equatable, CustomStringConvertible {
    /// Confirmed steps, in order.
    public var steps: [String]
    /// Why the stop is not confirmed complete; nil when every step was.
    public var problem: String?

    public init(steps: [String] = [], problem: String? = nil) {
        self.steps = steps
        self.problem = problem
    }

    /// Whether the device confirmed every step of its safe stop.
    public var isComplete: Bool { problem == nil }

    /// "hovered 2.0 s, landed, disarmed" or "hovered 2.0 s; vehicle lost: LAND not acknowledged".
    public var description: String {
        let done = steps.joined(separator: ", ")
        guard let problem else { return done.isEmpty ? "done" : done }
        return done.isEmpty ? problem : done + "; " + problem
    }

    /// Seconds with one decimal and their unit ("2.0 s"), for steps and progress lines.
    static func seconds(_ value: Double) -> String {
        "\((value * 10).rounded() / 10) s"
    }
}
