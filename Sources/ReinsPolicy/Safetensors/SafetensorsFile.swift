/// Element types a safetensors header can name (the format's full list, so an integer tensor is
/// reported as "dtype I32" rather than as garbage).
public enum TensorDType: String, CaseIterable, Sendable {
    case f64 = "F64", f32 = "F32", f16 = "F16", bf16 = "BF16"
    case i64 = "I64", i32 = "I32", i16 = "I16", i8 = "I8"
    case u64 = "U64", u32 = "U32", u16 = "U16", u8 = "U8"
    case bool = "BOOL", f8e4m3 = "F8_E4M3", f8e5m2 = "F8_E5M2"

    public var byteCount: Int {
        switch self {
        case .f64, .i64, .u64: return 8
        case .f32, .i32, .u32: return 4
        case .f16, .bf16, .i16, .u16: return 2
        case .i8, .u8, .bool, .f8e4m3, .f8e5m2: return 1
        }
    }

    /// Floating-point types a policy's weights may use; they are read into Double exactly.
    public var isPolicyWeightType: Bool {
        switch self {
        case .f64, .f32, .f16, .bf16: return true
        default: return false
        }
    }
}

/// A problem in a safetensors file, naming the tensor or the byte offset.
public struct SafetensorsError: Error, Sendable, CustomStringConvertible {
    public var problem: String
    public var description: String { problem }
    init(_ problem: String) { self.problem = problem }
}

/// A parsed safetensors file (what `safetensors.torch.save_file` writes): an 8-byte little-endian
/// header length, a JSON header naming each tensor's dtype, shape and byte range, then the data.
///
/// Parsing checks everything a later read relies on (ranges inside the buffer, sizes matching the
/// shape, no overlaps or holes), so reading a tensor afterwards cannot go out of bounds.
public struct SafetensorsFile: Sendable {
    public struct Tensor: Sendable {
        public var name: String
        public var dtype: TensorDType
        public var shape: [Int]
        /// Byte range in the data buffer (the header's data_offsets).
        public var dataOffsets: Range<Int>
        /// Where the tensor's first byte sits in the file.
        public var fileOffset: Int
        public var elementCount: Int { shape.reduce(1, *) }
    }

    public let tensors: [Tensor]
    /// The `__metadata__` string map, empty when absent.
    public let metadata: [String: String]
    /// File offset of the data buffer (8 + header length).
    public let dataStart: Int
    private let bytes: [UInt8]

    /// Headers above this size are refused before parsing (the reference implementation's limit).
    public static let maximumHeaderBytes = 100_000_000

    public init(bytes: [UInt8]) throws(SafetensorsError) {
        self.bytes = bytes
        guard bytes.count >= 8 else {
            throw SafetensorsError("the file is \(bytes.count) bytes; a safetensors file starts with an 8-byte header length")
        }
        var declared: UInt64 = 0
        for index in 0..<8 { declared |= UInt64(bytes[index]) << (8 * UInt64(index)) }
        guard declared <= UInt64(bytes.count - 8) else {
            throw SafetensorsError("header declares \(declared) bytes at offset 8 but the file ends at byte \(bytes.count)")
        }
        let headerLength = Int(declared)
        guard headerLength <= SafetensorsFile.maximumHeaderBytes else {
            throw SafetensorsError("header declares \(headerLength) bytes, more than the \(SafetensorsFile.maximumHeaderBytes) a safetensors header may have")
        }
        dataStart = 8 + headerLength
        let root: JSONNode
        do {
            root = try JSONParser.parse(Array(bytes[8..<dataStart]))
        } catch {
            throw SafetensorsError("header JSON invalid around file byte \(8 + error.offset): \(error.problem)")
        }
        guard case .object(let entries) = root.value else {
            throw SafetensorsError("header is \(root.kindDescription) at file byte \(8 + root.offset); expected a JSON object of tensors")
        }
        let dataCount = bytes.count - dataStart
        var tensors: [Tensor] = []
        var metadata: [String: String] = [:]
        var seen = Set<String>()
        for (name, node) in entries {
            guard seen.insert(name).inserted else {
                throw SafetensorsError("header names `\(name)` twice (second at file byte \(8 + node.offset))")
            }
            if name == "__metadata__" {
                metadata = try SafetensorsFile.decodeMetadata(node)
                continue
            }
            tensors.append(try SafetensorsFile.decodeTensor(name, node, dataStart: dataStart, dataCount: dataCount))
        }
        try SafetensorsFile.checkCoverage(tensors, dataStart: dataStart, dataCount: dataCount)
        self.tensors = tensors
        self.metadata = metadata
    }

    public func tensor(named name: String) -> Tensor? {
        tensors.first { $0.name == name }
    }

