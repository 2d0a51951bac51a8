// BatchNorm2d (Ioffe & Szegedy, "Batch Normalization", 2015) with PyTorch's semantics, optionally
// fused with a residual add and a ReLU after it: y = relu(γ·x̂ + β + r).
//
// Shapes:
//   N batch, C channels, L = H·W, M = N·L values per channel
//   x        (N, C, H, W)  input, saved by reference for backward
//   r        (N, C, H, W)  optional residual added after the affine step
//   y        (N, C, H, W)  output, owned by the layer (its sign is the ReLU mask in backward)
//   γ, β     (C)           weight, bias
//   mean, invstd (C)       saved: batch statistics (train) or running ones (eval)
//   running_mean, running_var (C), num_batches_tracked ()
// train:  mean = Σx/M, var = Σ(x − mean)²/M (biased, for normalising), x̂ = (x − mean)/√(var + ε)
//         running_mean ← (1 − m)·running_mean + m·mean
//         running_var  ← (1 − m)·running_var + m·var·M/(M − 1)   (unbiased), num_batches_tracked += 1
// eval:   x̂ = (x − running_mean)/√(running_var + ε)
// backward (dz = dy·[y > 0] with ReLU, else dy; dr = dz):
//   dγ += Σ dz·x̂,  dβ += Σ dz
//   train: dx = γ·invstd·(dz − Σdz/M − x̂·Σ(dz·x̂)/M)       eval: dx = γ·invstd·dz

import LoupeCore

final class BatchNorm2d: Layer {
    /// The BatchNorm module's name (`bn1`, `features.1`): its parameters are `<moduleName>.weight` etc.
    let moduleName: String
    /// The fused ReLU's module name (`relu`, `features.2`), if any.
    let reluName: String?
    let channels: Int
    let momentum: Float = 0.1
    let eps: Float = 1e-5
    let weight, bias: Parameter
    let runningMean, runningVar, numBatchesTracked: ModelBuffer

    struct Cache {
        var input: Tensor?
        var output = Tensor.empty
        var mean: [Float] = []
        var invstd: [Float] = []
        var mode: ForwardMode = .eval
        var hasResidual = false
    }
    private(set) var cache = Cache()

    /// The recorded output is the ReLU's when one is fused.
    var name: String { reluName ?? moduleName }

    init(name: String, channels: Int, fusedReLU reluName: String? = nil, group: ParameterGroup = .backbone) {
        moduleName = name
        self.reluName = reluName
        self.channels = channels
        weight = Parameter(name: name + ".weight", value: Tensor(shape: [channels], value: 1), group: group)
        bias = Parameter(name: name + ".bias", value: Tensor(shape: [channels]), group: group)
        runningMean = ModelBuffer(name: name + ".running_mean", value: Tensor(shape: [channels]))
        runningVar = ModelBuffer(name: name + ".running_var", value: Tensor(shape: [channels], value: 1))
        numBatchesTracked = ModelBuffer(name: name + ".num_batches_tracked", value: Tensor(shape: []), isInteger: true)
    }

    var stateEntries: [StateEntry] {
        [.parameter(weight), .parameter(bias), .buffer(runningMean), .buffer(runningVar), .buffer(numBatchesTracked)]
    }

    func outputShape(_ input: [Int]) -> [Int] { input }

    func describe(_ input: [Int]) -> [(name: String, shape: [Int])] {
        reluName.map { [(moduleName, input), ($0, input)] } ?? [(moduleName, input)]
    }

    func releaseCache() { cache.input = nil }

    func forward(_ x: Tensor, _ ctx: RunContext) -> Tensor { forward(x, residual: nil, ctx) }

    // MARK: forward

