/// Something that happens during a run besides ticks, recorded on `/reins/event` with a code and
/// a value whose meaning depends on the kind.
public enum RunEventKind: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    /// A driver or runtime fault. `code`: the driver's fault code; `value`: a reading, if any.
    case fault = 0
    /// The monitor or corrector asked the operator to take over. `value`: the sensitivity or
    /// confidence that triggered it.
    case takeoverRequest = 1
    /// The runtime performed the robot kind's safe stop. `code`: what caused it.
    case safeStop = 2
    /// The loop missed its deadline. `code`: skipped periods; `value`: lateness in seconds.
    case overrun = 3
    /// An operator's mark, such as RaC's "recovered" key. `code`: the caller's meaning.
    case mark = 4

    public var description: String {
        switch self {
        case .fault: return "fault"
        case .takeoverRequest: return "takeover_request"
        case .safeStop: return "safe_stop"
        case .overrun: return "overrun"
        case .mark: return "mark"
        }
    }
}
