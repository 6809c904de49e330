/// A small, fast, deterministic random generator (SplitMix64): the same seed gives the same
/// simulator faults, noise, demonstrations and training batches on every machine.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64
    private var spareGaussian: Double?

    public init(seed: UInt64) {
        state = seed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    @inline(__always)
    public mutating func unit() -> Double {
        Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
    }

    /// Uniform in `range`.
    public mutating func uniform(_ range: ClosedRange<Double>) -> Double {
        range.lowerBound + (range.upperBound - range.lowerBound) * unit()
    }

    /// True with probability `p`.
    @inline(__always)
    public mutating func chance(_ p: Double) -> Bool {
        p > 0 && unit() < p
    }

    /// Standard normal (Box–Muller, caching the second value).
    public mutating func gaussian() -> Double {
        if let spare = spareGaussian {
            spareGaussian = nil
            return spare
        }
        var u = unit()
        while u <= 1e-300 { u = unit() }
        let v = unit()
        let radius = (-2 * _log(u)).squareRoot()
        let angle = 2 * Double.pi * v
        spareGaussian = radius * _sin(angle)
        return radius * _cos(angle)
    }

    /// A child generator for an independent stream (per episode, per simulator component).
    public mutating func split() -> SeededRandom {
        SeededRandom(seed: next())
    }
}

// Foundation-free elementary functions from the C library.
#if canImport(Glibc)
import Glibc
@inline(__always) func _log(_ x: Double) -> Double { Glibc.log(x) }
@inline(__always) func _sin(_ x: Double) -> Double { Glibc.sin(x) }
@inline(__always) func _cos(_ x: Double) -> Double { Glibc.cos(x) }
#endif
