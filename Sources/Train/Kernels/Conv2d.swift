// Conv2d: 2-D convolution (cross-correlation, as PyTorch) by im2col + SGEMM (3×3/1/1: Winograd, Conv2d+Winograd.swift).
//
// Shapes:
//   N batch, C in channels, H×W input, O out channels, k×k kernel, s stride, p padding,
//   P×Q output (P = (H + 2p − k)/s + 1), K = C·k·k, L = P·Q.
//   Each thread takes a contiguous slice of samples and handles them in chunks of m samples
//   (m·L ≥ ~1024 columns keeps the GEMMs efficient when L is small).
//   x       (N, C, H, W)   input, saved by reference for backward
//   weight  (O, C, k, k)   read as the (O, K) matrix W
//   bias    (O)            optional
//   out     (N, O, P, Q)   owned by the layer, reused across steps
//   col     (K, m·L)       per-thread scratch (skipped for a 1×1/1 convolution of one sample)
//   stage   (O, m·L)       per-thread scratch for m > 1 (GEMM result, then scattered to NCHW)
// forward:   out[n] = W · col(x[n]) + bias
// backward:  dW += dOut[n] · col(x[n])ᵀ      (col recomputed, not stored: memory over flops)
//            dbias += Σ_{n,L} dOut
//            dx[n] = fold(Wᵀ · dOut[n])

import Foundation
import LoupeCore

final class Conv2d: Layer {
    let name: String
    let inChannels, outChannels, kernel, stride, padding: Int
    let weight: Parameter
    let bias: Parameter?

    /// What forward leaves for backward.
    struct Cache {
        var input: Tensor?
        var output = Tensor.empty
        var geometry: ConvGeometry?
        /// The F(2×2) transformed filters of the last forward, which its input gradient reads again
        /// (Conv2d+Winograd.swift).
        let filters = KeptBuffer()
        /// The transformed input of the last training forward on a Winograd path, which its filter gradient
        /// reads (Conv2d+Winograd.swift, Conv2d+WinogradBatchWide.swift).
        let transformedInput = KeptBuffer()
    }
    private(set) var cache = Cache()

    /// Columns per GEMM worth batching samples for.
    static let targetColumns = 1024
    /// 3×3/1/1 convolutions with at least this many input and output channels use Winograd: F(4×4, 3×3) on maps of 16 px and more and on 7×7, F(2×2, 3×3) on the others, 9 products a tile on 2×2 maps (Conv2d+Winograd.swift: takesWinograd4).
    static let winogradMinimumChannels = 16
    /// False: this layer always goes through im2col (tests compare the two paths). Environment variable
    /// LOUPE_NO_WINOGRAD=1 makes that the default, for benchmarking the two.
    var allowsWinograd = Conv2d.winogradByDefault
    static let winogradByDefault = ProcessInfo.processInfo.environment["LOUPE_NO_WINOGRAD"] == nil
    /// The smallest map side Winograd takes (environment LOUPE_WINOGRAD_MIN_MAP, for benchmarking).
    static let winogradMinimumMap = ProcessInfo.processInfo.environment["LOUPE_WINOGRAD_MIN_MAP"].flatMap { Int($0) } ?? 2
    /// nil: F(4×4) or F(2×2) by map size (`winogradTile`); tests set it to run both algorithms on every shape.
    var winogradTileOverride: Winograd.Tile?
    /// False: small maps keep the per-sample split (tests compare the two; see Conv2d+BatchWide.swift).
    var allowsBatchWide = Conv2d.batchWideByDefault
    /// Floats per batch-wide buffer (tests lower it to reach several groups).
    var batchWideBudget = Conv2d.batchWideBudget
    /// False: the input gradient transforms the filters again instead of reading the forward's F(2×2) ones
    /// (tests compare the two; see `forwardFilters`).
    var keepsFilters = Conv2d.keepsFiltersByDefault
    /// False: the Winograd filter gradient transforms the input again instead of reading the training
    /// forward's (tests compare the two; see `keptInputBudget`).
    var keepsInput = Conv2d.keepsInputByDefault

    init(name: String, inChannels: Int, outChannels: Int, kernel: Int, stride: Int = 1, padding: Int = 0,
         bias: Bool, group: ParameterGroup = .backbone) {
        self.name = name
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        weight = Parameter(name: name + ".weight", value: Tensor(shape: [outChannels, inChannels, kernel, kernel]), group: group)
        self.bias = bias ? Parameter(name: name + ".bias", value: Tensor(shape: [outChannels]), group: group) : nil
    }

