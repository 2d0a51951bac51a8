import LoupeCore
import Testing
@testable import Train

/// Kernels against direct Double-precision definitions, including the threaded and chunked paths that
/// the tiny finite-difference shapes do not reach.
@Suite struct KernelReferenceTests {
    /// out, dx, dW of a convolution by the textbook loops, in Double.
    static func directConvolution(x: Tensor, w: Tensor, bias: Tensor?, dy: Tensor?, stride s: Int, padding p: Int)
        -> (out: [Double], dx: [Double], dw: [Double]) {
        let (n, c, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (o, k) = (w.shape[0], w.shape[2])
        let P = (h + 2 * p - k) / s + 1, Q = (wd + 2 * p - k) / s + 1
        var out = [Double](repeating: 0, count: n * o * P * Q)
        var dx = [Double](repeating: 0, count: x.count), dw = [Double](repeating: 0, count: w.count)
        for b in 0..<n { for oc in 0..<o { for u in 0..<P { for v in 0..<Q {
            let oi = ((b * o + oc) * P + u) * Q + v
            var acc = Double(bias?.storage[oc] ?? 0)
            let g = Double(dy?.storage[oi] ?? 0)
            for ic in 0..<c { for i in 0..<k { for j in 0..<k {
                let ih = u * s - p + i, iw = v * s - p + j
                guard ih >= 0, ih < h, iw >= 0, iw < wd else { continue }
                let xi = ((b * c + ic) * h + ih) * wd + iw, wi = ((oc * c + ic) * k + i) * k + j
                acc += Double(x.storage[xi]) * Double(w.storage[wi])
                dx[xi] += g * Double(w.storage[wi])
                dw[wi] += g * Double(x.storage[xi])
            } } }
            out[oi] = acc
        } } } }
        return (out, dx, dw)
    }

    static func relativeMaxError(_ a: Tensor, _ b: [Double]) -> Double {
        let scale = b.map(abs).max() ?? 1
        return GradientCheck.maxAbsDifference(a.storage, b) / max(scale, 1e-30)
    }

    /// (N, C, H, O, k, stride, padding): sample-chunked GEMMs (m > 1), an odd split over two threads,
    /// pointwise convolutions straight on the input, and a strided 1×1 (ResNet downsample).
    /// Winograd cases (3×3/1/1, ≥ 16 channels, maps of at least 2×2) run im2col and every Winograd tile that fits. On two threads
    /// small maps take the batch-wide paths unless told not to; a small group budget makes them run
    /// several groups (the filter gradient accumulates across groups).
    @Test(arguments: [(4, 8, 16, 16, 3, 1, 1), (3, 8, 15, 16, 3, 2, 1), (2, 16, 32, 16, 1, 1, 0), (3, 16, 8, 32, 1, 2, 0),
                      (2, 3, 20, 8, 7, 2, 3), (3, 16, 9, 24, 3, 1, 1), (5, 32, 6, 16, 3, 1, 1), (2, 16, 1, 16, 3, 1, 1),
                      (3, 16, 2, 24, 3, 1, 1)])
    func convolutionMatchesDirectLoops(_ k: (Int, Int, Int, Int, Int, Int, Int)) {
        let (n, c, h, o, kernel, stride, padding) = k
        let paths: [(threads: Int, winograd: Bool, batchWide: Bool, budget: Int?)] = [
            (1, true, true, nil), (2, true, true, nil), (2, true, false, nil), (2, false, true, nil), (2, false, false, nil),
            (2, true, true, 1), (2, false, true, 1),
        ]
        // The 2×2-map tile only where it applies (elsewhere it would run F(2×2) again).
        let tiles = Winograd.Tile.allCases.filter { $0 != .map2 || h == 2 }.map { Optional($0) }
        for (threads, winograd, batchWide, budget) in paths { for tile in winograd ? tiles : [nil] {
            let conv = Conv2d(name: "conv", inChannels: c, outChannels: o, kernel: kernel, stride: stride, padding: padding, bias: true)
            conv.allowsWinograd = winograd
            conv.winogradTileOverride = tile
            conv.allowsBatchWide = batchWide
            if let budget { conv.batchWideBudget = budget }
            conv.weight.value = GradientCheck.random(conv.weight.shape, seed: 1)
            conv.bias!.value = GradientCheck.random([o], seed: 2)
            let x = GradientCheck.random([n, c, h, h], seed: 3)
            let ctx = GradientCheck.context(threads: threads)
            let y = conv.forward(x, ctx)
            let dy = GradientCheck.random(y.shape, seed: 4)
            let dx = conv.backward(dy, ctx)
            let reference = Self.directConvolution(x: x, w: conv.weight.value, bias: conv.bias!.value, dy: dy, stride: stride, padding: padding)
            #expect(conv.usesWinograd(conv.geometry(x.shape)) == (winograd && kernel == 3 && stride == 1 && padding == 1 && c >= 16 && o >= 16 && h >= 2))
            let path = "\(threads) threads, \(conv.usesWinograd(conv.geometry(x.shape)) ? "Winograd \(tile.map { "\($0)" } ?? "")" : "im2col"), batch-wide \(batchWide), budget \(budget ?? conv.batchWideBudget)"
            #expect(Self.relativeMaxError(y, reference.out) < 1e-5, "forward, \(path)")
            #expect(Self.relativeMaxError(dx, reference.dx) < 1e-5, "input gradient, \(path)")
            #expect(Self.relativeMaxError(conv.weight.grad, reference.dw) < 1e-5, "weight gradient, \(path)")
        } }
    }

    /// The shapes above reach the batch-wide paths (so their comparison covers them), and large maps do not.
    @Test func smallMapsTakeTheBatchWidePaths() {
        let winograd = Conv2d(name: "conv", inChannels: 32, outChannels: 16, kernel: 3, padding: 1, bias: false)
        #expect(winograd.usesBatchWideWinograd(winograd.geometry([5, 32, 6, 6]), parts: 2))
        #expect(!winograd.usesBatchWideWinograd(winograd.geometry([5, 32, 6, 6]), parts: 1))
        #expect(!winograd.usesBatchWideWinograd(winograd.geometry([64, 32, 32, 32]), parts: 2))
        let strided = Conv2d(name: "downsample", inChannels: 16, outChannels: 32, kernel: 1, stride: 2, bias: false)
        #expect(strided.usesBatchWide(strided.geometry([3, 16, 8, 8]), parts: 2))
        #expect(!strided.usesBatchWide(strided.geometry([64, 16, 64, 64]), parts: 2))
        strided.allowsBatchWide = false
        #expect(!strided.usesBatchWide(strided.geometry([3, 16, 8, 8]), parts: 2))
    }

    /// The filter gradient reads the transformed input its training forward kept: the same bits as transforming
    /// it again, for both tile sizes, on the per-sample path and the batch-wide one (in one group and in
    /// several), and after the input changes, the next forward's. An eval forward keeps nothing.
    @Test(arguments: [(Winograd.Tile.f2, nil as Int?, true), (.f4, nil, true), (.f2, 1, true), (.f4, 1, true),
                      (.f2, nil, false), (.f4, nil, false)])
    func keptInputFollowsTheInput(tile: Winograd.Tile, budget: Int?, batchWide: Bool) {
        let layers = [true, false].map { keeps in
            let conv = Conv2d(name: "conv", inChannels: 16, outChannels: 24, kernel: 3, padding: 1, bias: false)
            conv.winogradTileOverride = tile
            conv.keepsInput = keeps
            conv.allowsBatchWide = batchWide
            if let budget { conv.batchWideBudget = budget }
            conv.weight.value = GradientCheck.random(conv.weight.shape, seed: 1)
            return conv
        }
        let xs = [UInt64(3), 5].map { GradientCheck.random([3, 16, 6, 6], seed: $0) }, dy = GradientCheck.random([3, 24, 6, 6], seed: 4)
        var grads: [[[Float]]] = [[], []]
        for (i, conv) in layers.enumerated() {
            let ctx = GradientCheck.context(threads: 2)
            #expect(conv.usesWinograd(conv.geometry(xs[0].shape)))
            #expect(conv.usesBatchWideWinograd(conv.geometry(xs[0].shape), parts: 2) == batchWide)
            for x in xs {
                conv.weight.grad = Tensor(shape: conv.weight.shape)
                _ = conv.forward(x, ctx)
                #expect(conv.cache.transformedInput.fresh == (i == 0))
                _ = conv.backward(dy, ctx)
                grads[i].append(conv.weight.grad.storage)
            }
            ctx.mode = .eval
            _ = conv.forward(xs[0], ctx)
            #expect(!conv.cache.transformedInput.fresh, "an eval forward keeps nothing")
        }
        #expect(grads[0] == grads[1], "kept against transformed again")
        let second = Self.directConvolution(x: xs[1], w: layers[0].weight.value, bias: nil, dy: dy, stride: 1, padding: 1)
        #expect(Self.relativeMaxError(Tensor(shape: layers[0].weight.shape, storage: grads[0][1]), second.dw) < 1e-5,
                "filter gradient after the input changed")
    }

