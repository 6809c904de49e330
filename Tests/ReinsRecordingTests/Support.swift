import Foundation
import ReinsConfig
import ReinsCore
import ReinsRecording
import ReinsTestSupport
import Testing

/// The shipped simulated arm: 18 state, 12 observation and 6 action entries.
func simArm() throws -> RobotDescription {
    try RobotDescription.load(path: packageRoot + "/Robots/sim-arm.yaml")
}

/// Runs Tests/Peers/mcap_peer.py (Python's mcap) on a file and returns its JSON report.
func pythonMCAP(_ path: String, _ arguments: [String] = []) throws -> [String: Any] {
    let result = runProcess("python3", [packageRoot + "/Tests/Peers/mcap_peer.py", path] + arguments)
    try #require(result.status == 0, "mcap_peer.py failed: \(result.standardError)")
    return try #require(try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any])
}

/// Deterministic ticks whose every field depends on the tick number, with NaN and infinities
/// sprinkled in, so a reader's output can be checked value by value.
final class SyntheticTicks {
    static let ticksPerEpisode = 100
    let stateCount: Int, observationCount: Int, actionCount: Int
    private let storage: UnsafeMutableBufferPointer<Double>

    init(stateCount: Int = 18, observationCount: Int = 12, actionCount: Int = 6) {
        self.stateCount = stateCount
        self.observationCount = observationCount
        self.actionCount = actionCount
        storage = .allocate(capacity: stateCount + observationCount + 3 * actionCount)
        storage.initialize(repeating: 0)
    }

    deinit { storage.deallocate() }

    /// Buffer `buffer` (0 state, 1 observation, 2 proposed, 3 corrected, 4 applied), entry `index`.
    static func value(tick: Int, buffer: Int, index: Int) -> Double {
        if buffer == 1 && (tick + index) % 37 == 0 { return .nan }
        if buffer == 0 && index == 0 && tick % 101 == 0 { return .infinity }
        if buffer == 4 && index == 5 && tick % 103 == 0 { return -.infinity }
        return Double(tick).squareRoot() * 0.731 + sin(Double(index) + 0.1 * Double(buffer)) / 3 - Double(buffer)
    }

    var counts: [Int] { [stateCount, observationCount, actionCount, actionCount, actionCount] }

    /// The sample for tick `tick`; its buffers stay valid until the next call.
    func sample(_ tick: Int, monotonic: UInt64) -> TickSample {
        var offset = 0
        var buffers: [UnsafeBufferPointer<Double>] = []
        for (buffer, count) in counts.enumerated() {
            for index in 0..<count { storage[offset + index] = Self.value(tick: tick, buffer: buffer, index: index) }
            buffers.append(UnsafeBufferPointer(rebasing: storage[offset..<(offset + count)]))
            offset += count
        }
        var sample = TickSample()
        sample.tick = UInt64(tick)
        sample.monotonicNanoseconds = monotonic
        sample.episode = UInt32(tick / Self.ticksPerEpisode + 1)
        sample.source = ControlSource.allCases[tick % 4]
        sample.segment = Segment.allCases[(tick / 3) % 4]
        sample.freshState = tick % 5 != 0
        sample.state = buffers[0]
        sample.observation = buffers[1]
        sample.proposed = buffers[2]
        sample.corrected = buffers[3]
        sample.applied = buffers[4]
        sample.sensitivity = tick % 7 == 0 ? .nan : Double(tick).squareRoot() / 7
        sample.innovationEntry = tick % 11 == 0 ? Int32(tick % 12) : -1
        sample.innovationJump = Double(tick % 11) * 0.0125
        sample.confidence = tick % 9 == 0 ? .nan : 1 / Double(tick + 3)
        sample.entropy = Double(tick % 17) / 17
        sample.rule = UInt8(tick % 6)
        sample.response = ResponseTaken.allCases[tick % 4]
        sample.takeoverRequested = tick % 13 == 0
        sample.clamps = UInt32(truncatingIfNeeded: tick &* 2_654_435_761) & 0xFFFF
        sample.periodErrorNanoseconds = UInt32(tick * 7)
        sample.previousTickNanoseconds = UInt32(tick * 11 + 250_000)
        sample.stateAgeNanoseconds = UInt64(tick) * 13 + 5_000_000_000
        return sample
    }

