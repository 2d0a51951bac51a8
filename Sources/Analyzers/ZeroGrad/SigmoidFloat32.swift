// What float32 does to the gradient of a one-output (binary) model, replayed as PyTorch computes it on
// the CPU: σ = 1 / (1 + e^(−z)); sigmoid backward is g·σ·(1 − σ), so once σ rounds to exactly 1.0
// (z ≳ 16.6: e^(−z) ≤ 2⁻²⁴, ties to even) the gradient of the probability is exactly 0, while for
// z → −∞ it is ≈ σ, tiny but non-zero until e^(−z) overflows float32 (z ≲ −88.7, σ = 0). BCE with
// logits has ∂L/∂z = σ − y: exactly 0 for a positive sample once σ rounds to 1, and ≈ σ (tiny, then 0)
// for a confidently right negative one.
import Foundation

/// The float32 regime of a one-output model's gradient.
public enum SigmoidFloat32 {
    /// σ(z) in float32 as PyTorch's CPU kernel computes it, 1 / (1 + e^(−z)) in float: e^(−z) overflows to
    /// +∞ below z ≈ −88.7, so σ is exactly 0 there, not a subnormal.
    public static func probability(_ z: Float) -> Float {
        let e = Float(Foundation.exp(-Double(z)))
        return 1 / (1 + e)
    }

    /// ∂target/∂z in float32 for the true class `y` ∈ {0, 1} (prob: true-class probability; loss: BCE).
    public static func logitGradient(_ z: Float, y: Int, target: GradientTarget) -> Float {
        let p = probability(z)
        switch target {
        case .loss: return p - Float(y == 1 ? 1 : 0)
        default:
            let d = p * (1 - p)
            return y == 1 ? d : -d
        }
    }

    /// |∂target/∂z| in float64 (1 for targets without a sigmoid).
    public static func factor(_ z: Float, y: Int, target: GradientTarget) -> Double {
        guard target.passesThroughSoftmax else { return 1 }
        let p = 1 / (1 + Foundation.exp(-Double(z)))
        return target == .loss ? abs(p - (y == 1 ? 1 : 0)) : p * (1 - p)
    }

    /// The regime of one sample, on the same scale as the softmax's.
    public static func regime(_ z: Float, y: Int, target: GradientTarget) -> SoftmaxRegime {
        guard target.passesThroughSoftmax else { return .noSoftmax }
        guard !z.isNaN else { return .undefined }
        let g = logitGradient(z, y: y, target: target)
        if g == 0 { return .exactZero }
        if abs(Double(g)) < GradientStats.float16Subnormal { return .rounded }
        return factor(z, y: y, target: target) < SoftmaxFloat32.shrunkFactor ? .shrunk : .normal
    }

    /// The regime of a stored sigmoid probability p (the model applied the sigmoid itself): its backward
    /// multiplies by p·(1 − p), exactly 0 at p ∈ {0, 1}.
    public static func regime(probability p: Float) -> SoftmaxRegime {
        guard p.isFinite else { return .undefined }
        let d = p * (1 - p)
        if d == 0 { return .exactZero }
        if Double(d) < GradientStats.float16Subnormal { return .rounded }
        return Double(d) < SoftmaxFloat32.shrunkFactor ? .shrunk : .normal
    }

    /// The smallest z (to 0.01) from which σ(z) rounds to 1 in float32.
    public static func roundsToOne() -> Double {
        var lo = 0.0, hi = 60.0
        while hi - lo > 0.01 { let mid = (lo + hi) / 2; if probability(Float(mid)) == 1 { hi = mid } else { lo = mid } }
        return (hi * 100).rounded() / 100
    }
}