    /// The backward reads the F(2×2) (or 2×2-map) filters its forward kept: the same bits as transforming them again, and
    /// after the weights change, the next forward's, not the first one's.
    @Test(arguments: [(Winograd.Tile.f2, true), (.f2, false), (.map2, true), (.map2, false)])
    func keptFiltersFollowTheWeights(tile: Winograd.Tile, batchWide: Bool) {
        let side = tile == .map2 ? 2 : 6
        let layers = [true, false].map { keeps in
            let conv = Conv2d(name: "conv", inChannels: 16, outChannels: 24, kernel: 3, padding: 1, bias: false)
            conv.winogradTileOverride = tile
            conv.allowsBatchWide = batchWide
            conv.keepsFilters = keeps
            return conv
        }
        let x = GradientCheck.random([3, 16, side, side], seed: 3), dy = GradientCheck.random([3, 24, side, side], seed: 4)
        var dxs: [[Tensor]] = [[], []]
        for (i, conv) in layers.enumerated() {
            let ctx = GradientCheck.context(threads: 2)
            for seed in [UInt64(1), 5] {
                conv.weight.value = GradientCheck.random(conv.weight.shape, seed: seed)
                _ = conv.forward(x, ctx)
                dxs[i].append(conv.backward(dy, ctx))
            }
        }
        #expect(dxs[0].map(\.storage) == dxs[1].map(\.storage), "kept against transformed again")
        let second = Self.directConvolution(x: x, w: layers[0].weight.value, bias: nil, dy: dy, stride: 1, padding: 1)
        #expect(Self.relativeMaxError(dxs[0][1], second.dx) < 1e-5, "input gradient after the weights changed")
        #expect(layers[0].usesWinograd(layers[0].geometry(x.shape)))
    }

