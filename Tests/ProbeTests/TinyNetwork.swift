import Foundation
import LoupeCore
@testable import Probe

/// A two-layer network written out by hand: hidden = relu(W1·x), logits = W2·hidden.
/// "hidden" is the one recordable layer (shape H×1×1); the embedding is `hidden`.
final class TinyNetwork: ProbeNetwork {
    let inputs: Int, hidden: Int, classes: Int
    var w1: [Float], w2: [Float]
    private var lastHidden: [Float] = []
    private var lastBatch = 0

    init(inputs: Int, hidden: Int, classes: Int, seed: UInt64, scale: Float = 1) {
        self.inputs = inputs
        self.hidden = hidden
        self.classes = classes
        var rng = SeededGenerator(seed: seed)
        w1 = (0..<(hidden * inputs)).map { _ in rng.nextGaussian() * scale }
        w2 = (0..<(classes * hidden)).map { _ in rng.nextGaussian() * scale }
    }

    func hiddenOf(_ x: [Float], batch: Int) -> [Float] {
        var h = [Float](repeating: 0, count: batch * hidden)
        for b in 0..<batch { for j in 0..<hidden {
            var s: Float = 0
            for i in 0..<inputs { s += w1[j * inputs + i] * x[b * inputs + i] }
            h[b * hidden + j] = max(0, s)
        } }
        return h
    }

    func logitsOf(hidden h: [Float], batch: Int) -> [Float] {
        var z = [Float](repeating: 0, count: batch * classes)
        for b in 0..<batch { for c in 0..<classes {
            var s: Float = 0
            for j in 0..<hidden { s += w2[c * hidden + j] * h[b * hidden + j] }
            z[b * classes + c] = s
        } }
        return z
    }

    func probeForward(_ input: Tensor, record: Set<String>) throws -> (logits: Tensor, embedding: Tensor, activations: [String: Tensor]) {
        let batch = input.shape[0]
        lastBatch = batch
        lastHidden = hiddenOf(input.storage, batch: batch)
        let logits = Tensor(shape: [batch, classes], storage: logitsOf(hidden: lastHidden, batch: batch))
        let h = Tensor(shape: [batch, hidden, 1, 1], storage: lastHidden)
        return (logits, Tensor(shape: [batch, hidden], storage: lastHidden), record.contains("hidden") ? ["hidden": h] : [:])
    }

    func probeBackward(_ dLogits: Tensor) throws -> [String: Tensor] {
        var g = [Float](repeating: 0, count: lastBatch * hidden)
        for b in 0..<lastBatch { for j in 0..<hidden {
            var s: Float = 0
            for c in 0..<classes { s += w2[c * hidden + j] * dLogits.storage[b * classes + c] }
            g[b * hidden + j] = s
        } }
        return ["hidden": Tensor(shape: [lastBatch, hidden, 1, 1], storage: g)]
    }
}
