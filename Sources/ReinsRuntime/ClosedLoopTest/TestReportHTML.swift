import ReinsCore

/// `report.html` of a closed-loop test: one self-contained file a reader looks at rather than
/// reads. Every figure is SVG drawn here, styles are inline, and nothing is fetched: no script, no
/// font, no image from anywhere, so the report opens the same offline, from a CI artifact or from
/// an e-mail. The markup is well-formed XML as well as HTML, so it can be checked by any parser.
public enum TestReportHTML {
    public static func render(_ summary: TestSummary) -> String {
        var page = Page()
        page.header(summary)
        page.preflight(summary.preflight, verdict: summary.verdict)
        page.overview(summary)
        for (index, condition) in summary.conditions.enumerated() {
            page.condition(condition, index: index, kind: summary.robotKind)
        }
        return page.document(title: "reins test: \(summary.name) – \(Verdict(summary.verdict).label)")
    }
}

/// The verdict as the report shows it.
private struct Verdict {
    let label: String
    let style: String

    init(_ verdict: String) {
        switch verdict.lowercased() {
        case "pass": (label, style) = ("PASS", "pass")
        case "fail": (label, style) = ("FAIL", "fail")
        case "refused": (label, style) = ("REFUSED", "refused")
        default: (label, style) = (verdict.uppercased(), "refused")
        }
    }
}

private struct Page {
    private var banner = ""
    private var body = ""

    // MARK: Header

    mutating func header(_ summary: TestSummary) {
        let verdict = Verdict(summary.verdict)
        banner = "<header class=\"banner \(verdict.style)\"><div class=\"verdict\">\(verdict.label)</div><div>"
            + "<h1>\(summary.name.htmlEscaped)</h1>"
            + "<p>reins test · \(summary.file.htmlEscaped) · started \(summary.startedAt.htmlEscaped) · reins \(summary.reinsVersion.htmlEscaped)"
            + " · exit code \(summary.exitCode)</p></div></header>"

        body += "<section><dl class=\"facts\">"
        fact("Robot", "\(summary.robotName.htmlEscaped) <span class=\"muted\">(\(summary.robotKind.htmlEscaped))</span>")
        fact("Link", "<code>\(summary.link.htmlEscaped)</code>")
        fact("Robot description", "<code>\(summary.robot.htmlEscaped)</code>")
        fact("Policy", "<code>\(summary.policy.htmlEscaped)</code>")
        fact("Episodes per condition", String(summary.episodesPerCondition))
        fact("Seed", "\(summary.seed) <span class=\"muted\">(episode i uses seed + i)</span>")
        fact("Speed", "\(ReportNumber.text(summary.speed))×")
        fact("Control rate", "\(ReportNumber.text(summary.controlRateHz)) Hz")
        fact("Wall time", "\(ReportNumber.text(summary.wallSeconds, decimals: 1)) s")
        let passed = summary.conditions.filter(\.passed).count
        let episodes = summary.conditions.reduce(0) { $0 + $1.episodes.count }
        let stops = summary.conditions.reduce(0) { $0 + $1.safetyStops }
        fact("Conditions passed", "\(passed) of \(summary.conditions.count)")
        fact("Episodes run", "\(episodes) <span class=\"muted\">(\(stops) safety stop\(stops == 1 ? "" : "s"))</span>")
        body += "</dl></section>"
        certificate(summary.certificate)

        if !summary.conditions.isEmpty {
            body += "<nav><h2>Conditions</h2><ul class=\"toc\">"
            for (index, condition) in summary.conditions.enumerated() {
                body += "<li><a href=\"#condition-\(index)\">\(condition.name.htmlEscaped)</a> \(badge(condition.passed))"
                    + " <span class=\"muted\">\(condition.successes)/\(condition.episodes.count) succeeded</span></li>"
            }
            body += "</ul></nav>"
        }
    }

    private mutating func fact(_ term: String, _ valueHTML: String) {
        body += "<div><dt>\(term.htmlEscaped)</dt><dd>\(valueHTML)</dd></div>"
    }