    var stateEntries: [StateEntry] { [.parameter(weight)] + (bias.map { [.parameter($0)] } ?? []) }

    func outputShape(_ input: [Int]) -> [Int] {
        [outChannels, ConvGeometry.outputSize(input[1], kernel: kernel, stride: stride, padding: padding),
         ConvGeometry.outputSize(input[2], kernel: kernel, stride: stride, padding: padding)]
    }

    func releaseCache() {
        cache.input = nil
        cache.filters.fresh = false
        cache.transformedInput.fresh = false
    }

    func geometry(_ shape: [Int]) -> ConvGeometry {
        precondition(shape.count == 4 && shape[1] == inChannels, "\(name): expected (N, \(inChannels), H, W), got \(shape)")
        return ConvGeometry(n: shape[0], c: shape[1], h: shape[2], w: shape[3], kernel: kernel, stride: stride,
                            padding: padding, outChannels: outChannels)
    }

    /// Samples per chunk for `parts` threads.
    private func chunk(_ g: ConvGeometry, parts: Int) -> Int {
        let perPart = (g.n + parts - 1) / parts
        return max(1, min(perPart, (Conv2d.targetColumns + g.l - 1) / g.l))
    }

    private func parts(_ g: ConvGeometry, _ ctx: RunContext) -> Int {
        Parallel.parts(ctx.threads, count: g.n, itemCost: g.k * g.l * g.outChannels / 8)
    }

    // MARK: forward

    func forward(_ x: Tensor, _ ctx: RunContext) -> Tensor {
        let g = geometry(x.shape)
        cache.transformedInput.fresh = false
        var out = cache.output
        cache.output = .empty
        out.reuse([g.n, g.outChannels, g.p, g.q])
        if usesWinograd(g) {
            x.read { xp in out.write { op in winogradForward(xp, out: op, g, ctx) } }
        } else if usesBatchWide(g, parts: parts(g, ctx)) {
            let parts = parts(g, ctx), group = batchWideGroup(g)
            let col = ctx.workspace.scratch(thread: 0, slot: 0, count: g.k * group * g.l)
            let stage = ctx.workspace.scratch(thread: 0, slot: 1, count: g.outChannels * group * g.l)
            x.read { xp in
                weight.value.read { wp in
                    out.write { op in Conv2d.batchWideForward(x: xp, w: wp, out: op, g, parts: parts, group: group, col: col, stage: stage) }
                }
            }
        } else {
            let parts = parts(g, ctx), m = chunk(g, parts: parts)
            let needsColumns = !(g.isPointwise && m == 1)
            let cols = (0..<parts).map { ctx.workspace.scratch(thread: $0, slot: 0, count: needsColumns ? g.k * m * g.l : 1) }
            let stages = (0..<parts).map { ctx.workspace.scratch(thread: $0, slot: 1, count: m > 1 ? g.outChannels * m * g.l : 1) }
            x.read { xp in
                weight.value.read { wp in
                    out.write { op in
                        Conv2d.forwardKernel(x: xp, w: wp, out: op, g, parts: parts, chunk: m, cols: cols, stages: stages)
                    }
                }
            }
        }
        if let bias {
            bias.value.read { bp in out.write { op in Conv2d.addBias(bp, to: op, g, threads: ctx.threads) } }
        }
        cache.input = x
        cache.geometry = g
        cache.output = out
        return out
    }

    static func forwardKernel(x: UnsafePointer<Float>, w: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>,
                              _ g: ConvGeometry, parts: Int, chunk: Int,
                              cols: [UnsafeMutablePointer<Float>], stages: [UnsafeMutablePointer<Float>]) {
        let O = g.outChannels, K = g.k, L = g.l
        Parallel.run(parts) { t in
            let samples = Parallel.slice(t, of: parts, count: g.n)
            var s = samples.lowerBound
            while s < samples.upperBound {
                let m = min(chunk, samples.upperBound - s)
                let b: UnsafePointer<Float>
                if g.isPointwise && m == 1 {
                    b = x + s * g.inputPlane
                } else {
                    for j in 0..<m { Im2col.unfold(x + (s + j) * g.inputPlane, g, into: cols[t] + j * L, ld: m * L) }
                    b = UnsafePointer(cols[t])
                }
                if m == 1 {
                    GEMM.sgemm(transposeA: false, transposeB: false, m: O, n: L, k: K, alpha: 1, a: w, lda: K,
                               b: b, ldb: L, beta: 0, c: out + s * O * L, ldc: L)
                } else {
                    let stage = stages[t]
                    GEMM.sgemm(transposeA: false, transposeB: false, m: O, n: m * L, k: K, alpha: 1, a: w, lda: K,
                               b: b, ldb: m * L, beta: 0, c: stage, ldc: m * L)
                    for j in 0..<m {
                        for o in 0..<O {
                            (out + ((s + j) * O + o) * L).update(from: stage + o * m * L + j * L, count: L)
                        }
                    }
                }
                s += m
            }
        }
    }