    /// The tensor's elements, row-major, converted exactly to Double. Only for the policy weight
    /// types (F64, F32, F16, BF16); the caller checks `dtype.isPolicyWeightType` first.
    public func doubles(_ tensor: Tensor) -> [Double] {
        precondition(tensor.dtype.isPolicyWeightType, "doubles(_:) reads floating-point tensors only")
        let count = tensor.elementCount
        var values = [Double](repeating: 0, count: count)
        bytes.withUnsafeBytes { raw in
            let base = raw.baseAddress! + tensor.fileOffset
            switch tensor.dtype {
            case .f64:
                for index in 0..<count {
                    values[index] = Double(bitPattern: UInt64(littleEndian: (base + 8 * index).loadUnaligned(as: UInt64.self)))
                }
            case .f32:
                for index in 0..<count {
                    values[index] = Double(Float(bitPattern: UInt32(littleEndian: (base + 4 * index).loadUnaligned(as: UInt32.self))))
                }
            case .f16:
                for index in 0..<count {
                    values[index] = HalfPrecision.double(fromF16: UInt16(littleEndian: (base + 2 * index).loadUnaligned(as: UInt16.self)))
                }
            case .bf16:
                for index in 0..<count {
                    let bits = UInt32(UInt16(littleEndian: (base + 2 * index).loadUnaligned(as: UInt16.self))) << 16
                    values[index] = Double(Float(bitPattern: bits))
                }
            default:
                break
            }
        }
        return values
    }

    // MARK: Header entries

    private static func decodeMetadata(_ node: JSONNode) throws(SafetensorsError) -> [String: String] {
        guard case .object(let pairs) = node.value else {
            throw SafetensorsError("`__metadata__` is \(node.kindDescription) at file byte \(8 + node.offset); expected an object of strings")
        }
        var metadata: [String: String] = [:]
        for (key, value) in pairs {
            guard case .string(let text) = value.value else {
                throw SafetensorsError("`__metadata__` key \"\(key)\" is \(value.kindDescription) at file byte \(8 + value.offset); metadata values must be strings")
            }
            metadata[key] = text
        }
        return metadata
    }

    private static func decodeTensor(_ name: String, _ node: JSONNode, dataStart: Int, dataCount: Int) throws(SafetensorsError) -> Tensor {
        guard case .object(let fields) = node.value else {
            throw SafetensorsError("tensor `\(name)` is \(node.kindDescription) at file byte \(8 + node.offset); expected {\"dtype\", \"shape\", \"data_offsets\"}")
        }
        var dtypeNode: JSONNode?, shapeNode: JSONNode?, offsetsNode: JSONNode?
        for (key, value) in fields {
            switch key {
            case "dtype": dtypeNode = value
            case "shape": shapeNode = value
            case "data_offsets": offsetsNode = value
            default:
                throw SafetensorsError("tensor `\(name)` has an unknown field \"\(key)\" at file byte \(8 + value.offset); expected dtype, shape and data_offsets")
            }
        }
        guard let dtypeNode, let shapeNode, let offsetsNode else {
            let missing = [("dtype", dtypeNode), ("shape", shapeNode), ("data_offsets", offsetsNode)].filter { $0.1 == nil }.map(\.0)
            throw SafetensorsError("tensor `\(name)` has no \(missing.joined(separator: " or ")) (entry at file byte \(8 + node.offset))")
        }
        guard case .string(let dtypeName) = dtypeNode.value else {
            throw SafetensorsError("tensor `\(name)` dtype is \(dtypeNode.kindDescription); expected a string such as \"F32\"")
        }
        guard let dtype = TensorDType(rawValue: dtypeName) else {
            throw SafetensorsError("tensor `\(name)` has unknown dtype \"\(dtypeName)\"; safetensors dtypes are "
                                   + TensorDType.allCases.map(\.rawValue).joined(separator: ", "))
        }
        guard case .array(let dimensions) = shapeNode.value else {
            throw SafetensorsError("tensor `\(name)` shape is \(shapeNode.kindDescription); expected a list of sizes")
        }
        var shape: [Int] = []
        var elements = 1
        for dimension in dimensions {
            guard let size = dimension.nonNegativeInteger else {
                throw SafetensorsError("tensor `\(name)` has shape entry \(dimension.kindDescription) at file byte \(8 + dimension.offset); expected a whole number >= 0")
            }
            shape.append(size)
            let (product, overflow) = elements.multipliedReportingOverflow(by: size)
            guard !overflow else { throw SafetensorsError("tensor `\(name)` shape \(shape) has too many elements") }
            elements = product
        }
        let (byteCount, overflow) = elements.multipliedReportingOverflow(by: dtype.byteCount)
        guard !overflow else { throw SafetensorsError("tensor `\(name)` shape \(shape) has too many elements") }
        guard case .array(let offsets) = offsetsNode.value, offsets.count == 2,
              let begin = offsets[0].nonNegativeInteger, let end = offsets[1].nonNegativeInteger else {
            throw SafetensorsError("tensor `\(name)` data_offsets at file byte \(8 + offsetsNode.offset) must be two whole numbers [begin, end]")
        }
        guard begin <= end else {
            throw SafetensorsError("tensor `\(name)` data_offsets [\(begin), \(end)] begin after they end")
        }
        guard end <= dataCount else {
            throw SafetensorsError("tensor `\(name)` data_offsets [\(begin), \(end)] end past the data buffer, which ends at file byte \(dataStart + dataCount)")
        }
        guard end - begin == byteCount else {
            throw SafetensorsError("tensor `\(name)` is \(dtype.rawValue) \(shape) = \(byteCount) bytes but its data_offsets [\(begin), \(end)] hold \(end - begin)")
        }
        return Tensor(name: name, dtype: dtype, shape: shape, dataOffsets: begin..<end, fileOffset: dataStart + begin)
    }

