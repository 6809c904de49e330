import Foundation
import ReinsConfig
import ReinsCore
import ReinsPolicy
import ReinsRecording
import ReinsTasks
import ReinsTransport

/// Runs one closed-loop test file's matrix on its robot (`reins test`): every condition for the
/// file's episode count, through the same `Run` as `reins deploy`, with the envelope checked every
/// tick. An episode that breaks an invariant (or faults) ends in the kind's safe stop; the
/// condition then goes on in a fresh run from the next episode, so every episode `i` is run with
/// its goal from seed + i. Each run is recorded; the recordings are read back for the report's
/// plots (histograms, margins, failing trajectories) and kept as `keep` says.
public final class ClosedLoopTestRunner {
    public enum Keep: String, CaseIterable, Sendable {
        case all, failures, none
    }

    /// What the runner tells its caller as it goes (on the caller's thread).
    public enum Progress {
        case conditionStarted(name: String, index: Int, count: Int)
        /// Episodes finished in the current condition (and its total), while it runs.
        case episodes(done: Int, of: Int)
        case conditionFinished(TestSummary.Condition)
    }

    public struct Setup {
        public var file: ClosedLoopTestFile
        public var robot: RobotDescription
        public var network: PolicyNetwork
        public var robustness: RobustnessCertificate
        /// Episodes per condition (the file's unless overridden).
        public var episodes: Int
        /// The episodes this process runs of every condition (all of them unless sharded).
        public var range: Range<Int>
        public var outputDirectory: String
        public var keep: Keep
        public var realtime: RealtimeRequest
        /// A launcher for the robot's simulator with these faults and this seed (`link: sim`).
        public var simulators: (_ faults: String?, _ seed: UInt64) throws -> (any SimulatorLauncher)?

        public init(file: ClosedLoopTestFile, robot: RobotDescription, network: PolicyNetwork, robustness: RobustnessCertificate,
                    episodes: Int, outputDirectory: String, keep: Keep, realtime: RealtimeRequest,
                    simulators: @escaping (_ faults: String?, _ seed: UInt64) throws -> (any SimulatorLauncher)?) {
            self.file = file
            self.robot = robot
            self.network = network
            self.robustness = robustness
            self.episodes = episodes
            range = 0..<episodes
            self.outputDirectory = outputDirectory
            self.keep = keep
            self.realtime = realtime
            self.simulators = simulators
        }
    }

    public var setup: Setup
    /// Asked between polls; true ends the test after the current run's safe stop.
    public var stopRequested: () -> Bool = { false }
    public var progress: (Progress) -> Void = { _ in }
    public private(set) var interrupted = false

    public init(_ setup: Setup) {
        self.setup = setup
    }

    /// Runs every condition; the conditions' results in matrix order.
    public func run() -> [TestSummary.Condition] {
        var results: [TestSummary.Condition] = []
        for (index, condition) in setup.file.matrix.enumerated() {
            if interrupted { break }
            progress(.conditionStarted(name: condition.name, index: index, count: setup.file.matrix.count))
            let result = run(condition)
            results.append(result)
            progress(.conditionFinished(result))
        }
        return results
    }

    // MARK: One condition

    /// What one run of a condition left behind.
    private struct Block {
        var episodes: [EpisodeStats]
        var fault: RunFault?
        var faultMessage: String?
        var periodErrorP99: UInt64
        var overruns: UInt64
        var ticks: UInt64
        var largestAttackChange: Double
        var recording: String?
        var firstEpisode: Int
    }

