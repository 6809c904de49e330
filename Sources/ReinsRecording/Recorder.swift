import ReinsConfig
import ReinsCore
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

public struct RecorderError: Error, CustomStringConvertible {
    public var description: String
}

/// What a closed recording holds and what it lost.
public struct RecorderReport: Sendable {
    public var ticks: Int
    public var episodeRecords: Int
    public var events: Int
    /// Records the loop could not queue because the ring was full.
    public var droppedRecords: Int
    /// Ticks whose buffers were longer than the robot's and were cut to its lengths.
    public var truncatedSamples: Int
    public var fileBytes: Int
}

/// Records a run to an MCAP file: the control loop hands it ticks, episode boundaries and events;
/// a writer thread of its own turns them into JSON messages and writes them.
///
/// The loop side (`record`, `episodeStarted`, `episodeEnded`, `event`) copies into a preallocated
/// lock-free ring: no heap allocation, no lock, no system call. When the ring is full (the writer is
/// more than `ringSlots` records behind, 2 s at the control rate by default) the record is dropped,
/// counted, and the call returns false; the loop is never delayed. Call these from one thread only
/// (the ring has a single producer); after `close()` they refuse (and count) everything.
///
/// The writer thread wakes every 5 ms, drains the ring into the open MCAP chunk and closes the chunk
/// with one `write(2)` once it is 40 ms old, so a process killed at any moment leaves a file that
/// sequential readers read up to about the last 50 ms. `close()` drains the rest and writes the
/// summary and footer; `reins record repair` completes a file whose process died before that.
public final class Recorder: @unchecked Sendable {
    public let path: String
    public let stateNames: [String]
    public let observationNames: [String]
    public let actionNames: [String]
    /// The clock pair all times are mapped with: log time = wall + (monotonic − monotonic at start);
    /// `t` in the messages is seconds since `startMonotonicNanoseconds`.
    public let startWallNanoseconds: UInt64
    public let startMonotonicNanoseconds: UInt64

    // Plain Ints, so the loop side reads no array (and touches no reference count).
    private let stateCapacity: Int
    private let observationCapacity: Int
    private let actionCapacity: Int
    private let ring: RecordRing
    private let sink: RecordingSink
    private let droppedCount = Atomic<Int>(0)
    private let truncatedCount = Atomic<Int>(0)
    private let stopping = AtomicFlag()
    private var thread: PosixThread?
    private var report: RecorderReport?