    /// L, ε and L·ε against the action tolerance, with a gauge of how much of the tolerance L·ε uses.
    private mutating func certificate(_ certificate: TestSummary.Certificate?) {
        body += "<section><h2>Certificate</h2>"
        guard let certificate else {
            body += "<p class=\"muted\">No certificate: the policy file carries no Lipschitz bound.</p></section>"
            return
        }
        body += "<div class=\"row\"><dl class=\"facts compact\">"
        fact("Lipschitz bound L", ReportNumber.text(certificate.lipschitzBound))
        fact("Noise bound ε", ReportNumber.text(certificate.noiseBound))
        fact("L·ε (worst action change)", ReportNumber.text(certificate.worstActionChange))
        fact("Action tolerance", ReportNumber.text(certificate.actionTolerance))
        fact("Certified", badge(certificate.certified, yes: "certified", no: "not certified"))
        body += "</dl>"
        var gauge = SVGPlot(width: 420, height: 74, xValues: [0, certificate.worstActionChange],
                            yValues: [0, 1], xIncluding: [certificate.actionTolerance * 1.15], yPadding: 0,
                            margins: (left: 14, right: 20, top: 8, bottom: 36))
        let colour = certificate.certified ? ReportColour.pass : ReportColour.fail
        if certificate.worstActionChange.isFinite {
            let end = gauge.x.pixel(certificate.worstActionChange), start = gauge.x.pixel(0)
            gauge.picture.rect(x: start, y: 12, width: end - start, height: 20, fill: colour,
                               title: "L·ε = \(ReportNumber.text(certificate.worstActionChange))")
        }
        gauge.verticalRule(at: certificate.actionTolerance, stroke: ReportColour.bound, dash: nil, label: "tolerance")
        let ticks = gauge.x.ticks(count: 5)
        for value in ticks.values {
            gauge.picture.text(ReportNumber.tick(value, step: ticks.step), x: gauge.x.pixel(value), y: 50, anchor: .middle, size: 10)
        }
        gauge.picture.line(gauge.left, 36, gauge.right, 36, stroke: SVGPlot.ink)
        gauge.picture.text("L·ε against the action tolerance", x: gauge.left, y: 68, size: 11)
        body += figure(gauge.rendered(label: "Certificate: L·ε \(ReportNumber.text(certificate.worstActionChange)) against tolerance "
                                      + ReportNumber.text(certificate.actionTolerance)), caption: nil)
        body += "</div></section>"
    }

    // MARK: Preflight

    mutating func preflight(_ checks: [TestSummary.Check], verdict: String) {
        let failed = checks.filter { !$0.passed }
        if !failed.isEmpty {
            let refused = verdict.lowercased() == "refused"
            body += "<section class=\"alert\"><h2>\(refused ? "Refused at preflight: nothing moved" : "Preflight checks failed")</h2><ul>"
            for check in failed {
                body += "<li><strong>\(check.name.htmlEscaped)</strong>: \(check.message.htmlEscaped)"
                    + measuredAgainstBound(check) + "</li>"
            }
            body += "</ul></section>"
        }
        guard !checks.isEmpty else { return }
        body += "<section><h2>Preflight</h2>"
        checkTable(checks)
        body += "</section>"
    }

    private func measuredAgainstBound(_ check: TestSummary.Check) -> String {
        guard check.measured != nil || check.bound != nil else { return "" }
        let unit = check.unit.isEmpty ? "" : " " + check.unit.htmlEscaped
        return " <span class=\"muted\">(measured \(ReportNumber.text(check.measured))\(unit), bound \(ReportNumber.text(check.bound))\(unit))</span>"
    }

    // MARK: Across conditions

    mutating func overview(_ summary: TestSummary) {
        guard !summary.conditions.isEmpty else {
            body += "<section><h2>Results</h2><p class=\"muted\">No condition ran"
                + (summary.verdict.lowercased() == "refused" ? ": the test was refused before anything moved." : ".") + "</p></section>"
            return
        }
        body += "<section><h2>Results across conditions</h2><div class=\"figures\">"
        body += figure(successChart(summary.conditions),
                       caption: "Success rate with its 95 % Wilson interval; ▏ the required minimum (judged on the interval's lower end).")
        body += figure(costChart(summary.conditions), caption: "Mean task cost per condition; ▏ the largest mean cost allowed.")
        body += "</div></section>"
    }

