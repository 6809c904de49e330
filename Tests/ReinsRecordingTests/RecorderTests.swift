import Foundation
import ReinsCore
import ReinsRecording
import ReinsTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite struct PythonReadsRecordingsTests {
    @Test func pythonMCAPReadsTopicsCountsTicksMetadataAndAttachments() throws {
        let recording = try TestRecording(ticks: 450)
        let peer = try pythonMCAP(recording.path)

        #expect(peer["topics"] as? [String: Int] == ["/reins/tick": 450, "/reins/episode": 10, "/reins/event": 9])
        #expect(peer["nan_tokens"] as? Bool == false)
        #expect(peer["ticks_increasing"] as? Bool == true)
        let header = try #require(peer["header"] as? [String: String])
        #expect(header == ["profile": "", "library": "reins \(RecordingFormat.reinsVersion)"])

        // First and last tick, field by field, as Python's json sees them.
        for tick in [0, 449] {
            let body = try #require(peer[tick == 0 ? "first_tick" : "last_tick"] as? [String: Any])
            #expect(body["tick"] as? Int == tick)
            #expect(body["episode"] as? Int == tick / 100 + 1)
            #expect(body["source"] as? String == ControlSource.allCases[tick % 4].description)
            #expect(body["segment"] as? String == Segment.allCases[(tick / 3) % 4].description)
            #expect(body["fresh"] as? Bool == (tick % 5 != 0))
            let t = try #require(double(body["t"]))
            #expect(abs(t - (0.005 + Double(tick) * 0.001 + 1e-6)) < 1e-9)
            var nonFinite: [[String: Any]] = []
            for (buffer, name) in ["state", "observation", "proposed", "corrected", "applied"].enumerated() {
                let values = try #require(body[name] as? [Any], "\(name)")
                #expect(values.count == [18, 12, 6, 6, 6][buffer])
                for (index, value) in values.enumerated() {
                    let expected = SyntheticTicks.value(tick: tick, buffer: buffer, index: index)
                    if expected.isFinite {
                        #expect(double(value) == expected, "\(name)[\(index)]")
                    } else {
                        // Never null (the schema says number): 0 in place, the truth in non_finite.
                        #expect(double(value) == 0, "\(name)[\(index)] should hold 0 for \(expected)")
                        nonFinite.append(["field": name, "index": index, "value": expected.isNaN ? "nan" : (expected > 0 ? "inf" : "-inf")])
                    }
                }
            }
            let listed = body["non_finite"] as? [[String: Any]] ?? []
            #expect(listed.map { "\($0["field"]!)[\($0["index"]!)]=\($0["value"]!)" } == nonFinite.map { "\($0["field"]!)[\($0["index"]!)]=\($0["value"]!)" })
            #expect((body["non_finite"] == nil) == nonFinite.isEmpty, "non_finite is absent exactly when every entry is finite")
            let monitor = try #require(body["monitor"] as? [String: Any])
            // A scalar without a finite value is absent, never null.
            let sample = SyntheticTicks().sample(tick, monotonic: 0)
            #expect((monitor["sensitivity"] == nil) == sample.sensitivity.isNaN)
            #expect((monitor["confidence"] == nil) == sample.confidence.isNaN)
            #expect(monitor["response"] as? String == ResponseTaken.allCases[tick % 4].description)
            #expect(monitor["takeover_requested"] as? Bool == (tick % 13 == 0))
            #expect(monitor["rule"] as? Int == tick % 6)
            let clamps = try #require(body["clamps"] as? [String])
            let mask = UInt32(truncatingIfNeeded: tick &* 2_654_435_761) & 0xFFFF
            #expect(clamps == ClampReason.names(in: mask))
            let timing = try #require(body["timing"] as? [String: Int])
            #expect(timing == ["period_error_ns": tick * 7, "previous_tick_ns": tick * 11 + 250_000, "state_age_ns": tick * 13 + 5_000_000_000])
        }
        // Log time is the tick's monotonic time mapped onto the wall clock captured at start.
        let lastLogTime = try #require(peer["last_tick_log_time"] as? Int)
        let expectedLogTime = recording.recorder.startWallNanoseconds + (recording.start + 449 * 1_000_000 + 1000 - recording.recorder.startMonotonicNanoseconds)
        #expect(UInt64(lastLogTime) == expectedLogTime)

        let episodes = try #require(peer["episodes"] as? [[String: Any]])
        #expect(episodes.count == 10)
        #expect(episodes.first?["event"] as? String == "start" && episodes.first?.keys.contains("outcome") == false)
        #expect(episodes.last?["event"] as? String == "end" && episodes.last?["outcome"] as? String == EpisodeOutcome.allCases[5 % 4].description)
        let events = try #require(peer["events"] as? [[String: Any]])
        #expect(events.map { $0["kind"] as? String } == (0..<9).map { SyntheticTicks.event($0).kind.description })
        #expect(events[3].keys.contains("value") == false, "a NaN value is omitted, not null")
        #expect(events[0]["episode"] as? Int == 1)

        let metadata = try #require(peer["metadata"] as? [String: [String: String]])
        #expect(Set(metadata.keys) == ["robot", "policy", "reins", "operator", "recording"])
        #expect(metadata["robot"]?["name"] == "sim-arm")
        #expect(metadata["robot"]?["kind"] == "arm")
        #expect(metadata["robot"]?["driver"] == "dynamixel")
        #expect(metadata["robot"]?["control_rate_hz"] == "100.0")
        let stateNames = try #require(try JSONSerialization.jsonObject(with: Data((metadata["robot"]?["state_names"] ?? "").utf8)) as? [String])
        #expect(stateNames.count == 18 && stateNames.first == "shoulder_pan.pos" && stateNames.last == "gripper.effort")
        #expect(metadata["policy"] == ["path": "policies/reach.safetensors", "weights_sha256": String(repeating: "ab", count: 32),
                                       "certified_lipschitz_bound": "1.75", "action_tolerance": "0.1", "certified": "false",
                                       "config_path": recording.policyConfig, "probes": "8"])
        #expect(metadata["reins"]?["version"] == RecordingFormat.reinsVersion)
        #expect(metadata["reins"]?["command_line"] == #"["reins","run","--robot","Robots/sim-arm.yaml"]"#)
        #expect(metadata["operator"] == ["name": "Ada", "station": "2"])
        #expect(metadata["recording"]?["ticks"] == "450")
        #expect(metadata["recording"]?["dropped_records"] == "0")

        let attachments = try #require(peer["attachments"] as? [[String: Any]])
        #expect(attachments.map { $0["name"] as? String } == ["robot/sim-arm.yaml", "calibration/sim-arm.yaml", "policy/policy.yaml"])
        for (attachment, file) in zip(attachments, [packageRoot + "/Robots/sim-arm.yaml", packageRoot + "/Calibration/sim-arm.yaml", recording.policyConfig]) {
            let bytes = try FileBytes.read(file)
            #expect(attachment["size"] as? Int == bytes.count)
            #expect(attachment["media_type"] as? String == "application/yaml")
        }

        let statistics = try #require(peer["statistics"] as? [String: Any])
        #expect(statistics["message_count"] as? Int == 469)
        #expect(statistics["schema_count"] as? Int == 3)
        #expect(statistics["channel_count"] as? Int == 3)
        #expect(statistics["attachment_count"] as? Int == 3)
        #expect(statistics["metadata_count"] as? Int == 5)
        let summary = try #require(peer["summary"] as? [String: Any])
        #expect(summary["schemas_valid"] as? Bool == true)
        #expect(summary["foxglove_schema_problems"] as? [String] == [])
        #expect(summary["attachment_indexes"] as? Int == 3)
        #expect(summary["metadata_indexes"] as? Int == 5)
        #expect((summary["chunk_indexes"] as? Int ?? 0) >= 1)
        let channels = try #require(summary["channels"] as? [String: [String: Any]])
        let tickChannel = try #require(channels.values.first { $0["topic"] as? String == "/reins/tick" })
        #expect(tickChannel["message_encoding"] as? String == "json")
        #expect((tickChannel["metadata"] as? [String: String])?["action_names"]?.contains("gripper.goal") == true)
        // The sequential pass validated every chunk CRC and the data-section CRC.
        #expect((peer["stream_records_with_crc_checks"] as? Int ?? 0) > 469)
    }

    @Test func everyMessageValidatesAgainstTheSchemaItsChannelAdvertises() throws {
        // NaN and ±infinity in arrays and in scalars, episodes opening and closing, events in and
        // between episodes: jsonschema checks every message against the schema in the file.
        let recording = try TestRecording(ticks: 450)
        let check = try schemaCheck(recording.path)
        #expect(check["schema_problems"] as? [String] == [])
        #expect(check["topics"] as? [String: Int] == ["/reins/tick": 450, "/reins/episode": 10, "/reins/event": 9])
        #expect(check["invalid"] as? [String: Int] == [:], "\(check["errors"] ?? "")")
        var expected: [String: [String: Int]] = [:]
        var ticksWithNonFinite = 0
        for tick in 0..<450 {
            var any = false
            for (buffer, name) in ["state", "observation", "proposed", "corrected", "applied"].enumerated() {
                for index in 0..<[18, 12, 6, 6, 6][buffer] {
                    let value = SyntheticTicks.value(tick: tick, buffer: buffer, index: index)
                    guard !value.isFinite else { continue }
                    any = true
                    expected[name, default: [:]][value.isNaN ? "nan" : (value > 0 ? "inf" : "-inf"), default: 0] += 1
                }
            }
            if any { ticksWithNonFinite += 1 }
        }
        #expect(check["non_finite"] as? [String: [String: Int]] == expected)
        #expect(check["ticks_with_non_finite"] as? Int == ticksWithNonFinite)
        let absent = try #require(check["absent_monitor"] as? [String: Int])
        #expect(absent["sensitivity"] == (0..<450).filter { $0 % 7 == 0 }.count)
        #expect(absent["confidence"] == (0..<450).filter { $0 % 9 == 0 }.count)
        #expect(check["state_age_ns"] as? [Int] == [5_000_000_000, 449 * 13 + 5_000_000_000])
    }

    @Test func aRecordingWithNoTicksIsStillAValidFile() throws {
        let folder = TemporaryDirectory()
        let recorder = try Recorder(path: folder.file("empty.mcap"), robot: try simArm())
        let report = try recorder.close()
        #expect(report.ticks == 0)
        let peer = try pythonMCAP(folder.file("empty.mcap"))
        #expect(peer["messages"] as? Int == 0)
        #expect((peer["statistics"] as? [String: Any])?["message_count"] as? Int == 0)
        #expect(Set((peer["metadata"] as? [String: Any])?.keys ?? [:].keys) == ["robot", "reins", "recording"])
    }
}

