import CPlatform
import ReinsCore
import ReinsConfig
import ReinsRuntime
import ReinsTasks
#if canImport(Glibc)
import Glibc
#endif

/// The live status line: a few times a second from the main thread, reading the loop's status
/// ring and statistics (never touching the loop). On a terminal one line is rewritten in place;
/// otherwise a plain log line is printed every second.
final class LiveStatus {
    let pipeline: ControlPipeline
    let loop: ControlLoop
    let quiet: Bool
    let terminal = isatty(1) != 0
    private var latest = StatusSnapshot()
    private var previous: (tick: UInt64, time: UInt64)?
    private var lastPrint: UInt64 = 0
    private var rangBell = false

    init(pipeline: ControlPipeline, loop: ControlLoop, quiet: Bool) {
        self.pipeline = pipeline
        self.loop = loop
        self.quiet = quiet
    }

    func update() {
        pipeline.status.drain { latest = $0 }
        let now = MonotonicClock.nowNanoseconds()
        let interval: UInt64 = terminal ? 250_000_000 : 1_000_000_000
        guard !quiet, now - lastPrint >= interval, latest.tick > 0 else { return }
        lastPrint = now
        var rate = 0.0
        if let previous, latest.time > previous.time {
            rate = Double(latest.tick - previous.tick) / (Double(latest.time - previous.time) / 1e9)
        }
        previous = (latest.tick, latest.time)
        let stats = loop.statistics.snapshot()
        var line = "t \(fixed(Double(latest.tick) / max(1, loop.configuration.rateHz), 1)) s  rate \(fixed(rate, 0)) Hz  "
        line += "period error p50 \(microseconds(stats.periodError.p50)) p99 \(microseconds(stats.periodError.p99))  "
        line += "sensitivity \(latest.sensitivity.isNaN ? "-" : fixed(latest.sensitivity, 2))  "
        line += "confidence \(latest.confidence.isNaN ? "-" : fixed(latest.confidence, 2))  "
        line += "clamped \(latest.clampedTicks)  "
        // What the task says about itself: the car's speed, the drone's altitude, and the cost.
        let task = pipeline.task
        if pipeline.judgesEpisodes {
            if let headline = task.headlineField { line += Self.show(headline, latest.headline) + "  " }
            line += Self.show(task.costField, latest.taskCost) + "  "
            line += "episodes \(latest.successes)/\(latest.successes + latest.failures) ok"
        } else if let headline = task.headlineField {
            line += Self.show(headline, latest.headline)
        }
        line += Self.control(latest, hasOperator: pipeline.source is InterventionArbiter || pipeline.source is OperatorSource)
        // A takeover request rings the terminal bell once, so a person looking away hears it.
        if latest.holdingForTakeover && pipeline.source is InterventionArbiter {
            if !rangBell { line += "\u{7}" }
            rangBell = true
        } else {
            rangBell = false
        }
        line += latest.fresh ? "" : "  STALE (state \(latest.stateAgeNanoseconds == .max ? "never read" : "\(latest.stateAgeNanoseconds / 1_000_000) ms old"))"
        if terminal {
            print("\r\u{1B}[2K" + line, terminator: "")
            reins_flush_stdout()
        } else {
            print(line)
        }
    }

    /// Who drives and what the operator needs to know.
    static func control(_ status: StatusSnapshot, hasOperator: Bool) -> String {
        if status.waitingForEpisode { return "  WAITING: press start (Enter on the keyboard) for the next episode" }
        if status.operatorSilent { return "  OPERATOR SILENT: falling back" }
        if status.holdingForTakeover {
            return hasOperator ? "  TAKEOVER REQUESTED: holding, take over (t)" : "  TAKEOVER REQUESTED: holding (no operator attached)"
        }
        guard hasOperator else { return "" }
        let source = ControlSource(rawValue: status.source) ?? .policy, segment = Segment(rawValue: status.segment) ?? .autonomous
        return source == .human ? "  HUMAN \(segment)" : "  \(source)"
    }

    /// "speed 1.52 m/s"
    static func show(_ field: StatusField, _ value: Double) -> String {
        "\(field.label) \(fixed(value, field.decimals)) \(field.unit)"
    }

    func finish() {
        update()
        if terminal && !quiet { print("") }
    }
}

/// The end-of-run summary.
struct RunSummary {
    let text: String

