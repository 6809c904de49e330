import ReinsCore

#if canImport(Glibc)
import Glibc
#endif

/// Rewrites an MCAP file that ends early (a process killed before `Recorder.close()`, a cut copy)
/// into a complete one: everything up to the last whole record, including the whole messages of a
/// chunk cut short, in the original order and chunking, with a fresh summary and footer.
public enum RecordingRepair {
    public struct Report: Sendable {
        public var messages: Int
        public var metadata: Int
        public var attachments: Int
        /// Messages kept from a chunk whose end was missing.
        public var messagesFromCutChunk: Int
        /// Messages on channels whose Channel record was lost (they cannot be written back).
        public var orphanedMessages: Int
        public var recoveredBytes: Int
        public var inputBytes: Int
        public var outputBytes: Int
        /// Why the input ended early, as the reader saw it (nil: it was already complete).
        public var problem: String?
    }

    public enum Failure: Error, CustomStringConvertible {
        case notMCAP(MCAPReadError)
        case nothingToRecover(path: String, reason: String)
        case cannotWrite(SystemError)

        public var description: String {
            switch self {
            case .notMCAP(let error): return error.description
            case .nothingToRecover(let path, let reason): return "\(path): nothing to recover: \(reason)"
            case .cannotWrite(let error): return error.description
            }
        }
    }

    /// Reads `input` and writes the repaired file to `output` (through a temporary file and a
    /// rename, so `output` may be `input` and is never left half-written).
    public static func repair(_ input: String, to output: String) throws(Failure) -> Report {
        let contents: MCAPContents
        do {
            contents = try MCAPReader.read(path: input)
        } catch {
            throw .notMCAP(error)
        }
        guard contents.hasHeader else {
            throw .nothingToRecover(path: input, reason: "the file ends inside the MCAP header (\(contents.fileSize) bytes)")
        }
        let temporary = output + ".tmp-\(getpid())"
        var orphaned = 0
        let size: Int
        do throws(SystemError) {
            let writer = try MCAPWriter(path: temporary, profile: contents.profile, library: contents.library)
            for schema in contents.schemas {
                writer.addSchema(id: schema.id, name: schema.name, encoding: schema.encoding, data: schema.data)
            }
            let channels = Set(contents.channels.map(\.id))
            for channel in contents.channels {
                writer.addChannel(id: channel.id, topic: channel.topic, messageEncoding: channel.messageEncoding,
                                  schemaID: channel.schemaID, metadata: channel.metadata)
            }
            var metadata = contents.metadata[...], attachments = contents.attachments[...]
            func writeRecords(before messageIndex: Int) {
                while let record = metadata.first, record.precedingMessages <= messageIndex {
                    writer.addMetadata(name: record.name, record.entries)
                    metadata.removeFirst()
                }
                while let record = attachments.first, record.precedingMessages <= messageIndex {
                    writer.addAttachment(name: record.name, mediaType: record.mediaType, logTime: record.logTime,
                                         createTime: record.createTime, data: record.data)
                    attachments.removeFirst()
                }
            }
            var chunk = Int.min
            for (index, message) in contents.messages.enumerated() {
                writeRecords(before: index)
                guard channels.contains(message.channel) else {
                    orphaned += 1
                    continue
                }
                if message.chunk != chunk {
                    writer.closeChunk()
                    chunk = message.chunk
                }
                message.data.withUnsafeBytes {
                    writer.addMessage(channel: message.channel, logTime: message.logTime, publishTime: message.publishTime, data: $0)
                }
                // Messages outside chunks in the input go into chunks of their own time span.
                if message.chunk < 0, writer.openChunkMessages >= 1000 { writer.closeChunk() }
            }
            writeRecords(before: Int.max)
            try writer.finish()
            size = writer.size
            guard rename(temporary, output) == 0 else { throw SystemError("rename to", path: output) }
        } catch {
            unlink(temporary)
            throw .cannotWrite(error)
        }
        return Report(
            messages: contents.messages.count - orphaned, metadata: contents.metadata.count, attachments: contents.attachments.count,
            messagesFromCutChunk: contents.messagesFromCutChunk, orphanedMessages: orphaned, recoveredBytes: contents.recoveredBytes,
            inputBytes: contents.fileSize, outputBytes: size, problem: contents.isComplete ? nil : contents.problem)
    }
}
