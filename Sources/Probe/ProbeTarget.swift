import Foundation
import LoupeCore

/// What the recorded gradients are gradients of.
///
/// Grad-CAM is defined on the pre-softmax score (`logit`). `prob` and `loss` go through the softmax and
/// saturate: once the true class's margin passes ~17–20 its float32 probability rounds to 1 and the
/// gradient vanishes (exactly zero from a margin of ~104) — the study's "all-zero gradients".
public enum ProbeTarget: String, CaseIterable, Sendable, Codable {
    /// The true class's logit.
    case logit
    /// The predicted (arg-max) class's logit.
    case logitPredicted = "logit-predicted"
    /// The true class's softmax probability.
    case prob
    /// Cross-entropy loss of the true class.
    case loss

    /// Per-sample target values and d target / d logits.
    ///
    /// Shapes: `logits` N×K row-major, `labels` N; returns values N and gradient N×K. Float32 throughout,
    /// exactly as a float32 framework would compute it, so saturation shows as it would there.
    /// - Complexity: O(N·K).
    public func evaluate(logits: [Float], labels: [Int], classes k: Int) -> (values: [Float], dLogits: [Float]) {
        let n = labels.count
        var values = [Float](repeating: 0, count: n)
        var grad = [Float](repeating: 0, count: n * k)
        for i in 0..<n {
            let row = Array(logits[(i * k)..<((i + 1) * k)])
            let y = labels[i]
            switch self {
            case .logit:
                values[i] = row[y]
                grad[i * k + y] = 1
            case .logitPredicted:
                let c = row.indices.max { row[$0] < row[$1] } ?? 0
                values[i] = row[c]
                grad[i * k + c] = 1
            case .prob, .loss:
                let m = row.max() ?? 0
                let e = row.map { Foundation.exp($0 - m) }
                let s = e.reduce(0, +)
                let p = e.map { $0 / s }
                if self == .prob {
                    values[i] = p[y]
                    // d p_y / d z_j = p_y (δ_yj − p_j)
                    for j in 0..<k { grad[i * k + j] = p[y] * ((j == y ? 1 : 0) - p[j]) }
                } else {
                    values[i] = -(row[y] - m - Foundation.log(s))
                    for j in 0..<k { grad[i * k + j] = p[j] - (j == y ? 1 : 0) }
                }
            }
        }
        return (values, grad)
    }
}