    func forward(_ x: Tensor, residual: Tensor?, _ ctx: RunContext) -> Tensor {
        precondition(x.rank == 4 && x.shape[1] == channels, "\(moduleName): expected (N, \(channels), H, W), got \(x.shape)")
        precondition(residual == nil || residual!.shape == x.shape, "\(moduleName): residual shape \(residual!.shape) ≠ \(x.shape)")
        let n = x.shape[0], L = x.shape[2] * x.shape[3], C = channels
        var mean = [Float](repeating: 0, count: C), invstd = [Float](repeating: 0, count: C)
        if ctx.mode == .train {
            var variance = [Float](repeating: 0, count: C)
            x.read { xp in
                BatchNorm2d.batchStatistics(xp, n: n, c: C, l: L, eps: eps, mean: &mean, variance: &variance,
                                            invstd: &invstd, threads: ctx.threads)
            }
            updateRunningStatistics(mean: mean, variance: variance, count: n * L)
        } else {
            runningMean.value.read { rm in runningVar.value.read { rv in
                for c in 0..<C { mean[c] = rm[c]; invstd[c] = 1 / (rv[c] + eps).squareRoot() }
            } }
        }
        // Per-channel affine form: y = x·scale + shift.
        var scale = [Float](repeating: 0, count: C), shift = [Float](repeating: 0, count: C)
        weight.value.read { g in bias.value.read { b in
            for c in 0..<C { scale[c] = g[c] * invstd[c]; shift[c] = b[c] - mean[c] * scale[c] }
        } }
        var out = cache.output
        cache.output = .empty
        out.reuse(x.shape)
        // The BN output itself is only materialised separately when asked for and something is fused.
        let keepPre = ctx.wants(moduleName) && (reluName != nil || residual != nil)
        var pre = keepPre ? Tensor(shape: x.shape) : Tensor.empty
        x.read { xp in
            out.write { yp in
                pre.write { pp in
                    let apply = { (rp: UnsafePointer<Float>?) in
                        BatchNorm2d.normalize(xp, residual: rp, scale: scale, shift: shift, relu: self.reluName != nil,
                                              out: yp, pre: keepPre ? pp : nil, n: n, c: C, l: L, threads: ctx.threads)
                    }
                    if let residual { residual.read { apply($0) } } else { apply(nil) }
                }
            }
        }
        if keepPre { ctx.activations[moduleName] = pre } else if ctx.wants(moduleName) { ctx.activations[moduleName] = out }
        cache = Cache(input: x, output: out, mean: mean, invstd: invstd, mode: ctx.mode, hasResidual: residual != nil)
        return out
    }

    private func updateRunningStatistics(mean: [Float], variance: [Float], count: Int) {
        let m = momentum
        let unbias = count > 1 ? Float(count) / Float(count - 1) : 1
        runningMean.value.write { rm in runningVar.value.write { rv in
            for c in 0..<channels {
                rm[c] = (1 - m) * rm[c] + m * mean[c]
                rv[c] = (1 - m) * rv[c] + m * variance[c] * unbias
            }
        } }
        numBatchesTracked.value.write { $0[0] += 1 }
    }

    /// Biased batch mean and variance per channel (two passes; Double across rows for accuracy).
    static func batchStatistics(_ x: UnsafePointer<Float>, n: Int, c C: Int, l L: Int, eps: Float,
                                mean: inout [Float], variance: inout [Float], invstd: inout [Float], threads: Int) {
        let parts = Parallel.parts(threads, count: C, itemCost: n * L)
        mean.withUnsafeMutableBufferPointer { mp in variance.withUnsafeMutableBufferPointer { vp in invstd.withUnsafeMutableBufferPointer { ip in
            let mp = SharedPointer(mp.baseAddress!), vp = SharedPointer(vp.baseAddress!), ip = SharedPointer(ip.baseAddress!)
            Parallel.run(parts) { t in
                for c in Parallel.slice(t, of: parts, count: C) {
                    var sum = 0.0
                    for i in 0..<n { sum += Double(VectorMath.sum(x + (i * C + c) * L, L)) }
                    let mu = Float(sum / Double(n * L))
                    var sq = 0.0
                    for i in 0..<n { sq += Double(VectorMath.sumSquaredDeviations(x + (i * C + c) * L, L, mean: mu)) }
                    let v = Float(sq / Double(n * L))
                    mp[c] = mu
                    vp[c] = v
                    ip[c] = 1 / (v + eps).squareRoot()
                }
            }
        } } }
    }

    /// y = act(x·scale + shift + r); also writes x·scale + shift into `pre` when given.
    static func normalize(_ x: UnsafePointer<Float>, residual: UnsafePointer<Float>?, scale: [Float], shift: [Float], relu: Bool,
                          out y: UnsafeMutablePointer<Float>, pre: UnsafeMutablePointer<Float>?, n: Int, c C: Int, l L: Int,
                          threads: Int) {
        let planes = n * C
        let parts = Parallel.parts(threads, count: planes, itemCost: L)
        Parallel.run(parts) { t in
            for plane in Parallel.slice(t, of: parts, count: planes) {
                let a = scale[plane % C], b = shift[plane % C], off = plane * L
                let xs = x + off, ys = y + off
                if let pre {
                    let ps = pre + off
                    for j in 0..<L { ps[j] = xs[j] * a + b }
                }
                switch (residual, relu) {
                case (nil, false):
                    for j in 0..<L { ys[j] = xs[j] * a + b }
                case (nil, true):
                    for j in 0..<L { let v = xs[j] * a + b; ys[j] = v > 0 ? v : 0 }
                case (let r?, false):
                    let rs = r + off
                    for j in 0..<L { ys[j] = xs[j] * a + b + rs[j] }
                case (let r?, true):
                    let rs = r + off
                    for j in 0..<L { let v = xs[j] * a + b + rs[j]; ys[j] = v > 0 ? v : 0 }
                }
            }
        }
    }

    // MARK: backward

    func backward(_ dy: Tensor, _ ctx: RunContext) -> Tensor { backwardWithResidual(dy, ctx).dx }

