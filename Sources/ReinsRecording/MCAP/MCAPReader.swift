import ReinsCore

public struct MCAPSchemaRecord: Sendable, Equatable {
    public var id: UInt16
    public var name: String
    public var encoding: String
    public var data: [UInt8]
}

public struct MCAPChannelRecord: Sendable, Equatable {
    public var id: UInt16
    public var schemaID: UInt16
    public var topic: String
    public var messageEncoding: String
    public var metadata: [String: String]
}

public struct MCAPMessageRecord: Sendable {
    public var channel: UInt16
    public var sequence: UInt32
    public var logTime: UInt64
    public var publishTime: UInt64
    public var data: ArraySlice<UInt8>
    /// Which chunk (counted from 0 in file order) held the message; -1 outside chunks.
    public var chunk: Int
}

public struct MCAPMetadataRecord: Sendable, Equatable {
    public var name: String
    public var entries: [String: String]
    /// Messages before this record in the file, so a rewrite can keep the order.
    public var precedingMessages: Int
}

public struct MCAPAttachmentRecord: Sendable, Equatable {
    public var name: String
    public var mediaType: String
    public var logTime: UInt64
    public var createTime: UInt64
    public var data: [UInt8]
    public var precedingMessages: Int
}

/// Everything an MCAP file holds, as far as it could be read.
public struct MCAPContents: Sendable {
    /// A whole Header record was read (profile and library are from it).
    public var hasHeader = false
    public var profile = ""
    public var library = ""
    public var schemas: [MCAPSchemaRecord] = []
    public var channels: [MCAPChannelRecord] = []
    public var messages: [MCAPMessageRecord] = []
    public var metadata: [MCAPMetadataRecord] = []
    public var attachments: [MCAPAttachmentRecord] = []
    /// The file ends with a footer and the closing magic.
    public var isComplete = false
    /// Read through the summary's indexes (otherwise record by record from the start).
    public var readViaSummary = false
    public var fileSize = 0
    /// End of the last record (or, in a chunk cut short, of the last message) that was read whole.
    public var recoveredBytes = 0
    /// Why reading stopped before a footer: a record cut short, or bytes that are not MCAP.
    public var problem: String?
    /// Messages taken from a chunk whose end is missing (a sequential reader that reads whole
    /// chunks, like Python's mcap, drops them).
    public var messagesFromCutChunk = 0
}

public enum MCAPReadError: Error, CustomStringConvertible {
    case unreadable(SystemError)
    case notMCAP(path: String, reason: String)

    public var description: String {
        switch self {
        case .unreadable(let error): return error.description
        case .notMCAP(let path, let reason): return "\(path) is not an MCAP file: \(reason)"
        }
    }
}

/// Reads MCAP files: complete ones through the summary (chunk, metadata and attachment indexes),
/// anything else record by record from the start up to the last record that is whole. Truncated,
/// cut or corrupt input ends the read with `problem` set; it never traps.
public enum MCAPReader {
    public static func read(path: String) throws(MCAPReadError) -> MCAPContents {
        let bytes: [UInt8]
        do {
            bytes = try FileBytes.read(path)
        } catch {
            throw .unreadable(error)
        }
        return try read(bytes, name: path)
    }

    public static func read(_ bytes: [UInt8], name: String = "input") throws(MCAPReadError) -> MCAPContents {
        guard bytes.count >= MCAP.magic.count else {
            throw .notMCAP(path: name, reason: "\(bytes.count) bytes, shorter than the 8-byte MCAP magic")
        }
        guard Array(bytes[0..<8]) == MCAP.magic else {
            let found = bytes[0..<8].map { String($0, radix: 16, uppercase: true) }.joined(separator: " ")
            throw .notMCAP(path: name, reason: "it starts with \(found), not the MCAP magic 89 4D 43 41 50 30 0D 0A")
        }
        if let contents = try? readViaSummary(bytes) { return contents }
        return readSequentially(bytes)
    }

    // MARK: Complete files

    private struct Summary {
        var schemas: [MCAPSchemaRecord] = []
        var channels: [MCAPChannelRecord] = []
        var chunks: [(offset: Int, length: Int)] = []
        var metadata: [(offset: Int, length: Int)] = []
        var attachments: [(offset: Int, length: Int)] = []
    }

