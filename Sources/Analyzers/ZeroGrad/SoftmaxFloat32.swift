// What float32 does to the gradient of a softmax output (regimes shared with SigmoidFloat32), replayed exactly as PyTorch computes it on
// the CPU: p = exp(z − max z) / Σ exp(z − max z), then for the probability target
// ∂p_y/∂z_j = p_j·(δ_jy − p_y), and for the cross-entropy loss ∂L/∂z_j = p_j − δ_jy.
// With one class ahead by a margin m, p_y rounds to exactly 1.0 from m ≈ 17 (1 − p_y < 2⁻²⁴), which
// zeroes the j = y term; the off-class terms p_j ≈ e^(−m) survive as subnormals until m ≈ 104
// (below 2⁻¹⁴⁹ ≈ 1.4e−45 they become exactly 0). So "all zero" needs m ≳ 104, and between 17 and 104
// the gradient is non-zero but negligible.
import Foundation

/// The float32 regime of one sample's softmax gradient.
public enum SoftmaxRegime: String, Sendable, CaseIterable {
    /// The target does not pass through the softmax (logit targets).
    case noSoftmax = "no-softmax"
    /// p_y is strictly between 0 and 1 and the softmax shrinks the gradient less than 1000×.
    case normal
    /// Still representable, but the softmax shrinks the gradient more than 1000× (margin ≳ 7).
    case shrunk
    /// p_y rounds to exactly 1.0 (or to 0.0 for a confidently wrong sample) but some terms survive:
    /// the gradient is non-zero and negligible.
    case rounded
    /// Every term of the softmax backward is exactly 0 in float32.
    case exactZero = "exact-zero"
    /// The scores hold NaN or +∞: nothing can be replayed.
    case undefined = "non-finite-scores"

    public var isSaturated: Bool { self == .shrunk || self == .rounded || self == .exactZero }

    public var explanation: String {
        switch self {
        case .noSoftmax: "target does not pass through the softmax"
        case .normal: "p strictly between 0 and 1; the softmax shrinks the gradient less than 1000×"
        case .shrunk: "the softmax shrinks the gradient more than 1000×, p not yet rounded"
        case .rounded: "p rounds to exactly 1 (or 0) in float32; gradient tiny but not zero"
        case .exactZero: "every softmax-backward term is exactly 0 in float32"
        case .undefined: "the scores hold NaN or +∞"
        }
    }
}

public enum SoftmaxFloat32 {
    /// Softmax in float32 with the max subtracted, as torch.softmax does.
    public static func probabilities(_ z: ArraySlice<Float>) -> [Float] {
        let m = z.max() ?? 0
        let e = z.map { Float(Foundation.exp(Double($0 - m))) }
        let s = e.reduce(Float(0), +)
        return e.map { $0 / s }
    }

    /// ∂target/∂z in float32 for `target` (prob or loss) and class `y`.
    public static func logitGradient(_ z: ArraySlice<Float>, y: Int, target: GradientTarget) -> [Float] {
        let p = probabilities(z)
        switch target {
        case .loss: return p.enumerated().map { j, pj in pj - (j == y ? 1 : 0) }
        default:
            let py = p[y]
            return p.enumerated().map { j, pj in pj * ((j == y ? 1 : 0) - py) }
        }
    }

    /// The factor by which the softmax scales the gradient: max_j |∂target/∂z_j|, in float64
    /// (1 for targets without a softmax).
    public static func factor(_ z: ArraySlice<Float>, y: Int, target: GradientTarget) -> Double {
        guard target.passesThroughSoftmax else { return 1 }
        let m = Double(z.max() ?? 0)
        let e = z.map { Foundation.exp(Double($0) - m) }
        let s = e.reduce(0, +)
        let p = e.map { $0 / s }
        if target == .loss { return p.enumerated().map { j, pj in abs(pj - (j == y ? 1 : 0)) }.max() ?? 0 }
        return p.enumerated().map { j, pj in abs(pj * ((j == y ? 1 : 0) - p[y])) }.max() ?? 0
    }

    /// Below this factor the softmax has shrunk the gradient "a lot" (1000×).
    public static let shrunkFactor = 1e-3

    /// The regime of one sample.
    public static func regime(_ z: ArraySlice<Float>, y: Int, target: GradientTarget) -> SoftmaxRegime {
        guard target.passesThroughSoftmax else { return .noSoftmax }
        guard !z.contains(where: { $0.isNaN || $0 == .infinity }), z.contains(where: { $0.isFinite }) else { return .undefined }
        let g = logitGradient(z, y: y, target: target)
        if g.allSatisfy({ $0 == 0 }) { return .exactZero }
        let py = probabilities(z)[y]
        let largest = g.map { abs(Double($0)) }.max() ?? 0
        if (py == 1 || py == 0) && largest < GradientStats.float16Subnormal { return .rounded }
        return factor(z, y: y, target: target) < shrunkFactor ? .shrunk : .normal
    }

    /// z_y − max_{j≠y} z_j.
    public static func margin(_ z: ArraySlice<Float>, y: Int) -> Double {
        var best = -Double.infinity
        for (j, v) in z.enumerated() where j != y { best = max(best, Double(v)) }
        return Double(z[z.startIndex + y]) - (best.isFinite ? best : Double(z[z.startIndex + y]))
    }

    /// The smallest margins (to 0.01) at which p_y rounds to 1 and at which the gradient of `target`
    /// is exactly zero, for `k` classes with all other logits equal.
    public static func thresholds(classes k: Int, target: GradientTarget = .prob) -> (roundsToOne: Double, exactZero: Double) {
        func logits(_ m: Double) -> ArraySlice<Float> { ([Float(m)] + [Float](repeating: 0, count: max(k - 1, 1)))[...] }
        func search(_ test: (Double) -> Bool) -> Double {
            var lo = 0.0, hi = 200.0
            while hi - lo > 0.01 { let mid = (lo + hi) / 2; if test(mid) { hi = mid } else { lo = mid } }
            return (hi * 100).rounded() / 100
        }
        return (search { probabilities(logits($0))[0] == 1 },
                search { logitGradient(logits($0), y: 0, target: target).allSatisfy { $0 == 0 } })
    }
}