    init(pipeline: ControlPipeline, statistics stats: LoopStatistics, reason: LoopStopReason, robot: RobotDescription) {
        let totals = pipeline.totals
        var lines: [String] = []
        lines.append("stopped: \(reason)" + (pipeline.fault.map { " — \($0.message(driver: pipeline.session.driver))" } ?? ""))
        lines.append("safe stop: " + (pipeline.safeStopReport.map(\.description) ?? "not needed"))
        let warnings = pipeline.session.driver.health.configurationWarnings
        if !warnings.isEmpty { lines.append("driver warnings: " + warnings.joined(separator: "; ")) }
        lines.append("ticks \(stats.ticks), achieved \(fixed(stats.achievedRateHz, 1)) Hz over \(fixed(stats.elapsedSeconds, 1)) s, stale reads \(totals.staleTicks)")
        lines.append("period error p50 \(microseconds(stats.periodError.p50)), p99 \(microseconds(stats.periodError.p99)), max \(microseconds(stats.periodError.max)); overruns \(stats.overrunTicks) (skipped periods \(stats.skippedPeriods))")
        lines.append("tick duration p50 \(microseconds(stats.tickDuration.p50)), p99 \(microseconds(stats.tickDuration.p99))"
                     + stats.phases.map { ", \($0.name) p99 \(microseconds($0.duration.p99))" }.joined())
        let drivenByPolicy = pipeline.source is PolicySource || pipeline.source is InterventionArbiter
        if drivenByPolicy {
            let ruleNames = ["none", "agree", "override", "low confidence", "regression"]
            let rules = (0..<totals.rules.count).filter { totals.rules[$0] > 0 }.map { "\(ruleNames[$0]) \(totals.rules[$0])" }
            lines.append("corrections by rule: " + (rules.isEmpty ? "none" : rules.joined(separator: ", ")))
            let responses = ResponseTaken.allCases.filter { $0 != .none && totals.responses[Int($0.rawValue)] > 0 }
                .map { "\($0) \(totals.responses[Int($0.rawValue)])" }
            lines.append("responses: " + (responses.isEmpty ? "none" : responses.joined(separator: ", ")) + "; takeover requests \(totals.takeoverRequests)"
                         + (totals.takeoverRequests > 0 && pipeline.source is PolicySource ? " (no operator attached: the robot held until the episode ended)" : ""))
        }
        if pipeline.source is InterventionArbiter {
            lines.append(Self.interventions(totals, period: 1 / robot.controlRateHz))
        } else if pipeline.source is OperatorSource {
            lines.append("operator: drove \(fixed(Double(totals.humanTicks) / robot.controlRateHz, 1)) s in episodes"
                         + " and \(fixed(Double(totals.betweenEpisodeTicks) / robot.controlRateHz, 1)) s between them (not recorded)"
                         + ", device silent \(totals.operatorLost) times")
        }
        let clamps = pipeline.safety.counts.filter { $0.count > 0 }.map { "\($0.reason) \($0.count)" }
        lines.append("safety-filter clamps: " + (clamps.isEmpty ? "none" : clamps.joined(separator: ", ")) + " (ticks clamped \(totals.clampedTicks))")
        if drivenByPolicy {
            lines.append("monitor: max sensitivity \(fixed(totals.maximumSensitivity, 3)) (limit \(fixed(robot.monitor.sensitivityLimit, 3))), "
                         + "min confidence \(totals.minimumConfidence.isFinite ? fixed(totals.minimumConfidence, 3) : "-"), innovation faults \(totals.innovationFaults)")
        }
        if pipeline.judgesEpisodes {
            let outcomes = EpisodeOutcome.allCases.filter { totals.outcomes[Int($0.rawValue)] > 0 }.map { "\($0) \(totals.outcomes[Int($0.rawValue)])" }
            lines.append("episodes: " + (outcomes.isEmpty ? "none finished" : outcomes.joined(separator: ", ")))
            lines.append("task cost: mean \(fixed(totals.meanCost, 4)) (\(pipeline.task.costMeaning))")
        }
        if let attack = pipeline.attack {
            lines.append("attack: ε \(attack.epsilon), largest action change \(fixed(attack.largestActionChange, 4))")
        }
        lines.append("faults: " + (pipeline.fault.map { $0.message(driver: pipeline.session.driver) } ?? "none"))
        if totals.recordDrops > 0 { lines.append("recording: \(totals.recordDrops) ticks dropped (the writer fell behind)") }
        text = lines.joined(separator: "\n")
    }

    /// "operator: 3 takeovers (2 operator, 1 monitor_request), human 4.2 s (recovery 1.6 s, correction 2.6 s), ..."
    static func interventions(_ totals: PipelineTotals, period: Double) -> String {
        let causes = InterventionCause.allCases.filter { totals.takeovers[Int($0.rawValue)] > 0 }.map { "\(totals.takeovers[Int($0.rawValue)]) \($0)" }
        let seconds = { (ticks: UInt64) in fixed(Double(ticks) * period, 1) + " s" }
        let recovery = totals.segmentTicks[Int(Segment.recovery.rawValue)], correction = totals.segmentTicks[Int(Segment.correction.rawValue)]
        var line = "operator: \(totals.takeoverCount) takeovers" + (causes.isEmpty ? "" : " (\(causes.joined(separator: ", ")))")
        line += ", human \(seconds(totals.humanTicks))"
        if recovery + correction > 0 { line += " (recovery \(seconds(recovery)), correction \(seconds(correction)))" }
        line += ", hand-backs \(totals.handbacks), device silent \(totals.operatorLost) times"
        return line
    }
}
