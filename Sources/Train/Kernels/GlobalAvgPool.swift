// Global average pooling: the mean of each channel plane (torchvision's avgpool + flatten).
//
// Shapes:
//   N batch, C channels, L = H·W
//   x (N, C, H, W) → y (N, C), owned by the layer (this is the model's embedding)
// forward:  y[n, c] = Σ_L x[n, c] / L
// backward: dx[n, c, :] = dy[n, c] / L

import LoupeCore

final class GlobalAvgPool: Layer {
    let name: String

    struct Cache {
        var output = Tensor.empty
        var inputShape: [Int] = []
    }
    private(set) var cache = Cache()

    init(name: String) { self.name = name }

    var stateEntries: [StateEntry] { [] }
    func releaseCache() {}
    func outputShape(_ input: [Int]) -> [Int] { [input[0]] }

    func forward(_ x: Tensor, _ ctx: RunContext) -> Tensor {
        precondition(x.rank == 4, "\(name): expected (N, C, H, W), got \(x.shape)")
        let planes = x.shape[0] * x.shape[1], L = x.shape[2] * x.shape[3]
        var out = cache.output
        cache.output = .empty
        out.reuse([x.shape[0], x.shape[1]])
        let inv = 1 / Float(L)
        x.read { xp in out.write { yp in
            for plane in 0..<planes { yp[plane] = VectorMath.sum(xp + plane * L, L) * inv }
        } }
        cache = Cache(output: out, inputShape: x.shape)
        return out
    }

    func backward(_ dy: Tensor, _ ctx: RunContext) -> Tensor {
        precondition(dy.shape == cache.output.shape, "\(name): dOut shape \(dy.shape) ≠ \(cache.output.shape)")
        var dx = ctx.pool.take(cache.inputShape)
        let planes = dy.count, L = cache.inputShape[2] * cache.inputShape[3], inv = 1 / Float(L)
        dy.read { dyp in dx.write { dxp in
            for plane in 0..<planes { (dxp + plane * L).update(repeating: dyp[plane] * inv, count: L) }
        } }
        return dx
    }
}
