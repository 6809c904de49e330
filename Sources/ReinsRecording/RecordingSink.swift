import ReinsCore

/// The writer thread's side: turns ring slots into JSON messages and decides when to write.
final class RecordingSink: @unchecked Sendable {
    /// A chunk is written once it is this old; with the 5 ms wake period (a record waits at most one
    /// period in the ring, and a full chunk at most one more) nothing stays in memory much past 50 ms.
    static let chunkAgeNanoseconds: UInt64 = 40_000_000
    static let wakePeriodNanoseconds: UInt64 = 5_000_000
    /// Chunks are also closed at this size, whatever their age.
    static let chunkBytesLimit = 4 << 20

    private let writer: MCAPWriter
    private let tickChannel: UInt16
    private let episodeChannel: UInt16
    private let eventChannel: UInt16
    private let startWall: UInt64
    private let startMonotonic: UInt64
    private var json: [UInt8] = []
    /// When the open chunk got its first message (writer's clock) and the file size then.
    private var chunkOpenedAt: UInt64 = 0
    private var chunkOpenedSize = 0
    private var openEpisode: UInt32?
    /// Operator names as JSON strings, by index.
    private let operatorNames: [[UInt8]]
    private var ticks = 0
    private var episodeRecords = 0
    private var events = 0
    private var writeError: SystemError?
    private var lostToWriteError = 0

    init(writer: MCAPWriter, channelMetadata: [String: String], operators: [String], startWall: UInt64, startMonotonic: UInt64) {
        self.writer = writer
        self.startWall = startWall
        self.startMonotonic = startMonotonic
        operatorNames = operators.map { name in
            var text: [UInt8] = []
            JSONText.appendString(name, to: &text)
            return text
        }
        json.reserveCapacity(1 << 14)
        let tickSchema = writer.addSchema(name: "reins.Tick", encoding: "jsonschema", data: Array(RecordingFormat.tickSchema.utf8))
        let episodeSchema = writer.addSchema(name: "reins.Episode", encoding: "jsonschema", data: Array(RecordingFormat.episodeSchema.utf8))
        let eventSchema = writer.addSchema(name: "reins.Event", encoding: "jsonschema", data: Array(RecordingFormat.eventSchema.utf8))
        tickChannel = writer.addChannel(topic: RecordingFormat.tickTopic, messageEncoding: "json", schemaID: tickSchema, metadata: channelMetadata)
        episodeChannel = writer.addChannel(topic: RecordingFormat.episodeTopic, messageEncoding: "json", schemaID: episodeSchema)
        eventChannel = writer.addChannel(topic: RecordingFormat.eventTopic, messageEncoding: "json", schemaID: eventSchema)
    }

    func run(ring: RecordRing, stopping: AtomicFlag) {
        while true {
            // Read the flag before draining: whatever was queued before close() is then drained.
            let stop = stopping.isSet
            drain(ring)
            let now = MonotonicClock.nowNanoseconds()
            if writer.openChunkMessages > 0, now &- chunkOpenedAt >= Self.chunkAgeNanoseconds || writer.size - chunkOpenedSize >= Self.chunkBytesLimit {
                writer.closeChunk()
                flush()
            }
            if stop { return }
            MonotonicClock.sleep(untilNanoseconds: now &+ Self.wakePeriodNanoseconds)
        }
    }

    private func drain(_ ring: RecordRing) {
        while let slot = ring.peek() {
            if writeError != nil {
                // The file cannot grow (disk full, device gone): keep the ring moving, count the loss.
                lostToWriteError += 1
                ring.release()
                continue
            }
            if writer.openChunkMessages == 0 {
                chunkOpenedAt = MonotonicClock.nowNanoseconds()
                chunkOpenedSize = writer.size
            }
            encode(slot)
            ring.release()
        }
    }

    private func flush() {
        guard writeError == nil else { return }
        do {
            try writer.flush()
        } catch {
            writeError = error
        }
    }

    private func logTime(_ monotonic: UInt64) -> (UInt64, Double) {
        let delta = Int64(bitPattern: monotonic &- startMonotonic)
        let wall = Int64(bitPattern: startWall) &+ delta
        return (wall < 0 ? 0 : UInt64(wall), Double(delta) / 1e9)
    }

