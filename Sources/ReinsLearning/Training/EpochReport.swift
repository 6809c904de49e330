import ReinsPolicy

/// What the fitter reports after each pass over the training samples.
public struct EpochReport: Sendable, CustomStringConvertible {
    /// 1-based.
    public var epoch: Int
    public var epochs: Int
    /// Mean minibatch loss over the epoch (MSE on normalised actions, or 0.5 MSE + 0.5 CE with a head).
    public var trainingLoss: Double
    /// The same loss on the validation episodes after the epoch; nil without validation episodes.
    public var validationLoss: Double?
    /// Root mean square over validation ticks of ‖predicted − recorded action‖₂, in action units.
    public var validationActionError: Double?
    /// Share of action dimensions whose most likely head bin is the target bin (with a head).
    public var trainingHeadAccuracy: Double?
    public var validationHeadAccuracy: Double?
    /// ∏ ‖F_i‖₂ of the normalisation-folded layers by a few power iterations: the product bound in
    /// physical units as training sees it. Power iteration approaches each norm from below, so this
    /// is a lower estimate; while the weights move fast (the first epochs) it can exceed the
    /// requested L, because the per-step projection's one-iteration estimate trails the true norms.
    /// The exact projection after the last epoch brings the written policy within L.
    public var productBound: Double
    /// The learning rate of the epoch's last step.
    public var learningRate: Double
    /// Wall time of the epoch, validation included.
    public var seconds: Double

    public var description: String {
        var parts = ["epoch \(epoch)/\(epochs)", "train loss \(significant(trainingLoss))"]
        if let validationLoss { parts.append("validation loss \(significant(validationLoss))") }
        if let validationActionError { parts.append("validation action error \(significant(validationActionError))") }
        if let trainingHeadAccuracy {
            parts.append("head accuracy \(significant(trainingHeadAccuracy))" + (validationHeadAccuracy.map { " (validation \(significant($0)))" } ?? ""))
        }
        parts.append("product of norms ≥ \(significant(productBound))")
        parts.append("\(significant(seconds)) s")
        return parts.joined(separator: ", ")
    }
}
