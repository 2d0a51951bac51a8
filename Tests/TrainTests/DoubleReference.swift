import LoupeCore
@testable import Train

/// A Double-precision forward pass of a `Model`, written with textbook loops and walking the model's own
/// layer graph, with the weights taken from a dictionary it can perturb. Finite differences on it are
/// accurate to ~1e-9, free of float32 noise, so they can check the float32 backward through many kinks.
struct DoubleReference {
    struct Value {
        var shape: [Int]
        var v: [Double]
    }

    /// torchvision key → values (parameters and BatchNorm buffers).
    var state: [String: [Double]]
    let mode: ForwardMode

    init(_ model: Model, mode: ForwardMode) {
        state = Dictionary(uniqueKeysWithValues: model.stateDict().map { ($0.0, $0.1.storage.map(Double.init)) })
        self.mode = mode
    }

    func logits(_ model: Model, _ x: Value) -> Value {
        var h = x
        for layer in model.spine { h = run(layer, h) }
        let (n, c, l) = (h.shape[0], h.shape[1], h.shape[2] * h.shape[3])
        var pooled = Value(shape: [n, c], v: [Double](repeating: 0, count: n * c))
        for i in 0..<(n * c) { pooled.v[i] = h.v[(i * l)..<((i + 1) * l)].reduce(0, +) / Double(l) }
        let w = state["fc.weight"]!, b = state["fc.bias"]!, k = model.numClasses
        var out = Value(shape: [n, k], v: [Double](repeating: 0, count: n * k))
        for i in 0..<n { for o in 0..<k {
            var s = b[o]
            for j in 0..<c { s += pooled.v[i * c + j] * w[o * c + j] }
            out.v[i * k + o] = s
        } }
        return out
    }

    func loss(_ model: Model, _ x: Value, labels: [Int]) -> Double {
        let z = logits(model, x)
        let k = z.shape[1]
        var total = 0.0
        for (i, y) in labels.enumerated() {
            let row = z.v[(i * k)..<((i + 1) * k)]
            let top = row.max()!
            total += Foundation.log(row.map { Foundation.exp($0 - top) }.reduce(0, +)) + top - row[row.startIndex + y]
        }
        return total / Double(labels.count)
    }

    func run(_ layer: Layer, _ x: Value) -> Value {
        switch layer {
        case let conv as Conv2d:
            return convolution(x, conv)
        case let bn as BatchNorm2d:
            let y = batchNorm(x, bn)
            return bn.reluName == nil ? y : relu(y)
        case let pool as MaxPool2d:
            return maxPool(x, pool)
        case let sequence as Sequential:
            return sequence.layers.reduce(x) { run($1, $0) }
        case let block as BasicBlock:
            var h = relu(batchNorm(convolution(x, block.conv1), block.bn1))
            h = batchNorm(convolution(h, block.conv2), block.bn2)
            var shortcut = x
            if let conv = block.downsampleConv, let bn = block.downsampleBN { shortcut = batchNorm(convolution(x, conv), bn) }
            for i in h.v.indices { h.v[i] += shortcut.v[i] }
            return relu(h)
        default:
            fatalError("no Double reference for \(type(of: layer))")
        }
    }

    func convolution(_ x: Value, _ conv: Conv2d) -> Value {
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (o, k, s, p) = (conv.outChannels, conv.kernel, conv.stride, conv.padding)
        let P = (h + 2 * p - k) / s + 1, Q = (w + 2 * p - k) / s + 1
        let weight = state[conv.weight.name]!, bias = conv.bias.map { state[$0.name]! }
        var out = Value(shape: [n, o, P, Q], v: [Double](repeating: 0, count: n * o * P * Q))
        for b in 0..<n { for oc in 0..<o { for u in 0..<P { for v in 0..<Q {
            var acc = bias?[oc] ?? 0
            for ic in 0..<c { for i in 0..<k { for j in 0..<k {
                let ih = u * s - p + i, iw = v * s - p + j
                if ih >= 0, ih < h, iw >= 0, iw < w {
                    acc += x.v[((b * c + ic) * h + ih) * w + iw] * weight[((oc * c + ic) * k + i) * k + j]
                }
            } } }
            out.v[((b * o + oc) * P + u) * Q + v] = acc
        } } } }
        return out
    }

    func batchNorm(_ x: Value, _ bn: BatchNorm2d) -> Value {
        let (n, c, l) = (x.shape[0], x.shape[1], x.shape[2] * x.shape[3])
        let name = bn.moduleName
        let gamma = state[name + ".weight"]!, beta = state[name + ".bias"]!
        var out = x
        for ch in 0..<c {
            var values: [Double] = []
            for b in 0..<n { values += x.v[((b * c + ch) * l)..<((b * c + ch + 1) * l)] }
            let mean: Double, variance: Double
            if mode == .train {
                mean = values.reduce(0, +) / Double(values.count)
                variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count)
            } else {
                mean = state[name + ".running_mean"]![ch]
                variance = state[name + ".running_var"]![ch]
            }
            let invstd = 1 / (variance + 1e-5).squareRoot()
            for b in 0..<n { for i in 0..<l {
                let index = (b * c + ch) * l + i
                out.v[index] = (x.v[index] - mean) * invstd * gamma[ch] + beta[ch]
            } }
        }
        return out
    }

    func relu(_ x: Value) -> Value { Value(shape: x.shape, v: x.v.map { max($0, 0) }) }

    func maxPool(_ x: Value, _ pool: MaxPool2d) -> Value {
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (k, s, p) = (pool.kernel, pool.stride, pool.padding)
        let P = (h + 2 * p - k) / s + 1, Q = (w + 2 * p - k) / s + 1
        var out = Value(shape: [n, c, P, Q], v: [Double](repeating: -.infinity, count: n * c * P * Q))
        for plane in 0..<(n * c) { for u in 0..<P { for v in 0..<Q {
            for i in 0..<k { for j in 0..<k {
                let ih = u * s - p + i, iw = v * s - p + j
                if ih >= 0, ih < h, iw >= 0, iw < w {
                    out.v[(plane * P + u) * Q + v] = max(out.v[(plane * P + u) * Q + v], x.v[(plane * h + ih) * w + iw])
                }
            } }
        } } }
        return out
    }
}

import Foundation
