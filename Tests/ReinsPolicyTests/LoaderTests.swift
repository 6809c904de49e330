import ReinsCore
import ReinsPolicy
import ReinsTestSupport
import Testing

/// Loader errors name the tensor, the byte offset or the config key, and say what was expected.
@Suite struct LoaderTests {
    /// A valid two-layer file (3 → 4 → 2) built in Swift.
    static func validEntries(prefix: String = "net.") -> [SafetensorsFile.Entry] {
        [
            .init(name: "\(prefix)0.weight", shape: [4, 3], values: (0..<12).map { Double($0) / 10 - 0.5 }),
            .init(name: "\(prefix)0.bias", shape: [4], values: [0.1, -0.1, 0.2, 0]),
            .init(name: "\(prefix)2.weight", shape: [2, 4], values: (0..<8).map { 0.3 - Double($0) / 20 }),
            .init(name: "\(prefix)2.bias", shape: [2], values: [0, 0.5]),
        ]
    }

    func loadError(_ bytes: [UInt8], config: String? = nil) -> String {
        do {
            _ = try PolicyNetwork.load(bytes: bytes, path: "p.safetensors", configYAML: config, configPath: "p.yaml")
            return "loaded"
        } catch {
            return error.description
        }
    }

    @Test func validFileLoadsWithDefaults() throws {
        let network = try PolicyNetwork.load(bytes: SafetensorsFile.serialize(Self.validEntries()), path: "p.safetensors")
        #expect(network.layers.map(\.name) == ["net.0.weight", "net.2.weight"])
        #expect(network.activation == .relu)
        #expect(network.observationNormalization == nil && network.classificationHead == nil)
        #expect(network.weightTypes == [.f32])
    }

    @Test func tooShortFile() {
        #expect(loadError([1, 2, 3]) == "p.safetensors: the file is 3 bytes; a safetensors file starts with an 8-byte header length")
    }

    @Test func headerLongerThanTheFile() {
        let bytes = safetensorsBytes(header: String(repeating: " ", count: 392), data: [], declaredLength: 812)
        #expect(bytes.count == 400)
        #expect(loadError(bytes) == "p.safetensors: header declares 812 bytes at offset 8 but the file ends at byte 400")
    }

    @Test func invalidHeaderJSONNamesTheFileByte() {
        let header = #"{"net.0.weight": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]} "net.0.bias": 1}"#
        let message = loadError(safetensorsBytes(header: header, data: Array(repeating: 0, count: 16)))
        // The stray `"` after the first entry's `}` sits at header byte 76, file byte 84.
        #expect(message == "p.safetensors: header JSON invalid around file byte 84: expected `,` or `}`, found `\"`")
    }

    @Test func dataOffsetsPastTheBuffer() {
        let header = #"{"x.0.weight":{"dtype":"F32","shape":[32,32],"data_offsets":[0,4096]}}"#
        let bytes = safetensorsBytes(header: header, data: Array(repeating: 0, count: 2100 - 8 - header.utf8.count))
        #expect(loadError(bytes) == "p.safetensors: tensor `x.0.weight` data_offsets [0, 4096] end past the data buffer, which ends at file byte 2100")
    }

    @Test func overlappingOffsets() {
        let header = #"{"a.0.weight":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},"a.0.bias":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}"#
        let message = loadError(safetensorsBytes(header: header, data: Array(repeating: 0, count: 16)))
        #expect(message.contains("tensors `a.0.weight` data_offsets [0, 16] and `a.0.bias` [8, 16] overlap at file bytes"), "\(message)")
    }

    @Test func holeAndTailInTheDataBuffer() {
        let hole = #"{"a.0.weight":{"dtype":"F32","shape":[1,1],"data_offsets":[0,4]},"a.0.bias":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}"#
        #expect(loadError(safetensorsBytes(header: hole, data: Array(repeating: 0, count: 12))).contains("data buffer has 4 unused bytes after `a.0.weight`"))
        let tail = #"{"a.0.weight":{"dtype":"F32","shape":[1,1],"data_offsets":[0,4]},"a.0.bias":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#
        #expect(loadError(safetensorsBytes(header: tail, data: Array(repeating: 0, count: 20))).contains("data buffer has 12 bytes after the last tensor"))
    }

