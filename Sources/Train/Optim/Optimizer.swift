import Foundation
import LoupeCore

/// SGD (momentum, dampening, Nesterov, weight decay), Adam and AdamW with torch.optim's update rules,
/// a learning rate per parameter group (backbone vs head) and frozen parameters skipped.
///
/// SGD:   g ← grad + wd·p;  b ← g (first step) or μ·b + (1 − dampening)·g;  g ← g + μ·b (Nesterov) or b;
///        p ← p − lr·g
/// Adam:  g ← grad + wd·p;  m ← β₁m + (1 − β₁)g;  v ← β₂v + (1 − β₂)g²;
///        p ← p − lr/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε)
/// AdamW: p ← p·(1 − lr·wd) first, then Adam without the wd·p term.
/// (Kingma & Ba, "Adam", 2015; Loshchilov & Hutter, "Decoupled Weight Decay Regularization", 2019.)
public final class Optimizer {
    public let config: OptimizerConfig
    public let parameters: [Parameter]
    /// Multiplies every group's learning rate; set it from an `LRSchedule` before each `step()`.
    public var learningRateFactor: Double = 1
    /// Threads for the updates of large parameters (the result does not depend on it); `Trainer` sets the model's.
    public var threads = 1

    /// Per-parameter state, by parameter name; absent until the parameter's first step.
    private var momentumBuffers: [String: Tensor] = [:]
    private var expAvg: [String: Tensor] = [:]
    private var expAvgSq: [String: Tensor] = [:]
    private var steps: [String: Int] = [:]

    /// - Throws: `LoupeError.invalidInput` for a bad config or two parameters with one name.
    public init(parameters: [Parameter], config: OptimizerConfig) throws {
        try config.validate()
        guard Set(parameters.map(\.name)).count == parameters.count else {
            throw LoupeError.invalidInput("optimizer: parameter names must be unique")
        }
        self.parameters = parameters
        self.config = config
    }

    /// The learning rate a group gets at the current `learningRateFactor`.
    public func learningRate(for group: ParameterGroup) -> Double {
        config.learningRate * learningRateFactor * (group == .backbone ? config.backboneLRScale : 1)
    }

    /// Updates every parameter that is not frozen from its `grad`.
    /// - Complexity: O(total parameter count), memory-bound.
    public func step() {
        for p in parameters where !p.isFrozen {
            let lr = learningRate(for: p.group)
            switch config.kind {
            case .sgd: sgdStep(p, lr: lr)
            case .adam, .adamw: adamStep(p, lr: lr, decoupled: config.kind == .adamw)
            }
        }
    }

    private func sgdStep(_ p: Parameter, lr: Double) {
        let count = p.value.count
        let wd = Float(config.weightDecay), mu = Float(config.momentum), damp = Float(config.dampening)
        let rate = Float(lr), nesterov = config.nesterov
        steps[p.name, default: 0] += 1
        if mu == 0 {
            p.grad.read { g in p.value.write { w in
                for i in 0..<count { w[i] -= rate * (g[i] + wd * w[i]) }
            } }
            return
        }
        let first = momentumBuffers[p.name] == nil
        var buffer = momentumBuffers.removeValue(forKey: p.name) ?? Tensor(shape: p.value.shape)
        // Elementwise, so the split between threads does not change a bit of the result; large tensors
        // (ResNet-18's 2.4M-weight convolutions) are worth a second core's memory bandwidth.
        p.grad.read { g in p.value.write { w in buffer.write { b in
            let g = SharedPointer(UnsafeMutablePointer(mutating: g)), w = SharedPointer(w), b = SharedPointer(b)
            Parallel.slices(threads, count: count) { range in
                Optimizer.momentumStep(g: g.advanced(by: range.lowerBound), w: w.advanced(by: range.lowerBound),
                                       b: b.advanced(by: range.lowerBound), count: range.count, rate: rate, wd: wd,
                                       mu: mu, damp: damp, first: first, nesterov: nesterov)
            }
        } } }
        momentumBuffers[p.name] = buffer
    }

    /// One SGD-with-momentum update of `count` elements; the branches are hoisted so each loop vectorises.
    private static func momentumStep(g: UnsafeMutablePointer<Float>, w: UnsafeMutablePointer<Float>, b: UnsafeMutablePointer<Float>,
                                     count: Int, rate: Float, wd: Float, mu: Float, damp: Float, first: Bool, nesterov: Bool) {
        switch (first, nesterov) {
        case (true, false):
            for i in 0..<count { let d = g[i] + wd * w[i]; b[i] = d; w[i] -= rate * d }
        case (false, false):
            for i in 0..<count { let d = g[i] + wd * w[i]; let m = mu * b[i] + (1 - damp) * d; b[i] = m; w[i] -= rate * m }
        case (true, true):
            for i in 0..<count { let d = g[i] + wd * w[i]; b[i] = d; w[i] -= rate * (d + mu * d) }
        case (false, true):
            for i in 0..<count {
                let d = g[i] + wd * w[i]; let m = mu * b[i] + (1 - damp) * d; b[i] = m; w[i] -= rate * (d + mu * m)
            }
        }
    }