    /// One row per condition: the rate as a dot, its Wilson interval as a bar, the requirement as a tick.
    private func successChart(_ conditions: [TestSummary.Condition]) -> String {
        let rowHeight = 30.0, labelWidth = 170.0
        var plot = SVGPlot(width: 560, height: 40 + rowHeight * Double(conditions.count) + 24, xValues: [0, 1], yValues: [0, 1],
                           yPadding: 0, margins: (left: labelWidth, right: 110, top: 16, bottom: 34))
        for tick in stride(from: 0.0, through: 1.0, by: 0.25) {
            let pixel = plot.x.pixel(tick)
            plot.picture.line(pixel, plot.top, pixel, plot.bottom, stroke: SVGPlot.grid)
            plot.picture.text(fixed(tick * 100, 0) + " %", x: pixel, y: plot.bottom + 15, anchor: .middle, size: 10)
        }
        plot.picture.line(plot.left, plot.bottom, plot.right, plot.bottom, stroke: SVGPlot.ink)
        plot.picture.text("success rate", x: (plot.left + plot.right) / 2, y: plot.bottom + 30, anchor: .middle)
        for (row, condition) in conditions.enumerated() {
            let centre = plot.top + rowHeight * (Double(row) + 0.5) + 4
            let requirement = condition.requirements.first { $0.name == "success_rate" }
            let met = requirement?.passed ?? condition.passed
            let colour = met ? ReportColour.pass : ReportColour.fail
            plot.picture.text(clipped(condition.name, 24), x: labelWidth - 8, y: centre + 4, anchor: .end, size: 12,
                              fill: "#1f2328", title: condition.name)
            if condition.wilsonLow.isFinite && condition.wilsonHigh.isFinite {
                let low = plot.x.pixel(condition.wilsonLow), high = plot.x.pixel(condition.wilsonHigh)
                plot.picture.rect(x: low, y: centre - 5, width: high - low, height: 10, fill: colour, opacity: 0.33,
                                  title: "95 % interval \(ReportNumber.percent(condition.wilsonLow)) to \(ReportNumber.percent(condition.wilsonHigh))")
                plot.picture.line(low, centre - 7, low, centre + 7, stroke: colour, width: 1.5)
                plot.picture.line(high, centre - 7, high, centre + 7, stroke: colour, width: 1.5)
            }
            if condition.successRate.isFinite {
                plot.picture.circle(x: plot.x.pixel(condition.successRate), y: centre, radius: 5, fill: colour, stroke: "#ffffff")
            }
            if let bound = requirement?.bound, bound.isFinite {
                let pixel = plot.x.pixel(bound)
                plot.picture.line(pixel, centre - 12, pixel, centre + 12, stroke: ReportColour.bound, width: 2.5)
            }
            plot.picture.text("\(condition.successes)/\(condition.episodes.count) · \(ReportNumber.percent(condition.successRate))",
                              x: plot.right + 8, y: centre + 4, size: 11, fill: "#1f2328")
        }
        return plot.rendered(label: "Success rate per condition with 95 % Wilson intervals")
    }

    /// One horizontal bar per condition, with the mean-cost requirement as a tick on its row.
    private func costChart(_ conditions: [TestSummary.Condition]) -> String {
        let rowHeight = 30.0, labelWidth = 170.0
        let costs = conditions.map { $0.meanCost ?? .nan }
        let bounds = conditions.map { $0.requirements.first { $0.name == "mean_cost" }?.bound ?? .nan }
        var plot = SVGPlot(width: 560, height: 40 + rowHeight * Double(conditions.count) + 24, xValues: costs + [0],
                           yValues: [0, 1], xIncluding: bounds, xPadding: 0.05, yPadding: 0,
                           margins: (left: labelWidth, right: 110, top: 16, bottom: 34))
        let ticks = plot.x.ticks(count: 5)
        for value in ticks.values {
            let pixel = plot.x.pixel(value)
            plot.picture.line(pixel, plot.top, pixel, plot.bottom, stroke: SVGPlot.grid)
            plot.picture.text(ReportNumber.tick(value, step: ticks.step), x: pixel, y: plot.bottom + 15, anchor: .middle, size: 10)
        }
        plot.picture.line(plot.left, plot.bottom, plot.right, plot.bottom, stroke: SVGPlot.ink)
        let meaning = conditions.first { !$0.costMeaning.isEmpty }?.costMeaning ?? "task cost"
        plot.picture.text("mean \(meaning)", x: (plot.left + plot.right) / 2, y: plot.bottom + 30, anchor: .middle)
        for (row, condition) in conditions.enumerated() {
            let centre = plot.top + rowHeight * (Double(row) + 0.5) + 4
            let requirement = condition.requirements.first { $0.name == "mean_cost" }
            let colour = (requirement?.passed ?? true) ? ReportColour.neutral : ReportColour.fail
            plot.picture.text(clipped(condition.name, 24), x: labelWidth - 8, y: centre + 4, anchor: .end, size: 12,
                              fill: "#1f2328", title: condition.name)
            if let cost = condition.meanCost, cost.isFinite {
                let zero = plot.x.pixel(0), end = plot.x.pixel(cost)
                plot.picture.rect(x: min(zero, end), y: centre - 8, width: abs(end - zero), height: 16, fill: colour,
                                  title: "mean cost \(ReportNumber.text(cost))")
            }
            if let bound = requirement?.bound, bound.isFinite {
                let pixel = plot.x.pixel(bound)
                plot.picture.line(pixel, centre - 12, pixel, centre + 12, stroke: ReportColour.bound, width: 2.5)
            }
            plot.picture.text(ReportNumber.text(condition.meanCost), x: plot.right + 8, y: centre + 4, size: 11, fill: "#1f2328")
        }
        return plot.rendered(label: "Mean task cost per condition")
    }

