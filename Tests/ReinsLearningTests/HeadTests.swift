import ReinsCore
import ReinsLearning
import ReinsPolicy
import ReinsTestSupport
import Testing

/// The CARIL classification head: trained on the bin of the normalised expert action, written
/// with the bins and range it was trained with.
@Suite struct HeadTests {
    /// A clean three-level target: u = −1, 0 or 1 by which third of [−1, 1] x₀ falls in; x₁ is a distractor.
    static func levels(episodes: Int, ticks: Int, seed: UInt64) -> Dataset {
        var random = SeededRandom(seed: seed)
        var dataset = Dataset(observationNames: ["x0", "x1"], actionNames: ["u"])
        for index in 0..<episodes {
            var episode = TrainingEpisode(label: "episode \(index)", outcome: .success, observationCount: 2, actionCount: 1)
            for _ in 0..<ticks {
                let x0 = random.uniform(-1...1), x1 = random.uniform(-1...1)
                episode.append(observation: [x0, x1], action: [x0 < -1.0 / 3 ? -1 : x0 < 1.0 / 3 ? 0 : 1], source: .expert, segment: .demo)
            }
            dataset.episodes.append(episode)
        }
        return dataset
    }

    @Test func headClassifiesACleanTargetAndTheFileKeepsItsBinsAndRange() throws {
        let dataset = Self.levels(episodes: 10, ticks: 100, seed: 51)
        var configuration = smallConfiguration(hidden: [32, 32], epochs: 40)
        configuration.classificationBins = 5
        let result = try PolicyFitter(configuration: configuration).fit(dataset: dataset)
        let training = result.final.training
        #expect(try #require(training.headAccuracy) > 0.97)
        #expect(try #require(result.final.validation?.headAccuracy) > 0.95)
        #expect(result.epochs.last!.trainingHeadAccuracy! > result.epochs.first!.trainingHeadAccuracy!)

        // Three about equally likely levels z-score to about ±1.2: the automatic range is the
        // smallest [−r, r] with r a multiple of 0.25 that holds them.
        let head = try #require(result.network.classificationHead)
        let scale = try #require(result.network.actionNormalization)
        let largest = [-1.0, 1].map { abs(($0 - scale.mean[0]) / scale.std[0]) }.max()!
        let radius = head.range.upperBound
        #expect(head.bins == 5 && head.range.lowerBound == -radius)
        #expect(radius >= largest && radius - 0.25 < largest && (radius * 4).rounded() == radius * 4)

        let folder = TemporaryDirectory()
        let path = folder.file("levels.safetensors")
        try result.write(to: path)
        let yaml = try FileBytes.readText(folder.file("levels.yaml"))
        #expect(yaml.contains("classification_head: {bins: 5, range: [\(-radius), \(radius)]}\n"))
        let loaded = try PolicyNetwork.load(path: path)
        let loadedHead = try #require(loaded.classificationHead)
        #expect(loadedHead.bins == 5 && loadedHead.range == head.range)
        #expect(loadedHead.layer.name == "class_head.weight")

        // Accuracy measured again through the loaded file: the head's arg-max against the bin the
        // loader's own ClassificationHead.bin(of:) gives the normalised recorded action.
        #expect(loaded.actionNormalization == scale)
        var correct = 0, total = 0
        for episode in dataset.episodes {
            for tick in 0..<episode.tickCount {
                let logits = loaded.referenceForward(Array(episode.observation(at: tick))).logits
                let z = (episode.action(at: tick).first! - scale.mean[0]) / scale.std[0]
                let target = loadedHead.bin(of: z)
                #expect([0, 2, 4].contains(target))
                if logits.indices.max(by: { logits[$0] < logits[$1] }) == target { correct += 1 }
                total += 1
            }
        }
        #expect(Double(correct) / Double(total) > 0.96)
    }

    @Test func aConfiguredRangeIsTheOneWritten() throws {
        let dataset = Self.levels(episodes: 4, ticks: 50, seed: 52)
        var configuration = smallConfiguration(hidden: [16], epochs: 3)
        configuration.classificationBins = 11
        configuration.classificationRange = -3...3
        let result = try PolicyFitter(configuration: configuration).fit(dataset: dataset)
        #expect(result.network.classificationHead?.range == -3...3)
        #expect(result.network.classificationHead?.bins == 11)
        #expect(result.network.config.jsonText.contains("\"classification_head\":{\"bins\":11,\"range\":[-3.0,3.0]}"))
        // Outliers beyond the range train the edge bins and are reported.
        configuration.classificationRange = -0.5...0.5
        let narrow = try PolicyFitter(configuration: configuration).fit(dataset: dataset)
        #expect(narrow.notes.contains { $0.contains("lie outside the head's range [-0.5, 0.5] and train its edge bins") })
    }
}
