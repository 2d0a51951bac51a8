// ReLU: y = max(x, 0).
//
// Shapes:
//   x (any)  input;  y (same) output, owned by the layer and saved: its sign is the mask
// forward:  y = x > 0 ? x : 0
// backward: dx = y > 0 ? dy : 0      (PyTorch's threshold_backward on the output)

import LoupeCore

final class ReLU: Layer {
    let name: String

    struct Cache { var output = Tensor.empty }
    private(set) var cache = Cache()

    init(name: String) { self.name = name }

    var stateEntries: [StateEntry] { [] }
    func outputShape(_ input: [Int]) -> [Int] { input }
    func releaseCache() {}

    func forward(_ x: Tensor, _ ctx: RunContext) -> Tensor {
        var out = cache.output
        cache.output = .empty
        out.reuse(x.shape)
        let count = x.count, parts = Parallel.parts(ctx.threads, count: count, itemCost: 1, minimumWork: 65_536)
        x.read { xp in out.write { yp in
            Parallel.run(parts) { t in
                for i in Parallel.slice(t, of: parts, count: count) { let v = xp[i]; yp[i] = v > 0 ? v : 0 }
            }
        } }
        cache.output = out
        return out
    }

    func backward(_ dy: Tensor, _ ctx: RunContext) -> Tensor {
        precondition(dy.shape == cache.output.shape, "\(name): dOut shape \(dy.shape) ≠ \(cache.output.shape)")
        var dx = ctx.pool.take(dy.shape)
        let count = dy.count, parts = Parallel.parts(ctx.threads, count: count, itemCost: 1, minimumWork: 65_536)
        cache.output.read { yp in dy.read { dyp in dx.write { dxp in
            Parallel.run(parts) { t in
                for i in Parallel.slice(t, of: parts, count: count) { dxp[i] = yp[i] > 0 ? dyp[i] : 0 }
            }
        } } }
        return dx
    }
}