    // MARK: One condition

    mutating func condition(_ condition: TestSummary.Condition, index: Int, kind: String) {
        body += "<section class=\"condition\" id=\"condition-\(index)\">"
        body += "<h2>\(badge(condition.passed)) \(condition.name.htmlEscaped)</h2><dl class=\"facts compact\">"
        fact("Faults", condition.faults.map { "<code>\($0.htmlEscaped)</code>" } ?? "none")
        fact("Adversarial attack ε", condition.attack.map { ReportNumber.text($0) } ?? "none")
        fact("Scripted operator", condition.scriptedOperator ? "yes" : "no")
        fact("Success", "\(condition.successes)/\(condition.episodes.count) · \(ReportNumber.percent(condition.successRate))"
             + " <span class=\"muted\">[\(ReportNumber.percent(condition.wilsonLow)), \(ReportNumber.percent(condition.wilsonHigh))]</span>")
        fact("Mean cost", ReportNumber.text(condition.meanCost)
             + (condition.costMeaning.isEmpty ? "" : " <span class=\"muted\">(\(condition.costMeaning.htmlEscaped))</span>"))
        fact("Safety stops", String(condition.safetyStops))
        fact("Largest sensitivity", "\(ReportNumber.text(condition.maximumSensitivity)) <span class=\"muted\">(limit \(ReportNumber.text(condition.sensitivityLimit)))</span>")
        fact("Lowest confidence", ReportNumber.text(condition.minimumConfidence))
        if condition.attack != nil || condition.largestAttackChange != nil {
            fact("Largest attack change", "\(ReportNumber.text(condition.largestAttackChange)) <span class=\"muted\">(L·ε \(ReportNumber.text(condition.attackBound)))</span>")
        }
        fact("Period error p99", "\(ReportNumber.text(condition.periodErrorP99Seconds * 1000)) ms")
        fact("Overruns", String(condition.overruns))
        fact("Ticks", "\(condition.ticks) <span class=\"muted\">(\(condition.clampedTicks) clamped)</span>")
        fact("Takeovers", "\(condition.takeovers) <span class=\"muted\">(\(ReportNumber.text(condition.humanSeconds, decimals: 1)) s human)</span>")
        fact("Wall time", "\(ReportNumber.text(condition.wallSeconds, decimals: 1)) s")
        body += "</dl>"

        body += "<h3>Invariants and requirements</h3>"
        if condition.invariants.isEmpty && condition.requirements.isEmpty {
            body += "<p class=\"muted\">Nothing was judged.</p>"
        } else {
            checkTable(condition.invariants.map { ($0, "invariant") } + condition.requirements.map { ($0, "requirement") })
        }

        margins(condition)
        histograms(condition)
        trajectories(condition, kind: kind)
        episodeTable(condition)
        body += "</section>"
    }

