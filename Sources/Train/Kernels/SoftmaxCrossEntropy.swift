// Softmax cross-entropy from logits, computed stably through log-sum-exp; mean over the batch
// (PyTorch's F.cross_entropy with reduction "mean").
//
// Shapes:
//   N batch, K classes
//   logits (N, K), labels (N) in 0..<K → loss (scalar), dLogits (N, K)
// forward:  loss = (1/N)·Σ_n [log Σ_k exp(z_nk − max_n) + max_n − z_n,y_n]
// backward: dLogits = (softmax(z) − onehot(y)) / N

import LoupeCore

/// Mean cross-entropy of `logits` against `labels`, and its gradient w.r.t. the logits.
/// - Throws: `LoupeError.invalidInput` for a shape mismatch or a label outside `0..<K`.
/// - Complexity: O(N·K).
public func softmaxCrossEntropy(logits: Tensor, labels: [Int]) throws -> (loss: Float, dLogits: Tensor) {
    guard logits.rank == 2, logits.shape[0] == labels.count, logits.shape[0] > 0 else {
        throw LoupeError.invalidInput("cross-entropy: logits \(logits.shape) do not match \(labels.count) labels")
    }
    let n = logits.shape[0], k = logits.shape[1]
    if let bad = labels.first(where: { !(0..<k).contains($0) }) {
        throw LoupeError.invalidInput("cross-entropy: label \(bad) is outside 0..<\(k)")
    }
    var grad = Tensor(shape: logits.shape)
    var total = 0.0
    logits.read { z in grad.write { g in
        for i in 0..<n {
            let row = z + i * k, out = g + i * k
            var top = -Float.infinity
            for j in 0..<k { top = max(top, row[j]) }
            var sum = 0.0
            for j in 0..<k { let e = Foundation.exp(Double(row[j] - top)); out[j] = Float(e); sum += e }
            total += Foundation.log(sum) + Double(top) - Double(row[labels[i]])
            let scale = 1 / (sum * Double(n))
            for j in 0..<k { out[j] = Float(Double(out[j]) * scale) }
            out[labels[i]] -= 1 / Float(n)
        }
    } }
    return (Float(total / Double(n)), grad)
}

import Foundation
