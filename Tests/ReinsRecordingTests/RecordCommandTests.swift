import Foundation
import ReinsConfig
import ReinsCore
import ReinsRecording
import ReinsTestSupport
import Testing

@Suite struct RecordCommandTests {
    @Test func fitNamesANonFiniteEntryOfARecordingByItsPositionAndValue() throws {
        // Two expert episodes; in the second one tick's label holds +infinity and an observation NaN.
        // `reins fit` reads them from `non_finite` at their positions and refuses them by name.
        let folder = TemporaryDirectory()
        let path = folder.file("demos.mcap")
        let robot = try simArm()
        let recorder = try Recorder(path: path, robot: robot)
        var state = [Double](repeating: 0.1, count: 18), observation = [Double](repeating: 0, count: 12)
        var action = [Double](repeating: 0, count: 6)
        for tick in 0..<40 {
            let episode = UInt32(tick / 20 + 1)
            let time = recorder.startMonotonicNanoseconds + UInt64(tick) * 10_000_000
            if tick % 20 == 0 { #expect(recorder.episodeStarted(episode: episode, at: time)) }
            for index in 0..<12 { observation[index] = sin(Double(tick + index)) }
            for index in 0..<6 { action[index] = cos(Double(tick * 2 + index)) / 2 }
            if tick == 27 {
                action[2] = .infinity
                observation[4] = .nan
            }
            state.withUnsafeBufferPointer { s in
                observation.withUnsafeBufferPointer { o in
                    action.withUnsafeBufferPointer { a in
                        var sample = TickSample()
                        sample.tick = UInt64(tick)
                        sample.monotonicNanoseconds = time
                        sample.episode = episode
                        sample.source = .expert
                        sample.segment = .demo
                        sample.state = s
                        sample.observation = o
                        sample.proposed = a
                        sample.corrected = a
                        sample.applied = a
                        #expect(recorder.record(sample))
                    }
                }
            }
            if tick % 20 == 19 { #expect(recorder.episodeEnded(episode: episode, outcome: .success, at: time + 1000)) }
        }
        try recorder.close()
        let result = runProcess(reinsExecutable, ["fit", path, "--robot", "Robots/sim-arm.yaml", "--out", folder.file("p.safetensors"),
                                                  "--hidden", "8", "--epochs", "1"], workingDirectory: packageRoot)
        #expect(result.status != 0)
        #expect(result.standardError.contains("\(path) episode 2 tick 7: observation `\(robot.observationNames[4])` is nan"), "\(result.standardError)")
        #expect(result.standardError.contains("\(path) episode 2 tick 7: action `\(robot.actionNames[2])` is inf"), "\(result.standardError)")
    }

    @Test func inspectSummarisesEpisodesSourcesSegmentsAndRate() throws {
        let recording = try TestRecording(ticks: 250)
        let result = runProcess(reinsExecutable, ["record", "inspect", recording.path])
        #expect(result.status == 0, "\(result.standardError)")
        let lines = result.standardOutput.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("  file          complete,") })
        #expect(lines.contains("  robot         sim-arm (arm, dynamixel, link sim, 100 Hz); 18 state, 12 observation, 6 action entries"))
        #expect(lines.contains { $0.hasPrefix("  policy        policies/reach.safetensors (sha256 abababababababab…), L 1.75, tolerance 0.1, NOT certified") })
        #expect(lines.contains("  duration      0.249 s, 250 ticks, achieved 1000.0 Hz"))
        #expect(lines.contains("  topics        /reins/episode 6, /reins/event 5, /reins/tick 250"))
        #expect(lines.contains { $0.hasPrefix("  attachments   robot/sim-arm.yaml (") && $0.contains("policy/policy.yaml") })
        #expect(lines.contains("  dropped       0 records (ring full), 0 samples cut to the robot's layout"))
        #expect(lines.contains("  episodes      3"))
        #expect(lines.contains("    #0  episode 1  0.099 s  100 ticks  failure"))
        #expect(lines.contains("    #2  episode 3  0.049 s  50 ticks  aborted"))
        #expect(lines.contains("  events        fault 1, mark 1, overrun 1, safe_stop 1, takeover_request 1"))
        // Ticks cycle through the four sources, and through the segments three ticks at a time:
        // ticks 0-99 give segment blocks 0-33, nine of them (27 ticks) autonomous.
        let episode1 = try #require(lines.firstIndex(of: "    #0  episode 1  0.099 s  100 ticks  failure"))
        #expect(lines[episode1 + 1] == "        source   policy 25.0%, human 25.0%, expert 25.0%, replay 25.0%")
        #expect(lines[episode1 + 2] == "        segment  autonomous 27.0%, demo 25.0%, recovery 24.0%, correction 24.0%")
        let episode3 = try #require(lines.firstIndex(of: "    #2  episode 3  0.049 s  50 ticks  aborted"))
        #expect(lines[episode3 + 1] == "        source   policy 26.0%, human 26.0%, expert 24.0%, replay 24.0%")
    }