    private static func readViaSummary(_ bytes: [UInt8]) throws(MCAPFormatError) -> MCAPContents {
        let footerStart = bytes.count - MCAP.footerAndMagicBytes
        guard footerStart >= MCAP.magic.count, Array(bytes[(bytes.count - 8)...]) == MCAP.magic else {
            throw MCAPFormatError(offset: bytes.count, problem: "no closing magic")
        }
        var footer = MCAPDecoder(bytes, from: footerStart, to: bytes.count - 8)
        guard try footer.u8() == MCAPOpcode.footer.rawValue, try footer.u64() == 20 else {
            throw MCAPFormatError(offset: footerStart, problem: "no footer")
        }
        let summaryStart = try footer.u64(), summaryOffsetStart = try footer.u64(), summaryCRC = try footer.u32()
        guard summaryStart > 8, summaryStart < UInt64(footerStart), summaryOffsetStart <= UInt64(footerStart) else {
            throw MCAPFormatError(offset: footerStart, problem: "no summary")
        }
        let start = Int(summaryStart)
        if summaryCRC != 0, CRC32.checksum(bytes[start..<(footerStart + MCAP.recordPrefixBytes + 16)]) != summaryCRC {
            throw MCAPFormatError(offset: start, problem: "summary CRC mismatch")
        }
        let summaryEnd = summaryOffsetStart > summaryStart ? Int(summaryOffsetStart) : footerStart
        var summary = Summary()
        var decoder = MCAPDecoder(bytes, from: start, to: summaryEnd)
        while !decoder.isAtEnd {
            let (opcode, content) = try record(&decoder)
            var body = MCAPDecoder(bytes, from: content.lowerBound, to: content.upperBound)
            switch MCAPOpcode(rawValue: opcode) {
            case .schema: summary.schemas.append(try schema(&body))
            case .channel: summary.channels.append(try channel(&body))
            case .chunkIndex:
                _ = try body.u64(); _ = try body.u64()
                summary.chunks.append((try index(body.u64(), bytes.count), try index(body.u64(), bytes.count)))
            case .metadataIndex:
                summary.metadata.append((try index(body.u64(), bytes.count), try index(body.u64(), bytes.count)))
            case .attachmentIndex:
                summary.attachments.append((try index(body.u64(), bytes.count), try index(body.u64(), bytes.count)))
            default: break
            }
        }

        var contents = MCAPContents()
        var header = MCAPDecoder(bytes, from: 8, to: start)
        let (opcode, content) = try record(&header)
        guard opcode == MCAPOpcode.header.rawValue else { throw MCAPFormatError(offset: 8, problem: "no header") }
        var body = MCAPDecoder(bytes, from: content.lowerBound, to: content.upperBound)
        contents.profile = try body.string()
        contents.library = try body.string()
        contents.hasHeader = true
        contents.schemas = summary.schemas
        contents.channels = summary.channels

        var messageCountBefore: [(offset: Int, messages: Int)] = []
        for (number, chunk) in summary.chunks.sorted(by: { $0.offset < $1.offset }).enumerated() {
            messageCountBefore.append((chunk.offset, contents.messages.count))
            let (opcode, content) = try record(at: chunk.offset, length: chunk.length, in: bytes)
            guard opcode == MCAPOpcode.chunk.rawValue else { throw MCAPFormatError(offset: chunk.offset, problem: "chunk index points elsewhere") }
            var chunkBody = MCAPDecoder(bytes, from: content.lowerBound, to: content.upperBound)
            try readChunk(&chunkBody, number: number, into: &contents, partial: false)
        }
        let total = contents.messages.count
        func preceding(_ offset: Int) -> Int {
            messageCountBefore.first { $0.offset > offset }?.messages ?? total
        }
        for entry in summary.metadata.sorted(by: { $0.offset < $1.offset }) {
            let (opcode, content) = try record(at: entry.offset, length: entry.length, in: bytes)
            guard opcode == MCAPOpcode.metadata.rawValue else { throw MCAPFormatError(offset: entry.offset, problem: "metadata index points elsewhere") }
            var body = MCAPDecoder(bytes, from: content.lowerBound, to: content.upperBound)
            contents.metadata.append(try metadata(&body, precedingMessages: preceding(entry.offset)))
        }
        for entry in summary.attachments.sorted(by: { $0.offset < $1.offset }) {
            let (opcode, content) = try record(at: entry.offset, length: entry.length, in: bytes)
            guard opcode == MCAPOpcode.attachment.rawValue else { throw MCAPFormatError(offset: entry.offset, problem: "attachment index points elsewhere") }
            var body = MCAPDecoder(bytes, from: content.lowerBound, to: content.upperBound)
            contents.attachments.append(try attachment(&body, precedingMessages: preceding(entry.offset)))
        }
        contents.isComplete = true
        contents.readViaSummary = true
        contents.fileSize = bytes.count
        contents.recoveredBytes = bytes.count
        return contents
    }

    private static func index(_ value: UInt64, _ limit: Int) throws(MCAPFormatError) -> Int {
        guard value <= UInt64(limit) else { throw MCAPFormatError(offset: 0, problem: "index entry \(value) beyond the file") }
        return Int(value)
    }

