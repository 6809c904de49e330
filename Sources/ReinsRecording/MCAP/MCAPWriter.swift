import ReinsCore

#if canImport(Glibc)
import Glibc
#endif

/// Writes an MCAP file: Header, Schemas and Channels, Metadata and Attachments in the data section,
/// messages in small uncompressed chunks each followed by its MessageIndex records, then at
/// `finish()` DataEnd, the summary (Schemas, Channels, Statistics, ChunkIndex, AttachmentIndex,
/// MetadataIndex), SummaryOffsets, Footer and the closing magic.
///
/// Nothing reaches the file until `flush()`, which hands every completed record to one `write(2)`.
/// Messages accumulate in the open chunk until `closeChunk()`; the caller decides the cadence (the
/// recorder closes a chunk at least every 40 ms), so a process killed at any instant leaves a file
/// whose complete records a sequential reader can use, losing at most the open chunk.
public final class MCAPWriter {
    public let path: String
    private var fd: Int32
    /// Completed records not yet handed to the kernel.
    private var pending = MCAPEncoder(reservingCapacity: 1 << 18)
    /// Bytes already written, i.e. the file offset of `pending`'s first byte.
    private var written = 0
    private var dataCRC = CRC32()

    private var schemas: [(id: UInt16, name: String, encoding: String, data: [UInt8])] = []
    private var channels: [(id: UInt16, schemaID: UInt16, topic: String, messageEncoding: String, metadata: [String: String])] = []
    private var sequences: [UInt16: UInt32] = [:]

    // The open chunk: its records, their log-time range and the per-channel message index.
    private var chunk = MCAPEncoder(reservingCapacity: 1 << 17)
    private var chunkStart: UInt64 = .max
    private var chunkEnd: UInt64 = 0
    private var chunkIndex: [UInt16: [(logTime: UInt64, offset: UInt64)]] = [:]
    private var chunkMessages = 0

    private var chunkIndexes = MCAPEncoder()
    private var attachmentIndexes = MCAPEncoder()
    private var metadataIndexes = MCAPEncoder()
    private var messageCount: UInt64 = 0
    private var chunkCount: UInt32 = 0
    private var attachmentCount: UInt32 = 0
    private var metadataCount: UInt32 = 0
    private var messageStart: UInt64 = .max
    private var messageEnd: UInt64 = 0
    private var channelMessageCounts: [UInt16: UInt64] = [:]
    private var finished = false