    private func encode(_ slot: UnsafeRawPointer) {
        let header = slot.load(as: SlotHeader.self)
        let (time, t) = logTime(header.monotonicNanoseconds)
        json.removeAll(keepingCapacity: true)
        let channel: UInt16
        switch SlotKind(rawValue: header.kind) {
        case .tick:
            encodeTick(header, t: t, doubles: slot + SlotHeader.bytes)
            channel = tickChannel
            ticks += 1
        case .episodeStart, .episodeEnd:
            let start = header.kind == SlotKind.episodeStart.rawValue
            append(#"{"episode":"#)
            JSONText.appendInteger(header.episode, to: &json)
            // A start has no outcome yet: the field is absent, never null.
            append(start ? #","event":"start""# : #","event":"end","outcome":"#)
            if !start { JSONText.appendString(EpisodeOutcome(rawValue: header.detail)?.description ?? "aborted", to: &json) }
            append(#","t":"#)
            JSONText.appendNumber(t, to: &json)
            append("}")
            openEpisode = start ? header.episode : nil
            channel = episodeChannel
            episodeRecords += 1
        case .event:
            append(#"{"kind":"#)
            JSONText.appendString(RunEventKind(rawValue: header.detail)?.description ?? "fault", to: &json)
            append(#","code":"#)
            JSONText.appendInteger(header.code, to: &json)
            appendOptional(#","value":"#, header.value)
            if let kind = RunEventKind(rawValue: header.detail), kind.isIntervention {
                append(#","cause":"#)
                JSONText.appendString((InterventionCause(rawValue: UInt8(clamping: header.code)) ?? .operatorDecision).description, to: &json)
            }
            append(#","t":"#)
            JSONText.appendNumber(t, to: &json)
            if let openEpisode {
                append(#","episode":"#)
                JSONText.appendInteger(openEpisode, to: &json)
            }
            append("}")
            channel = eventChannel
            events += 1
        case nil:
            return
        }
        writer.addMessage(channel: channel, logTime: time, publishTime: time, data: json)
    }

    private func encodeTick(_ header: SlotHeader, t: Double, doubles: UnsafeRawPointer) {
        append(#"{"tick":"#)
        JSONText.appendInteger(header.tick, to: &json)
        append(#","t":"#)
        JSONText.appendNumber(t, to: &json)
        append(#","episode":"#)
        JSONText.appendInteger(header.episode, to: &json)
        append(#","source":"#)
        JSONText.appendString((ControlSource(rawValue: header.source) ?? .policy).description, to: &json)
        append(#","segment":"#)
        JSONText.appendString((Segment(rawValue: header.segment) ?? .autonomous).description, to: &json)
        if header.source == ControlSource.human.rawValue, Int(header.operatorIndex) < operatorNames.count {
            append(#","operator":"#)
            json.append(contentsOf: operatorNames[Int(header.operatorIndex)])
        }
        append(header.flags & 1 != 0 ? #","fresh":true"# : #","fresh":false"#)
        let counts = [header.stateCount, header.observationCount, header.proposedCount, header.correctedCount, header.appliedCount]
        var offset = 0
        var nonFinite = 0
        for (field, count) in zip(RecordingFormat.vectorFields, counts) {
            append(#",""#)
            append(field)
            append(#"":["#)
            for index in 0..<Int(count) {
                if index > 0 { append(",") }
                let value = doubles.load(fromByteOffset: offset + 8 * index, as: Double.self)
                if !value.isFinite { nonFinite += 1 }
                JSONText.appendNumber(value, to: &json)
            }
            append("]")
            offset += 8 * Int(count)
        }
        if nonFinite > 0 {
            // The entries above hold 0 for these; the list keeps their position and true value.
            append(#","non_finite":["#)
            offset = 0
            var first = true
            for (field, count) in zip(RecordingFormat.vectorFields, counts) {
                for index in 0..<Int(count) {
                    let value = doubles.load(fromByteOffset: offset + 8 * index, as: Double.self)
                    guard !value.isFinite else { continue }
                    append(first ? #"{"field":""# : #",{"field":""#)
                    first = false
                    append(field)
                    append(#"","index":"#)
                    JSONText.appendInteger(index, to: &json)
                    append(#","value":""#)
                    append(RecordingFormat.nonFiniteName(value))
                    append(#""}"#)
                }
                offset += 8 * Int(count)
            }
            append("]")
        }
        append(#","monitor":{"innovation_entry":"#)
        JSONText.appendInteger(header.innovationEntry, to: &json)
        appendOptional(#","sensitivity":"#, header.sensitivity)
        appendOptional(#","innovation_jump":"#, header.innovationJump)
        appendOptional(#","confidence":"#, header.confidence)
        appendOptional(#","entropy":"#, header.entropy)
        append(#","rule":"#)
        JSONText.appendInteger(header.rule, to: &json)
        append(#","response":"#)
        JSONText.appendString((ResponseTaken(rawValue: header.response) ?? .none).description, to: &json)
        append(header.flags & 2 != 0 ? #","takeover_requested":true},"clamps":["# : #","takeover_requested":false},"clamps":["#)
        var first = true
        for reason in ClampReason.allCases where header.clamps & reason.bit != 0 {
            if !first { append(",") }
            first = false
            JSONText.appendString(reason.description, to: &json)
        }
        append(#"],"timing":{"period_error_ns":"#)
        JSONText.appendInteger(header.periodErrorNanoseconds, to: &json)
        append(#","previous_tick_ns":"#)
        JSONText.appendInteger(header.previousTickNanoseconds, to: &json)
        append(#","state_age_ns":"#)
        JSONText.appendInteger(header.stateAgeNanoseconds, to: &json)
        append("}}")
    }

    /// `key` and the value when it is finite; nothing otherwise (a scalar without a value is absent).
    private func appendOptional(_ key: String, _ value: Double) {
        guard value.isFinite else { return }
        append(key)
        JSONText.appendNumber(value, to: &json)
    }

    @inline(__always)
    private func append(_ text: String) {
        json.append(contentsOf: text.utf8)
    }

    /// Runs on the closing thread once the writer thread has ended.
    func finish(dropped: Int, truncated: Int) throws(SystemError) -> RecorderReport {
        writer.addMetadata(name: "recording", [
            "ticks": String(ticks), "episode_records": String(episodeRecords), "events": String(events),
            "dropped_records": String(dropped), "truncated_samples": String(truncated),
            "end_wall_time_ns": String(WallClock.nowNanoseconds()),
        ])
        if let writeError {
            throw SystemError(writeError.operation, path: writeError.path + " (\(lostToWriteError) records lost after the failure)", code: writeError.code)
        }
        try writer.finish()
        return RecorderReport(ticks: ticks, episodeRecords: episodeRecords, events: events, droppedRecords: dropped,
                              truncatedSamples: truncated, fileBytes: writer.size)
    }
}
