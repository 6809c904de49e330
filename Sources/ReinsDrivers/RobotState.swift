import ReinsConfig
import ReinsCore

/// The measured state of a robot, filled in place by its driver every tick, in the order of the
/// robot's `StateLayout` (which names every value and gives the typed views that read them).
public final class RobotState: @unchecked Sendable {
    public let layout: StateLayout
    public let values: UnsafeMutableBufferPointer<Double>
    /// CLOCK_MONOTONIC time the values were measured (or received), ns; 0 before the first read.
    public var timestamp: UInt64 = 0
    /// Counts successful reads; the watchdog compares it between ticks.
    public var sequence: UInt64 = 0

    public init(layout: StateLayout) {
        self.layout = layout
        values = .allocate(capacity: max(layout.count, 1))
        values.initialize(repeating: 0)
    }

    deinit { values.deallocate() }

    public var names: [String] { layout.names }

    public func index(of name: String) -> Int? { layout.names.firstIndex(of: name) }

    public subscript(name: String) -> Double? {
        index(of: name).map { values[$0] }
    }
}