    /// Creates (or truncates) `path` and writes the magic and the Header record.
    /// - Parameter profile: "" — Reins messages are JSON with JSON Schema, which no well-known
    ///   MCAP profile (ros1, ros2, …) describes.
    public init(path: String, profile: String = "", library: String) throws(SystemError) {
        self.path = path
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw SystemError("create", path: path) }
        pending.append(contentsOf: MCAP.magic)
        pending.record(.header) {
            $0.string(profile)
            $0.string(library)
        }
    }

    deinit {
        if fd >= 0 { Glibc.close(fd) }
    }

    /// Bytes in the file so far plus those waiting for `flush()`.
    public var size: Int { written + pending.count + chunk.count }

    /// Messages in the open chunk.
    public var openChunkMessages: Int { chunkMessages }

    /// Registers a schema and writes its record. `id` 0 picks the next free id.
    @discardableResult
    public func addSchema(id: UInt16 = 0, name: String, encoding: String, data: [UInt8]) -> UInt16 {
        let id = id != 0 ? id : (schemas.map(\.id).max() ?? 0) + 1
        schemas.append((id, name, encoding, data))
        closeChunk()
        pending.record(.schema) { Self.encodeSchema(&$0, id: id, name: name, encoding: encoding, data: data) }
        return id
    }

    /// Registers a channel and writes its record. `id` nil picks the next free id.
    @discardableResult
    public func addChannel(id: UInt16? = nil, topic: String, messageEncoding: String, schemaID: UInt16, metadata: [String: String] = [:]) -> UInt16 {
        let id = id ?? (channels.map(\.id).max() ?? 0) + 1
        channels.append((id, schemaID, topic, messageEncoding, metadata))
        closeChunk()
        pending.record(.channel) { Self.encodeChannel(&$0, id: id, schemaID: schemaID, topic: topic, messageEncoding: messageEncoding, metadata: metadata) }
        return id
    }

    /// Adds a message to the open chunk. The sequence number counts per channel from 0.
    public func addMessage(channel: UInt16, logTime: UInt64, publishTime: UInt64, data: UnsafeRawBufferPointer) {
        let sequence = sequences[channel, default: 0]
        sequences[channel] = sequence &+ 1
        chunkIndex[channel, default: []].append((logTime, UInt64(chunk.count)))
        chunk.record(.message) {
            $0.u16(channel)
            $0.u32(sequence)
            $0.u64(logTime)
            $0.u64(publishTime)
            $0.bytes.append(contentsOf: data)
        }
        chunkMessages += 1
        chunkStart = min(chunkStart, logTime)
        chunkEnd = max(chunkEnd, logTime)
        messageStart = min(messageStart, logTime)
        messageEnd = max(messageEnd, logTime)
        messageCount += 1
        channelMessageCounts[channel, default: 0] += 1
    }

    public func addMessage(channel: UInt16, logTime: UInt64, publishTime: UInt64, data: [UInt8]) {
        data.withUnsafeBytes { addMessage(channel: channel, logTime: logTime, publishTime: publishTime, data: $0) }
    }

    /// Writes a Metadata record (outside chunks, as the spec requires: the open chunk is closed first).
    public func addMetadata(name: String, _ entries: [String: String]) {
        closeChunk()
        let offset = UInt64(written + pending.count)
        pending.record(.metadata) {
            $0.string(name)
            $0.map(entries)
        }
        let length = UInt64(written + pending.count) - offset
        metadataIndexes.record(.metadataIndex) {
            $0.u64(offset)
            $0.u64(length)
            $0.string(name)
        }
        metadataCount += 1
    }

    /// Writes an Attachment record (a file stored as-is, with its own CRC).
    public func addAttachment(name: String, mediaType: String, logTime: UInt64, createTime: UInt64, data: [UInt8]) {
        closeChunk()
        let offset = written + pending.count
        pending.record(.attachment) {
            let contentStart = $0.count
            $0.u64(logTime)
            $0.u64(createTime)
            $0.string(name)
            $0.string(mediaType)
            $0.u64(UInt64(data.count))
            $0.append(contentsOf: data)
            $0.u32(CRC32.checksum($0.bytes[contentStart...]))
        }
        let length = written + pending.count - offset
        attachmentIndexes.record(.attachmentIndex) {
            $0.u64(UInt64(offset))
            $0.u64(UInt64(length))
            $0.u64(logTime)
            $0.u64(createTime)
            $0.u64(UInt64(data.count))
            $0.string(name)
            $0.string(mediaType)
        }
        attachmentCount += 1
    }

    /// Moves the open chunk, followed by its MessageIndex records, into the bytes `flush()` writes.
    public func closeChunk() {
        guard chunkMessages > 0 else { return }
        let chunkOffset = UInt64(written + pending.count)
        let crc = CRC32.checksum(chunk.bytes)
        pending.record(.chunk) {
            $0.u64(chunkStart)
            $0.u64(chunkEnd)
            $0.u64(UInt64(chunk.count))
            $0.u32(crc)
            $0.string("")
            $0.u64(UInt64(chunk.count))
            $0.append(contentsOf: chunk.bytes)
        }
        let chunkLength = UInt64(written + pending.count) - chunkOffset
        let indexStart = UInt64(written + pending.count)
        var indexOffsets: [(UInt16, UInt64)] = []
        for channel in chunkIndex.keys.sorted() {
            indexOffsets.append((channel, UInt64(written + pending.count)))
            // Sorted by log time (stable), as readers that bisect the index expect.
            let entries = chunkIndex[channel]!.enumerated().sorted {
                ($0.element.logTime, $0.offset) < ($1.element.logTime, $1.offset)
            }
            pending.record(.messageIndex) {
                $0.u16(channel)
                $0.u32(UInt32(entries.count * 16))
                for entry in entries {
                    $0.u64(entry.element.logTime)
                    $0.u64(entry.element.offset)
                }
            }
        }
        let indexLength = UInt64(written + pending.count) - indexStart
        chunkIndexes.record(.chunkIndex) {
            $0.u64(chunkStart)
            $0.u64(chunkEnd)
            $0.u64(chunkOffset)
            $0.u64(chunkLength)
            $0.u32(UInt32(indexOffsets.count * 10))
            for (channel, offset) in indexOffsets {
                $0.u16(channel)
                $0.u64(offset)
            }
            $0.u64(indexLength)
            $0.string("")
            $0.u64(UInt64(chunk.count))
            $0.u64(UInt64(chunk.count))
        }
        chunkCount += 1
        chunk.removeAll()
        chunkIndex.removeAll(keepingCapacity: true)
        chunkMessages = 0
        chunkStart = .max
        chunkEnd = 0
    }

    /// Hands every completed record to the kernel in one `write(2)` (the open chunk stays open).
    public func flush() throws(SystemError) {
        guard pending.count > 0 else { return }
        dataCRC.update(pending.bytes)
        try writeAll(pending.bytes)
        written += pending.count
        pending.removeAll()
    }

    /// Closes the open chunk and writes DataEnd, the summary, the footer and the closing magic,
    /// then closes the file.
    public func finish() throws(SystemError) {
        guard !finished else { return }
        finished = true
        closeChunk()
        try flush()
        pending.record(.dataEnd) { $0.u32(dataCRC.value) }
        let summaryStart = written + pending.count
        var summary = MCAPEncoder()
        var groups: [(MCAPOpcode, Int, Int)] = []
        func group(_ opcode: MCAPOpcode, _ body: (inout MCAPEncoder) -> Void) {
            let start = summary.count
            body(&summary)
            if summary.count > start { groups.append((opcode, summaryStart + start, summary.count - start)) }
        }
        group(.schema) { out in
            for schema in schemas {
                out.record(.schema) { Self.encodeSchema(&$0, id: schema.id, name: schema.name, encoding: schema.encoding, data: schema.data) }
            }
        }
        group(.channel) { out in
            for channel in channels {
                out.record(.channel) {
                    Self.encodeChannel(&$0, id: channel.id, schemaID: channel.schemaID, topic: channel.topic,
                                       messageEncoding: channel.messageEncoding, metadata: channel.metadata)
                }
            }
        }
        group(.statistics) { out in
            out.record(.statistics) {
                $0.u64(messageCount)
                $0.u16(UInt16(clamping: schemas.count))
                $0.u32(UInt32(clamping: channels.count))
                $0.u32(attachmentCount)
                $0.u32(metadataCount)
                $0.u32(chunkCount)
                $0.u64(messageCount == 0 ? 0 : messageStart)
                $0.u64(messageCount == 0 ? 0 : messageEnd)
                $0.u32(UInt32(channelMessageCounts.count * 10))
                for channel in channelMessageCounts.keys.sorted() {
                    $0.u16(channel)
                    $0.u64(channelMessageCounts[channel]!)
                }
            }
        }
        group(.chunkIndex) { $0.append(contentsOf: chunkIndexes.bytes) }
        group(.attachmentIndex) { $0.append(contentsOf: attachmentIndexes.bytes) }
        group(.metadataIndex) { $0.append(contentsOf: metadataIndexes.bytes) }
        let summaryOffsetStart = summaryStart + summary.count
        for (opcode, start, length) in groups {
            summary.record(.summaryOffset) {
                $0.u8(opcode.rawValue)
                $0.u64(UInt64(start))
                $0.u64(UInt64(length))
            }
        }
        // The summary CRC covers the summary through the footer's summary_offset_start field.
        summary.u8(MCAPOpcode.footer.rawValue)
        summary.u64(20)
        summary.u64(UInt64(summaryStart))
        summary.u64(UInt64(summaryOffsetStart))
        summary.u32(CRC32.checksum(summary.bytes))
        pending.append(contentsOf: summary.bytes)
        pending.append(contentsOf: MCAP.magic)
        try writeAll(pending.bytes)
        written += pending.count
        pending.removeAll()
        Glibc.close(fd)
        fd = -1
    }

    private func writeAll(_ bytes: [UInt8]) throws(SystemError) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                throw SystemError("write", path: path)
            }
            offset += n
        }
    }

    private static func encodeSchema(_ out: inout MCAPEncoder, id: UInt16, name: String, encoding: String, data: [UInt8]) {
        out.u16(id)
        out.string(name)
        out.string(encoding)
        out.u32(UInt32(data.count))
        out.append(contentsOf: data)
    }

    private static func encodeChannel(_ out: inout MCAPEncoder, id: UInt16, schemaID: UInt16, topic: String,
                                      messageEncoding: String, metadata: [String: String]) {
        out.u16(id)
        out.u16(schemaID)
        out.string(topic)
        out.string(messageEncoding)
        out.map(metadata)
    }
}