    private func run(_ condition: ClosedLoopTestFile.Condition) -> TestSummary.Condition {
        let started = MonotonicClock.nowNanoseconds()
        let total = setup.range.upperBound
        var blocks: [Block] = []
        var next = setup.range.lowerBound
        var connectFailure: String?
        while next < total && !interrupted {
            let block: Block
            do {
                block = try runBlock(condition, from: next)
            } catch {
                connectFailure = "\(error)"
                break
            }
            blocks.append(block)
            // A run that ended in a fault used up the episode it was in.
            let used = block.episodes.count
            if used == 0 {
                connectFailure = block.faultMessage ?? "the run ended before its first episode"
                break
            }
            next += used
            progress(.episodes(done: next - setup.range.lowerBound, of: setup.range.count))
        }
        var result = collect(condition, blocks: blocks, connectFailure: connectFailure,
                             wallSeconds: Double(MonotonicClock.nowNanoseconds() &- started) * 1e-9)
        Self.judge(&result, file: setup.file, robot: setup.robot, robustness: setup.robustness)
        return result
    }

    private func runBlock(_ condition: ClosedLoopTestFile.Condition, from first: Int) throws -> Block {
        let file = setup.file, robot = setup.robot
        var plan = RunPlan(robot: robot, source: .policy(setup.network, certificate: setup.robustness, attack: condition.attack))
        plan.speed = robot.link == .sim ? file.speed : 1
        plan.seed = file.seed &+ UInt64(first)
        plan.realtime = setup.realtime
        plan.episodeLimit = UInt32(setup.range.upperBound - first)
        if condition.scriptedOperator { plan.operator = .scripted }
        let run = try Run(plan, simulators: try setup.simulators(condition.faults, plan.seed))
        defer { run.close() }
        try run.activate()
        // Named by the first episode it holds: unique across the runs and the shards of a test.
        let recordingPath = setup.outputDirectory + "/recordings/\(condition.name)-e\(first).mcap"
        _ = mkdir(setup.outputDirectory + "/recordings", 0o755)
        var recorded: String?
        do {
            try run.record(to: recordingPath)
            recorded = recordingPath
        } catch {
            recorded = nil
        }
        try run.start(prepare: { pipeline in
            pipeline.envelope = SafetyEnvelope(file.envelope, robot: robot, task: pipeline.task)
            pipeline.numberEpisodes(from: UInt32(first), seedBase: file.seed)
            pipeline.keepEpisodeLog(capacity: setup.range.upperBound - first + 1)
        })
        var reported = first
        _ = run.wait(interval: 0.05, stopRequested: { [self] in
            if stopRequested() { interrupted = true }
            return interrupted
        }, poll: { [self] in
            guard let pipeline = run.pipeline else { return }
            let done = first + Int(pipeline.totals.episodes)
            if done != reported {
                reported = done
                progress(.episodes(done: done - setup.range.lowerBound, of: setup.range.count))
            }
        })
        guard let pipeline = run.pipeline, let loop = run.loop else {
            return Block(episodes: [], fault: nil, faultMessage: "the run did not start", periodErrorP99: 0, overruns: 0, ticks: 0,
                         largestAttackChange: 0, recording: nil, firstEpisode: first)
        }
        if let recorder = run.recorder { _ = try? recorder.close() }
        let statistics = loop.statistics.snapshot()
        var episodes = pipeline.episodeLog.filter { $0.outcome != .discarded }
        // An interrupted run's aborted episode is not a result.
        if interrupted && pipeline.fault == nil { episodes.removeAll { $0.outcome == .aborted } }
        return Block(episodes: episodes, fault: pipeline.fault, faultMessage: pipeline.fault.map { $0.message(driver: run.session.driver) },
                     periodErrorP99: statistics.periodError.p99, overruns: statistics.overrunTicks, ticks: pipeline.totals.ticks,
                     largestAttackChange: pipeline.attack?.largestActionChange ?? 0, recording: recorded, firstEpisode: first)
    }

    // MARK: Collecting