    private static func record(at offset: Int, length: Int, in bytes: [UInt8]) throws(MCAPFormatError) -> (UInt8, Range<Int>) {
        guard offset <= bytes.count, length <= bytes.count - offset else {
            throw MCAPFormatError(offset: offset, problem: "indexed record beyond the file")
        }
        var decoder = MCAPDecoder(bytes, from: offset, to: offset + length)
        let result = try record(&decoder)
        guard decoder.isAtEnd else { throw MCAPFormatError(offset: offset, problem: "indexed length disagrees with the record") }
        return result
    }

    // MARK: Record by record

    private static func readSequentially(_ bytes: [UInt8]) -> MCAPContents {
        var contents = MCAPContents()
        contents.fileSize = bytes.count
        var decoder = MCAPDecoder(bytes, from: 8, to: bytes.count)
        var chunkNumber = 0
        var afterDataEnd = false
        var sawHeader = false
        contents.recoveredBytes = 8
        while true {
            let start = decoder.position
            if decoder.isAtEnd {
                contents.problem = "the file ends after byte \(start) without a footer"
                break
            }
            let opcode: UInt8, content: Range<Int>
            do {
                (opcode, content) = try record(&decoder)
            } catch {
                // Cut inside this record. A chunk cut short still holds whole messages: keep them.
                var partial = MCAPDecoder(bytes, from: start, to: bytes.count)
                if (try? partial.u8()) == MCAPOpcode.chunk.rawValue, (try? partial.u64()) != nil {
                    let before = contents.messages.count
                    try? readChunk(&partial, number: chunkNumber, into: &contents, partial: true)
                    contents.messagesFromCutChunk = contents.messages.count - before
                    if contents.messagesFromCutChunk > 0 { contents.recoveredBytes = partial.position }
                }
                contents.problem = "cut short at byte \(start): \(error.problem)"
                break
            }
            var body = MCAPDecoder(bytes, from: content.lowerBound, to: content.upperBound)
            do throws(MCAPFormatError) {
                guard sawHeader || opcode == MCAPOpcode.header.rawValue else {
                    throw MCAPFormatError(offset: start, problem: "the first record is not a Header (opcode \(opcode))")
                }
                switch MCAPOpcode(rawValue: opcode) {
                case .header:
                    guard !sawHeader else { throw MCAPFormatError(offset: start, problem: "a second Header") }
                    contents.profile = try body.string()
                    contents.library = try body.string()
                    contents.hasHeader = true
                    sawHeader = true
                case .schema where !afterDataEnd:
                    let schema = try schema(&body)
                    if !contents.schemas.contains(where: { $0.id == schema.id }) { contents.schemas.append(schema) }
                case .channel where !afterDataEnd:
                    let channel = try channel(&body)
                    if !contents.channels.contains(where: { $0.id == channel.id }) { contents.channels.append(channel) }
                case .message where !afterDataEnd:
                    contents.messages.append(try message(&body, chunk: -1))
                case .chunk where !afterDataEnd:
                    try readChunk(&body, number: chunkNumber, into: &contents, partial: false)
                    chunkNumber += 1
                case .metadata where !afterDataEnd:
                    contents.metadata.append(try metadata(&body, precedingMessages: contents.messages.count))
                case .attachment where !afterDataEnd:
                    contents.attachments.append(try attachment(&body, precedingMessages: contents.messages.count))
                case .dataEnd:
                    afterDataEnd = true
                case .footer:
                    guard decoder.remaining >= 8 else {
                        contents.recoveredBytes = decoder.position
                        contents.problem = "the closing magic after the footer is missing"
                        return contents
                    }
                    guard Array(bytes[decoder.position..<(decoder.position + 8)]) == MCAP.magic else {
                        throw MCAPFormatError(offset: decoder.position, problem: "the footer is not followed by the closing magic")
                    }
                    contents.isComplete = true
                    contents.recoveredBytes = bytes.count
                    return contents
                case nil where opcode == 0 || (0x10..<0x80).contains(opcode):
                    // 0x80-0xFF are private records a reader skips; anything else is corruption.
                    throw MCAPFormatError(offset: start, problem: "unknown opcode 0x\(String(opcode, radix: 16, uppercase: true))")
                default:
                    break
                }
            } catch {
                contents.problem = "corrupt record at byte \(start): \(error.problem)"
                break
            }
            contents.recoveredBytes = decoder.position
        }
        return contents
    }

    /// Reads one record's prefix and returns its opcode and content range, leaving the decoder
    /// after the record.
    private static func record(_ decoder: inout MCAPDecoder) throws(MCAPFormatError) -> (UInt8, Range<Int>) {
        let opcode = try decoder.u8("record opcode")
        let length = try decoder.length(try decoder.u64("record length"), "record 0x\(String(opcode, radix: 16, uppercase: true))")
        let start = decoder.position
        decoder.skip(to: start + length)
        return (opcode, start..<(start + length))
    }

