import ReinsCore

/// What a Reins recording contains: topics, their JSON Schemas and the metadata record names.
/// Every field is described in README.md ("Recordings").
public enum RecordingFormat {
    /// Bumped when a field changes meaning; readers check it.
    public static let version = 1
    /// Reins' own version, stored in the `reins` metadata record and the MCAP header's library.
    public static let reinsVersion = "0.1.0"
    public static let library = "reins \(reinsVersion)"

    public static let tickTopic = "/reins/tick"
    public static let episodeTopic = "/reins/episode"
    public static let eventTopic = "/reins/event"

    /// Metadata records the recorder writes itself; callers' extra records may not use these names.
    public static let reservedMetadataNames = ["robot", "policy", "reins", "recording"]

    /// Nullable values are declared with their plain type (not `["number","null"]`): Foxglove's
    /// JSON Schema reader accepts one type name per field and rejects the whole schema otherwise.
    static let nonFiniteNote = "null encodes NaN or ±infinity, which JSON cannot represent"

    static func enumeration<T: CaseIterable & CustomStringConvertible>(_ type: T.Type, orNull: Bool = false) -> String {
        "[" + (T.allCases.map { JSONText.quoted($0.description) } + (orNull ? ["null"] : [])).joined(separator: ",") + "]"
    }

    static func vector(_ what: String) -> String {
        #"{"type":"array","items":{"type":"number"},"description":"\#(what); \#(nonFiniteNote)"}"#
    }

    static let tickSchema = #"""
        {"title":"reins.Tick","description":"One control tick: what the robot measured, what the policy saw and proposed, what was corrected and applied, the monitor's view and the safety filter's clamps.","type":"object","properties":{\#
        "tick":{"type":"integer","description":"Tick number since the loop started"},\#
        "t":{"type":"number","description":"Seconds since the recording started (CLOCK_MONOTONIC)"},\#
        "episode":{"type":"integer","description":"Episode number the tick belongs to"},\#
        "source":{"type":"string","enum":\#(enumeration(ControlSource.self)),"description":"Who produced the applied action"},\#
        "segment":{"type":"string","enum":\#(enumeration(Segment.self)),"description":"RaC segment"},\#
        "fresh":{"type":"boolean","description":"Whether the driver delivered fresh state this tick"},\#
        "state":\#(vector("Measured state, in the robot metadata's state_names order")),\#
        "observation":\#(vector("What the policy saw, in observation_names order")),\#
        "proposed":\#(vector("The policy's (or expert's, or operator's) action, in action_names order")),\#
        "corrected":\#(vector("After the confidence-aware correction and monitor response")),\#
        "applied":\#(vector("After the safety filter, as the driver reports it applied")),\#
        "monitor":{"type":"object","properties":{\#
        "sensitivity":{"type":"number","description":"Local Lipschitz sensitivity from the probes; \#(nonFiniteNote) (NaN: not measured)"},\#
        "innovation_entry":{"type":"integer","description":"Observation entry whose jump the robot's limits cannot explain; -1: none"},\#
        "innovation_jump":{"type":"number","description":"Size of that jump; \#(nonFiniteNote)"},\#
        "confidence":{"type":"number","description":"Lowest CARIL confidence over the action dimensions; \#(nonFiniteNote) (NaN: no head)"},\#
        "entropy":{"type":"number","description":"Highest CARIL entropy; \#(nonFiniteNote) (NaN: no head)"},\#
        "rule":{"type":"integer","description":"CARIL rule that fired in the first action dimension where one did; 0: none"},\#
        "response":{"type":"string","enum":\#(enumeration(ResponseTaken.self)),"description":"What the corrector did"},\#
        "takeover_requested":{"type":"boolean"}}},\#
        "clamps":{"type":"array","items":{"type":"string","enum":\#(enumeration(ClampReason.self))},"description":"Why the safety filter changed the action"},\#
        "timing":{"type":"object","properties":{\#
        "period_error_ns":{"type":"integer","description":"Lateness of this tick's start"},\#
        "previous_tick_ns":{"type":"integer","description":"Duration of the previous tick"}}}},\#
        "required":["tick","t","episode","source","segment","fresh","state","observation","proposed","corrected","applied","monitor","clamps","timing"]}
        """#

    static let episodeSchema = #"""
        {"title":"reins.Episode","description":"An episode starting or ending.","type":"object","properties":{\#
        "episode":{"type":"integer"},\#
        "event":{"type":"string","enum":["start","end"]},\#
        "outcome":{"type":"string","enum":\#(enumeration(EpisodeOutcome.self, orNull: true)),"description":"How the episode ended; null at the start"},\#
        "t":{"type":"number","description":"Seconds since the recording started"}},\#
        "required":["episode","event","outcome","t"]}
        """#

    static let eventSchema = #"""
        {"title":"reins.Event","description":"A fault, takeover request, safe stop, overrun or operator mark.","type":"object","properties":{\#
        "kind":{"type":"string","enum":\#(enumeration(RunEventKind.self))},\#
        "code":{"type":"integer","description":"Meaning depends on the kind (fault code, skipped periods, mark)"},\#
        "value":{"type":"number","description":"Meaning depends on the kind; \#(nonFiniteNote)"},\#
        "t":{"type":"number","description":"Seconds since the recording started"},\#
        "episode":{"type":"integer","description":"The episode open at the time; null between episodes"}},\#
        "required":["kind","code","value","t","episode"]}
        """#
}

/// Appends JSON text to a byte buffer without Foundation (the writer thread's encoder).
enum JSONText {
    static func quoted(_ text: String) -> String { text.jsonQuoted }

    static func appendString(_ text: String, to bytes: inout [UInt8]) { JSONString.append(text, to: &bytes) }

    /// Shortest text that reads back as the same Double; NaN and ±infinity as `null`.
    @inline(__always)
    static func appendNumber(_ value: Double, to bytes: inout [UInt8]) {
        if value.isFinite {
            bytes.append(contentsOf: value.description.utf8)
        } else {
            bytes.append(contentsOf: "null".utf8)
        }
    }

    static func appendInteger<T: BinaryInteger>(_ value: T, to bytes: inout [UInt8]) {
        bytes.append(contentsOf: String(value).utf8)
    }

    static func array(_ strings: [String]) -> String {
        "[" + strings.map(quoted).joined(separator: ",") + "]"
    }
}