    /// The condition's episodes and run figures, unjudged: what a shard contributes to a merge.
    private func collect(_ condition: ClosedLoopTestFile.Condition, blocks: [Block], connectFailure: String?,
                         wallSeconds: Double) -> TestSummary.Condition {
        let robot = setup.robot, file = setup.file
        let period = 1 / robot.controlRateHz
        let task = TaskFactory.make(for: robot)
        var episodes: [TestSummary.Episode] = []
        var sensitivities: [Double] = [], confidences: [Double] = []
        var margins: [TestSummary.Series] = []
        var keptRecordings: [String] = []

        for block in blocks {
            let recording = block.recording.flatMap { try? RecordingReader.read(path: $0) }
            let recordedEpisodes = Dictionary(recording?.episodes.map { (Int($0.episode), $0) } ?? [], uniquingKeysWith: { first, _ in first })
            var blockFailed = false
            let firstOfBlock = episodes.count
            for stats in block.episodes {
                let index = Int(stats.number)
                var episode = TestSummary.Episode(
                    index: index, seed: file.seed &+ UInt64(index), outcome: Self.outcomeName(stats.outcome), ticks: Int(stats.ticks),
                    seconds: Double(stats.ticks) * period, meanCost: finite(stats.meanCost),
                    maximumSensitivity: stats.maximumSensitivity > 0 ? stats.maximumSensitivity : nil,
                    minimumConfidence: finite(stats.minimumConfidence), clampedTicks: Int(stats.clampedTicks),
                    takeovers: Int(stats.takeovers), humanSeconds: Double(stats.humanTicks) * period,
                    violation: nil, invariant: nil, measured: nil, bound: nil, recording: nil, trajectory: nil)
                if stats.outcome == .aborted {
                    episode.outcome = "safety_stop"
                    switch block.fault {
                    case .envelope(let violation)?:
                        episode.invariant = violation.invariant.description
                        episode.violation = violation.description
                        episode.measured = finite(violation.value)
                        episode.bound = violation.bound
                    case .watchdog(let stale)?:
                        episode.invariant = EnvelopeInvariant.watchdog.description
                        episode.violation = block.faultMessage
                        episode.measured = Double(stale) * 1e-9
                        episode.bound = robot.safety.watchdogTimeout
                    default:
                        episode.invariant = "fault"
                        episode.violation = block.faultMessage ?? "the run stopped"
                    }
                }
                let failed = episode.outcome != "success"
                if failed { blockFailed = true }
                if let recorded = recordedEpisodes[index] {
                    for tick in recorded.ticks {
                        if tick.sensitivity.isFinite { sensitivities.append(tick.sensitivity) }
                        if tick.confidence.isFinite { confidences.append(tick.confidence) }
                    }
                    margins += marginSeries(recorded, episode: index, task: task)
                    if failed { episode.trajectory = trajectory(recorded, names: recording?.robot?.stateNames ?? []) }
                }
                episodes.append(episode)
            }
            if let path = block.recording {
                let keep = setup.keep == .all || (setup.keep == .failures && (blockFailed || block.fault != nil))
                if keep {
                    let relative = "recordings/" + FilePath.lastComponent(path)
                    keptRecordings.append(relative)
                    for i in firstOfBlock..<episodes.count { episodes[i].recording = relative }
                } else {
                    _ = unlink(path)
                }
            }
        }
        if setup.keep == .none || keptRecordings.isEmpty { _ = rmdir(setup.outputDirectory + "/recordings") }
        let attacked = condition.attack != nil
        let sensitivityLimit = robot.monitor.sensitivityLimit
        var result = TestSummary.Condition(
            name: condition.name, faults: condition.faults, attack: condition.attack, scriptedOperator: condition.scriptedOperator,
            episodes: episodes, successes: 0, successRate: 0, wilsonLow: 0, wilsonHigh: 1, meanCost: nil, costMeaning: task.costMeaning,
            safetyStops: 0, maximumSensitivity: nil, sensitivityLimit: sensitivityLimit, minimumConfidence: nil,
            sensitivityHistogram: Self.histogram(sensitivities, upper: sensitivityLimit),
            confidenceHistogram: Self.histogram(confidences, upper: 1),
            largestAttackChange: attacked ? blocks.map(\.largestAttackChange).max() : nil,
            attackBound: condition.attack.map { setup.robustness.lipschitzBound * $0 },
            periodErrorP99Seconds: Double(blocks.map(\.periodErrorP99).max() ?? 0) * 1e-9,
            overruns: Int(blocks.reduce(0) { $0 + $1.overruns }), ticks: Int(blocks.reduce(0) { $0 + $1.ticks }),
            clampedTicks: 0, takeovers: 0, humanSeconds: 0, invariants: [], requirements: [], margins: margins,
            recordings: keptRecordings, wallSeconds: wallSeconds, passed: false)
        result.expectedEpisodes = setup.range.count
        result.runProblem = connectFailure
        return result
    }