    static func addBias(_ b: UnsafePointer<Float>, to out: UnsafeMutablePointer<Float>, _ g: ConvGeometry, threads: Int) {
        let planes = g.n * g.outChannels, L = g.l, O = g.outChannels
        let parts = Parallel.parts(threads, count: planes, itemCost: L)
        Parallel.run(parts) { t in
            for plane in Parallel.slice(t, of: parts, count: planes) {
                let v = b[plane % O], row = out + plane * L
                for i in 0..<L { row[i] += v }
            }
        }
    }

    // MARK: backward

    func backward(_ dy: Tensor, _ ctx: RunContext) -> Tensor {
        guard let g = cache.geometry, let x = cache.input else { preconditionFailure("\(name): backward without forward") }
        precondition(dy.shape == [g.n, g.outChannels, g.p, g.q], "\(name): dOut shape \(dy.shape)")
        let wantsWeight = ctx.updates(weight)
        let wantsInput = ctx.needsInputGradient(self)
        let parts = parts(g, ctx), m = chunk(g, parts: parts)
        let winograd = usesWinograd(g), batchWide = !winograd && usesBatchWide(g, parts: parts)
        let overwritesInputGradient = winograd || (g.isPointwise && m == 1 && !batchWide)
        var dx = wantsInput ? (overwritesInputGradient ? ctx.pool.take(x.shape) : ctx.pool.takeZeroed(x.shape)) : Tensor.empty
        if winograd && (wantsWeight || wantsInput) {
            x.read { xp in dy.read { dyp in weight.grad.write { dwp in dx.write { dxp in
                winogradBackward(x: xp, dy: dyp, dx: wantsInput ? dxp : nil, dw: wantsWeight ? dwp : nil, g, ctx)
            } } } }
        } else if batchWide && (wantsWeight || wantsInput) {
            let group = batchWideGroup(g)
            let col = ctx.workspace.scratch(thread: 0, slot: 0, count: wantsWeight ? g.k * group * g.l : 1)
            let stage = ctx.workspace.scratch(thread: 0, slot: 1, count: g.outChannels * group * g.l)
            let dcol = ctx.workspace.scratch(thread: 0, slot: 2, count: wantsInput ? g.k * group * g.l : 1)
            x.read { xp in dy.read { dyp in weight.value.read { wp in weight.grad.write { dwp in dx.write { dxp in
                Conv2d.batchWideBackward(x: xp, w: wp, dy: dyp, dw: wantsWeight ? dwp : nil, dx: wantsInput ? dxp : nil, g,
                                         parts: parts, group: group, col: col, stage: stage, dcol: dcol)
            } } } } }
        } else if wantsWeight || wantsInput {
            let K = g.k, O = g.outChannels
            // slot 0: columns, 1: gathered dOut, 2: dCol, 3: this thread's dW partial (threads > 0)
            let cols = (0..<parts).map { ctx.workspace.scratch(thread: $0, slot: 0, count: wantsWeight ? K * m * g.l : 1) }
            let stages = (0..<parts).map { ctx.workspace.scratch(thread: $0, slot: 1, count: m > 1 ? O * m * g.l : 1) }
            let dcols = (0..<parts).map { ctx.workspace.scratch(thread: $0, slot: 2, count: wantsInput ? K * m * g.l : 1) }
            let partials = (0..<parts).map { ctx.workspace.scratch(thread: $0, slot: 3, count: wantsWeight && $0 > 0 ? O * K : 1) }
            x.read { xp in
                dy.read { dyp in
                    weight.value.read { wp in
                        weight.grad.write { dwp in
                            dx.write { dxp in
                                Conv2d.backwardKernel(x: xp, w: wp, dy: dyp, dw: wantsWeight ? dwp : nil, dx: wantsInput ? dxp : nil,
                                                      g, parts: parts, chunk: m, cols: cols, stages: stages,
                                                      dcols: dcols, partials: partials)
                            }
                        }
                    }
                }
            }
        }
        if let bias, ctx.updates(bias) {
            dy.read { dyp in bias.grad.write { dbp in Conv2d.biasGradient(dy: dyp, db: dbp, g) } }
        }
        return dx
    }