    private func adamStep(_ p: Parameter, lr: Double, decoupled: Bool) {
        let count = p.value.count
        let t = steps[p.name, default: 0] + 1
        steps[p.name] = t
        let beta1 = Float(config.beta1), beta2 = Float(config.beta2), eps = Float(config.eps)
        let wd = Float(config.weightDecay)
        let stepSize = Float(lr / (1 - pow(config.beta1, Double(t))))
        let correction2 = Float((1 - pow(config.beta2, Double(t))).squareRoot())
        let decay = Float(1 - lr * config.weightDecay)
        var m = expAvg.removeValue(forKey: p.name) ?? Tensor(shape: p.value.shape)
        var v = expAvgSq.removeValue(forKey: p.name) ?? Tensor(shape: p.value.shape)
        p.grad.read { g in p.value.write { w in m.write { mp in v.write { vp in
            let g = SharedPointer(UnsafeMutablePointer(mutating: g)), w = SharedPointer(w), mp = SharedPointer(mp), vp = SharedPointer(vp)
            Parallel.slices(threads, count: count) { range in
                let g = g.advanced(by: range.lowerBound), w = w.advanced(by: range.lowerBound)
                let mp = mp.advanced(by: range.lowerBound), vp = vp.advanced(by: range.lowerBound)
                if decoupled {
                    for i in 0..<range.count {
                        let d = g[i]
                        w[i] *= decay
                        mp[i] += (1 - beta1) * (d - mp[i])
                        vp[i] = beta2 * vp[i] + (1 - beta2) * d * d
                        w[i] -= stepSize * mp[i] / (vp[i].squareRoot() / correction2 + eps)
                    }
                } else {
                    for i in 0..<range.count {
                        let d = g[i] + wd * w[i]
                        mp[i] += (1 - beta1) * (d - mp[i])
                        vp[i] = beta2 * vp[i] + (1 - beta2) * d * d
                        w[i] -= stepSize * mp[i] / (vp[i].squareRoot() / correction2 + eps)
                    }
                }
            }
        } } } }
        expAvg[p.name] = m
        expAvgSq[p.name] = v
    }

    // MARK: state

    /// The optimiser's state as named tensors for checkpoints: `momentum_buffer.<param>` (SGD),
    /// `exp_avg.<param>`, `exp_avg_sq.<param>` (Adam/AdamW), `step.<param>` (shape `[]`, an integer),
    /// in parameter order; parameters that never stepped have no entries.
    public func state() -> [(String, Tensor)] {
        var out: [(String, Tensor)] = []
        for p in parameters {
            if let b = momentumBuffers[p.name] { out.append(("momentum_buffer." + p.name, b)) }
            if let m = expAvg[p.name] { out.append(("exp_avg." + p.name, m)) }
            if let v = expAvgSq[p.name] { out.append(("exp_avg_sq." + p.name, v)) }
            if let t = steps[p.name] { out.append(("step." + p.name, Tensor(shape: [], storage: [Float(t)]))) }
        }
        return out
    }

    /// Restores what `state()` wrote. Nothing changes unless every entry fits.
    /// - Throws: `LoupeError.invalidInput` for an unknown name or parameter, or a wrong shape.
    public func load(state: [String: Tensor]) throws {
        let byName = Dictionary(uniqueKeysWithValues: parameters.map { ($0.name, $0) })
        var problems: [String] = []
        var buffers: [String: Tensor] = [:], averages: [String: Tensor] = [:], squares: [String: Tensor] = [:]
        var counts: [String: Int] = [:]
        for (key, tensor) in state.sorted(by: { $0.key < $1.key }) {
            guard let dot = key.firstIndex(of: ".") else { problems.append("\(key): not <kind>.<parameter>"); continue }
            let kind = String(key[..<dot]), name = String(key[key.index(after: dot)...])
            guard let p = byName[name] else { problems.append("\(key): no parameter \(name)"); continue }
            let expected = kind == "step" ? [] : p.shape
            guard tensor.shape == expected || (kind == "step" && tensor.count == 1) else {
                problems.append("\(key): expected \(expected), found \(tensor.shape)")
                continue
            }
            switch kind {
            case "momentum_buffer" where config.kind == .sgd: buffers[name] = tensor
            case "exp_avg" where config.kind != .sgd: averages[name] = tensor
            case "exp_avg_sq" where config.kind != .sgd: squares[name] = tensor
            case "step": counts[name] = Int(tensor.storage[0])
            default: problems.append("\(key): not state of \(config.kind.rawValue)")
            }
        }
        if Set(averages.keys) != Set(squares.keys) { problems.append("exp_avg and exp_avg_sq name different parameters") }
        guard problems.isEmpty else {
            throw LoupeError.invalidInput("optimizer state does not fit: " + problems.prefix(12).joined(separator: "; ")
                                          + (problems.count > 12 ? " … and \(problems.count - 12) more" : ""))
        }
        momentumBuffers = buffers
        expAvg = averages
        expAvgSq = squares
        steps = counts
    }
}