    /// Returns the input gradient and, when forward had a residual, the residual's gradient
    /// (`dy` itself without a ReLU; a new tensor with one).
    func backwardWithResidual(_ dy: Tensor, _ ctx: RunContext) -> (dx: Tensor, dResidual: Tensor?) {
        guard let x = cache.input else { preconditionFailure("\(moduleName): backward without forward") }
        precondition(dy.shape == x.shape, "\(moduleName): dOut shape \(dy.shape) ≠ \(x.shape)")
        let n = x.shape[0], L = x.shape[2] * x.shape[3], C = channels
        let relu = reluName != nil
        // dz (gradient at the BN output) is materialised only when someone needs it as a tensor.
        let keepDz = relu && (cache.hasResidual || ctx.wants(moduleName))
        var dz = keepDz ? ctx.pool.take(x.shape) : Tensor.empty
        var dx = ctx.pool.take(x.shape)
        let updatesWeight = ctx.updates(weight), updatesBias = ctx.updates(bias)
        var sumDz = [Float](repeating: 0, count: C), sumDzXhat = [Float](repeating: 0, count: C)
        let mean = cache.mean, invstd = cache.invstd, train = cache.mode == .train
        x.read { xp in dy.read { dyp in cache.output.read { yp in weight.value.read { gp in
            dx.write { dxp in dz.write { dzp in
                BatchNorm2d.backwardKernel(x: xp, y: relu ? yp : nil, dy: dyp, dz: keepDz ? dzp : nil, dx: dxp,
                                           gamma: gp, mean: mean, invstd: invstd, train: train,
                                           sumDz: &sumDz, sumDzXhat: &sumDzXhat, n: n, c: C, l: L, threads: ctx.threads)
            } }
        } } } }
        if updatesWeight { weight.grad.write { g in for c in 0..<C { g[c] += sumDzXhat[c] } } }
        if updatesBias { bias.grad.write { g in for c in 0..<C { g[c] += sumDz[c] } } }
        if ctx.wants(moduleName) { ctx.gradients[moduleName] = relu ? dz : dy }
        let dResidual: Tensor? = cache.hasResidual ? (relu ? dz : dy) : nil
        if !cache.hasResidual && keepDz { ctx.pool.recycle(dz) }
        return (dx, dResidual)
    }

    static func backwardKernel(x: UnsafePointer<Float>, y: UnsafePointer<Float>?, dy: UnsafePointer<Float>,
                               dz: UnsafeMutablePointer<Float>?, dx: UnsafeMutablePointer<Float>,
                               gamma: UnsafePointer<Float>, mean: [Float], invstd: [Float], train: Bool,
                               sumDz: inout [Float], sumDzXhat: inout [Float], n: Int, c C: Int, l L: Int, threads: Int) {
        let parts = Parallel.parts(threads, count: C, itemCost: n * L)
        let M = Float(n * L)
        sumDz.withUnsafeMutableBufferPointer { sdp in sumDzXhat.withUnsafeMutableBufferPointer { sxp in
            let sdp = SharedPointer(sdp.baseAddress!), sxp = SharedPointer(sxp.baseAddress!)
            Parallel.run(parts) { t in
                for c in Parallel.slice(t, of: parts, count: C) {
                    let mu = mean[c], istd = invstd[c]
                    // Pass 1: Σdz and Σdz·x̂ (x̂ recomputed from x); dz written out when wanted.
                    var s1 = 0.0, s2 = 0.0
                    for i in 0..<n {
                        let off = (i * C + c) * L
                        let (a, b) = VectorMath.gradientSums(dy: dy + off, x: x + off, mask: y.map { $0 + off },
                                                             gOut: dz.map { $0 + off }, L, mean: mu)
                        s1 += Double(a)
                        s2 += Double(b)
                    }
                    let sum1 = Float(s1), sum2 = Float(s2) * istd
                    sdp[c] = sum1
                    sxp[c] = sum2
                    // Pass 2: dx.
                    let k = gamma[c] * istd
                    let meanDz = train ? sum1 / M : 0, meanDzXhat = train ? sum2 / M : 0
                    let kv = Vector(repeating: k), mv = Vector(repeating: mu), md = Vector(repeating: meanDz)
                    let sv = Vector(repeating: istd * meanDzXhat), zero = Vector()
                    for i in 0..<n {
                        let off = (i * C + c) * L
                        let xs = x + off, ds = dy + off, out = dx + off
                        var j = 0
                        while j + 16 <= L {
                            var g = loadVector(ds + j)
                            if let y { g.replace(with: zero, where: loadVector(y + off + j) .<= zero) }
                            storeVector(kv * (g - md - (loadVector(xs + j) - mv) * sv), out + j)
                            j += 16
                        }
                        while j < L {
                            var g = ds[j]
                            if let y, y[off + j] <= 0 { g = 0 }
                            out[j] = k * (g - meanDz - (xs[j] - mu) * istd * meanDzXhat)
                            j += 1
                        }
                    }
                }
            }
        } }
    }
}
