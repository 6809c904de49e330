import Foundation
import ReinsCore
import ReinsRecording
import ReinsTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite struct CrashSafetyTests {
    @Test func aRecordingKilledMidRunIsReadableToItsLastHundredMillisecondsAndRepairs() throws {
        let folder = TemporaryDirectory()
        let path = folder.file("killed.mcap")
        let bench = SpawnedProcess(reinsExecutable, ["bench", "record", "--seconds", "30", "--out", path])
        try #require(bench.waitForLine(containing: "recording", timeout: 60) != nil, "\(bench.standardError)")
        usleep(2_000_000)
        let killedAt = WallClock.nowNanoseconds()
        bench.signal(SIGKILL)
        #expect(bench.wait() == 128 + SIGKILL)

        // Killed before it was complete, the recording never took its real name: it is where it
        // was written, NAME.mcap.partial.
        #expect(!FileBytes.exists(path))
        let partial = path + ".partial"
        // Python's mcap, reading the file as it was left (sequentially, as for any crashed recording).
        let peer = try pythonMCAP(partial, ["--stream"])
        let ticks = try #require(peer["tick_count"] as? Int)
        #expect(ticks >= 1000, "about 2 s at 1 kHz were recorded before the kill")
        #expect(peer["ticks_increasing"] as? Bool == true)
        let lastLogTime = try #require(peer["last_log_time"] as? Int)
        let lostMilliseconds = Double(Int64(killedAt) - Int64(lastLogTime)) / 1e6
        // By design at most ~50 ms are lost: the writer wakes every 5 ms and writes a chunk once it
        // is 40 ms old. The budget is 100 ms; the 50 ms margin on top covers this 2-core machine
        // being shared with compilers, which can leave the writer thread runnable but not running
        // for a few scheduler periods, and the moment between reading the clock and kill().
        #expect(lostMilliseconds < 150, "the last message is \(lostMilliseconds) ms older than the kill")
        #expect(lostMilliseconds > 0)
        // With its defaults (log_time_order=True) NonSeekingReader sorts every message before
        // yielding the first, so the EndOfFile at the cut, where a complete file has its footer,
        // leaves nothing: README says to pass log_time_order=False for a killed recording.
        let defaults = try #require(peer["default_order"] as? [String: Any])
        #expect(defaults["messages"] as? Int == 0 && defaults["error"] as? String == "EndOfFile", "\(defaults)")
        let metadata = try #require(peer["metadata"] as? [String: [String: String]])
        #expect(Set(metadata.keys) == ["robot", "reins"])
        #expect((peer["attachments"] as? [Any])?.count == 2)

        let read = try RecordingReader.read(path: partial)
        #expect(!read.isComplete && read.problem != nil)
        #expect(read.ticks >= ticks)

        // Repaired, the file has a summary again and Python's seeking reader reads all of it; by
        // default it takes the name the run would have given it.
        let repaired = path
        let result = runProcess(reinsExecutable, ["record", "repair", partial])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput.contains("wrote \(repaired)"))
        let full = try pythonMCAP(repaired)
        #expect(full["tick_count"] as? Int == read.ticks)
        #expect((full["statistics"] as? [String: Any])?["message_count"] as? Int == full["messages"] as? Int)
        #expect((full["attachments"] as? [Any])?.count == 2)
        #expect(try RecordingReader.read(path: repaired).isComplete)
    }
}

/// A valid recording and, from Python's mcap, where each of its records ends.
struct IndexedRecording {
    let recording: TestRecording
    let bytes: [UInt8]
    /// (channel, sequence, end offset) of every message, in file order.
    let messageEnds: [(channel: Int, sequence: Int, end: Int)]
    let chunkRanges: [Range<Int>]
    let attachmentEnds: [Int]
    let metadataEnds: [Int]
    let tickChannel: Int

    init(ticks: Int) throws {
        recording = try TestRecording(ticks: ticks, paced: true)
        bytes = try FileBytes.read(recording.path)
        let peer = try pythonMCAP(recording.path, ["--offsets"])
        let offsets = try #require(peer["offsets"] as? [[Int]])
        messageEnds = offsets.map { ($0[0], $0[1], $0[3]) }
        chunkRanges = try #require(peer["chunk_ranges"] as? [[Int]]).map { $0[0]..<$0[1] }
        attachmentEnds = try #require(peer["attachment_ends"] as? [Int])
        metadataEnds = try #require(peer["metadata_ends"] as? [Int])
        let channels = try #require((peer["summary"] as? [String: Any])?["channels"] as? [String: [String: Any]])
        tickChannel = try #require(Int(channels.first { $0.value["topic"] as? String == "/reins/tick" }?.key ?? ""))
    }
}

