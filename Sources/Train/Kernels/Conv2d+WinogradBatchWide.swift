// Conv2d's batch-wide Winograd path, for maps so small that a thread's own samples make too few tiles
// for efficient GEMMs (ResNet-18 at 64 px: layer2 has 4 F(4×4) tiles per sample, layer3 4 F(2×2) tiles,
// layer4 1). A group of G samples is transformed side by side, then the products (one per tile position ξ) are
// shared out between the threads whole: no operand is packed twice and no filter-gradient partials
// need adding up. See Winograd.swift for the transforms.
//
// Shapes (T tiles per sample, ld = G·T, X = 16 or 36 positions):
//   U   (X, O, C)     slot 4, or the layer's kept F(2×2) filters: transformed filters (for the input gradient,
//                     read transposed at Tile.inputGradientPosition(ξ))
//   V   (X, C, ld)    slot 5: transformed input tiles (of dOut, with O channels, for the input gradient); a
//                     training forward writes x's into the layer's own buffer (X, C, N·T) instead, which the
//                     filter gradient reads (Conv2d.cache.transformedInput)
//   M   (X, O, ld)    slot 6: products before the output transform, or Ŷ, the transformed dOut tiles
//   Z   (X, O, C)     slot 8: Σ over the batch of Ŷ[ξ]·V[ξ]ᵀ
//   rows              slot 7, per thread: zero-padded rows for the transforms

import Foundation
import LoupeCore

extension Conv2d {
    /// Floats of transformed input a layer keeps from a training forward for its filter gradient, at most (32 MB):
    /// above it the backward transforms the input again. ResNet-18 at 112 px keeps about 134 MB in all.
    static let keptInputBudget = 1 << 23

    /// False when the environment sets LOUPE_NO_KEPT_INPUT=1 (for benchmarking): `keepsInput`'s default.
    static let keepsInputByDefault = ProcessInfo.processInfo.environment["LOUPE_NO_KEPT_INPUT"] == nil

    /// Columns per thread below which a Winograd convolution goes batch-wide (LOUPE_BATCH_WIDE_COLUMNS for
    /// benchmarking). Half the im2col paths' `targetColumns`: with Loupe's own GEMM, which packs U for each
    /// product cheaply, ResNet-18 @112's layer1 and layer2 (784 columns a thread) ran faster per sample, in
    /// chunks whose V and M stay in L2, than as one batch-wide group of 14-29 MB (7-9 % more images/s, Zen 5).
    static let batchWideWinogradColumns =
        ProcessInfo.processInfo.environment["LOUPE_BATCH_WIDE_COLUMNS"].flatMap { Int($0) } ?? 512

    /// The layer's own buffer for V of the whole batch (positions, C, n·T), when a training forward keeps it for
    /// the filter gradient: trainable weights, `keepsInput`, and within `keptInputBudget`; else nil.
    func keptInputBuffer(_ tile: Winograd.Tile, _ g: ConvGeometry, _ ctx: RunContext) -> UnsafeMutablePointer<Float>? {
        let count = tile.bufferCount(rows: inChannels, ld: g.n * tile.tileCount(g))
        guard keepsInput && ctx.mode == .train && !weight.isFrozen && count <= Conv2d.keptInputBudget else { return nil }
        return cache.transformedInput.buffer(count)
    }

    /// Whether a Winograd convolution of `g` on `parts` threads takes the batch-wide path.
    func usesBatchWideWinograd(_ g: ConvGeometry, parts: Int) -> Bool {
        allowsBatchWide && parts > 1
            && (g.n + parts - 1) / parts * winogradTile(g).tileCount(g) < Conv2d.batchWideWinogradColumns
    }

    /// Samples per batch-wide Winograd group: buffers of at most `batchWideBudget` floats.
    func batchWideWinogradGroup(_ g: ConvGeometry) -> Int {
        let tile = winogradTile(g)
        return max(1, min(g.n, batchWideBudget / (tile.positions * max(inChannels, outChannels) * tile.tileCount(g))))
    }

