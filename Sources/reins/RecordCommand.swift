import ArgumentParser
import ReinsCore
import ReinsPolicy
import ReinsRecording

struct RecordCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "record",
        abstract: "Inspect and repair run recordings (MCAP files).",
        discussion: """
            Every run records each tick (state, observation, proposed, corrected and applied action, \
            monitor values, clamps), episode boundaries and events to an MCAP file with JSON messages, \
            which Foxglove opens and plots. A recording whose process was killed is readable up to \
            its last ~50 ms; `reins record repair` makes it a complete file again.
            """,
        subcommands: [Inspect.self, Repair.self])

    static func read(_ file: String) throws -> Recording {
        do {
            return try RecordingReader.read(path: file)
        } catch {
            printError(error.description)
            throw ExitCode(1)
        }
    }

    struct Inspect: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Summarise a recording: robot, policy, episodes, control sources, segments and rate.",
            discussion: """
                Per episode: duration, ticks, outcome and the share of ticks by control source \
                (policy, human, expert, replay) and RaC segment (autonomous, demo, recovery, \
                correction). Says whether the file is complete or was cut short, and where.
                """)

        @Argument(help: "The recording (.mcap).", completion: .file(extensions: ["mcap"]))
        var file: String

        func run() throws {
            let recording = try RecordCommand.read(file)
            print(file)
            if recording.isComplete {
                print("  file          complete, \(formattedBytes(recording.fileSize))")
            } else {
                print("  file          TRUNCATED: \(recording.problem ?? "no footer"); read up to byte \(recording.recoveredBytes) of \(recording.fileSize)")
                print("                `reins record repair \(file)` writes a complete copy")
            }
            if let robot = recording.robot {
                print("  robot         \(robot.name) (\(robot.kind), \(robot.driver), link \(robot.link), \(significant(robot.controlRateHz)) Hz); "
                      + "\(robot.stateNames.count) state, \(robot.observationNames.count) observation, \(robot.actionNames.count) action entries")
            } else {
                print("  robot         (no robot metadata: not a Reins recording?)")
            }
            if let policy = recording.policy {
                var parts = ["\(policy.path) (sha256 \(policy.weightsSHA256.prefix(16))…)"]
                if let bound = policy.certifiedLipschitzBound { parts.append("L \(significant(bound))") }
                if let tolerance = policy.actionTolerance { parts.append("tolerance \(significant(tolerance))") }
                if let certified = policy.certified { parts.append(certified ? "certified" : "NOT certified") }
                print("  policy        " + parts.joined(separator: ", "))
            } else {
                print("  policy        none recorded")
            }
            if let reins = recording.metadata["reins"] {
                let command = recording.commandLine.joined(separator: " ")
                print("  reins         \(reins["version"] ?? "?"), recording format \(reins["recording_format"] ?? "?"); \(command)")
            }
            let ticks = recording.episodes.flatMap(\.ticks).map(\.t)
            if let first = ticks.min(), let last = ticks.max() {
                let span = last - first
                let rate = span > 0 ? Double(ticks.count - 1) / span : 0
                print("  duration      \(fixed(span, 3)) s, \(ticks.count) ticks, achieved \(fixed(rate, 1)) Hz")
            } else {
                print("  duration      no ticks")
            }
            let topics = recording.topicCounts.keys.sorted().map { "\($0) \(recording.topicCounts[$0]!)" }
            print("  topics        " + (topics.isEmpty ? "none" : topics.joined(separator: ", ")))
            let attachments = recording.attachments.map { "\($0.name) (\(formattedBytes($0.data.count)))" }
            print("  attachments   " + (attachments.isEmpty ? "none" : attachments.joined(separator: ", ")))
            if let counts = recording.metadata["recording"] {
                print("  dropped       \(counts["dropped_records"] ?? "?") records (ring full), \(counts["truncated_samples"] ?? "?") samples cut to the robot's layout")
            }
            let kinds = Dictionary(grouping: recording.events, by: \.kind).map { "\($0.key) \($0.value.count)" }.sorted()
            if !kinds.isEmpty { print("  events        " + kinds.joined(separator: ", ")) }
            if recording.undecodableMessages > 0 { print("  undecodable   \(recording.undecodableMessages) messages") }
            let interventions = InterventionSummary(recording)
            if let operatorRecord = recording.metadata["operator"] {
                print("  operator      \(operatorRecord["device"] ?? "?") (\(RecordingReader.strings(operatorRecord["names"]).joined(separator: ", ")))"
                      + (operatorRecord["after_correction"].map { ", after a correction: \($0)" } ?? ""))
            }
            if interventions.hasHumanControl {
                let seconds = { (ticks: Int) in fixed(Double(ticks) * interventions.period, 1) + " s" }
                var line = "  interventions \(interventions.takeovers) takeovers in \(interventions.episodesWithIntervention) of \(interventions.episodes.count) episodes"
                line += " (\(fixed(interventions.interventionRate, 2)) per episode), human \(seconds(interventions.humanTicks))"
                if interventions.recoveryTicks > 0 {
                    line += ", recovery:correction 1:\(fixed(Double(interventions.correctionTicks) / Double(interventions.recoveryTicks), 2))"
                }
                print(line)
            }
            print("  episodes      \(recording.episodes.count)")
            for (index, episode) in recording.episodes.enumerated() {
                let outcome = episode.outcome?.description ?? (episode.end == nil ? "(running)" : "?")
                print("    #\(index)  episode \(episode.episode)  \(fixed(episode.duration, 3)) s  \(episode.ticks.count) ticks  \(outcome)")
                print("        source   " + Self.shares(episode.ticks.map(\.source)))
                print("        segment  " + Self.shares(episode.ticks.map(\.segment)))
                let summary = interventions.episodes[index]
                if summary.takeovers > 0 || summary.humanTicks > 0 {
                    let seconds = { (ticks: Int) in fixed(Double(ticks) * interventions.period, 2) + " s" }
                    print("        human    \(summary.takeovers) takeovers (\(summary.requestedTakeovers) on the monitor's request), \(seconds(summary.humanTicks)) human; "
                          + "recovery \(summary.recoveryTicks) ticks, correction \(summary.correctionTicks) ticks"
                          + (summary.operatorLost > 0 ? "; device silent \(summary.operatorLost) times" : ""))
                }
            }
        }

        /// "policy 60.0%, human 40.0%": every value that occurs, in the enum's order.
        static func shares<T: CaseIterable & CustomStringConvertible & Equatable>(_ values: [T]) -> String {
            guard !values.isEmpty else { return "no ticks" }
            return T.allCases.compactMap { value in
                let count = values.filter { $0 == value }.count
                return count == 0 ? nil : "\(value) \(fixed(100 * Double(count) / Double(values.count), 1))%"
            }.joined(separator: ", ")
        }
    }

    struct Repair: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Complete a recording whose process died before closing it.",
            discussion: """
                Keeps everything up to the last whole record (and the whole messages of a chunk cut \
                short), in the original order, and writes a fresh summary and footer, so tools that \
                need the summary (Foxglove, Python's mcap seeking reader) read the whole file. The \
                input is left as it is.
                """)

        @Argument(help: "The recording to repair (.mcap).", completion: .file(extensions: ["mcap"]))
        var file: String

        @Option(help: "Where to write the repaired file (default: NAME.mcap for a killed run's NAME.mcap.partial, else NAME.repaired.mcap).",
                completion: .file(extensions: ["mcap"]))
        var out: String?

        @Flag(help: "Replace an existing file at the output path.")
        var force = false

        func run() throws {
            let output = try outputFile(out ?? Self.defaultOutput(for: file), kind: .mcap, option: "--out", inputs: [file], force: force).path
            let contents: MCAPContents
            do {
                contents = try MCAPReader.read(path: file)
            } catch {
                printError(error.description + "; `reins record repair` repairs MCAP recordings only")
                throw ExitCode(1)
            }
            if contents.isComplete && out == nil {
                print("\(file) is complete; nothing to repair")
                return
            }
            let report: RecordingRepair.Report
            do {
                report = try RecordingRepair.repair(file, to: output)
            } catch {
                printError(error.description)
                throw ExitCode(1)
            }
            if let problem = report.problem { print("\(file): \(problem)") }
            var kept = "\(report.messages) messages, \(report.metadata) metadata, \(report.attachments) attachments"
            if report.messagesFromCutChunk > 0 { kept += " (\(report.messagesFromCutChunk) messages from the chunk cut short)" }
            if report.orphanedMessages > 0 { kept += "; \(report.orphanedMessages) messages dropped: their channel record is lost" }
            print("wrote \(output): \(kept); recovered \(report.recoveredBytes) of \(report.inputBytes) bytes")
        }

        /// A killed run leaves `NAME.mcap.partial`: repaired, it takes the name the run would have given it.
        static func defaultOutput(for file: String) -> String {
            if file.hasSuffix(".mcap.partial") { return String(file.dropLast(".partial".count)) }
            return (file.hasSuffix(".mcap") ? String(file.dropLast(5)) : file) + ".repaired.mcap"
        }
    }
}

/// "1.2 MB", "340 kB", "12 B".
func formattedBytes(_ count: Int) -> String {
    if count >= 1_000_000 { return "\(fixed(Double(count) / 1e6, 1)) MB" }
    if count >= 1000 { return "\(fixed(Double(count) / 1e3, 1)) kB" }
    return "\(count) B"
}