@Suite struct CutRecordingTests {
    @Test func aRecordingCutAnywhereIsReadToItsLastWholeRecordAndRepairedForPython() throws {
        let indexed = try IndexedRecording(ticks: 300)
        let size = indexed.bytes.count
        #expect(indexed.messageEnds.count == 300 + 6 + 6)
        var random = SeededRandom(seed: 20_251_125)
        let firstChunk = indexed.chunkRanges[0].lowerBound
        var cuts = (0..<8).map { _ in Int(random.uniform(Double(firstChunk)...Double(size - 1))) }
        // Inside a chunk's header; just after the attachments; inside the summary; inside the closing magic.
        cuts += [firstChunk + 20, indexed.attachmentEnds.max()!, size - 200, size - 3]
        #expect(indexed.chunkRanges.count >= 5, "a paced run writes a chunk per ~40 ms")
        let folder = TemporaryDirectory()
        var cutChunksRead = 0
        for cut in cuts {
            let expected = indexed.messageEnds.filter { $0.end <= cut }
            let contents = try MCAPReader.read(Array(indexed.bytes[0..<cut]))
            if contents.messagesFromCutChunk > 0 { cutChunksRead += 1 }
            #expect(!contents.isComplete, "cut at \(cut)")
            #expect(contents.messages.count == expected.count, "cut at \(cut) of \(size)")
            if let last = contents.messages.last, let expectedLast = expected.last {
                #expect(Int(last.channel) == expectedLast.channel && Int(last.sequence) == expectedLast.sequence, "cut at \(cut)")
            }
            #expect(contents.attachments.count == indexed.attachmentEnds.filter { $0 <= cut }.count)
            #expect(contents.metadata.count == indexed.metadataEnds.filter { $0 <= cut }.count)
            let recording = RecordingReader.decode(contents)
            #expect(recording.ticks == expected.filter { $0.channel == indexed.tickChannel }.count, "cut at \(cut)")
            #expect(recording.undecodableMessages == 0)

            let cutPath = folder.write("cut-\(cut).mcap", "")
            try FileBytes.write(Array(indexed.bytes[0..<cut]), to: cutPath)
            let repaired = folder.file("repaired-\(cut).mcap")
            let result = runProcess(reinsExecutable, ["record", "repair", cutPath, "--out", repaired])
            #expect(result.status == 0, "cut at \(cut): \(result.standardError)")
            let peer = try pythonMCAP(repaired)
            #expect(peer["messages"] as? Int == expected.count, "cut at \(cut)")
            #expect((peer["statistics"] as? [String: Any])?["message_count"] as? Int == expected.count)
            #expect((peer["attachments"] as? [Any])?.count == contents.attachments.count)
            #expect(peer["ticks_increasing"] as? Bool == true)
        }
        #expect(cutChunksRead >= 3, "most cuts fall inside a chunk, whose whole messages are kept")
    }

    @Test func aCutInsideTheHeaderLeavesNothingToRepair() throws {
        let indexed = try IndexedRecording(ticks: 10)
        let folder = TemporaryDirectory()
        let path = folder.file("header-only.mcap")
        try FileBytes.write(Array(indexed.bytes[0..<20]), to: path)
        let result = runProcess(reinsExecutable, ["record", "repair", path])
        #expect(result.status == 1)
        #expect(result.standardError.contains("nothing to recover: the file ends inside the MCAP header"))
        #expect(throws: MCAPReadError.self) { try MCAPReader.read(Array(indexed.bytes[0..<5])) }
    }

    @Test func aFlippedByteInAChunkFailsItsCRCAndReadingStopsBeforeIt() throws {
        let indexed = try IndexedRecording(ticks: 300)
        try #require(indexed.chunkRanges.count >= 3)
        let chunk = indexed.chunkRanges[indexed.chunkRanges.count / 2]
        var bytes = indexed.bytes
        // The last byte of the chunk's last message: a `}` of its JSON.
        bytes[chunk.upperBound - 1] ^= 0x20
        let contents = try MCAPReader.read(bytes)
        #expect(!contents.isComplete)
        #expect(contents.problem?.contains("CRC") == true, "\(contents.problem ?? "no problem reported")")
        #expect(contents.messages.count == indexed.messageEnds.filter { $0.end <= chunk.lowerBound }.count)
    }

    @Test func garbageNeverCrashesTheReader() throws {
        let indexed = try IndexedRecording(ticks: 60)
        let original = indexed.bytes
        var random = SeededRandom(seed: 7)
        var complete = 0, notMCAP = 0
        for round in 0..<400 {
            var bytes = original
            switch round % 5 {
            case 0:  // a few flipped bytes anywhere
                for _ in 0...(random.next() % 8) { bytes[Int(random.next() % UInt64(bytes.count))] ^= UInt8(truncatingIfNeeded: random.next() | 1) }
            case 1:  // random bytes after the magic
                bytes = Array(original[0..<8]) + (0..<Int(random.next() % 4096)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            case 2:  // a cut followed by garbage
                bytes = Array(original[0..<Int(random.next() % UInt64(original.count))]) + (0..<Int(random.next() % 512)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            case 3:  // a span overwritten
                let start = Int(random.next() % UInt64(bytes.count)), length = Int(random.next() % 64)
                for index in start..<min(bytes.count, start + length) { bytes[index] = UInt8(truncatingIfNeeded: random.next()) }
            default:  // huge lengths where a record length sits
                let at = indexed.messageEnds[Int(random.next() % UInt64(indexed.messageEnds.count))].end
                if at + 9 <= bytes.count { for index in (at + 1)..<(at + 9) { bytes[index] = 0xFF } }
            }
            do {
                let contents = try MCAPReader.read(bytes)
                #expect(contents.recoveredBytes <= bytes.count)
                if contents.isComplete { complete += 1 }
                _ = RecordingReader.decode(contents)
            } catch {
                notMCAP += 1
                #expect(Array(bytes.prefix(8)) != MCAP.magic, "only a damaged magic may make a file not MCAP")
            }
        }
        // Most damage is noticed: flips inside chunks fail their CRC, cuts lose the footer.
        #expect(complete < 200)
    }
}