    /// U (positions, O, C) from the weights, shared out between the threads.
    func transformFilters(_ tile: Winograd.Tile, into u: UnsafeMutablePointer<Float>, parts: Int) {
        let count = outChannels * inChannels
        weight.value.read { w in
            Parallel.run(parts) { t in
                tile.transformFilters(w, count: count, into: u, indices: Parallel.slice(t, of: parts, count: count))
            }
        }
    }

    /// The filters the input gradient reads (see Winograd.Tile.transformInputGradientFilters).
    func transformInputGradientFilters(_ tile: Winograd.Tile, into u: UnsafeMutablePointer<Float>, parts: Int) {
        let count = outChannels * inChannels
        weight.value.read { w in
            Parallel.run(parts) { t in
                tile.transformInputGradientFilters(w, count: count, into: u, indices: Parallel.slice(t, of: parts, count: count))
            }
        }
    }

    func batchWideWinogradForward(_ x: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>, _ g: ConvGeometry,
                                  parts: Int, _ ctx: RunContext) {
        let O = outChannels, C = inChannels, tile = winogradTile(g), T = tile.tileCount(g), G = batchWideWinogradGroup(g)
        let mw = ctx.workspace.scratch(thread: 0, slot: 6, count: tile.bufferCount(rows: O, ld: G * T))
        let rows = (0..<parts).map { ctx.workspace.scratch(thread: $0, slot: 7, count: tile.scratchCount(height: max(g.h, g.p), width: max(g.w, g.q))) }
        let u = forwardFilters(tile, parts: parts, ctx)
        // Training keeps V, the transformed input, for the filter gradient (all groups side by side, ld = n·T).
        let kept = keptInputBuffer(tile, g, ctx)
        let v = kept ?? ctx.workspace.scratch(thread: 0, slot: 5, count: tile.bufferCount(rows: C, ld: G * T))
        Conv2d.batchWideWinograd(tile, input: x, inputChannels: C, h: g.h, w: g.w, filters: u, flipped: false, outputChannels: O,
                                 into: out, n: g.n, group: G, tiles: T, v: v, vLD: kept != nil ? g.n * T : nil, m: mw, rows: rows,
                                 parts: parts)
        cache.transformedInput.fresh = kept != nil
    }

    /// out = Winograd convolution of `input` (n, Ci, h, w) with transformed filters `u` (positions, Co, Ci), in
    /// groups of `group` samples. Shared by forward and by the input gradient: `flipped` convolves with
    /// the 180°-rotated filters of a layer whose `u` (positions, Ci, Co) is transformInputGradientFilters' output.
    static func batchWideWinograd(_ tile: Winograd.Tile, input x: UnsafePointer<Float>, inputChannels Ci: Int, h H: Int, w W: Int,
                                  filters u: UnsafePointer<Float>, flipped: Bool, outputChannels Co: Int,
                                  into out: UnsafeMutablePointer<Float>,
                                  n N: Int, group G: Int, tiles T: Int, v: UnsafeMutablePointer<Float>, vLD: Int? = nil,
                                  m mw: UnsafeMutablePointer<Float>, rows: [UnsafeMutablePointer<Float>], parts: Int) {
        let plane = Ci * H * W, outPlane = Co * H * W
        var s = 0
        while s < N {
            let count = min(G, N - s), ld = count * T, s0 = s
            // V of this group: the scratch (ld = count·T), or its columns of a buffer of all groups (vLD = N·T).
            let vg = vLD == nil ? v : v + s0 * T, vld = vLD ?? ld
            Parallel.run(parts) { t in
                let js = Parallel.slice(t, of: parts, count: count)
                tile.transformInput(x + (s0 + js.lowerBound) * plane, samples: js.count, sampleStride: plane, channels: Ci,
                                    h: H, w: W, into: vg + js.lowerBound * T, ld: vld, scratch: rows[t])
            }
            Parallel.run(parts) { t in
                for xi in Parallel.slice(t, of: parts, count: tile.positions) {
                    GEMM.sgemm(transposeA: flipped, transposeB: false, m: Co, n: ld, k: Ci, alpha: 1,
                               a: u + (flipped ? tile.inputGradientPosition(xi) : xi) * Co * Ci, lda: flipped ? Co : Ci,
                               b: vg + xi * Winograd.planeStride(rows: Ci, ld: vld), ldb: vld, beta: 0,
                               c: mw + xi * Winograd.planeStride(rows: Co, ld: ld), ldc: ld)
                }
            }
            Parallel.run(parts) { t in
                let js = Parallel.slice(t, of: parts, count: count)
                tile.transformOutput(mw + js.lowerBound * T, samples: js.count, channels: Co, p: H, q: W, ld: ld,
                                     into: out + (s0 + js.lowerBound) * outPlane, sampleStride: outPlane, scratch: rows[t])
            }
            s += count
        }
    }