    // MARK: Judging

    /// Judges a condition from its episodes and run figures (one process's, or shards' merged):
    /// the envelope's invariants and the file's requirements, with the condition's own over them.
    /// Everything is computed from the episodes in index order, so a merge of shards is judged
    /// exactly as one run of the same episodes.
    public static func judge(_ result: inout TestSummary.Condition, file: ClosedLoopTestFile, robot: RobotDescription,
                             robustness: RobustnessCertificate) {
        guard let condition = file.matrix.first(where: { $0.name == result.name }) else { return }
        let task = TaskFactory.make(for: robot)
        result.episodes.sort { $0.index < $1.index }
        let episodes = result.episodes
        let trials = episodes.count
        let successes = episodes.filter { $0.outcome == "success" }.count
        let interval = TestSummary.wilson(successes: successes, trials: trials)
        result.successes = successes
        result.successRate = trials > 0 ? Double(successes) / Double(trials) : 0
        (result.wilsonLow, result.wilsonHigh) = interval
        // Mean over the condition's ticks, as deploy's summary gives it.
        let costTicks = episodes.reduce(0) { $0 + ($1.meanCost == nil ? 0 : $1.ticks) }
        let costSum = episodes.reduce(0.0) { $0 + ($1.meanCost ?? 0) * Double($1.ticks) }
        let meanCost: Double? = costTicks > 0 ? costSum / Double(costTicks) : nil
        result.meanCost = meanCost
        let safetyStops = episodes.filter { $0.outcome == "safety_stop" }.count
        result.safetyStops = safetyStops
        result.maximumSensitivity = episodes.compactMap(\.maximumSensitivity).max()
        result.minimumConfidence = episodes.compactMap(\.minimumConfidence).min()
        result.clampedTicks = episodes.reduce(0) { $0 + $1.clampedTicks }
        result.takeovers = episodes.reduce(0) { $0 + $1.takeovers }
        result.humanSeconds = episodes.reduce(0) { $0 + $1.humanSeconds }

        // Invariants: one check each, the envelope's per-tick ones, then the run's.
        var invariants: [TestSummary.Check] = []
        let envelope = SafetyEnvelope(file.envelope, robot: robot, task: task)
        for invariant in envelope.invariants {
            if let broken = episodes.first(where: { $0.invariant == invariant.description }) {
                invariants.append(.init(name: invariant.description, passed: false, measured: broken.measured, bound: broken.bound,
                                        unit: invariant.unit, message: "episode \(broken.index): \(broken.violation ?? invariant.description)"))
            } else {
                invariants.append(.init(name: invariant.description, passed: true, unit: invariant.unit,
                                        message: "held on every tick of \(trials) episodes"))
            }
        }
        let timeout = robot.safety.watchdogTimeout
        if let stale = episodes.first(where: { $0.invariant == EnvelopeInvariant.watchdog.description }) {
            invariants.append(.init(name: "watchdog", passed: false, measured: stale.measured, bound: timeout, unit: "s",
                                    message: "episode \(stale.index): " + (stale.violation ?? "watchdog")))
        } else {
            invariants.append(.init(name: "watchdog", passed: true, bound: timeout, unit: "s",
                                    message: "fresh state within \(fixed(timeout * 1000, 0)) ms throughout"))
        }
        let otherFaults = episodes.filter { $0.invariant == "fault" }
        if let first = otherFaults.first {
            invariants.append(.init(name: "no_fault", passed: false, measured: Double(otherFaults.count), bound: 0,
                                    message: "episode \(first.index): \(first.violation ?? "fault")"))
        }
        let periodError = result.periodErrorP99Seconds
        if let bound = file.envelope.periodErrorP99 {
            invariants.append(.init(name: EnvelopeInvariant.periodErrorP99.description, passed: periodError <= bound,
                                    measured: periodError, bound: bound, unit: "s",
                                    message: "loop period error p99 \(fixed(periodError * 1e6, 1)) µs, bound \(fixed(bound * 1e6, 1)) µs"))
        }
        if let bound = file.envelope.overruns {
            invariants.append(.init(name: EnvelopeInvariant.overruns.description, passed: result.overruns <= bound,
                                    measured: Double(result.overruns), bound: Double(bound), message: "\(result.overruns) overrun ticks, at most \(bound)"))
        }
        if let problem = result.runProblem {
            invariants.append(.init(name: "run", passed: false, message: "could not run every episode: \(problem)"))
        } else if trials < result.expectedEpisodes {
            invariants.append(.init(name: "run", passed: false, measured: Double(trials), bound: Double(result.expectedEpisodes),
                                    message: "only \(trials) of \(result.expectedEpisodes) episodes ran (interrupted)"))
        }

        let required = file.requirements.overridden(by: condition.requirements)
        var requirements: [TestSummary.Check] = []
        if let bound = required.successRate {
            requirements.append(.init(name: "success_rate", passed: trials > 0 && interval.low >= bound, measured: interval.low, bound: bound,
                                      message: "\(successes)/\(trials) succeeded; 95 % Wilson interval \(fixed(interval.low, 3))–\(fixed(interval.high, 3)), "
                                        + "its lower end must reach \(fixed(bound, 3))"))
        }
        if let bound = required.meanCost {
            let value = meanCost ?? .infinity
            requirements.append(.init(name: "mean_cost", passed: value <= bound, measured: finite(value), bound: bound, unit: task.costField.unit,
                                      message: "mean task cost \(fixed(value, 4)) (\(task.costMeaning)), at most \(fixed(bound, 4))"))
        }
        if let bound = required.safetyStops {
            requirements.append(.init(name: "safety_stops", passed: safetyStops <= bound, measured: Double(safetyStops), bound: Double(bound),
                                      message: "\(safetyStops) episodes ended in a safety stop, at most \(bound)"))
        }
        if required.certified ?? true {
            requirements.append(.init(name: "certified", passed: robustness.isCertified, measured: robustness.worstActionChange,
                                      bound: robustness.actionTolerance, message: robustness.summary))
        }
        if let bound = required.sensitivity {
            let value = result.maximumSensitivity ?? 0
            requirements.append(.init(name: "sensitivity", passed: value <= bound, measured: value, bound: bound,
                                      message: "largest measured local sensitivity \(fixed(value, 3)), at most \(fixed(bound, 3))"))
        }
        if let epsilon = condition.attack, required.attackWithinBound ?? true, let change = result.largestAttackChange {
            let bound = robustness.lipschitzBound * epsilon
            requirements.append(.init(name: "attack_within_bound", passed: change <= bound * (1 + 1e-9), measured: change, bound: bound,
                                      message: "largest adversarial action change \(fixed(change, 4)) at ε \(epsilon), L·ε = \(fixed(bound, 4))"))
        }
        result.invariants = invariants
        result.requirements = requirements
        result.passed = invariants.allSatisfy(\.passed) && requirements.allSatisfy(\.passed)
    }

