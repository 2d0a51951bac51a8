// Replays, per probe sample, what the output layer does to the gradient in float32, from the values the
// dump stores as `/logits`. Those values are not always logits: a model whose forward ends in softmax,
// log_softmax or a sigmoid stores probabilities or log-probabilities there, and then the model's own
// output layer saturates whatever target the probe used. Recognised from the values alone:
//   probabilities      K ≥ 2, every entry in [0, 1] and every row summing to 1 (±2e−3, float16 storage);
//   log-probabilities  K ≥ 2, every entry ≤ 0 (−∞ allowed) and every row's log Σ exp within ±2e−3 of 0;
//   sigmoid outputs    every entry in [0, 1], some within 1e-3 of 0 or 1 (K = 1, or K ≥ 2 rows not
//                      summing to 1: a multi-label head).
// Genuine logits almost never satisfy these over a whole probe set.
import Foundation
import LoupeCore

/// What the dump's `/logits` hold.
public enum ScoreKind: String, Sendable {
    case logits
    /// One column: the logit of a binary model.
    case binaryLogit = "binary-logit"
    case probabilities
    case logProbabilities = "log-probabilities"
    /// Every value in [0, 1] without rows summing to 1: a binary or multi-label model applying its sigmoid itself.
    case sigmoidProbabilities = "sigmoid-probabilities"

    /// True when the model's own output layer (softmax, log_softmax, sigmoid) is in every gradient's path.
    public var isModelOutput: Bool { self == .probabilities || self == .logProbabilities || self == .sigmoidProbabilities }

    /// Classifies N×K values (NaN rows ignored; at least one finite row needed).
    public static func detect(_ z: [Float], classes k: Int) -> ScoreKind {
        let n = z.count / max(k, 1)
        let rows = (0..<n).map { z[($0 * k)..<(($0 + 1) * k)] }.filter { !$0.contains { $0.isNaN } }
        guard !rows.isEmpty else { return k == 1 ? .binaryLogit : .logits }
        // Sigmoid outputs: every value in [0, 1] and some within 1e-3 of 0 or 1 (small logits of an
        // unconfident model also lie in [0, 1], but do not crowd its ends).
        let inUnit = rows.allSatisfy { $0.allSatisfy { $0 >= 0 && $0 <= 1 } }
        let atEnds = rows.contains { $0.contains { $0 <= 1e-3 || $0 >= 1 - 1e-3 } }
        if k == 1 { return inUnit && atEnds ? .sigmoidProbabilities : .binaryLogit }
        let tol = 2e-3
        if rows.allSatisfy({ r in r.allSatisfy { $0 >= 0 && $0 <= 1 + Float(tol) } && abs(r.reduce(0.0) { $0 + Double($1) } - 1) <= tol }) {
            return .probabilities
        }
        if inUnit && atEnds { return .sigmoidProbabilities }
        if rows.allSatisfy({ r in
            guard r.allSatisfy({ $0 <= Float(tol) }), let m = r.max(), m.isFinite else { return false }
            let lse = Double(m) + Foundation.log(r.reduce(0.0) { $0 + Foundation.exp(Double($1) - Double(m)) })
            return abs(lse) <= tol
        }) {
            return .logProbabilities
        }
        return .logits
    }
}

/// Per-sample margins and float32 regimes of one file.
public struct TargetReplay: Sendable {
    public var kind: ScoreKind
    public var classes: Int
    public var regimes: [SoftmaxRegime]
    /// z_y − max_{j≠y} z_j (K ≥ 2, on log p for probability outputs); ±z towards the true class (K = 1).
    public var margins: [Double]
    /// The true-class probability in float32.
    public var pTarget: [Float]
    public var targetClass: [Int]
    /// How much the output layer scales the gradient: max_j |∂target/∂z_j| in float64.
    public var factors: [Double]

    /// log p of a probability, with p = 0 just below float32's smallest subnormal (margin ≥ 104).
    static func logProbability(_ p: Float) -> Float {
        p.isNaN ? .nan : p > 0 ? Float(Foundation.log(Double(p))) : Float(Foundation.log(Double(Float.leastNonzeroMagnitude))) - 1
    }

    /// - Parameters: z the N×K `/logits`, labels the true classes (nil: the predicted class is used).
    public init(scores z: [Float], classes k: Int, labels: [Int]?, target: GradientTarget) {
        let n = z.count / max(k, 1)
        kind = ScoreKind.detect(z, classes: k)
        classes = k
        regimes = []; margins = []; pTarget = []; targetClass = []; factors = []
        for i in 0..<n {
            var row = Array(z[(i * k)..<((i + 1) * k)])
            if k == 1 {
                let v = row[0]
                let p = kind == .sigmoidProbabilities ? v : SigmoidFloat32.probability(v)
                let y = labels.map { $0[i] == 0 ? 0 : 1 } ?? (p >= 0.5 ? 1 : 0)
                targetClass.append(y)
                pTarget.append(y == 1 ? p : 1 - p)
                if kind == .sigmoidProbabilities {
                    let logit = Self.logProbability(p) - Self.logProbability(1 - p)
                    margins.append(Double(y == 1 ? logit : -logit))
                    regimes.append(SigmoidFloat32.regime(probability: p))
                    factors.append(Double(p) * (1 - Double(p)))
                } else {
                    margins.append(Double(y == 1 ? v : -v))
                    regimes.append(SigmoidFloat32.regime(v, y: y, target: target))
                    factors.append(SigmoidFloat32.factor(v, y: y, target: target))
                }
                continue
            }
            if kind == .sigmoidProbabilities {  // multi-label: the true class's own sigmoid
                let y = labels.map { min(max($0[i], 0), k - 1) } ?? (row.indices.max { row[$0] < row[$1] } ?? 0)
                let p = row[y]
                targetClass.append(y)
                pTarget.append(p)
                margins.append(Double(Self.logProbability(p) - Self.logProbability(1 - p)))
                regimes.append(SigmoidFloat32.regime(probability: p))
                factors.append(Double(p) * (1 - Double(p)))
                continue
            }
            // Probability outputs: replay the model's softmax on log p (log_softmax: on the values).
            var replayed = target
            switch kind {
            case .probabilities: row = row.map(Self.logProbability); replayed = .prob
            case .logProbabilities: row = row.map { $0 == -.infinity ? Self.logProbability(0) : $0 }; replayed = .loss
            default: break
            }
            let finiteRow = !row.contains { !$0.isFinite }
            let y = labels.map { min(max($0[i], 0), k - 1) }
                ?? (finiteRow ? (row.indices.max { row[$0] < row[$1] } ?? 0) : 0)
            targetClass.append(y)
            guard finiteRow else {
                regimes.append(replayed.passesThroughSoftmax ? .undefined : .noSoftmax)
                margins.append(.nan); pTarget.append(.nan); factors.append(.nan)
                continue
            }
            regimes.append(SoftmaxFloat32.regime(row[...], y: y, target: replayed))
            margins.append(SoftmaxFloat32.margin(row[...], y: y))
            pTarget.append(SoftmaxFloat32.probabilities(row[...])[y])
            factors.append(SoftmaxFloat32.factor(row[...], y: y, target: replayed))
        }
    }
}
