// Dropout (Srivastava et al., "Dropout: A Simple Way to Prevent Neural Networks from Overfitting",
// 2014), inverted: kept values are scaled by 1/(1 − p) in training, identity in eval.
//
// Shapes:
//   x (any) → y (same), owned by the layer;  mask (same) saved: 0 or 1/(1 − p)
// forward (train): mask = (u ≥ p) / (1 − p) with u ~ U[0, 1) from a seeded generator; y = x·mask
// backward:        dx = dy·mask  (eval: dx = dy)

import LoupeCore

final class Dropout: Layer {
    let name: String
    let probability: Float
    /// Draws the masks; part of a run's state if it is to be resumed exactly.
    var generator: SeededGenerator

    struct Cache {
        var output = Tensor.empty
        var mask = Tensor.empty
        var active = false
    }
    private(set) var cache = Cache()

    init(name: String, probability: Float, generator: SeededGenerator) {
        precondition((0..<1).contains(probability), "dropout probability must be in [0, 1)")
        self.name = name
        self.probability = probability
        self.generator = generator
    }

    var stateEntries: [StateEntry] { [] }
    func outputShape(_ input: [Int]) -> [Int] { input }
    func releaseCache() {}

    func forward(_ x: Tensor, _ ctx: RunContext) -> Tensor {
        guard ctx.mode == .train, probability > 0 else {
            cache.active = false
            return x
        }
        var out = cache.output, mask = cache.mask
        cache.output = .empty
        cache.mask = .empty
        out.reuse(x.shape)
        mask.reuse(x.shape)
        let keep = 1 / (1 - probability), p = probability
        mask.write { mp in for i in 0..<x.count { mp[i] = generator.nextFloat() >= p ? keep : 0 } }
        x.read { xp in mask.read { mp in out.write { yp in for i in 0..<x.count { yp[i] = xp[i] * mp[i] } } } }
        cache = Cache(output: out, mask: mask, active: true)
        return out
    }

    func backward(_ dy: Tensor, _ ctx: RunContext) -> Tensor {
        guard cache.active else { return dy }
        precondition(dy.shape == cache.mask.shape, "\(name): dOut shape \(dy.shape) ≠ \(cache.mask.shape)")
        var dx = ctx.pool.take(dy.shape)
        dy.read { dyp in cache.mask.read { mp in dx.write { dxp in for i in 0..<dy.count { dxp[i] = dyp[i] * mp[i] } } } }
        return dx
    }
}
