import ReinsCore

/// `junit.xml` for closed-loop tests, in the layout JUnit tools read (Jenkins, GitLab, GitHub
/// test reporters, `junitparser`): one `testsuite` per test file and condition (and one for a
/// file's preflight), one `testcase` per invariant and requirement, and a `failure` that names the
/// measured value and the bound.
public enum TestReportJUnit {
    public static func xml(_ summaries: [TestSummary]) -> String {
        var suites: [String] = []
        var tests = 0, failures = 0
        var seconds = 0.0
        for summary in summaries {
            seconds += summary.wallSeconds
            if !summary.preflight.isEmpty {
                let (text, count, failed) = suite(name: "\(summary.name)/preflight", classPrefix: "\(summary.name).preflight",
                                                  checks: summary.preflight.map { ("preflight", $0) }, seconds: 0, summary: summary)
                suites.append(text)
                tests += count
                failures += failed
            }
            for condition in summary.conditions {
                let checks = condition.invariants.map { ("invariant", $0) } + condition.requirements.map { ("requirement", $0) }
                let (text, count, failed) = suite(name: "\(summary.name)/\(condition.name)", classPrefix: "\(summary.name).\(condition.name)",
                                                  checks: checks, seconds: condition.wallSeconds, summary: summary, condition: condition)
                suites.append(text)
                tests += count
                failures += failed
            }
        }
        return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            + "<testsuites name=\"reins test\" tests=\"\(tests)\" failures=\"\(failures)\" errors=\"0\" time=\"\(fixed(seconds, 3))\">\n"
            + suites.joined()
            + "</testsuites>\n"
    }

    private static func suite(name: String, classPrefix: String, checks: [(kind: String, check: TestSummary.Check)], seconds: Double,
                              summary: TestSummary, condition: TestSummary.Condition? = nil) -> (String, Int, Int) {
        let failed = checks.filter { !$0.check.passed }.count
        var text = "  <testsuite name=\(attribute(name)) tests=\"\(checks.count)\" failures=\"\(failed)\" errors=\"0\" skipped=\"0\""
            + " time=\"\(fixed(seconds, 3))\" timestamp=\(attribute(summary.startedAt))>\n"
        var properties = [("file", summary.file), ("robot", summary.robot), ("policy", summary.policy),
                          ("seed", String(summary.seed)), ("episodes", String(summary.episodesPerCondition))]
        if let condition {
            properties.append(("successes", "\(condition.successes)/\(condition.episodes.count)"))
            if let faults = condition.faults { properties.append(("faults", faults)) }
            if let attack = condition.attack { properties.append(("attack_epsilon", String(attack))) }
            if condition.scriptedOperator { properties.append(("operator", "sim")) }
        }
        text += "    <properties>\n"
        for (key, value) in properties { text += "      <property name=\(attribute(key)) value=\(attribute(value))/>\n" }
        text += "    </properties>\n"
        for (kind, check) in checks {
            text += "    <testcase classname=\(attribute("\(classPrefix).\(kind)")) name=\(attribute(check.name)) time=\"0\""
            if check.passed {
                text += "/>\n"
                continue
            }
            var message = check.name + ": "
            if let measured = check.measured { message += "measured \(number(measured))\(unit(check.unit))" }
            if let bound = check.bound { message += (check.measured == nil ? "" : ", ") + "bound \(number(bound))\(unit(check.unit))" }
            if check.measured == nil && check.bound == nil { message += check.message }
            text += ">\n      <failure message=\(attribute(message)) type=\(attribute(kind))>\(escape(check.message))</failure>\n    </testcase>\n"
        }
        text += "  </testsuite>\n"
        return (text, checks.count, failed)
    }

    private static func unit(_ unit: String) -> String { unit.isEmpty ? "" : " " + unit }

    private static func number(_ value: Double) -> String {
        abs(value) >= 1e-3 || value == 0 ? fixed(value, 4) : String(value)
    }

    /// A quoted XML attribute value.
    static func attribute(_ text: String) -> String { "\"" + escape(text) + "\"" }

    /// Text with XML's five special characters escaped and control characters (not allowed in
    /// XML 1.0) dropped.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\n", "\t": out += "&#\(scalar.value);"
            default:
                if scalar.value < 0x20 || scalar.value == 0xFFFE || scalar.value == 0xFFFF { continue }
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