    /// Input gradient (when `dx` is given, written whole) and filter gradient (when `dw` is, accumulated).
    func batchWideWinogradBackward(x: UnsafePointer<Float>, dy: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>?,
                                   dw: UnsafeMutablePointer<Float>?, _ g: ConvGeometry, parts: Int, _ ctx: RunContext) {
        let O = outChannels, C = inChannels, tile = winogradTile(g), T = tile.tileCount(g), G = batchWideWinogradGroup(g)
        let wide = max(C, O)
        let v = ctx.workspace.scratch(thread: 0, slot: 5, count: tile.bufferCount(rows: wide, ld: G * T))
        let mw = ctx.workspace.scratch(thread: 0, slot: 6, count: tile.bufferCount(rows: wide, ld: G * T))
        let rows = (0..<parts).map { ctx.workspace.scratch(thread: $0, slot: 7, count: tile.scratchCount(height: max(g.h, g.p), width: max(g.w, g.q))) }
        let z = ctx.workspace.scratch(thread: 0, slot: 8, count: dw != nil ? tile.positions * O * C : 1)
        if let dx {
            // The same convolution on dOut with the flipped, transposed filters.
            let u = inputGradientFilters(tile, parts: parts, ctx)
            Conv2d.batchWideWinograd(tile, input: dy, inputChannels: O, h: g.p, w: g.q, filters: u, flipped: true, outputChannels: C,
                                     into: dx, n: g.n, group: G, tiles: T, v: v, m: mw, rows: rows, parts: parts)
        }
        guard let dw else { return }
        let plane = g.inputPlane, outPlane = O * g.l
        // V from the forward when it kept it (same input: cache.input is what it transformed), else again.
        let kept = cache.transformedInput.fresh ? cache.transformedInput.pointer : nil
        var s = 0
        while s < g.n {
            let count = min(G, g.n - s), ld = count * T, s0 = s
            let vg = kept.map { $0 + s0 * T } ?? v, vld = kept == nil ? ld : g.n * T
            Parallel.run(parts) { t in
                let js = Parallel.slice(t, of: parts, count: count)
                if kept == nil {
                    tile.transformInput(x + (s0 + js.lowerBound) * plane, samples: js.count, sampleStride: plane, channels: C,
                                        h: g.h, w: g.w, into: v + js.lowerBound * T, ld: ld, scratch: rows[t])
                }
                tile.transformOutputGradient(dy + (s0 + js.lowerBound) * outPlane, samples: js.count, sampleStride: outPlane,
                                             channels: O, p: g.p, q: g.q, into: mw + js.lowerBound * T, ld: ld, scratch: rows[t])
            }
            Parallel.run(parts) { t in
                for xi in Parallel.slice(t, of: parts, count: tile.positions) {
                    GEMM.sgemm(transposeA: false, transposeB: true, m: O, n: C, k: ld, alpha: 1, a: mw + xi * Winograd.planeStride(rows: O, ld: ld), lda: ld,
                               b: vg + xi * Winograd.planeStride(rows: C, ld: vld), ldb: vld, beta: s0 == 0 ? 0 : 1, c: z + xi * O * C, ldc: C)
                }
            }
            s += count
        }
        Parallel.run(parts) { t in
            tile.accumulateFilterGradient(z, o: O, c: C, into: dw, indices: Parallel.slice(t, of: parts, count: O * C))
        }
    }
}