    @Test func inspectSaysWhereATruncatedFileEnds() throws {
        let recording = try TestRecording(ticks: 100)
        let bytes = try FileBytes.read(recording.path)
        let cut = recording.folder.file("cut.mcap")
        try FileBytes.write(Array(bytes[0..<(bytes.count * 2 / 3)]), to: cut)
        let result = runProcess(reinsExecutable, ["record", "inspect", cut])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput.contains("  file          TRUNCATED: cut short at byte"))
        #expect(result.standardOutput.contains("`reins record repair \(cut)` writes a complete copy"))
    }

    @Test func repairRefusesAFileThatIsNotMCAPAndLeavesCompleteFilesAlone() throws {
        let folder = TemporaryDirectory()
        let text = folder.write("notes.txt", "these are not the bytes you are looking for\n")
        let refused = runProcess(reinsExecutable, ["record", "repair", text])
        #expect(refused.status == 1)
        #expect(refused.standardError.contains("is not an MCAP file: it starts with 74 68 65 73 65 20 61 72, not the MCAP magic 89 4D 43 41 50 30 0D 0A; `reins record repair` repairs MCAP recordings only"))
        #expect(!FileBytes.exists(folder.file("notes.txt.repaired.mcap")))

        let recording = try TestRecording(ticks: 10)
        let complete = runProcess(reinsExecutable, ["record", "repair", recording.path])
        #expect(complete.status == 0)
        #expect(complete.standardOutput == "\(recording.path) is complete; nothing to repair\n")

        let missing = runProcess(reinsExecutable, ["record", "inspect", folder.file("nope.mcap")])
        #expect(missing.status == 1)
        #expect(missing.standardError.contains("nope.mcap: No such file or directory"))
    }

    @Test func repairWritesBesideTheInputByDefault() throws {
        let recording = try TestRecording(ticks: 120)
        let bytes = try FileBytes.read(recording.path)
        let cut = recording.folder.file("crashed.mcap")
        try FileBytes.write(Array(bytes[0..<(bytes.count - 5000)]), to: cut)
        let result = runProcess(reinsExecutable, ["record", "repair", cut])
        #expect(result.status == 0, "\(result.standardError)")
        let repaired = recording.folder.file("crashed.repaired.mcap")
        #expect(result.standardOutput.contains("wrote \(repaired): "))
        let read = try RecordingReader.read(path: repaired)
        #expect(read.isComplete && read.ticks > 0 && read.ticks <= 120)
        #expect(try FileBytes.read(cut).count == bytes.count - 5000, "the input is left as it was")
    }

    @Test func benchRecordReportsTimingDropsAndThroughput() throws {
        let folder = TemporaryDirectory()
        let result = runProcess(reinsExecutable, ["bench", "record", "--rate", "500", "--seconds", "0.6", "--out", folder.file("b.mcap"), "--json"])
        #expect(result.status == 0, "\(result.standardError)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any])
        #expect(object["ticks"] as? Int == 300)
        #expect(object["dropped"] as? Int == 0)
        let median = try #require(object["record_median_ns"] as? Int), p99 = try #require(object["record_p99_ns"] as? Int)
        #expect(median > 0 && median <= p99)
        let size = try FileBytes.read(folder.file("b.mcap")).count
        #expect(object["file_bytes"] as? Int == size)
        #expect((object["bytes_per_second"] as? Int ?? 0) > 100_000)
        let read = try RecordingReader.read(path: folder.file("b.mcap"))
        #expect(read.ticks == 300 && read.isComplete)
        #expect(read.robot?.stateNames.count == 18 && read.robot?.actionNames.count == 6)
    }

    @Test func benchRecordValidationSaysWhatToType() {
        let result = runProcess(reinsExecutable, ["bench", "record", "--rate", "0"])
        #expect(result.status == 2)
        #expect(result.standardError.contains("The value '0' is invalid for '--rate <rate>': out of range: 0 < value ≤ 10000 Hz"))
    }
}

@Suite struct MCAPPrimitiveTests {
    @Test func crc32MatchesZlibsCheckValue() {
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(CRC32.checksum([]) == 0)
        let long = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        // Byte-at-a-time reference for the slicing-by-8 path.
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in long {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 != 0 ? 0xEDB8_8320 ^ (crc >> 1) : crc >> 1 }
        }
        #expect(CRC32.checksum(long) == ~crc)
    }
}