    @Test func convolutionAccumulatesAndSkipsFrozenWeights() {
        let conv = Conv2d(name: "conv", inChannels: 2, outChannels: 3, kernel: 3, padding: 1, bias: false)
        conv.weight.value = GradientCheck.random(conv.weight.shape, seed: 1)
        let x = GradientCheck.random([2, 2, 5, 5], seed: 2)
        let ctx = GradientCheck.context()
        let dy = GradientCheck.random([2, 3, 5, 5], seed: 3)
        _ = conv.forward(x, ctx)
        _ = conv.backward(dy, ctx)
        let once = conv.weight.grad
        _ = conv.backward(dy, ctx)
        #expect(zip(conv.weight.grad.storage, once.storage).allSatisfy { abs($0 - 2 * $1) <= 1e-5 * max(1, abs($1)) })
        conv.weight.isFrozen = true
        _ = conv.backward(dy, ctx)
        #expect(zip(conv.weight.grad.storage, once.storage).allSatisfy { abs($0 - 2 * $1) <= 1e-5 * max(1, abs($1)) })
    }

    @Test func batchNormFollowsPyTorchSemantics() {
        let bn = BatchNorm2d(name: "bn", channels: 2)
        bn.weight.value = Tensor(shape: [2], storage: [1.5, -0.5])
        bn.bias.value = Tensor(shape: [2], storage: [0.25, 2])
        let x = GradientCheck.random([2, 2, 3, 3], seed: 5, scale: 3)
        let y = bn.forward(x, GradientCheck.context(.train))
        for c in 0..<2 {
            var values: [Double] = []
            for n in 0..<2 { for i in 0..<9 { values.append(Double(x.storage[(n * 2 + c) * 9 + i])) } }
            let mean = values.reduce(0, +) / 18
            let biased = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 18
            let unbiased = biased * 18 / 17
            #expect(abs(Double(bn.runningMean.value.storage[c]) - 0.1 * mean) < 1e-6)
            #expect(abs(Double(bn.runningVar.value.storage[c]) - (0.9 + 0.1 * unbiased)) < 1e-5)
            for n in 0..<2 { for i in 0..<9 {
                let index = (n * 2 + c) * 9 + i
                let expected = (Double(x.storage[index]) - mean) / (biased + 1e-5).squareRoot()
                    * Double(bn.weight.value.storage[c]) + Double(bn.bias.value.storage[c])
                #expect(abs(Double(y.storage[index]) - expected) < 1e-5)
            } }
        }
        #expect(bn.numBatchesTracked.value.storage == [1])
        _ = bn.forward(x, GradientCheck.context(.train))
        #expect(bn.numBatchesTracked.value.storage == [2])
        // Eval: running statistics, which stay put.
        let runningMean = bn.runningMean.value, runningVar = bn.runningVar.value
        let z = bn.forward(x, GradientCheck.context(.eval))
        #expect(bn.runningMean.value == runningMean && bn.numBatchesTracked.value.storage == [2])
        let c = 1, index = (1 * 2 + c) * 9 + 4
        let expected = (x.storage[index] - runningMean.storage[c]) / (runningVar.storage[c] + 1e-5).squareRoot()
            * bn.weight.value.storage[c] + bn.bias.value.storage[c]
        #expect(abs(z.storage[index] - expected) < 1e-5)
    }

    @Test func fusedBatchNormRecordsThePreActivationAndItsGradient() {
        let fused = BatchNorm2d(name: "bn", channels: 2, fusedReLU: "relu")
        let plain = BatchNorm2d(name: "bn", channels: 2)
        let x = GradientCheck.random([2, 2, 3, 3], seed: 6)
        let dy = GradientCheck.random([2, 2, 3, 3], seed: 7)
        let ctx = GradientCheck.context(.train)
        ctx.record = ["bn", "relu"]
        let y = ctx.forward(fused, x)
        let pre = plain.forward(x, GradientCheck.context(.train))
        #expect(ctx.activations["bn"] == pre)
        #expect(ctx.activations["relu"] == y)
        #expect(y.storage == pre.storage.map { max($0, 0) })
        _ = ctx.backward(fused, dy)
        #expect(ctx.gradients["relu"] == dy)
        #expect(ctx.gradients["bn"]!.storage == zip(dy.storage, pre.storage).map { $1 > 0 ? $0 : 0 })
    }
}