    static func outcomeName(_ outcome: EpisodeOutcome) -> String {
        outcome == .aborted ? "safety_stop" : outcome.description
    }

    /// `count` equal bins from 0 to `upper`, values beyond either end in the end bins (empty when
    /// there are no values). Fixed edges, so shards' histograms add up.
    static func histogram(_ values: [Double], upper: Double, count: Int = 20) -> TestSummary.Histogram {
        guard !values.isEmpty, upper > 0, upper.isFinite else { return TestSummary.Histogram(edges: [], counts: []) }
        let width = upper / Double(count)
        var counts = [Int](repeating: 0, count: count)
        for value in values {
            counts[min(count - 1, max(0, Int(value / width)))] += 1
        }
        return TestSummary.Histogram(edges: (0...count).map { Double($0) * width }, counts: counts)
    }

    /// Each per-tick invariant's margin over the episode, at most `points` samples (each the
    /// smallest margin of its stretch of ticks, so a brief excursion is never averaged away).
    private func marginSeries(_ episode: RecordedEpisode, episode index: Int, task: any RobotTask, points: Int = 120) -> [TestSummary.Series] {
        let envelope = SafetyEnvelope(setup.file.envelope, robot: setup.robot, task: task)
        let invariants = envelope.invariants.filter { $0 != .nonFiniteAction }
        guard !invariants.isEmpty, !episode.ticks.isEmpty else { return [] }
        let all = envelope.invariants
        let stride = max(1, (episode.ticks.count + points - 1) / points)
        var series = invariants.map { TestSummary.Series(name: $0.description, unit: $0.unit, episode: index, t: [], values: []) }
        let buffer = UnsafeMutableBufferPointer<Double>.allocate(capacity: all.count)
        defer { buffer.deallocate() }
        // Control time from the episode's first tick (a simulated robot's loop runs `speed` times faster than real time).
        let period = 1 / setup.robot.controlRateHz
        let first = episode.ticks[0].tick
        var worst = [Double](repeating: .infinity, count: all.count)
        for (n, tick) in episode.ticks.enumerated() {
            tick.state.withUnsafeBufferPointer { state in
                tick.applied.withUnsafeBufferPointer { applied in envelope.margins(state: state, applied: applied, into: buffer) }
            }
            for i in all.indices { worst[i] = min(worst[i], buffer[i]) }
            if (n + 1) % stride == 0 || n == episode.ticks.count - 1 {
                for (s, invariant) in invariants.enumerated() {
                    let slot = all.firstIndex(of: invariant)!
                    series[s].t.append(Double(tick.tick &- first) * period)
                    series[s].values.append(worst[slot].isFinite ? worst[slot] : 0)
                }
                worst = [Double](repeating: .infinity, count: all.count)
            }
        }
        return series
    }