    private static func schema(_ body: inout MCAPDecoder) throws(MCAPFormatError) -> MCAPSchemaRecord {
        let id = try body.u16()
        let name = try body.string(), encoding = try body.string()
        let count = try body.length(UInt64(try body.u32()), "schema data")
        return MCAPSchemaRecord(id: id, name: name, encoding: encoding, data: Array(try body.slice(count, "schema data")))
    }

    private static func channel(_ body: inout MCAPDecoder) throws(MCAPFormatError) -> MCAPChannelRecord {
        let id = try body.u16(), schemaID = try body.u16()
        let topic = try body.string(), encoding = try body.string()
        return MCAPChannelRecord(id: id, schemaID: schemaID, topic: topic, messageEncoding: encoding, metadata: try body.map())
    }

    private static func message(_ body: inout MCAPDecoder, chunk: Int) throws(MCAPFormatError) -> MCAPMessageRecord {
        let channel = try body.u16(), sequence = try body.u32(), logTime = try body.u64(), publishTime = try body.u64()
        return MCAPMessageRecord(channel: channel, sequence: sequence, logTime: logTime, publishTime: publishTime,
                                 data: try body.slice(body.remaining, "message data"), chunk: chunk)
    }

    private static func metadata(_ body: inout MCAPDecoder, precedingMessages: Int) throws(MCAPFormatError) -> MCAPMetadataRecord {
        let name = try body.string()
        return MCAPMetadataRecord(name: name, entries: try body.map(), precedingMessages: precedingMessages)
    }

    private static func attachment(_ body: inout MCAPDecoder, precedingMessages: Int) throws(MCAPFormatError) -> MCAPAttachmentRecord {
        let start = body.position
        let logTime = try body.u64(), createTime = try body.u64()
        let name = try body.string(), mediaType = try body.string()
        let count = try body.length(try body.u64(), "attachment data")
        let data = Array(try body.slice(count, "attachment data"))
        let end = body.position
        let crc = try body.u32("attachment CRC")
        if crc != 0, CRC32.checksum(body.bytes[start..<end]) != crc {
            throw MCAPFormatError(offset: start, problem: "attachment `\(name)` fails its CRC")
        }
        return MCAPAttachmentRecord(name: name, mediaType: mediaType, logTime: logTime, createTime: createTime,
                                    data: data, precedingMessages: precedingMessages)
    }

    /// Reads a chunk's records into `contents`, which it changes only once the whole chunk has
    /// been read (so a corrupt chunk adds nothing). With `partial`, the chunk was cut short: its CRC
    /// cannot be checked, and reading stops quietly at the first record that is not whole.
    private static func readChunk(_ body: inout MCAPDecoder, number: Int, into contents: inout MCAPContents, partial: Bool) throws(MCAPFormatError) {
        let start = body.position
        _ = try body.u64("chunk start time")
        _ = try body.u64("chunk end time")
        let uncompressedSize = try body.u64("chunk size")
        let crc = try body.u32("chunk CRC")
        let compression = try body.string("chunk compression")
        guard compression.isEmpty else {
            throw MCAPFormatError(offset: start, problem: "a \(compression)-compressed chunk; Reins reads uncompressed chunks only")
        }
        let declared = try body.u64("chunk records length")
        guard declared == uncompressedSize else {
            throw MCAPFormatError(offset: start, problem: "chunk sizes disagree (\(declared) and \(uncompressedSize))")
        }
        let available = partial ? min(declared, UInt64(body.remaining)) : declared
        let count = try body.length(available, "chunk records")
        let recordsStart = body.position
        if !partial, crc != 0, CRC32.checksum(body.bytes[recordsStart..<(recordsStart + count)]) != crc {
            throw MCAPFormatError(offset: start, problem: "chunk fails its CRC")
        }
        var records = MCAPDecoder(body.bytes, from: recordsStart, to: recordsStart + count)
        var schemas: [MCAPSchemaRecord] = [], channels: [MCAPChannelRecord] = [], messages: [MCAPMessageRecord] = []
        var end = recordsStart
        while !records.isAtEnd {
            do {
                let (opcode, content) = try record(&records)
                var inner = MCAPDecoder(body.bytes, from: content.lowerBound, to: content.upperBound)
                switch MCAPOpcode(rawValue: opcode) {
                case .schema: schemas.append(try schema(&inner))
                case .channel: channels.append(try channel(&inner))
                case .message: messages.append(try message(&inner, chunk: number))
                default: break
                }
            } catch {
                if partial { break }
                throw error
            }
            end = records.position
        }
        for schema in schemas where !contents.schemas.contains(where: { $0.id == schema.id }) { contents.schemas.append(schema) }
        for channel in channels where !contents.channels.contains(where: { $0.id == channel.id }) { contents.channels.append(channel) }
        contents.messages.append(contentsOf: messages)
        body.skip(to: partial ? end : recordsStart + count)
    }
}