    /// One small multiple per invariant: each episode's margin over its time, red once it broke,
    /// with the envelope's boundary (margin 0) dashed.
    private mutating func margins(_ condition: TestSummary.Condition) {
        body += "<h3>Envelope margins over time</h3>"
        var names: [String] = []
        for series in condition.margins where !names.contains(series.name) { names.append(series.name) }
        guard !names.isEmpty else {
            body += "<p class=\"muted\">No margin was sampled.</p>"
            return
        }
        body += "<p class=\"muted legend\"><span class=\"key\"><span class=\"swatch\" style=\"background:\(ReportColour.neutral)\"></span>"
            + "an episode inside the envelope</span> <span class=\"key\"><span class=\"swatch\" style=\"background:\(ReportColour.fail)\"></span>"
            + "an episode that broke it</span> <span class=\"key\"><span class=\"swatch dashed\"></span>the envelope's boundary (margin 0)</span></p>"
            + "<div class=\"figures\">"
        for name in names {
            let series = condition.margins.filter { $0.name == name }
            let broken = series.map { line in
                line.values.contains { $0 < 0 }
                    || condition.episodes.contains { $0.index == line.episode && $0.invariant == name && $0.outcome != "success" }
            }
            var plot = SVGPlot(width: 360, height: 190, xValues: series.flatMap(\.t), yValues: series.flatMap(\.values),
                               yIncluding: [0])
            plot.axes(xLabel: "time (s)", yLabel: "margin" + (series[0].unit.isEmpty ? "" : " (\(series[0].unit))"))
            // Broken episodes last, so they are drawn over the others.
            for (line, isBroken) in zip(series, broken) where !isBroken {
                plot.line(xs: line.t, ys: line.values, stroke: ReportColour.neutral, width: 1, opacity: 0.55)
            }
            for (line, isBroken) in zip(series, broken) where isBroken {
                plot.line(xs: line.t, ys: line.values, stroke: ReportColour.fail, width: 1.8)
            }
            plot.horizontalRule(at: 0, stroke: ReportColour.fail, label: "boundary")
            let brokenCount = broken.filter { $0 }.count
            body += figure(plot.rendered(label: "\(name) margin over time, \(condition.name)"),
                           caption: "<strong>\(name.htmlEscaped)</strong> · \(series.count) episode\(series.count == 1 ? "" : "s")"
                               + (brokenCount > 0 ? " · <span class=\"bad-text\">\(brokenCount) broke it</span>" : ""))
        }
        body += "</div>"
    }

    private mutating func histograms(_ condition: TestSummary.Condition) {
        body += "<h3>Monitor</h3><div class=\"figures\">"
        body += figure(histogram(condition.sensitivityHistogram, xLabel: "local sensitivity (per tick)",
                                 limit: condition.sensitivityLimit, label: "Sensitivity histogram, \(condition.name)")
                           ?? "<p class=\"muted empty\">No sensitivity was measured.</p>",
                       caption: "Measured local Lipschitz sensitivity per tick; ▏ the monitor's limit.")
        body += figure(histogram(condition.confidenceHistogram, xLabel: "confidence (per tick)", limit: nil,
                                 label: "Confidence histogram, \(condition.name)")
                           ?? "<p class=\"muted empty\">no confidence head: the policy has no CARIL head, so no confidence was measured.</p>",
                       caption: "The CARIL head's confidence per tick.")
        body += "</div>"
    }

    /// Bars between consecutive edges, or nil when there is nothing to show.
    private func histogram(_ histogram: TestSummary.Histogram, xLabel: String, limit: Double?, label: String) -> String? {
        let bins = min(histogram.counts.count, max(histogram.edges.count - 1, 0))
        guard bins > 0, histogram.counts.prefix(bins).contains(where: { $0 > 0 }) else { return nil }
        let edges = Array(histogram.edges.prefix(bins + 1)), counts = histogram.counts.prefix(bins).map(Double.init)
        var plot = SVGPlot(width: 360, height: 190, xValues: edges, yValues: counts + [0],
                           xIncluding: limit.map { [$0] } ?? [], yIncluding: [(counts.max() ?? 0) * 1.05], yPadding: 0)
        plot.axes(xLabel: xLabel, yLabel: "ticks")
        for bin in 0..<bins where edges[bin].isFinite && edges[bin + 1].isFinite {
            let left = plot.x.pixel(edges[bin]), right = plot.x.pixel(edges[bin + 1]), top = plot.y.pixel(counts[bin])
            plot.picture.rect(x: min(left, right) + 0.5, y: top, width: abs(right - left) - 1, height: plot.y.pixel(0) - top,
                              fill: ReportColour.neutral,
                              title: "\(ReportNumber.text(edges[bin])) to \(ReportNumber.text(edges[bin + 1])): \(histogram.counts[bin]) ticks")
        }
        if let limit, limit > 0 { plot.verticalRule(at: limit, stroke: ReportColour.fail, label: "limit") }
        return plot.rendered(label: label)
    }

    /// The path of each failing episode that kept one, drawn the way the robot's kind is read.
    private mutating func trajectories(_ condition: TestSummary.Condition, kind: String) {
        let failing = condition.episodes.filter { $0.outcome != "success" && $0.trajectory != nil }
        guard !failing.isEmpty else { return }
        body += "<h3>Failing episodes</h3>"
        for episode in failing {
            guard let trajectory = episode.trajectory else { continue }
            body += "<div class=\"episode-figure\"><h4>Episode \(episode.index) · seed \(episode.seed) · "
                + "<span class=\"bad-text\">\(episode.outcome.htmlEscaped)</span>"
            if let violation = episode.violation ?? episode.invariant {
                let unit = condition.invariants.first { $0.name == episode.invariant }?.unit ?? ""
                let suffix = unit.isEmpty ? "" : " " + unit.htmlEscaped
                body += " · \(violation.htmlEscaped): measured \(ReportNumber.text(episode.measured))\(suffix), bound \(ReportNumber.text(episode.bound))\(suffix)"
            }
            body += "</h4><div class=\"figures\">"
            for (svg, caption) in TrajectoryFigures(trajectory, kind: kind, label: "episode \(episode.index), \(condition.name)").figures {
                body += figure(svg, caption: caption)
            }
            body += "</div></div>"
        }
    }

