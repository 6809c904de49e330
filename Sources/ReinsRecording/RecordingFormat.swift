import ReinsCore

/// What a Reins recording contains: topics, their JSON Schemas and the metadata record names.
/// Every field is described in README.md ("Recordings").
public enum RecordingFormat {
    /// Bumped when a field changes meaning; readers check it. 2: non-finite array entries are
    /// written as 0 and named in `non_finite` (1 wrote `null`, which the schemas did not allow);
    /// scalars without a finite value are omitted; `timing.state_age_ns` added.
    public static let version = 2
    /// Reins' own version, stored in the `reins` metadata record and the MCAP header's library,
    /// and printed by `reins --version`.
    public static let reinsVersion = "0.1.0"
    public static let library = "reins \(reinsVersion)"

    public static let tickTopic = "/reins/tick"
    public static let episodeTopic = "/reins/episode"
    public static let eventTopic = "/reins/event"

    /// Metadata records the recorder writes itself; callers' extra records may not use these names.
    public static let reservedMetadataNames = ["robot", "policy", "reins", "recording"]

    /// The tick's number arrays, in the order they are written; `non_finite` names them.
    static let vectorFields = ["state", "observation", "proposed", "corrected", "applied"]

    /// How `non_finite` spells a value JSON cannot hold.
    static func nonFiniteName(_ value: Double) -> String {
        value.isNaN ? "nan" : (value > 0 ? "inf" : "-inf")
    }

    /// The value `nonFiniteName` spelled, nil for anything else.
    static func nonFiniteValue(_ name: String) -> Double? {
        switch name {
        case "nan": return .nan
        case "inf": return .infinity
        case "-inf": return -.infinity
        default: return nil
        }
    }

    // Every message validates against its schema (JSON Schema 2020-12): a value JSON cannot hold
    // is never written as `null`. Scalars without a finite value are omitted (and not `required`);
    // array entries keep their position with a 0 and are named in `non_finite`. Each field has one
    // type name, because Foxglove's JSON Schema reader accepts nothing else (`["number", "null"]`
    // makes it reject the whole channel); it ignores `required`, `minimum` and `additionalProperties`.
    static let dialect = #""$schema":"https://json-schema.org/draft/2020-12/schema""#

    static func enumeration<T: CaseIterable & CustomStringConvertible>(_ type: T.Type) -> String {
        "[" + T.allCases.map { JSONText.quoted($0.description) }.joined(separator: ",") + "]"
    }

    static func vector(_ what: String) -> String {
        #"{"type":"array","items":{"type":"number"},"description":"\#(what); a NaN or infinite entry is written as 0 and named in non_finite"}"#
    }

