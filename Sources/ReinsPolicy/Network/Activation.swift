#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The activation between hidden layers (the last layer is linear).
public enum Activation: Sendable, Equatable, CustomStringConvertible {
    case relu
    /// PyTorch's nn.LeakyReLU(negative_slope).
    case leakyReLU(negativeSlope: Double)
    case tanh
    /// PyTorch's nn.ELU(alpha).
    case elu(alpha: Double)
    /// The exact (erf) form, PyTorch's nn.GELU() default.
    case gelu
    case silu

    public static let names = ["relu", "leaky_relu", "tanh", "elu", "gelu", "silu"]

    public var name: String {
        switch self {
        case .relu: return "relu"
        case .leakyReLU: return "leaky_relu"
        case .tanh: return "tanh"
        case .elu: return "elu"
        case .gelu: return "gelu"
        case .silu: return "silu"
        }
    }

    public var description: String {
        switch self {
        case .leakyReLU(let slope): return "leaky_relu (negative slope \(slope))"
        case .elu(let alpha): return "elu (alpha \(alpha))"
        default: return name
        }
    }

    /// True when every slope of the activation lies in [0, 1], the condition under which the
    /// Combettes–Pesquet bound is sound (ReLU, leaky ReLU with slope in [0, 1], tanh, ELU with α ≤ 1).
    public var hasSlopesInUnitInterval: Bool {
        switch self {
        case .relu, .tanh: return true
        case .leakyReLU(let slope): return slope >= 0 && slope <= 1
        case .elu(let alpha): return alpha >= 0 && alpha <= 1
        case .gelu, .silu: return false
        }
    }

    /// sup |s'(x)|, the activation's own Lipschitz constant.
    public var lipschitzConstant: Double {
        switch self {
        case .relu, .tanh: return 1
        case .leakyReLU(let slope): return max(1, abs(slope))
        case .elu(let alpha): return max(1, abs(alpha))
        // GELU: s'(x) = Φ(x) + x φ(x), largest at x = √2: 1.128904145185154786...; rounded up.
        case .gelu: return 1.1289041451851548 * (1 + 4 * .ulpOfOne)
        // SiLU: s'(x) = σ(x)(1 + x(1 − σ(x))), largest at x ≈ 2.399357: 1.099839320128866916...; rounded up.
        case .silu: return 1.0998393201288670 * (1 + 4 * .ulpOfOne)
        }
    }

    public func value(_ x: Double) -> Double {
        switch self {
        case .relu: return x < 0 ? 0 : x
        case .leakyReLU(let slope): return x < 0 ? slope * x : x
        case .tanh: return hyperbolicTangent(x)
        case .elu(let alpha): return x > 0 ? x : alpha * expm1(x)
        case .gelu: return 0.5 * x * (1 + erf(x / 2.0.squareRoot()))
        case .silu: return x / (1 + exp(-x))
        }
    }

    /// s'(x), for the exact Jacobian of the empirical lower bound (ReLU takes 0 at the kink).
    public func derivative(_ x: Double) -> Double {
        switch self {
        case .relu: return x > 0 ? 1 : 0
        case .leakyReLU(let slope): return x > 0 ? 1 : slope
        case .tanh:
            let t = hyperbolicTangent(x)
            return 1 - t * t
        case .elu(let alpha): return x > 0 ? 1 : alpha * exp(x)
        case .gelu:
            let cdf = 0.5 * (1 + erf(x / 2.0.squareRoot()))
            let pdf = exp(-0.5 * x * x) / (2 * Double.pi).squareRoot()
            return cdf + x * pdf
        case .silu:
            let sigma = 1 / (1 + exp(-x))
            return sigma * (1 + x * (1 - sigma))
        }
    }
}

// Inside `Activation`, `tanh` names the enum case; this reaches the C library's function.
private func hyperbolicTangent(_ x: Double) -> Double { tanh(x) }