    static func backwardKernel(x: UnsafePointer<Float>, w: UnsafePointer<Float>, dy: UnsafePointer<Float>,
                               dw: UnsafeMutablePointer<Float>?, dx: UnsafeMutablePointer<Float>?,
                               _ g: ConvGeometry, parts: Int, chunk: Int,
                               cols: [UnsafeMutablePointer<Float>], stages: [UnsafeMutablePointer<Float>],
                               dcols: [UnsafeMutablePointer<Float>], partials: [UnsafeMutablePointer<Float>]) {
        let O = g.outChannels, K = g.k, L = g.l
        Parallel.run(parts) { t in
            // Thread 0 accumulates straight into the gradient; the others into their own partial.
            let dwTarget: UnsafeMutablePointer<Float>? = dw.map { t == 0 ? $0 : partials[t] }
            var firstWeightGEMM = true
            let samples = Parallel.slice(t, of: parts, count: g.n)
            var s = samples.lowerBound
            while s < samples.upperBound {
                let m = min(chunk, samples.upperBound - s)
                let cols_ = m * L
                // dOut for this chunk as an (O, m·L) matrix.
                let dOut: UnsafePointer<Float>
                if m == 1 {
                    dOut = dy + s * O * L
                } else {
                    let stage = stages[t]
                    for j in 0..<m {
                        for o in 0..<O {
                            (stage + o * cols_ + j * L).update(from: dy + ((s + j) * O + o) * L, count: L)
                        }
                    }
                    dOut = UnsafePointer(stage)
                }
                if let dwTarget {
                    let b: UnsafePointer<Float>
                    if g.isPointwise && m == 1 {
                        b = x + s * g.inputPlane
                    } else {
                        for j in 0..<m { Im2col.unfold(x + (s + j) * g.inputPlane, g, into: cols[t] + j * L, ld: cols_) }
                        b = UnsafePointer(cols[t])
                    }
                    let beta: Float = (t > 0 && firstWeightGEMM) ? 0 : 1
                    GEMM.sgemm(transposeA: false, transposeB: true, m: O, n: K, k: cols_, alpha: 1, a: dOut, lda: cols_,
                               b: b, ldb: cols_, beta: beta, c: dwTarget, ldc: K)
                    firstWeightGEMM = false
                }
                if let dx {
                    if g.isPointwise && m == 1 {
                        GEMM.sgemm(transposeA: true, transposeB: false, m: K, n: L, k: O, alpha: 1, a: w, lda: K,
                                   b: dOut, ldb: L, beta: 0, c: dx + s * g.inputPlane, ldc: L)
                    } else {
                        let dcol = dcols[t]
                        GEMM.sgemm(transposeA: true, transposeB: false, m: K, n: cols_, k: O, alpha: 1, a: w, lda: K,
                                   b: dOut, ldb: cols_, beta: 0, c: dcol, ldc: cols_)
                        for j in 0..<m { Im2col.fold(dcol + j * L, g, ld: cols_, addingInto: dx + (s + j) * g.inputPlane) }
                    }
                }
                s += m
            }
            if t > 0 && firstWeightGEMM, dw != nil {
                // This thread had no samples: its partial must read as zero.
                partials[t].update(repeating: 0, count: O * K)
            }
        }
        if let dw {
            for t in 1..<max(parts, 1) { VectorMath.add(UnsafePointer(partials[t]), into: dw, O * K) }
        }
    }

    static func biasGradient(dy: UnsafePointer<Float>, db: UnsafeMutablePointer<Float>, _ g: ConvGeometry) {
        let O = g.outChannels, L = g.l
        for o in 0..<O {
            var total: Float = 0
            for n in 0..<g.n {
                let row = dy + (n * O + o) * L
                var s: Float = 0
                for i in 0..<L { s += row[i] }
                total += s
            }
            db[o] += total
        }
    }
}