    /// Creates the file and writes the header, schemas, channels, metadata (`robot`, `policy`,
    /// `reins`, then the caller's records) and attachments (the robot description, its calibration
    /// and the policy config, read now, as-is), then starts the writer thread.
    /// - Parameters:
    ///   - stateNames: the state layout; by default what the robot's driver reports (`StateLayout.names`).
    ///   - metadata: further metadata records by name (not `robot`, `policy`, `reins`, `recording`).
    ///   - operators: the names of the people who may drive (a device's operator, or a remote
    ///     channel's allow-list): every human tick records its operator's name.
    ///   - ringSlots: records the ring holds; by default 2 s of ticks at the control rate, at least 2048.
    public init(path: String, robot: RobotDescription, stateNames: [String]? = nil, policy: PolicyIdentity? = nil,
                metadata: [String: [String: String]] = [:], operators: [String] = [], commandLine: [String] = CommandLine.arguments,
                ringSlots: Int? = nil) throws(RecorderError) {
        for name in metadata.keys where RecordingFormat.reservedMetadataNames.contains(name) {
            throw RecorderError(description: "metadata record `\(name)` is written by the recorder; name yours differently")
        }
        self.path = path
        self.stateNames = stateNames ?? robot.stateLayout.names
        observationNames = robot.observationNames
        actionNames = robot.actionNames
        stateCapacity = self.stateNames.count
        observationCapacity = observationNames.count
        actionCapacity = actionNames.count
        guard max(stateCapacity, observationCapacity, actionCapacity) <= Int(UInt16.max) else {
            throw RecorderError(description: "a tick buffer of more than \(UInt16.max) entries cannot be recorded")
        }

        var attachments: [(name: String, mediaType: String, path: String)] = [("robot/" + FilePath.lastComponent(robot.sourcePath), "application/yaml", robot.sourcePath)]
        // `reins calibrate` runs before a calibration exists; any other run has one.
        if FileBytes.exists(robot.calibrationPath) {
            attachments.append(("calibration/" + FilePath.lastComponent(robot.calibrationPath), "application/yaml", robot.calibrationPath))
        }
        if let config = policy?.configPath {
            attachments.append(("policy/" + FilePath.lastComponent(config), config.hasSuffix(".json") ? "application/json" : "application/yaml", config))
        }
        var files: [(name: String, mediaType: String, data: [UInt8], modified: UInt64)] = []
        for attachment in attachments {
            do {
                files.append((attachment.name, attachment.mediaType, try FileBytes.read(attachment.path), Self.modificationTime(attachment.path)))
            } catch {
                throw RecorderError(description: "cannot attach to the recording: \(error)")
            }
        }

        startMonotonicNanoseconds = MonotonicClock.nowNanoseconds()
        startWallNanoseconds = WallClock.nowNanoseconds()
        let slots = ringSlots ?? max(2048, Int(2 * robot.controlRateHz))
        ring = RecordRing(slots: slots, doublesPerSlot: self.stateNames.count + observationNames.count + 3 * actionNames.count)

        let writer: MCAPWriter
        do {
            writer = try MCAPWriter(path: path, library: RecordingFormat.library)
        } catch {
            throw RecorderError(description: error.description)
        }
        let names = ["state_names": JSONText.array(self.stateNames), "observation_names": JSONText.array(observationNames),
                     "action_names": JSONText.array(actionNames)]
        var robotEntries = names
        robotEntries["name"] = robot.name
        robotEntries["kind"] = robot.kind.rawValue
        robotEntries["driver"] = robot.driver.rawValue
        robotEntries["link"] = robot.link.description
        robotEntries["control_rate_hz"] = robot.controlRateHz.description
        robotEntries["action"] = robot.action.rawValue
        robotEntries["description_file"] = robot.sourcePath
        robotEntries["calibration_file"] = robot.calibrationPath
        let reinsEntries = [
            "version": RecordingFormat.reinsVersion,
            "recording_format": String(RecordingFormat.version),
            "command_line": JSONText.array(commandLine),
            "start_wall_time_ns": String(startWallNanoseconds),
            "start_monotonic_ns": String(startMonotonicNanoseconds),
        ]
        sink = RecordingSink(writer: writer, channelMetadata: names, operators: operators, startWall: startWallNanoseconds, startMonotonic: startMonotonicNanoseconds)
        writer.addMetadata(name: "robot", robotEntries)
        if let policy { writer.addMetadata(name: "policy", policy.metadata) }
        writer.addMetadata(name: "reins", reinsEntries)
        for name in metadata.keys.sorted() { writer.addMetadata(name: name, metadata[name]!) }
        for file in files {
            writer.addAttachment(name: file.name, mediaType: file.mediaType, logTime: startWallNanoseconds, createTime: file.modified, data: file.data)
        }
        do {
            try writer.flush()
        } catch {
            throw RecorderError(description: error.description)
        }
        thread = PosixThread { [ring, sink, stopping] in
            sink.run(ring: ring, stopping: stopping)
        }
    }

    deinit {
        _ = try? close()
    }

    // MARK: Loop side: no allocation, no lock, no system call

    /// Queues a tick. Buffers longer than the robot's layout are cut to it (and counted).
    /// Returns false, and counts a drop, when the ring is full.
    @discardableResult
    public func record(_ sample: TickSample) -> Bool {
        guard !stopping.isSet, let slot = ring.reserve() else {
            droppedCount.wrappingAdd(1, ordering: .relaxed)
            return false
        }
        var header = SlotHeader()
        header.kind = SlotKind.tick.rawValue
        header.tick = sample.tick
        header.monotonicNanoseconds = sample.monotonicNanoseconds
        header.episode = sample.episode
        header.source = sample.source.rawValue
        header.segment = sample.segment.rawValue
        header.operatorIndex = sample.operatorIndex
        header.flags = (sample.freshState ? 1 : 0) | (sample.takeoverRequested ? 2 : 0)
        header.sensitivity = sample.sensitivity
        header.innovationEntry = sample.innovationEntry
        header.innovationJump = sample.innovationJump
        header.confidence = sample.confidence
        header.entropy = sample.entropy
        header.rule = sample.rule
        header.response = sample.response.rawValue
        header.clamps = sample.clamps
        header.periodErrorNanoseconds = sample.periodErrorNanoseconds
        header.previousTickNanoseconds = sample.previousTickNanoseconds
        header.stateAgeNanoseconds = sample.stateAgeNanoseconds
        var offset = SlotHeader.bytes
        var truncated = false
        header.stateCount = Self.copy(sample.state, limit: stateCapacity, into: slot, at: &offset, truncated: &truncated)
        header.observationCount = Self.copy(sample.observation, limit: observationCapacity, into: slot, at: &offset, truncated: &truncated)
        header.proposedCount = Self.copy(sample.proposed, limit: actionCapacity, into: slot, at: &offset, truncated: &truncated)
        header.correctedCount = Self.copy(sample.corrected, limit: actionCapacity, into: slot, at: &offset, truncated: &truncated)
        header.appliedCount = Self.copy(sample.applied, limit: actionCapacity, into: slot, at: &offset, truncated: &truncated)
        if truncated { truncatedCount.wrappingAdd(1, ordering: .relaxed) }
        slot.storeBytes(of: header, as: SlotHeader.self)
        ring.publish()
        return true
    }