@Suite struct RecorderRoundTripTests {
    @Test func theReaderGivesBackEveryValueTheRecorderWasGiven() throws {
        let recording = try TestRecording(ticks: 450)
        #expect(recording.report.ticks == 450 && recording.report.droppedRecords == 0)
        let read = try RecordingReader.read(path: recording.path)
        #expect(read.isComplete && read.problem == nil && read.undecodableMessages == 0)
        #expect(read.robot?.name == "sim-arm")
        #expect(read.robot?.stateNames.count == 18 && read.robot?.observationNames.count == 12 && read.robot?.actionNames == recording.recorder.actionNames)
        #expect(read.robot?.controlRateHz == 100)
        #expect(read.policy == PolicyIdentity(path: "policies/reach.safetensors", weightsSHA256: String(repeating: "ab", count: 32),
                                              certifiedLipschitzBound: 1.75, actionTolerance: 0.1, certified: false,
                                              configPath: recording.policyConfig, extra: ["probes": "8"]))
        #expect(read.metadata["operator"] == ["name": "Ada", "station": "2"])
        #expect(read.commandLine == ["reins", "run", "--robot", "Robots/sim-arm.yaml"])
        #expect(read.attachments.map(\.name) == ["robot/sim-arm.yaml", "calibration/sim-arm.yaml", "policy/policy.yaml"])
        #expect(read.attachments[0].data == (try FileBytes.read(packageRoot + "/Robots/sim-arm.yaml")))
        #expect(read.topicCounts == ["/reins/tick": 450, "/reins/episode": 10, "/reins/event": 9])

        #expect(read.episodes.map(\.episode) == [1, 2, 3, 4, 5])
        #expect(read.episodes.map(\.outcome) == (1...5).map { EpisodeOutcome.allCases[$0 % 4] })
        #expect(read.episodes.map(\.ticks.count) == [100, 100, 100, 100, 50])
        let startT = Double(recording.start - recording.recorder.startMonotonicNanoseconds) / 1e9
        #expect(abs((read.episodes[1].start ?? 0) - (startT + 0.1)) < 1e-12)
        #expect(abs((read.episodes[4].end ?? 0) - (startT + 0.449 + 3e-6)) < 1e-12)

        for tick in read.episodes.flatMap(\.ticks) {
            let n = Int(tick.tick)
            let expected = SyntheticTicks().sample(n, monotonic: 0)
            #expect(tick.episode == UInt32(n / 100 + 1))
            #expect(abs(tick.t - (startT + Double(n) * 0.001 + 1e-6)) < 1e-12)
            #expect(tick.source == expected.source && tick.segment == expected.segment && tick.freshState == expected.freshState)
            for (buffer, values) in [tick.state, tick.observation, tick.proposed, tick.corrected, tick.applied].enumerated() {
                #expect(values.count == [18, 12, 6, 6, 6][buffer])
                for (index, value) in values.enumerated() {
                    // Exactly, NaN and ±infinity included: non_finite carries them.
                    let given = SyntheticTicks.value(tick: n, buffer: buffer, index: index)
                    #expect(same(value, given), "tick \(n) buffer \(buffer)[\(index)]: \(value) vs \(given)")
                }
            }
            #expect(tick.stateAgeNanoseconds == expected.stateAgeNanoseconds)
            #expect(same(tick.sensitivity, afterJSON(expected.sensitivity)) && same(tick.confidence, afterJSON(expected.confidence)))
            #expect(tick.entropy == expected.entropy && tick.innovationJump == expected.innovationJump)
            #expect(tick.innovationEntry == expected.innovationEntry && tick.rule == expected.rule)
            #expect(tick.response == expected.response && tick.takeoverRequested == expected.takeoverRequested)
            #expect(tick.clamps == expected.clamps)
            #expect(tick.periodErrorNanoseconds == expected.periodErrorNanoseconds && tick.previousTickNanoseconds == expected.previousTickNanoseconds)
        }
        // NaN really is in there (not just absent values), and infinities keep their sign.
        #expect(read.episodes[0].ticks[0].sensitivity.isNaN)
        #expect(read.episodes[1].ticks[1].state[0] == .infinity)  // tick 101
        #expect(read.episodes[1].ticks[3].applied[5] == -.infinity)  // tick 103
        #expect(read.episodes[0].ticks[0].observation[0].isNaN)  // tick 0, (0 + 0) % 37 == 0

        #expect(read.events.count == 9)
        for (k, event) in read.events.enumerated() {
            let expected = SyntheticTicks.event(k)
            #expect(event.kind == expected.kind && event.code == expected.code && same(event.value, expected.value))
            #expect(event.episode == UInt32((50 * k + 49) / 100 + 1))
        }
    }

    @Test func formatOneRecordingsWithNullForNaNStillRead() throws {
        // Recording format 1 wrote null for NaN and infinities, in arrays and scalars alike.
        let folder = TemporaryDirectory()
        let path = folder.file("v1.mcap")
        let writer = try MCAPWriter(path: path, library: "reins 0.1.0")
        let schema = writer.addSchema(name: "reins.Tick", encoding: "jsonschema", data: Array(#"{"type":"object"}"#.utf8))
        let channel = writer.addChannel(topic: RecordingFormat.tickTopic, messageEncoding: "json", schemaID: schema)
        let message = #"{"tick":3,"t":0.5,"episode":1,"source":"policy","segment":"autonomous","fresh":true,"state":[0.25,null],"#
            + #""observation":[null],"proposed":[1.5],"corrected":[1.5],"applied":[1.5],"monitor":{"sensitivity":null,"#
            + #""innovation_entry":-1,"innovation_jump":0,"confidence":null,"entropy":null,"rule":0,"response":"none","#
            + #""takeover_requested":false},"clamps":[],"timing":{"period_error_ns":7,"previous_tick_ns":11}}"#
        writer.addMessage(channel: channel, logTime: 1, publishTime: 1, data: Array(message.utf8))
        try writer.finish()
        let read = try RecordingReader.read(path: path)
        #expect(read.undecodableMessages == 0)
        let tick = try #require(read.episodes.first?.ticks.first)
        #expect(tick.state[0] == 0.25 && tick.state[1].isNaN && tick.observation[0].isNaN && tick.applied == [1.5])
        #expect(tick.sensitivity.isNaN && tick.confidence.isNaN && tick.innovationJump == 0)
        #expect(tick.periodErrorNanoseconds == 7 && tick.stateAgeNanoseconds == 0)
    }

    @Test func buffersLongerThanTheRobotsAreCutAndCountedShorterOnesKept() throws {
        let folder = TemporaryDirectory()
        let recorder = try Recorder(path: folder.file("r.mcap"), robot: try simArm())
        let long = [Double](repeating: 1.5, count: 40)
        long.withUnsafeBufferPointer { buffer in
            var sample = TickSample()
            sample.state = buffer
            sample.applied = UnsafeBufferPointer(rebasing: buffer[0..<3])
            #expect(recorder.record(sample))
        }
        let report = try recorder.close()
        #expect(report.truncatedSamples == 1)
        let tick = try #require(try RecordingReader.read(path: folder.file("r.mcap")).episodes.first?.ticks.first)
        #expect(tick.state == [Double](repeating: 1.5, count: 18))
        #expect(tick.applied == [1.5, 1.5, 1.5] && tick.proposed.isEmpty)
        #expect(try RecordingReader.read(path: folder.file("r.mcap")).metadata["recording"]?["truncated_samples"] == "1")
    }

    @Test func aFullRingDropsAndCountsInsteadOfWaiting() throws {
        let folder = TemporaryDirectory()
        let recorder = try Recorder(path: folder.file("r.mcap"), robot: try simArm(), ringSlots: 4)
        let ticks = SyntheticTicks()
        var accepted = 0, refused = 0
        for tick in 0..<2000 {
            if recorder.record(ticks.sample(tick, monotonic: UInt64(tick))) { accepted += 1 } else { refused += 1 }
        }
        let report = try recorder.close()
        #expect(refused > 0, "4 slots cannot absorb 2000 ticks pushed back to back")
        #expect(report.droppedRecords == refused && report.ticks == accepted)
        let read = try RecordingReader.read(path: folder.file("r.mcap"))
        #expect(read.ticks == accepted)
        #expect(read.metadata["recording"]?["dropped_records"] == String(refused))
        // After close nothing is queued any more.
        #expect(!recorder.record(ticks.sample(0, monotonic: 0)))
        #expect(!recorder.event(.mark, at: 0))
        #expect(recorder.droppedRecords == refused + 2)
    }

    @Test func aFailingWriteIsReportedNotIgnored() throws {
        do {
            _ = try Recorder(path: "/dev/full", robot: try simArm())
            Issue.record("writing to /dev/full succeeded")
        } catch {
            #expect("\(error)" == "cannot write /dev/full: No space left on device")
        }
    }

    @Test func reservedMetadataNamesAndMissingAttachmentsAreRefused() throws {
        let folder = TemporaryDirectory()
        #expect(throws: RecorderError.self) {
            try Recorder(path: folder.file("a.mcap"), robot: try simArm(), metadata: ["robot": ["x": "y"]])
        }
        let policy = PolicyIdentity(path: "p.safetensors", weightsSHA256: "00", configPath: folder.file("missing.yaml"))
        do {
            _ = try Recorder(path: folder.file("b.mcap"), robot: try simArm(), policy: policy)
            Issue.record("a missing policy config was accepted")
        } catch {
            #expect("\(error)".contains("missing.yaml"))
        }
    }
}