    private mutating func episodeTable(_ condition: TestSummary.Condition) {
        body += "<h3>Episodes</h3>"
        guard !condition.episodes.isEmpty else {
            body += "<p class=\"muted\">No episode ran.</p>"
            return
        }
        body += "<table><thead><tr><th>#</th><th>seed</th><th>outcome</th><th class=\"num\">ticks</th><th class=\"num\">time (s)</th>"
            + "<th class=\"num\">mean cost</th><th class=\"num\">largest sensitivity</th><th>violation</th><th>recording</th></tr></thead><tbody>"
        for episode in condition.episodes {
            let failed = episode.outcome != "success"
            body += "<tr\(failed ? " class=\"bad\"" : "")><td>\(episode.index)</td><td>\(episode.seed)</td>"
                + "<td>\(episode.outcome.htmlEscaped)</td><td class=\"num\">\(episode.ticks)</td>"
                + "<td class=\"num\">\(ReportNumber.text(episode.seconds, decimals: 2))</td>"
                + "<td class=\"num\">\(ReportNumber.text(episode.meanCost))</td>"
                + "<td class=\"num\">\(ReportNumber.text(episode.maximumSensitivity))</td><td>"
            if let violation = episode.violation ?? episode.invariant {
                body += "\(violation.htmlEscaped) <span class=\"muted\">(\(ReportNumber.text(episode.measured)) against \(ReportNumber.text(episode.bound)))</span>"
            }
            body += "</td><td>\(recordingLink(episode.recording))</td></tr>"
        }
        body += "</tbody></table>"
    }

    /// A link to a kept recording beside the report. Only a relative path becomes a link: a value
    /// with a scheme (or an absolute path) is shown as text, so the report never points off the machine's folder.
    private func recordingLink(_ path: String?) -> String {
        guard let path, !path.isEmpty else { return "" }
        let firstSegment = path.split(separator: "/", omittingEmptySubsequences: false).first ?? ""
        if path.hasPrefix("/") || path.hasPrefix("\\") || firstSegment.contains(":") {
            return "<code>\(path.htmlEscaped)</code>"
        }
        return "<a href=\"\(path.htmlEscaped)\">\(path.htmlEscaped)</a>"
    }

    // MARK: Shared pieces

    /// Invariants, requirements or preflight checks: failing rows highlighted.
    private mutating func checkTable(_ checks: [(TestSummary.Check, String)]) {
        let showsRole = checks.contains { !$0.1.isEmpty }
        body += "<table><thead><tr><th>name</th>\(showsRole ? "<th>kind</th>" : "")<th>result</th><th class=\"num\">measured</th>"
            + "<th class=\"num\">bound</th><th>unit</th><th>message</th></tr></thead><tbody>"
        for (check, role) in checks {
            body += "<tr\(check.passed ? "" : " class=\"bad\"")><td><strong>\(check.name.htmlEscaped)</strong></td>"
                + (showsRole ? "<td>\(role)</td>" : "") + "<td>\(badge(check.passed))</td>"
                + "<td class=\"num\">\(ReportNumber.text(check.measured))</td><td class=\"num\">\(ReportNumber.text(check.bound))</td>"
                + "<td>\(check.unit.htmlEscaped)</td><td>\(check.message.htmlEscaped)</td></tr>"
        }
        body += "</tbody></table>"
    }

    private mutating func checkTable(_ checks: [TestSummary.Check]) {
        checkTable(checks.map { ($0, "") })
    }

    private func badge(_ passed: Bool, yes: String = "pass", no: String = "fail") -> String {
        "<span class=\"badge \(passed ? "pass" : "fail")\">\(passed ? yes : no)</span>"
    }

    private func figure(_ content: String, caption: String?) -> String {
        "<figure>\(content)\(caption.map { "<figcaption>\($0)</figcaption>" } ?? "")</figure>"
    }

    private func clipped(_ text: String, _ length: Int) -> String {
        text.count <= length ? text : String(text.prefix(length - 1)) + "…"
    }

    // MARK: Document

    func document(title: String) -> String {
        // The empty data: icon keeps the browser from asking for /favicon.ico.
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"/>"
            + "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>"
            + "<link rel=\"icon\" href=\"data:,\"/><title>\(title.htmlEscaped)</title><style>\(Page.styles)</style></head>"
            + "<body>\(banner)<main>\(body)</main></body></html>\n"
    }

    static let styles = """
        :root{--pass:#1a7f37;--fail:#cf222e;--refused:#9a6700;--ink:#1f2328;--muted:#656d76;--line:#d0d7de;--panel:#f6f8fa}
        *{box-sizing:border-box}
        body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--ink);background:#fff}
        main{max-width:1240px;margin:0 auto;padding:0 24px 48px}
        h1{margin:0;font-size:24px}h2{font-size:19px;margin:28px 0 10px}h3{font-size:15px;margin:22px 0 8px}h4{font-size:14px;margin:14px 0 6px}
        .banner{display:flex;gap:22px;align-items:center;padding:18px 28px;color:#fff}
        .banner p{margin:4px 0 0;opacity:.9;word-break:break-all}
        .banner.pass{background:var(--pass)}.banner.fail{background:var(--fail)}.banner.refused{background:var(--refused)}
        .verdict{font-size:34px;font-weight:800;letter-spacing:.06em;border:3px solid rgba(255,255,255,.85);border-radius:8px;padding:2px 16px}
        .facts{display:grid;grid-template-columns:repeat(auto-fill,minmax(210px,1fr));gap:10px 24px;margin:18px 0}
        .facts.compact{gap:6px 20px;margin:10px 0}
        .facts dt{color:var(--muted);font-size:12px}
        .facts dd{margin:0;font-weight:600;word-break:break-word}
        .row{display:flex;flex-wrap:wrap;gap:24px;align-items:center}.row .facts{flex:1 1 420px}
        .muted{color:var(--muted);font-weight:400}
        .badge{display:inline-block;padding:1px 9px;border-radius:10px;font-size:12px;font-weight:700;color:#fff;vertical-align:middle}
        .badge.pass{background:var(--pass)}.badge.fail{background:var(--fail)}
        .bad-text{color:var(--fail);font-weight:700}
        .alert{border:2px solid var(--fail);background:#ffebe9;border-radius:8px;padding:4px 18px 10px;margin:20px 0}
        .alert h2{color:var(--fail)}
        .toc{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:8px 28px}
        .condition{border-top:2px solid var(--line);margin-top:34px}
        table{border-collapse:collapse;width:100%;font-size:13px;margin:6px 0 12px}
        th,td{border-bottom:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}
        th{background:var(--panel);font-weight:600}
        .num{text-align:right;font-variant-numeric:tabular-nums}
        tr.bad td{background:#ffebe9}
        .figures{display:flex;flex-wrap:wrap;gap:18px 22px}
        figure{margin:0}figcaption{font-size:12px;color:var(--muted);max-width:560px}
        .empty{width:360px;padding:60px 12px;text-align:center;border:1px dashed var(--line);border-radius:6px}
        .legend{font-size:12px}.key{white-space:nowrap}.swatch{display:inline-block;width:18px;height:3px;vertical-align:middle;margin:0 5px 0 12px}
        .swatch.dashed{border-top:2px dashed var(--fail);height:0}
        .episode-figure{background:var(--panel);border-radius:8px;padding:4px 14px 12px;margin:10px 0}
        svg.plot{background:#fff;overflow:visible}
        code{font-size:12px;word-break:break-all}
        a{color:#0969da}
        """
}

