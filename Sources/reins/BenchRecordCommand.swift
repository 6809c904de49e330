import ArgumentParser
import ReinsConfig
import ReinsCore
import ReinsRecording

#if canImport(Glibc)
import Glibc
#endif

struct BenchRecordCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "record",
        abstract: "Time the recorder: synthetic ticks through the real Recorder at a fixed rate.",
        discussion: """
            Feeds ticks of a 6-joint arm (18 state, 18 observation, 6-entry proposed, corrected and \
            applied actions; or the robot given with --robot) with episodes every 2 s and an event \
            every 0.5 s, at --rate on this thread, and reports the median and p99 of each record() \
            call as the loop would see it, dropped records, bytes written per second and the file \
            size. Without --out the file goes to /tmp and is removed afterwards.
            """)

    @Option(parsing: .unconditional, help: NumberRange.rateHz.help("Tick rate in Hz."), transform: NumberRange.rateHz.parse)
    var rate: Double = 1000

    @Option(parsing: .unconditional, help: NumberRange.benchSeconds.help("How long to record, in seconds."), transform: NumberRange.benchSeconds.parse)
    var seconds: Double = 10

    @Option(help: "Keep the recording at this path.", completion: .file(extensions: ["mcap"]))
    var out: String?

    @Option(help: "Record ticks shaped like this robot instead of the built-in 6-joint arm.", completion: .file(extensions: ["yaml"]))
    var robot: String?

    @Flag(help: "Replace an existing file at --out.")
    var force = false

    @Flag(help: "Print the result as one JSON object.")
    var json = false

    func validate() throws {
        guard rate * seconds <= 100_000_000 else { throw ValidationError("--seconds times --rate must be at most 1e8 ticks, e.g. --seconds 10") }
    }

    func run() throws {
        var scratch: ScratchFolder? = try ScratchFolder()
        let description: RobotDescription
        if let robot {
            description = try PolicyCommand.loadRobot(robot)
        } else {
            description = try Self.builtInArm(in: scratch!)
        }
        let output = try out.map { try outputFile($0, kind: .mcap, option: "--out", inputs: robot == nil ? [] : description.inputFiles, force: force) }
        // Written under `NAME.mcap.partial` until it is complete, like every recording.
        let path = output?.temporaryPath ?? scratch!.path + "/bench.mcap"
        let recorder: Recorder
        do {
            recorder = try Recorder(path: path, robot: description)
        } catch {
            printError(error.description)
            throw ExitCode(1)
        }
        // The description is attached by now; with --out nothing else lives in the scratch folder,
        // and removing it at once leaves nothing behind when a test kills this process.
        if out != nil { scratch = nil }
        let ticks = Int((rate * seconds).rounded())
        if !json { print("recording \(ticks) ticks at \(fixed(rate, 0)) Hz to \(path)") }

        let stateCount = recorder.stateNames.count, observationCount = recorder.observationNames.count, actionCount = recorder.actionNames.count
        let buffers = UnsafeMutableBufferPointer<Double>.allocate(capacity: stateCount + observationCount + 3 * actionCount)
        buffers.initialize(repeating: 0)
        defer { buffers.deallocate() }
        let state = UnsafeMutableBufferPointer(rebasing: buffers[0..<stateCount])
        let observation = UnsafeMutableBufferPointer(rebasing: buffers[stateCount..<(stateCount + observationCount)])
        var offset = stateCount + observationCount
        let proposed = UnsafeMutableBufferPointer(rebasing: buffers[offset..<(offset + actionCount)])
        offset += actionCount
        let corrected = UnsafeMutableBufferPointer(rebasing: buffers[offset..<(offset + actionCount)])
        offset += actionCount
        let applied = UnsafeMutableBufferPointer(rebasing: buffers[offset..<(offset + actionCount)])

        var durations = [UInt64](repeating: 0, count: ticks)
        var timer = [UInt64](repeating: 0, count: ticks)
        let period = 1e9 / rate
        let ticksPerEpisode = max(1, Int(2 * rate)), ticksPerEvent = max(1, Int(rate / 2))
        var sample = TickSample()
        var random = SeededRandom(seed: 1)
        var episode: UInt32 = 1
        let start = MonotonicClock.nowNanoseconds()
        recorder.episodeStarted(episode: episode, at: start)
        for index in 0..<ticks {
            let deadline = start &+ UInt64(Double(index) * period)
            MonotonicClock.sleep(untilNanoseconds: deadline)
            let now = MonotonicClock.nowNanoseconds()
            let phase = index % ticksPerEpisode
            if index > 0 && phase == 0 {
                recorder.episodeEnded(episode: episode, outcome: EpisodeOutcome(rawValue: UInt8(episode % 4))!, at: now)
                episode += 1
                recorder.episodeStarted(episode: episode, at: now)
            }
            if index % ticksPerEvent == ticksPerEvent - 1 {
                recorder.event(index % (4 * ticksPerEvent) == ticksPerEvent - 1 ? .takeoverRequest : .mark, code: Int64(index), value: random.unit(), at: now)
            }
            let time = Double(now &- start) / 1e9
            for i in 0..<stateCount { state[i] = sin(time + Double(i)) }
            for i in 0..<observationCount { observation[i] = cos(time + Double(i)) + 0.001 * random.gaussian() }
            for i in 0..<actionCount {
                proposed[i] = sin(0.5 * time + Double(i))
                corrected[i] = proposed[i] * 0.9
                applied[i] = min(max(corrected[i], -0.8), 0.8)
            }
            sample.tick = UInt64(index)
            sample.monotonicNanoseconds = now
            sample.episode = episode
            let human = phase >= ticksPerEpisode / 2
            sample.source = human ? .human : .policy
            sample.segment = human ? (phase >= 3 * ticksPerEpisode / 4 ? .correction : .recovery) : .autonomous
            sample.freshState = index % 97 != 0
            sample.state = UnsafeBufferPointer(state)
            sample.observation = UnsafeBufferPointer(observation)
            sample.proposed = UnsafeBufferPointer(proposed)
            sample.corrected = UnsafeBufferPointer(corrected)
            sample.applied = UnsafeBufferPointer(applied)
            sample.sensitivity = index % 10 == 0 ? .nan : 0.5 + 0.1 * random.unit()
            sample.confidence = 0.8 + 0.2 * random.unit()
            sample.entropy = 0.3 * random.unit()
            sample.clamps = applied.contains { abs($0) >= 0.8 } ? ClampReason.jointPosition.bit : 0
            sample.periodErrorNanoseconds = UInt32(clamping: now &- deadline)
            // The timer's own cost, measured under the same conditions (just woken, caches as the
            // sleep left them), is reported so it can be told apart from record()'s.
            let emptyStart = MonotonicClock.nowNanoseconds()
            timer[index] = MonotonicClock.nowNanoseconds() &- emptyStart
            let before = MonotonicClock.nowNanoseconds()
            recorder.record(sample)
            durations[index] = MonotonicClock.nowNanoseconds() &- before
        }
        let end = MonotonicClock.nowNanoseconds()
        recorder.episodeEnded(episode: episode, outcome: .success, at: end)
        let report: RecorderReport
        defer { scratch = nil }
        do {
            report = try recorder.close()
            try output?.commit()
        } catch {
            printError("\(error)")
            throw ExitCode(1)
        }
        durations.sort()
        timer.sort()
        let median = durations[ticks / 2], p99 = durations[min(ticks - 1, ticks * 99 / 100)], maximum = durations[ticks - 1]
        let timerMedian = timer[ticks / 2]
        let elapsed = Double(end &- start) / 1e9
        let bytesPerSecond = Double(report.fileBytes) / max(elapsed, 1e-9)
        if json {
            print("{\"rate_hz\":\(rate),\"seconds\":\(fixed(elapsed, 3)),\"ticks\":\(report.ticks),\"record_median_ns\":\(median),"
                  + "\"record_p99_ns\":\(p99),\"record_max_ns\":\(maximum),\"timer_median_ns\":\(timerMedian),\"dropped\":\(report.droppedRecords),"
                  + "\"bytes_per_second\":\(Int(bytesPerSecond)),\"file_bytes\":\(report.fileBytes)}")
        } else {
            print("record() on the producing thread: median \(median) ns, p99 \(p99) ns, max \(maximum) ns (timer overhead median \(timerMedian) ns, included)")
            print("\(report.ticks) ticks written in \(fixed(elapsed, 2)) s, \(report.droppedRecords) records dropped")
            print("\(formattedBytes(Int(bytesPerSecond)))/s, file \(formattedBytes(report.fileBytes))\(out == nil ? " (removed)" : "")")
        }
    }

    /// The shipped sim-arm's shape, written to a scratch folder so the recorder can attach it.
    static func builtInArm(in scratch: ScratchFolder) throws -> RobotDescription {
        let joints = ["shoulder_pan", "shoulder_lift", "elbow_flex", "wrist_flex", "wrist_roll", "gripper"]
        let description = """
            # Built-in arm of `reins bench record`: the shape of Robots/sim-arm.yaml.
            name: bench-arm
            kind: arm
            driver: dynamixel
            link: sim
            control_rate_hz: 1000
            calibration: bench-arm-calibration.yaml
            joints:
            \(joints.map { "  - {name: \($0), model: xl430-w250, position: [-1.9, 1.9], velocity: 3.0, acceleration: 15.0}" }.joined(separator: "\n"))
            observation: [joint_position, joint_velocity, target]
            action: joint_position
            safety: {watchdog_timeout_ms: 50, max_change_per_tick: 0.05, safe_stop: hold_then_torque_off, hold_seconds: 0.5}
            monitor: {sensor_noise_bound: 0.01, action_tolerance: 0.1, response: slow}

            """
        let calibration = "kind: arm\njoints:\n" + joints.enumerated().map {
            "  \($0.element): {id: \($0.offset + 1), homing_offset: 0, direction: 1, range: [0, 4095]}"
        }.joined(separator: "\n") + "\n"
        let path = scratch.path + "/bench-arm.yaml"
        do {
            try FileBytes.write(Array(description.utf8), to: path)
            try FileBytes.write(Array(calibration.utf8), to: scratch.path + "/bench-arm-calibration.yaml")
        } catch {
            printError(error.description)
            throw ExitCode(1)
        }
        return try PolicyCommand.loadRobot(path)
    }
}

/// A folder under /tmp removed with everything in it when released.
final class ScratchFolder {
    let path: String

    init() throws {
        var template = Array("/tmp/reins-bench-XXXXXX".utf8CString)
        guard template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) != nil else {
            printError(SystemError("create a folder in", path: "/tmp").description)
            throw ExitCode(1)
        }
        path = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    deinit {
        guard let folder = opendir(path) else { return }
        while let entry = readdir(folder) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            if name != "." && name != ".." { unlink(path + "/" + name) }
        }
        closedir(folder)
        rmdir(path)
    }
}
