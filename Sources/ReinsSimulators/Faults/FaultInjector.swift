import ReinsCore

/// Applies a `FaultSpec` deterministically: the same seed gives the same dropped, corrupted and
/// delayed messages and the same sensor noise.
public struct FaultInjector: Sendable {
    public let spec: FaultSpec
    private var random: SeededRandom
    public private(set) var droppedMessages = 0
    public private(set) var corruptedBytes = 0

    public init(spec: FaultSpec, seed: UInt64) {
        self.spec = spec
        random = SeededRandom(seed: seed ^ 0xFA17_5EED)
    }

    /// Whether to drop the next outgoing message.
    public mutating func dropMessage() -> Bool {
        guard random.chance(spec.dropProbability) else { return false }
        droppedMessages += 1
        return true
    }

    /// Flips bits in outgoing bytes at the configured rate.
    public mutating func corrupt(_ bytes: UnsafeMutableRawBufferPointer) {
        guard spec.corruptProbability > 0 else { return }
        for i in 0..<bytes.count where random.chance(spec.corruptProbability) {
            bytes[i] ^= UInt8(1) << UInt8(random.next() % 8)
            corruptedBytes += 1
        }
    }

    /// Seconds to hold the next outgoing message back.
    public mutating func delay() -> Double {
        spec.delaySeconds + (spec.jitterSeconds > 0 ? random.uniform(0...spec.jitterSeconds) : 0)
    }

    /// A measured value with noise and bias applied.
    public mutating func measure(_ value: Double) -> Double {
        var measured = value + spec.sensorBias
        if spec.sensorNoise > 0 { measured += spec.sensorNoise * random.gaussian() }
        return measured
    }

    /// Whether the link should be cut at simulated time `seconds`.
    public func shouldDisconnect(atSimulatedTime seconds: Double) -> Bool {
        guard let after = spec.disconnectAfterSeconds else { return false }
        return seconds >= after
    }
}
