import Foundation
import ReinsCore

/// One `/reins/tick` message, decoded. Array entries come back exactly, NaN and ±infinity
/// included (from `non_finite`); a monitor scalar the message omits (no finite value) comes back as NaN.
public struct RecordedTick: Sendable {
    public var tick: UInt64
    /// Seconds since the recording started.
    public var t: Double
    /// The message's log time: wall-clock ns since the Unix epoch.
    public var logTimeNanoseconds: UInt64
    public var episode: UInt32
    public var source: ControlSource
    public var segment: Segment
    public var freshState: Bool
    public var state: [Double]
    public var observation: [Double]
    public var proposed: [Double]
    public var corrected: [Double]
    public var applied: [Double]
    public var sensitivity: Double
    public var innovationEntry: Int32
    public var innovationJump: Double
    public var confidence: Double
    public var entropy: Double
    public var rule: UInt8
    public var response: ResponseTaken
    public var takeoverRequested: Bool
    /// `ClampReason` bits.
    public var clamps: UInt32
    public var periodErrorNanoseconds: UInt32
    public var previousTickNanoseconds: UInt32
    /// How old the measured state was when the tick used it (0 in recordings made before it was recorded).
    public var stateAgeNanoseconds: UInt64
    /// Who drove a human tick, when the recording names its operators.
    public var operatorName: String?
}

/// An episode: its ticks in order, with the start and end records when the file has them.
public struct RecordedEpisode: Sendable {
    public var episode: UInt32
    /// `t` of the start record (nil: the recording began inside the episode).
    public var start: Double?
    /// `t` of the end record (nil: the episode was still running when the recording ended).
    public var end: Double?
    public var outcome: EpisodeOutcome?
    public var ticks: [RecordedTick]

    /// From the start record (or first tick) to the end record (or last tick), in seconds.
    public var duration: Double {
        guard let from = start ?? ticks.first?.t, let to = end ?? ticks.last?.t else { return 0 }
        return max(0, to - from)
    }
}

public struct RecordedEvent: Sendable {
    public var kind: RunEventKind
    public var code: Int64
    public var value: Double
    public var t: Double
    /// Why control changed hands (takeover, recovered, handback, operator_lost).
    public var cause: InterventionCause?
    /// The episode open when it happened.
    public var episode: UInt32?
}

/// The robot as the recording's `robot` metadata describes it.
public struct RecordedRobot: Sendable, Equatable {
    public var name: String
    public var kind: String
    public var driver: String
    public var link: String
    public var controlRateHz: Double
    public var stateNames: [String]
    public var observationNames: [String]
    public var actionNames: [String]
}

/// A Reins recording as `reins fit` and `reins record inspect` use it.
public struct Recording: Sendable {
    public var robot: RecordedRobot?
    public var policy: PolicyIdentity?
    /// Every metadata record by name (`robot`, `policy`, `reins`, `recording` and callers' own).
    public var metadata: [String: [String: String]]
    public var attachments: [MCAPAttachmentRecord]
    public var episodes: [RecordedEpisode]
    public var events: [RecordedEvent]
    /// Messages per topic.
    public var topicCounts: [String: Int]
    /// The file ends with its summary and footer (a clean `Recorder.close()`).
    public var isComplete: Bool
    /// Why the file ends early, when it does.
    public var problem: String?
    public var fileSize: Int
    public var recoveredBytes: Int
    /// Messages on Reins topics that did not decode (never expected; counted rather than fatal).
    public var undecodableMessages: Int

    public var ticks: Int { episodes.reduce(0) { $0 + $1.ticks.count } }

    /// The command line that made the recording (`reins` metadata).
    public var commandLine: [String] { RecordingReader.strings(metadata["reins"]?["command_line"]) }
}

/// Reads Reins recordings. JSON is parsed with Foundation: this is never on the real-time path.
public enum RecordingReader {
    public static func read(path: String) throws(MCAPReadError) -> Recording {
        decode(try MCAPReader.read(path: path))
    }