    /// The tensors must tile the data buffer exactly, as every safetensors writer lays them out:
    /// an overlap means two tensors share bytes, a hole or a tail means the header and data disagree.
    private static func checkCoverage(_ tensors: [Tensor], dataStart: Int, dataCount: Int) throws(SafetensorsError) {
        let ordered = tensors.sorted { ($0.dataOffsets.lowerBound, $0.dataOffsets.upperBound) < ($1.dataOffsets.lowerBound, $1.dataOffsets.upperBound) }
        var covered = 0
        var previous: Tensor?
        for tensor in ordered {
            let range = tensor.dataOffsets
            if range.lowerBound < covered, let previous {
                throw SafetensorsError("tensors `\(previous.name)` data_offsets [\(previous.dataOffsets.lowerBound), \(previous.dataOffsets.upperBound)] and `\(tensor.name)` [\(range.lowerBound), \(range.upperBound)] overlap at file bytes \(dataStart + range.lowerBound)..<\(dataStart + min(covered, range.upperBound))")
            }
            if range.lowerBound > covered {
                let after = previous.map { "after `\($0.name)`" } ?? "at the start of the data buffer"
                throw SafetensorsError("data buffer has \(range.lowerBound - covered) unused bytes \(after) (file bytes \(dataStart + covered)..<\(dataStart + range.lowerBound)) before `\(tensor.name)`; the header and the data disagree")
            }
            covered = max(covered, range.upperBound)
            previous = tensor
        }
        if covered < dataCount {
            throw SafetensorsError("data buffer has \(dataCount - covered) bytes after the last tensor (file bytes \(dataStart + covered)..<\(dataStart + dataCount)) that no header entry describes")
        }
    }

    // MARK: Writing

    /// A tensor to write: F32 or F64 values, row-major.
    public struct Entry: Sendable {
        public var name: String
        public var dtype: TensorDType
        public var shape: [Int]
        public var values: [Double]

        public init(name: String, dtype: TensorDType = .f32, shape: [Int], values: [Double]) {
            precondition(dtype == .f32 || dtype == .f64, "the writer stores F32 or F64")
            precondition(shape.reduce(1, *) == values.count, "shape \(shape) does not match \(values.count) values")
            self.name = name
            self.dtype = dtype
            self.shape = shape
            self.values = values
        }
    }

    /// Serializes tensors the way safetensors does: entries in the given order, header padded with
    /// spaces to a multiple of 8 bytes. Used to hand Reins-built policies to Python (ONNX export)
    /// and to build test fixtures.
    public static func serialize(_ entries: [Entry], metadata: [String: String] = [:]) -> [UInt8] {
        var header = "{"
        var offset = 0
        var fields: [String] = []
        if !metadata.isEmpty {
            let pairs = metadata.keys.sorted().map { "\"\(jsonEscaped($0))\":\"\(jsonEscaped(metadata[$0]!))\"" }
            fields.append("\"__metadata__\":{" + pairs.joined(separator: ",") + "}")
        }
        for entry in entries {
            let size = entry.values.count * entry.dtype.byteCount
            fields.append("\"\(jsonEscaped(entry.name))\":{\"dtype\":\"\(entry.dtype.rawValue)\",\"shape\":[\(entry.shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(offset),\(offset + size)]}")
            offset += size
        }
        header += fields.joined(separator: ",") + "}"
        var headerBytes = Array(header.utf8)
        while headerBytes.count % 8 != 0 { headerBytes.append(0x20) }
        var out: [UInt8] = []
        out.reserveCapacity(8 + headerBytes.count + offset)
        withUnsafeBytes(of: UInt64(headerBytes.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(contentsOf: headerBytes)
        for entry in entries {
            for value in entry.values {
                if entry.dtype == .f64 {
                    withUnsafeBytes(of: value.bitPattern.littleEndian) { out.append(contentsOf: $0) }
                } else {
                    withUnsafeBytes(of: Float(value).bitPattern.littleEndian) { out.append(contentsOf: $0) }
                }
            }
        }
        return out
    }

    /// `text` with JSON string escapes (quotes, backslashes, control characters), without the quotes.
    public static func jsonEscaped(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }
}

/// IEEE binary16 decoding without relying on the platform's Float16 (absent on some targets).
enum HalfPrecision {
    static func double(fromF16 bits: UInt16) -> Double {
        let sign: Double = bits & 0x8000 != 0 ? -1 : 1
        let exponent = Int((bits >> 10) & 0x1F)
        let fraction = Double(bits & 0x3FF)
        switch exponent {
        case 0: return sign * fraction * 0x1p-24
        case 31: return fraction == 0 ? sign * .infinity : .nan
        default: return sign * (1 + fraction / 1024) * Double(sign: .plus, exponent: exponent - 15, significand: 1)
        }
    }
}
