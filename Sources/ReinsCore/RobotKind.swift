/// The three kinds of robot Reins drives. The kind decides the limits a description declares,
/// the observation and action vocabulary, and what a safe stop means.
public enum RobotKind: String, CaseIterable, Sendable {
    case arm
    case car
    case drone

    /// "an arm", "a car", "a drone", for messages.
    public var withArticle: String {
        self == .arm ? "an arm" : "a \(rawValue)"
    }
}