    static let tickSchema = #"""
        {\#(dialect),"title":"reins.Tick","description":"One control tick: what the robot measured, what the policy saw and proposed, what was corrected and applied, the monitor's view and the safety filter's clamps.","type":"object","properties":{\#
        "tick":{"type":"integer","minimum":0,"description":"Tick number since the loop started"},\#
        "t":{"type":"number","description":"Seconds since the recording started (CLOCK_MONOTONIC)"},\#
        "episode":{"type":"integer","minimum":0,"description":"Episode number the tick belongs to"},\#
        "source":{"type":"string","enum":\#(enumeration(ControlSource.self)),"description":"Who produced the applied action"},\#
        "segment":{"type":"string","enum":\#(enumeration(Segment.self)),"description":"RaC segment"},\#
        "operator":{"type":"string","description":"Who drove a human tick (the operator's name from the device or the allow-list); absent on other ticks"},\#
        "fresh":{"type":"boolean","description":"Whether the driver delivered fresh state this tick"},\#
        "state":\#(vector("Measured state, in the robot metadata's state_names order")),\#
        "observation":\#(vector("What the policy saw, in observation_names order")),\#
        "proposed":\#(vector("The policy's (or expert's, or operator's) action, in action_names order")),\#
        "corrected":\#(vector("After the confidence-aware correction and monitor response")),\#
        "applied":\#(vector("After the safety filter, as the driver reports it applied")),\#
        "non_finite":{"type":"array","items":{"type":"object","properties":{\#
        "field":{"type":"string","enum":\#(JSONText.array(vectorFields)),"description":"The array"},\#
        "index":{"type":"integer","minimum":0,"description":"The entry's position in it"},\#
        "value":{"type":"string","enum":["nan","inf","-inf"],"description":"What the entry really is"}},\#
        "required":["field","index","value"],"additionalProperties":false},\#
        "description":"The array entries that are NaN or infinite (JSON has neither): each array keeps its length with 0 in their place. Absent when every entry is finite"},\#
        "monitor":{"type":"object","properties":{\#
        "sensitivity":{"type":"number","description":"Local Lipschitz sensitivity from the probes; absent when not measured or not finite"},\#
        "innovation_entry":{"type":"integer","description":"Observation entry whose jump the robot's limits cannot explain; -1: none"},\#
        "innovation_jump":{"type":"number","description":"Size of that jump; absent when not finite (a NaN or infinite reading)"},\#
        "confidence":{"type":"number","description":"Lowest CARIL confidence over the action dimensions; absent without a head"},\#
        "entropy":{"type":"number","description":"Highest CARIL entropy; absent without a head"},\#
        "rule":{"type":"integer","minimum":0,"description":"CARIL rule that fired in the first action dimension where one did; 0: none"},\#
        "response":{"type":"string","enum":\#(enumeration(ResponseTaken.self)),"description":"What the corrector did"},\#
        "takeover_requested":{"type":"boolean","description":"Whether the operator was asked to take over"}},\#
        "required":["innovation_entry","rule","response","takeover_requested"],"additionalProperties":false},\#
        "clamps":{"type":"array","items":{"type":"string","enum":\#(enumeration(ClampReason.self))},"description":"Why the safety filter changed the action"},\#
        "timing":{"type":"object","properties":{\#
        "period_error_ns":{"type":"integer","minimum":0,"description":"Lateness of this tick's start"},\#
        "previous_tick_ns":{"type":"integer","minimum":0,"description":"Duration of the previous tick"},\#
        "state_age_ns":{"type":"integer","minimum":0,"description":"How old the measured state was when the tick used it"}},\#
        "required":["period_error_ns","previous_tick_ns","state_age_ns"],"additionalProperties":false}},\#
        "required":["tick","t","episode","source","segment","fresh","state","observation","proposed","corrected","applied","monitor","clamps","timing"],\#
        "additionalProperties":false}
        """#

    static let episodeSchema = #"""
        {\#(dialect),"title":"reins.Episode","description":"An episode starting or ending.","type":"object","properties":{\#
        "episode":{"type":"integer","minimum":0},\#
        "event":{"type":"string","enum":["start","end"]},\#
        "outcome":{"type":"string","enum":\#(enumeration(EpisodeOutcome.self)),"description":"How the episode ended; absent at the start"},\#
        "t":{"type":"number","description":"Seconds since the recording started"}},\#
        "required":["episode","event","t"],"additionalProperties":false}
        """#

    static let eventSchema = #"""
        {\#(dialect),"title":"reins.Event","description":"A fault, takeover request, safe stop, overrun, operator mark, or a change of who is in control (takeover, recovered, handback, operator_lost).","type":"object","properties":{\#
        "kind":{"type":"string","enum":\#(enumeration(RunEventKind.self))},\#
        "code":{"type":"integer","description":"Meaning depends on the kind (fault code, skipped periods, mark)"},\#
        "value":{"type":"number","description":"Meaning depends on the kind; absent when the event has none (or it is not finite)"},\#
        "cause":{"type":"string","enum":\#(enumeration(InterventionCause.self)),"description":"Why control changed hands (takeover, recovered, handback, operator_lost only): the operator's decision, the monitor's request, the device's timeout, or an unanswered request"},\#
        "t":{"type":"number","description":"Seconds since the recording started"},\#
        "episode":{"type":"integer","minimum":0,"description":"The episode open at the time; absent between episodes"}},\#
        "required":["kind","code","t"],"additionalProperties":false}
        """#
}

/// Appends JSON text to a byte buffer without Foundation (the writer thread's encoder).
enum JSONText {
    static func quoted(_ text: String) -> String { text.jsonQuoted }

    static func appendString(_ text: String, to bytes: inout [UInt8]) { JSONString.append(text, to: &bytes) }

    /// Shortest text that reads back as the same Double. JSON has no NaN or infinity: callers
    /// omit such a field or name the entry in `non_finite`; what is written here for one is the
    /// array placeholder 0.
    @inline(__always)
    static func appendNumber(_ value: Double, to bytes: inout [UInt8]) {
        if value.isFinite {
            bytes.append(contentsOf: value.description.utf8)
        } else {
            bytes.append(UInt8(ascii: "0"))
        }
    }

    static func appendInteger<T: BinaryInteger>(_ value: T, to bytes: inout [UInt8]) {
        bytes.append(contentsOf: String(value).utf8)
    }

    static func array(_ strings: [String]) -> String {
        "[" + strings.map(quoted).joined(separator: ",") + "]"
    }
}