/// The plots of one failing episode's trajectory: an arm's joint positions over time, a car's
/// path seen from above, a drone's path seen from above and its altitude; otherwise each entry
/// over time.
private struct TrajectoryFigures {
    let figures: [(svg: String, caption: String)]

    init(_ trajectory: TestSummary.Trajectory, kind: String, label: String) {
        let columns = trajectory.names.indices.map { column in trajectory.rows.map { column < $0.count ? $0[column] : .nan } }
        let t = Array(trajectory.t.prefix(trajectory.rows.count))
        func find(_ leaf: String, preferring group: String? = nil) -> Int? {
            let matches = trajectory.names.indices.filter { trajectory.names[$0].split(separator: ".").last.map(String.init) == leaf }
            return matches.first { group != nil && trajectory.names[$0].hasPrefix(group! + ".") } ?? matches.first
        }
        var figures: [(String, String)] = []
        switch kind.lowercased() {
        case "arm":
            let joints = trajectory.names.indices.filter { trajectory.names[$0].hasSuffix(".pos") }
            if !joints.isEmpty {
                figures.append(TrajectoryFigures.overTime(t: t, columns: joints.map { columns[$0] }, names: joints.map { trajectory.names[$0] },
                                                          yLabel: "joint position (rad)", label: "Joint positions, \(label)"))
            }
        case "car":
            if let x = find("x", preferring: "pose"), let y = find("y", preferring: "pose") {
                figures.append(TrajectoryFigures.topView(horizontal: columns[x], vertical: columns[y], xLabel: "x (m)", yLabel: "y (m)",
                                                         label: "Path from above, \(label)"))
            }
        case "drone":
            if let north = find("north", preferring: "position"), let east = find("east", preferring: "position") {
                figures.append(TrajectoryFigures.topView(horizontal: columns[east], vertical: columns[north], xLabel: "east (m)",
                                                         yLabel: "north (m)", label: "Path from above, \(label)"))
            }
            if let altitude = find("altitude") {
                figures.append(TrajectoryFigures.overTime(t: t, columns: [columns[altitude]], names: ["altitude"],
                                                          yLabel: "altitude (m)", label: "Altitude, \(label)"))
            } else if let down = find("down", preferring: "position") {
                figures.append(TrajectoryFigures.overTime(t: t, columns: [columns[down].map { -$0 }], names: ["altitude"],
                                                          yLabel: "altitude (m)", label: "Altitude, \(label)"))
            }
        default:
            break
        }
        if figures.isEmpty {
            for (column, name) in zip(columns, trajectory.names) {
                figures.append(TrajectoryFigures.overTime(t: t, columns: [column], names: [name], yLabel: name,
                                                          label: "\(name) over time, \(label)"))
            }
        }
        if figures.isEmpty {
            figures.append(("<p class=\"muted empty\">The trajectory holds no samples.</p>", ""))
        }
        self.figures = figures
    }