    /// A failing episode's path for the report: an arm's joint positions, a car's and a drone's
    /// whole state, at most `points` samples.
    private func trajectory(_ episode: RecordedEpisode, names: [String], points: Int = 300) -> TestSummary.Trajectory? {
        guard !episode.ticks.isEmpty, !names.isEmpty else { return nil }
        let wanted: (String) -> Bool
        switch setup.robot.kind {
        case .arm: wanted = { $0.hasSuffix(".pos") }
        case .car: wanted = { ["pose.x", "pose.y", "speed"].contains($0) }
        case .drone: wanted = { $0.hasPrefix("position.") }
        }
        let columns = names.indices.filter { wanted(names[$0]) }
        let stride = max(1, (episode.ticks.count + points - 1) / points)
        let period = 1 / setup.robot.controlRateHz
        let first = episode.ticks[0].tick
        var t: [Double] = [], rows: [[Double]] = []
        for (n, tick) in episode.ticks.enumerated() where n % stride == 0 || n == episode.ticks.count - 1 {
            // Copied by the recording's own names, whatever the layout.
            let recorded = tick.state
            guard recorded.count >= names.count else { continue }
            t.append(Double(tick.tick &- first) * period)
            rows.append(columns.map { recorded[$0].isFinite ? recorded[$0] : 0 })
        }
        return TestSummary.Trajectory(names: columns.map { names[$0] }, t: t, rows: rows)
    }
}

private func finite(_ value: Double) -> Double? { value.isFinite ? value : nil }