    @discardableResult
    public func episodeStarted(episode: UInt32, at monotonicNanoseconds: UInt64) -> Bool {
        var header = SlotHeader()
        header.kind = SlotKind.episodeStart.rawValue
        header.episode = episode
        header.monotonicNanoseconds = monotonicNanoseconds
        return push(header)
    }

    @discardableResult
    public func episodeEnded(episode: UInt32, outcome: EpisodeOutcome, at monotonicNanoseconds: UInt64) -> Bool {
        var header = SlotHeader()
        header.kind = SlotKind.episodeEnd.rawValue
        header.episode = episode
        header.detail = outcome.rawValue
        header.monotonicNanoseconds = monotonicNanoseconds
        return push(header)
    }

    /// Queues a fault, takeover request, safe stop, overrun or mark (see `RunEventKind` for what
    /// `code` and `value` mean for each).
    @discardableResult
    public func event(_ kind: RunEventKind, code: Int64 = 0, value: Double = .nan, at monotonicNanoseconds: UInt64) -> Bool {
        var header = SlotHeader()
        header.kind = SlotKind.event.rawValue
        header.detail = kind.rawValue
        header.code = code
        header.value = value
        header.monotonicNanoseconds = monotonicNanoseconds
        return push(header)
    }

    @inline(__always)
    private func push(_ header: SlotHeader) -> Bool {
        guard !stopping.isSet, let slot = ring.reserve() else {
            droppedCount.wrappingAdd(1, ordering: .relaxed)
            return false
        }
        slot.storeBytes(of: header, as: SlotHeader.self)
        ring.publish()
        return true
    }

    @inline(__always)
    private static func copy(_ buffer: UnsafeBufferPointer<Double>, limit: Int, into slot: UnsafeMutableRawPointer,
                             at offset: inout Int, truncated: inout Bool) -> UInt16 {
        var count = buffer.count
        if count > limit {
            count = limit
            truncated = true
        }
        if count > 0, let base = buffer.baseAddress {
            (slot + offset).copyMemory(from: base, byteCount: count &* 8)
        }
        offset &+= count &* 8
        return UInt16(truncatingIfNeeded: count)
    }

    // MARK: Any thread

    /// Records dropped because the ring was full.
    public var droppedRecords: Int { droppedCount.load(ordering: .relaxed) }

    /// Ticks whose buffers were cut to the robot's layout.
    public var truncatedSamples: Int { truncatedCount.load(ordering: .relaxed) }

    /// Stops the writer thread after it has written everything queued, then writes the `recording`
    /// metadata record (counts and drops), the summary and the footer. Later calls return the same report.
    @discardableResult
    public func close() throws(RecorderError) -> RecorderReport {
        if let report { return report }
        stopping.set()
        thread?.join()
        thread = nil
        let report: RecorderReport
        do {
            report = try sink.finish(dropped: droppedRecords, truncated: truncatedSamples)
        } catch {
            throw RecorderError(description: error.description)
        }
        self.report = report
        return report
    }

    private static func modificationTime(_ path: String) -> UInt64 {
        var info = stat()
        guard stat(path, &info) == 0 else { return 0 }
        return UInt64(info.st_mtim.tv_sec) &* 1_000_000_000 &+ UInt64(info.st_mtim.tv_nsec)
    }
}