    /// Event `k` of a run (one every 50 ticks).
    static func event(_ k: Int) -> (kind: RunEventKind, code: Int64, value: Double) {
        (RunEventKind.allCases[k % RunEventKind.allCases.count], Int64(k) - 2, k == 3 ? .nan : Double(k) * 0.5)
    }

    /// Records `ticks` ticks, 1 ms apart from `start`, with an episode per 100 ticks (outcome by
    /// episode number) and an event every 50 ticks. Pauses now and then so the writer keeps up and
    /// nothing is dropped; `paced` waits for each tick's time instead, as a 1 kHz loop would, so the
    /// file gets the chunking of a real run (one chunk per ~40 ms).
    func run(_ recorder: Recorder, ticks: Int, start: UInt64 = MonotonicClock.nowNanoseconds(), paced: Bool = false) {
        for tick in 0..<ticks {
            let time = start + UInt64(tick) * 1_000_000
            if paced { MonotonicClock.sleep(untilNanoseconds: time) }
            let episode = UInt32(tick / Self.ticksPerEpisode + 1)
            if tick % Self.ticksPerEpisode == 0 { #expect(recorder.episodeStarted(episode: episode, at: time)) }
            #expect(recorder.record(sample(tick, monotonic: time + 1000)))
            if tick % 50 == 49 {
                let event = Self.event(tick / 50)
                #expect(recorder.event(event.kind, code: event.code, value: event.value, at: time + 2000))
            }
            if tick % Self.ticksPerEpisode == Self.ticksPerEpisode - 1 || tick == ticks - 1 {
                #expect(recorder.episodeEnded(episode: episode, outcome: EpisodeOutcome.allCases[Int(episode) % 4], at: time + 3000))
            }
            if !paced && tick % 256 == 255 { usleep(3000) }
        }
    }
}

/// A recording made in a test: the sim arm, a policy identity with a config file, an extra record.
struct TestRecording {
    let folder = TemporaryDirectory("reins-recording")
    let path: String
    let policyConfig: String
    let start: UInt64
    let report: RecorderReport
    let recorder: Recorder

    init(ticks: Int, file: String = "run.mcap", paced: Bool = false) throws {
        path = folder.file(file)
        policyConfig = folder.write("policy.yaml", "activation: tanh\nobservation: {names: [a, b]}\n")
        let policy = PolicyIdentity(path: "policies/reach.safetensors", weightsSHA256: String(repeating: "ab", count: 32),
                                    certifiedLipschitzBound: 1.75, actionTolerance: 0.1, certified: false, configPath: policyConfig,
                                    extra: ["probes": "8"])
        recorder = try Recorder(path: path, robot: try simArm(), policy: policy, metadata: ["operator": ["name": "Ada", "station": "2"]],
                                commandLine: ["reins", "run", "--robot", "Robots/sim-arm.yaml"])
        start = recorder.startMonotonicNanoseconds + 5_000_000
        SyntheticTicks().run(recorder, ticks: ticks, start: start, paced: paced)
        report = try recorder.close()
    }
}

/// A JSON number from JSONSerialization, exactly: on Linux it hands out NSDecimalNumber for many
/// decimals, whose `doubleValue` is off in the last digits, so go through the number's text.
func double(_ value: Any?) -> Double? {
    guard let number = value as? NSNumber else { return nil }
    return Double(number.stringValue)
}

/// |a - b| == 0, treating NaN as equal to NaN.
func same(_ a: Double, _ b: Double) -> Bool {
    (a.isNaN && b.isNaN) || a == b
}

/// What the reader returns for a monitor scalar the recorder was given: one without a finite value
/// is omitted from the message and read back as NaN.
func afterJSON(_ value: Double) -> Double {
    value.isFinite ? value : .nan
}

/// Runs Tests/Peers/recording_schema_check.py (jsonschema) on a file and returns its JSON report.
func schemaCheck(_ path: String) throws -> [String: Any] {
    let result = runProcess("python3", [packageRoot + "/Tests/Peers/recording_schema_check.py", path])
    try #require(result.status == 0, "recording_schema_check.py needs python3 with mcap and jsonschema: \(result.standardError)")
    return try #require(try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any])
}