    @Test func sizeThatDoesNotMatchTheShape() {
        let header = #"{"a.0.weight":{"dtype":"F32","shape":[2,3],"data_offsets":[0,20]}}"#
        #expect(loadError(safetensorsBytes(header: header, data: Array(repeating: 0, count: 20)))
                == "p.safetensors: tensor `a.0.weight` is F32 [2, 3] = 24 bytes but its data_offsets [0, 20] hold 20")
    }

    @Test func unknownAndUnsupportedDtypes() {
        let unknown = #"{"a.0.weight":{"dtype":"Q4","shape":[1],"data_offsets":[0,1]}}"#
        #expect(loadError(safetensorsBytes(header: unknown, data: [0])).contains("tensor `a.0.weight` has unknown dtype \"Q4\"; safetensors dtypes are F64, F32"))
        let integer = #"{"a.0.weight":{"dtype":"I32","shape":[1,1],"data_offsets":[0,4]},"a.0.bias":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#
        #expect(loadError(safetensorsBytes(header: integer, data: Array(repeating: 0, count: 8)))
                == "p.safetensors: tensor `a.0.weight` has dtype I32; policy weights must be F32, F16, BF16 or F64")
    }

    @Test func missingBias() {
        var entries = Self.validEntries()
        entries.remove(at: 3)
        #expect(loadError(SafetensorsFile.serialize(entries))
                == "p.safetensors: tensor `net.2.weight` has no bias `net.2.bias`; Reins expects nn.Linear layers with bias=True")
    }

    @Test func layerChainThatDoesNotConnect() {
        let entries: [SafetensorsFile.Entry] = [
            .init(name: "net.0.weight", shape: [256, 64], values: Array(repeating: 0.01, count: 256 * 64)),
            .init(name: "net.0.bias", shape: [256], values: Array(repeating: 0, count: 256)),
            .init(name: "net.2.weight", shape: [256, 64], values: Array(repeating: 0.01, count: 256 * 64)),
            .init(name: "net.2.bias", shape: [256], values: Array(repeating: 0, count: 256)),
        ]
        #expect(loadError(SafetensorsFile.serialize(entries))
                == "p.safetensors: tensor `net.2.weight` has shape [256, 64] but layer 1 needs [*, 256] to follow `net.0.weight` [256, 64]")
    }

    @Test func wrongBiasShapeAndOneDimensionalWeight() {
        var entries = Self.validEntries()
        entries[1] = .init(name: "net.0.bias", shape: [3], values: [0, 0, 0])
        #expect(loadError(SafetensorsFile.serialize(entries)) == "p.safetensors: tensor `net.0.bias` has shape [3] but `net.0.weight` [4, 3] needs [4]")
        entries = Self.validEntries()
        entries[0] = .init(name: "net.0.weight", shape: [12], values: Array(repeating: 0, count: 12))
        #expect(loadError(SafetensorsFile.serialize(entries)).contains("tensor `net.0.weight` has shape [12] but a linear layer's weight needs two dimensions [out, in]"))
    }

    @Test func nanWeightIsReportedWithItsIndex() {
        var entries = Self.validEntries()
        entries[2].values[5] = .nan
        let message = loadError(SafetensorsFile.serialize(entries))
        #expect(message.hasPrefix("p.safetensors: tensor `net.2.weight` holds NaN at [1, 1] (1 non-finite value in all, element data at file byte"), "\(message)")
        entries[2].values[6] = .infinity
        #expect(loadError(SafetensorsFile.serialize(entries)).contains("(2 non-finite values in all"))
    }

    @Test func strayTensorsAndTwoChainsAreRefused() {
        var entries = Self.validEntries()
        entries.append(.init(name: "log_std", shape: [2], values: [0, 0]))
        #expect(loadError(SafetensorsFile.serialize(entries)).contains("tensor `log_std` is not a layer's weight or bias"))
        entries = Self.validEntries() + Self.validEntries(prefix: "critic.")
        #expect(loadError(SafetensorsFile.serialize(entries)).contains("the tensors form 2 layer chains, `critic.N` (2 layers), `net.N` (2 layers); Reins loads one chain"))
        entries = Self.validEntries() + [.init(name: "net.norm.weight", shape: [4], values: [1, 1, 1, 1])]
        #expect(loadError(SafetensorsFile.serialize(entries)).contains("tensor `net.norm.weight` is not part of a numbered layer chain"))
    }

    @Test func classificationHeadShapeAndPresence() throws {
        var entries = Self.validEntries()
        entries.append(.init(name: "net.class_head.weight", shape: [7, 4], values: Array(repeating: 0.1, count: 28)))
        entries.append(.init(name: "net.class_head.bias", shape: [7], values: Array(repeating: 0, count: 7)))
        let message = loadError(SafetensorsFile.serialize(entries))
        #expect(message == "p.safetensors: tensor `net.class_head.weight` has shape [7, 4] but the classification head needs [2 × K, 4]: K bins for each of the 2 actions, reading the input of `net.2.weight`")

        entries.removeLast(2)
        entries.append(.init(name: "net.class_head.weight", shape: [22, 4], values: Array(repeating: 0.1, count: 88)))
        entries.append(.init(name: "net.class_head.bias", shape: [22], values: Array(repeating: 0, count: 22)))
        let network = try PolicyNetwork.load(bytes: SafetensorsFile.serialize(entries), path: "p.safetensors")
        #expect(network.classificationHead?.bins == 11)
        #expect(network.classificationHead?.range == -1...1)
        #expect(loadError(SafetensorsFile.serialize(entries), config: "classification_head: {bins: 5}\n")
                .contains("needs [2 × 5, 4]: 5 bins (p.yaml:1:29) for each of the 2 actions"))

        #expect(loadError(SafetensorsFile.serialize(Self.validEntries()), config: "classification_head:\n  bins: 11\n")
                == "p.yaml:2:3: classification_head is configured but p.safetensors has no `net.class_head.weight` / `.bias` tensors")
    }

    @Test func configFromYAMLAndMetadata() throws {
        let yaml = """
            observation:
              names: [a, b, c]
              mean: [1, 2, 3]
              std: [0.5, 0.5, 2]
            action:
              mean: [0, 1]
              std: [2, 2]
            activation: leaky_relu
            negative_slope: 0.2
            """
        let fromYAML = try PolicyNetwork.load(bytes: SafetensorsFile.serialize(Self.validEntries()), path: "p.safetensors", configYAML: yaml, configPath: "p.yaml")
        #expect(fromYAML.activation == .leakyReLU(negativeSlope: 0.2))
        #expect(fromYAML.observationNames == ["a", "b", "c"])
        #expect(fromYAML.observationNormalization == Normalization(mean: [1, 2, 3], std: [0.5, 0.5, 2]))
        #expect(fromYAML.actionNormalization == Normalization(mean: [0, 1], std: [2, 2]))
        #expect(fromYAML.configSource == "p.yaml")

        let json = #"{"observation":{"mean":[1,2,3],"std":[0.5,0.5,2]},"activation":"elu","alpha":0.5}"#
        let withMetadata = SafetensorsFile.serialize(Self.validEntries(), metadata: ["reins": json])
        let fromMetadata = try PolicyNetwork.load(bytes: withMetadata, path: "p.safetensors")
        #expect(fromMetadata.activation == .elu(alpha: 0.5))
        #expect(fromMetadata.configSource == "__metadata__[\"reins\"]")
        #expect(loadError(withMetadata, config: "activation: relu\n")
                == "p.safetensors: both p.yaml and __metadata__[\"reins\"] configure the policy and they disagree on observation.mean (p.yaml vs p.safetensors: __metadata__[\"reins\"] byte 23); keep one of them")
        // The same config in both places (what `reins fit` writes) is not ambiguous.
        let agreeing = try PolicyNetwork.load(bytes: withMetadata, path: "p.safetensors",
                                              configYAML: "observation: {mean: [1, 2, 3], std: [0.5, 0.5, 2]}\nactivation: elu\nalpha: 0.5\n",
                                              configPath: "p.yaml")
        #expect(agreeing.activation == .elu(alpha: 0.5))
        #expect(agreeing.configSource == "p.yaml")
    }

    @Test func configErrorsNameTheLineAndKey() {
        let bytes = SafetensorsFile.serialize(Self.validEntries())
        #expect(loadError(bytes, config: "activation: relux\n")
                == "p.yaml:1:13: activation: `relux` is not supported; use one of relu, leaky_relu, tanh, elu, gelu, silu")
        #expect(loadError(bytes, config: "observation:\n  mean: [0, 0]\n  std: [1, 1]\n")
                == "p.yaml:2:9: observation.mean has 2 entries but `net.0.weight` [4, 3] takes 3 observations")
        #expect(loadError(bytes, config: "observation:\n  mean: [0, 0, 0]\n  std: [1, 0, 1]\n")
                == "p.yaml:3:8: observation.std[1] is 0.0; a standard deviation must be positive and finite")
        #expect(loadError(bytes, config: "activaton: relu\n") == "p.yaml:1:12: activaton: unknown key; valid keys here: observation, action, activation, negative_slope, alpha, classification_head")
        #expect(loadError(bytes, config: "negative_slope: 0.1\n") == "p.yaml:1:17: negative_slope applies only to `activation: leaky_relu`")
        #expect(loadError(bytes, config: "action: {mean: [0, 0]}\n") == "p.yaml:1:9: action: give both mean and std, or neither")
        #expect(loadError(bytes, config: "a: [\n").hasPrefix("p.yaml:"))
        let badJSON = SafetensorsFile.serialize(Self.validEntries(), metadata: ["reins": "{\"activation\": tanh}"])
        #expect(loadError(badJSON) == "p.safetensors: __metadata__[\"reins\"] is not valid JSON around byte 15 of the string: expected a value, found `t`")
        let jsonLength = SafetensorsFile.serialize(Self.validEntries(), metadata: ["reins": #"{"action": {"names": ["x"]}}"#])
        #expect(loadError(jsonLength) == "p.safetensors: __metadata__[\"reins\"] byte 21: action.names has 1 entries but `net.2.weight` [2, 4] gives 2 actions")
    }

    @Test func companionConfigIsFoundBesideTheWeights() throws {
        let folder = TemporaryDirectory()
        try FileBytes.write(SafetensorsFile.serialize(Self.validEntries()), to: folder.file("arm.safetensors"))
        folder.write("arm.yaml", "activation: tanh\n")
        #expect(try PolicyNetwork.load(path: folder.file("arm.safetensors")).activation == .tanh)
        #expect(PolicyNetwork.companionConfigPath(for: "a/b.c/policy.safetensors") == "a/b.c/policy.yaml")
        #expect(PolicyNetwork.companionConfigPath(for: "a/policy") == "a/policy.yaml")
        do {
            _ = try PolicyNetwork.load(path: folder.file("missing.safetensors"))
            Issue.record("a missing file loaded")
        } catch {
            #expect(error.description.hasSuffix("missing.safetensors: cannot read the policy file: No such file or directory"))
        }
    }

    @Test func halfPrecisionValuesDecodeExactly() throws {
        // F16 0x3C00 = 1, 0xC000 = -2, 0x0001 = 2^-24 (subnormal); BF16 0x3F80 = 1, 0xC040 = -3.
        let f16 = #"{"a.0.weight":{"dtype":"F16","shape":[1,3],"data_offsets":[0,6]},"a.0.bias":{"dtype":"BF16","shape":[1],"data_offsets":[6,8]}}"#
        let bytes = safetensorsBytes(header: f16, data: [0x00, 0x3C, 0x00, 0xC0, 0x01, 0x00, 0x40, 0xC0])
        let network = try PolicyNetwork.load(bytes: bytes, path: "p.safetensors")
        #expect(network.layers[0].weights == [1, -2, 0x1p-24])
        #expect(network.layers[0].bias == [-3])
        #expect(network.weightTypes == [.f16, .bf16])
    }

    /// Random, truncated and mutated files must give an error or a policy, never a crash.
    @Test func fuzzedFilesNeverCrashTheLoader() {
        var random = SeededRandom(seed: 20240611)
        let metadata = #"{"observation":{"names":["a","b","c"],"mean":[0,0,0],"std":[1,1,1]},"action":{"mean":[0,0],"std":[1,2]},"activation":"tanh","classification_head":{"bins":3,"range":[-1,1]}}"#
        var entries = Self.validEntries()
        entries.append(.init(name: "net.class_head.weight", shape: [6, 4], values: (0..<24).map { Double($0) / 24 }))
        entries.append(.init(name: "net.class_head.bias", shape: [6], values: Array(repeating: 0, count: 6)))
        let base = SafetensorsFile.serialize(entries, metadata: ["reins": metadata])
        var loaded = 0, refused = 0
        for round in 0..<4000 {
            var bytes = base
            switch round % 6 {
            case 0:  // truncate
                bytes = Array(bytes.prefix(Int(random.next() % UInt64(bytes.count + 1))))
            case 1:  // flip random bytes
                for _ in 0..<(1 + Int(random.next() % 4)) {
                    bytes[Int(random.next() % UInt64(bytes.count))] ^= UInt8(truncatingIfNeeded: random.next() | 1)
                }
            case 2:  // mutate a digit or structural character inside the header
                let headerEnd = min(bytes.count, 8 + Int(bytes[0]) + Int(bytes[1]) << 8)
                let position = 8 + Int(random.next() % UInt64(max(1, headerEnd - 8)))
                let replacements = Array("0123456789[]{},:\"-e. ".utf8)
                bytes[position] = replacements[Int(random.next() % UInt64(replacements.count))]
            case 3:  // change the declared header length
                let delta = Int64(random.next() % 64) - 32
                bytes[0] = UInt8(truncatingIfNeeded: Int64(bytes[0]) + delta)
                if random.next() % 8 == 0 { bytes[7] = 0xFF }
            case 4:  // insert or delete a run of bytes
                let position = Int(random.next() % UInt64(bytes.count))
                if random.next() % 2 == 0 {
                    bytes.insert(contentsOf: (0..<(1 + random.next() % 16)).map { _ in UInt8(truncatingIfNeeded: random.next()) }, at: position)
                } else {
                    bytes.removeSubrange(position..<min(bytes.count, position + 1 + Int(random.next() % 16)))
                }
            default:  // pure noise with a plausible length prefix
                bytes = (0..<(Int(random.next() % 200))).map { _ in UInt8(truncatingIfNeeded: random.next()) }
                if bytes.count >= 8 { bytes[0] = UInt8(bytes.count - 8); for index in 1..<8 { bytes[index] = 0 } }
            }
            do {
                let network = try PolicyNetwork.load(bytes: bytes, path: "fuzz.safetensors")
                // Whatever loads must also run.
                let engine = PolicyEngine(network: network)
                var output = PolicyOutput(for: network)
                engine.forward([Double](repeating: 0.5, count: network.observationCount), into: &output)
                loaded += 1
            } catch {
                #expect(!error.messages.isEmpty && error.messages.allSatisfy { $0.hasPrefix("fuzz.safetensors") || $0.contains("__metadata__") })
                refused += 1
            }
        }
        #expect(loaded > 0 && refused > 1000, "loaded \(loaded), refused \(refused)")
    }
}