    public static func decode(_ contents: MCAPContents) -> Recording {
        var metadata: [String: [String: String]] = [:]
        for record in contents.metadata { metadata[record.name] = record.entries }
        var recording = Recording(
            robot: metadata["robot"].flatMap(robot), policy: metadata["policy"].flatMap(PolicyIdentity.init(metadata:)),
            metadata: metadata, attachments: contents.attachments, episodes: [], events: [], topicCounts: [:],
            isComplete: contents.isComplete, problem: contents.problem, fileSize: contents.fileSize,
            recoveredBytes: contents.recoveredBytes, undecodableMessages: 0)

        var topics: [UInt16: String] = [:]
        for channel in contents.channels { topics[channel.id] = channel.topic }
        // Index of the latest episode entry per episode number.
        var current: [UInt32: Int] = [:]
        func entry(for episode: UInt32, startingNew: Bool) -> Int {
            if !startingNew, let index = current[episode] { return index }
            recording.episodes.append(RecordedEpisode(episode: episode, start: nil, end: nil, outcome: nil, ticks: []))
            current[episode] = recording.episodes.count - 1
            return recording.episodes.count - 1
        }
        for message in contents.messages {
            guard let topic = topics[message.channel] else { continue }
            recording.topicCounts[topic, default: 0] += 1
            guard [RecordingFormat.tickTopic, RecordingFormat.episodeTopic, RecordingFormat.eventTopic].contains(topic) else { continue }
            guard let object = (try? JSONSerialization.jsonObject(with: Data(message.data))) as? [String: Any] else {
                recording.undecodableMessages += 1
                continue
            }
            switch topic {
            case RecordingFormat.tickTopic:
                guard let tick = tick(object, logTime: message.logTime) else {
                    recording.undecodableMessages += 1
                    continue
                }
                recording.episodes[entry(for: tick.episode, startingNew: false)].ticks.append(tick)
            case RecordingFormat.episodeTopic:
                guard let episode = unsigned(object["episode"]).flatMap(UInt32.init(exactly:)), let t = number(object["t"]),
                      let event = object["event"] as? String, event == "start" || event == "end" else {
                    recording.undecodableMessages += 1
                    continue
                }
                if event == "start" {
                    // A start for an episode that already has ticks or an end begins a new entry.
                    let existing = current[episode].map { recording.episodes[$0] }
                    let reuse = existing.map { $0.start == nil && $0.end == nil && $0.ticks.isEmpty } ?? false
                    recording.episodes[entry(for: episode, startingNew: !reuse)].start = t
                } else {
                    let index = entry(for: episode, startingNew: false)
                    recording.episodes[index].end = t
                    recording.episodes[index].outcome = (object["outcome"] as? String).flatMap { name in
                        EpisodeOutcome.allCases.first { $0.description == name }
                    }
                }
            default:
                guard let name = object["kind"] as? String, let kind = RunEventKind.allCases.first(where: { $0.description == name }),
                      let t = number(object["t"]) else {
                    recording.undecodableMessages += 1
                    continue
                }
                recording.events.append(RecordedEvent(
                    kind: kind, code: (object["code"] as? NSNumber)?.int64Value ?? 0, value: number(object["value"]) ?? .nan,
                    t: t, cause: (object["cause"] as? String).flatMap { name in InterventionCause.allCases.first { $0.description == name } },
                    episode: unsigned(object["episode"]).flatMap(UInt32.init(exactly:))))
            }
        }
        return recording
    }

    private static func robot(_ entries: [String: String]) -> RecordedRobot? {
        guard let name = entries["name"] else { return nil }
        return RecordedRobot(
            name: name, kind: entries["kind"] ?? "", driver: entries["driver"] ?? "", link: entries["link"] ?? "",
            controlRateHz: entries["control_rate_hz"].flatMap(Double.init) ?? .nan,
            stateNames: strings(entries["state_names"]), observationNames: strings(entries["observation_names"]),
            actionNames: strings(entries["action_names"]))
    }

    /// A JSON array of strings stored as a metadata value.
    public static func strings(_ text: String?) -> [String] {
        guard let text, let array = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [Any] else { return [] }
        return array.compactMap { $0 as? String }
    }

