// Linear: y = x·Wᵀ + b (PyTorch's nn.Linear, weight stored (out, in)).
//
// Shapes:
//   N batch, I in features, O out features
//   x (N, I) input, saved by reference;  W (O, I);  b (O);  y (N, O) owned by the layer
// forward:  y = x·Wᵀ + b
// backward: dW += dyᵀ·x,  db += Σ_N dy,  dx = dy·W

import LoupeCore

final class Linear: Layer {
    let name: String
    let inFeatures, outFeatures: Int
    let weight: Parameter
    let bias: Parameter?

    struct Cache {
        var input: Tensor?
        var output = Tensor.empty
    }
    private(set) var cache = Cache()

    init(name: String, inFeatures: Int, outFeatures: Int, bias: Bool = true, group: ParameterGroup) {
        self.name = name
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
        weight = Parameter(name: name + ".weight", value: Tensor(shape: [outFeatures, inFeatures]), group: group)
        self.bias = bias ? Parameter(name: name + ".bias", value: Tensor(shape: [outFeatures]), group: group) : nil
    }

    var stateEntries: [StateEntry] { [.parameter(weight)] + (bias.map { [.parameter($0)] } ?? []) }
    func outputShape(_ input: [Int]) -> [Int] { [outFeatures] }
    func releaseCache() { cache.input = nil }

    func forward(_ x: Tensor, _ ctx: RunContext) -> Tensor {
        precondition(x.rank == 2 && x.shape[1] == inFeatures, "\(name): expected (N, \(inFeatures)), got \(x.shape)")
        let n = x.shape[0], I = inFeatures, O = outFeatures
        var out = cache.output
        cache.output = .empty
        out.reuse([n, O])
        x.read { xp in weight.value.read { wp in out.write { yp in
            GEMM.sgemm(transposeA: false, transposeB: true, m: n, n: O, k: I, alpha: 1, a: xp, lda: I, b: wp, ldb: I,
                       beta: 0, c: yp, ldc: O)
            if let bias {
                bias.value.read { bp in for i in 0..<n { for o in 0..<O { yp[i * O + o] += bp[o] } } }
            }
        } } }
        cache = Cache(input: x, output: out)
        return out
    }

    func backward(_ dy: Tensor, _ ctx: RunContext) -> Tensor {
        guard let x = cache.input else { preconditionFailure("\(name): backward without forward") }
        let n = x.shape[0], I = inFeatures, O = outFeatures
        precondition(dy.shape == [n, O], "\(name): dOut shape \(dy.shape) ≠ \([n, O])")
        if ctx.updates(weight) {
            dy.read { dyp in x.read { xp in weight.grad.write { dwp in
                GEMM.sgemm(transposeA: true, transposeB: false, m: O, n: I, k: n, alpha: 1, a: dyp, lda: O, b: xp, ldb: I,
                           beta: 1, c: dwp, ldc: I)
            } } }
        }
        if let bias, ctx.updates(bias) {
            dy.read { dyp in bias.grad.write { db in for i in 0..<n { for o in 0..<O { db[o] += dyp[i * O + o] } } } }
        }
        var dx = ctx.pool.take(x.shape)
        if ctx.needsInputGradient(self) {
            dy.read { dyp in weight.value.read { wp in dx.write { dxp in
                GEMM.sgemm(transposeA: false, transposeB: false, m: n, n: I, k: O, alpha: 1, a: dyp, lda: O, b: wp, ldb: I,
                           beta: 0, c: dxp, ldc: I)
            } } }
        }
        return dx
    }
}