    private static func overTime(t: [Double], columns: [[Double]], names: [String], yLabel: String, label: String) -> (String, String) {
        var plot = SVGPlot(width: 440, height: 220, xValues: t, yValues: columns.flatMap { $0 })
        plot.axes(xLabel: "time (s)", yLabel: yLabel)
        for (index, column) in columns.enumerated() {
            plot.line(xs: t, ys: column, stroke: ReportColour.series(index), width: 1.5)
        }
        // Where the episode ended: a dot on a single line, a rule across several.
        if columns.count == 1, let end = lastFinite(t, columns[0]) {
            plot.marker(x: end.0, y: end.1, radius: 4, fill: ReportColour.fail, stroke: "#ffffff")
        } else {
            plot.verticalRule(at: t.last { $0.isFinite }, stroke: ReportColour.fail, label: "end")
        }
        let caption = names.count == 1
            ? "\(names[0].htmlEscaped) over time; ● where the episode ended"
            : names.enumerated().map { index, name in
                "<span class=\"key\"><span class=\"swatch\" style=\"background:\(ReportColour.series(index))\"></span>\(name.htmlEscaped)</span>"
            }.joined(separator: " ")
        return (plot.rendered(label: label), "<span class=\"legend\">\(caption)</span>")
    }

    /// A path seen from above with equal scales on both axes: a hollow dot where it started, a red
    /// one where it ended.
    private static func topView(horizontal: [Double], vertical: [Double], xLabel: String, yLabel: String, label: String) -> (String, String) {
        var plot = SVGPlot(width: 360, height: 320, xValues: horizontal, yValues: vertical, xPadding: 0.06, equalAspect: true)
        plot.axes(xLabel: xLabel, yLabel: yLabel)
        plot.line(xs: horizontal, ys: vertical, stroke: ReportColour.neutral, width: 1.8)
        if let start = zip(horizontal, vertical).first(where: { $0.0.isFinite && $0.1.isFinite }) {
            plot.marker(x: start.0, y: start.1, radius: 5, fill: "#ffffff", stroke: ReportColour.neutral)
        }
        if let end = lastFinite(horizontal, vertical) {
            plot.marker(x: end.0, y: end.1, radius: 5, fill: ReportColour.fail, stroke: "#ffffff")
        }
        return (plot.rendered(label: label), "Seen from above; ○ start, ● where the episode ended.")
    }

    private static func lastFinite(_ xs: [Double], _ ys: [Double]) -> (Double, Double)? {
        zip(xs, ys).reversed().first { $0.0.isFinite && $0.1.isFinite }
    }
}