    private static func tick(_ object: [String: Any], logTime: UInt64) -> RecordedTick? {
        guard let tick = unsigned(object["tick"]), let t = number(object["t"]),
              let episode = unsigned(object["episode"]).flatMap(UInt32.init(exactly:)),
              let source = (object["source"] as? String).flatMap({ name in ControlSource.allCases.first { $0.description == name } }),
              let segment = (object["segment"] as? String).flatMap({ name in Segment.allCases.first { $0.description == name } }),
              let fresh = object["fresh"] as? Bool,
              var vectors = vectors(object),
              let monitor = object["monitor"] as? [String: Any], let timing = object["timing"] as? [String: Any],
              let clampNames = object["clamps"] as? [Any] else { return nil }
        // Entries JSON cannot hold were written as 0 and listed here with their true value.
        if let nonFinite = object["non_finite"] {
            guard let entries = nonFinite as? [Any] else { return nil }
            for case let entry as [String: Any] in entries {
                guard let field = (entry["field"] as? String).flatMap({ RecordingFormat.vectorFields.firstIndex(of: $0) }),
                      let index = (entry["index"] as? NSNumber)?.intValue, vectors[field].indices.contains(index),
                      let value = (entry["value"] as? String).flatMap(RecordingFormat.nonFiniteValue) else { return nil }
                vectors[field][index] = value
            }
        }
        var clamps: UInt32 = 0
        for name in clampNames {
            guard let reason = ClampReason.allCases.first(where: { $0.description == name as? String }) else { return nil }
            clamps |= reason.bit
        }
        return RecordedTick(
            tick: tick, t: t, logTimeNanoseconds: logTime, episode: episode, source: source, segment: segment, freshState: fresh,
            state: vectors[0], observation: vectors[1], proposed: vectors[2], corrected: vectors[3], applied: vectors[4],
            sensitivity: number(monitor["sensitivity"]) ?? .nan,
            innovationEntry: (monitor["innovation_entry"] as? NSNumber).flatMap { Int32(exactly: $0.int64Value) } ?? -1,
            innovationJump: number(monitor["innovation_jump"]) ?? .nan,
            confidence: number(monitor["confidence"]) ?? .nan, entropy: number(monitor["entropy"]) ?? .nan,
            rule: unsigned(monitor["rule"]).flatMap(UInt8.init(exactly:)) ?? 0,
            response: (monitor["response"] as? String).flatMap { name in ResponseTaken.allCases.first { $0.description == name } } ?? .none,
            takeoverRequested: monitor["takeover_requested"] as? Bool ?? false, clamps: clamps,
            periodErrorNanoseconds: unsigned(timing["period_error_ns"]).flatMap(UInt32.init(exactly:)) ?? 0,
            previousTickNanoseconds: unsigned(timing["previous_tick_ns"]).flatMap(UInt32.init(exactly:)) ?? 0,
            stateAgeNanoseconds: unsigned(timing["state_age_ns"]) ?? 0, operatorName: object["operator"] as? String)
    }

    /// The five arrays in `RecordingFormat.vectorFields` order, nil if one is missing or holds a non-number.
    private static func vectors(_ object: [String: Any]) -> [[Double]]? {
        var result: [[Double]] = []
        for field in RecordingFormat.vectorFields {
            guard let values = vector(object[field]) else { return nil }
            result.append(values)
        }
        return result
    }

    /// A JSON number, or NaN for null (how format 1 recordings wrote NaN and ±infinity).
    ///
    /// Through the number's text: JSONSerialization on Linux returns NSDecimalNumber for many
    /// decimals, whose `doubleValue` is off in the last digits; `Double(stringValue)` is exact.
    private static func number(_ value: Any?) -> Double? {
        if value is NSNull { return .nan }
        guard let number = value as? NSNumber else { return nil }
        return Double(number.stringValue) ?? number.doubleValue
    }

    private static func unsigned(_ value: Any?) -> UInt64? {
        guard let number = value as? NSNumber else { return nil }
        let double = number.doubleValue
        guard double >= 0, double == double.rounded() else { return nil }
        return number.uint64Value
    }

    private static func vector(_ value: Any?) -> [Double]? {
        guard let array = value as? [Any] else { return nil }
        var result: [Double] = []
        result.reserveCapacity(array.count)
        for item in array {
            guard let number = number(item) else { return nil }
            result.append(number)
        }
        return result
    }
}
