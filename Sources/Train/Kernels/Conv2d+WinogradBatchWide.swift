// Conv2d's batch-wide Winograd path, for maps so small that a thread's own samples make too few tiles
// for efficient GEMMs (ResNet-18 at 64 px: layer2 has 16 tiles per sample, layer3 4, layer4 1). A
// group of G samples is transformed side by side, then the 16 products (one per tile position ξ) are
// shared out between the threads whole: no operand is packed twice and no filter-gradient partials
// need adding up. See Winograd.swift for the transforms.
//
// Shapes (T tiles per sample, ld = G·T):
//   U   (16, O, C)    slot 4: transformed filters (read transposed, at flipped positions, for the input gradient)
//   V   (16, C, ld)   slot 5: transformed input tiles (of dOut, with O channels, for the input gradient)
//   M   (16, O, ld)   slot 6: products before the output transform, or Ŷ, the transformed dOut tiles
//   Z   (16, O, C)    slot 8: Σ over the batch of Ŷ[ξ]·V[ξ]ᵀ
//   rows              slot 7, per thread: zero-padded rows for the transforms

import LoupeCore

extension Conv2d {
    /// Whether a Winograd convolution of `g` on `parts` threads takes the batch-wide path.
    func usesBatchWideWinograd(_ g: ConvGeometry, parts: Int) -> Bool {
        allowsBatchWide && parts > 1 && (g.n + parts - 1) / parts * Winograd.tiles(g.h) * Winograd.tiles(g.w) < Conv2d.targetColumns
    }

    /// Samples per batch-wide Winograd group: buffers of at most `batchWideBudget` floats.
    func batchWideWinogradGroup(_ g: ConvGeometry) -> Int {
        let t = Winograd.tiles(g.h) * Winograd.tiles(g.w)
        return max(1, min(g.n, batchWideBudget / (16 * max(inChannels, outChannels) * t)))
    }

    /// U (16, O, C) from the weights, shared out between the threads.
    func transformFilters(into u: UnsafeMutablePointer<Float>, parts: Int) {
        let count = outChannels * inChannels
        weight.value.read { w in
            Parallel.run(parts) { t in
                Winograd.transformFilters(w, count: count, into: u, indices: Parallel.slice(t, of: parts, count: count))
            }
        }
    }

    func batchWideWinogradForward(_ x: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>, _ g: ConvGeometry,
                                  parts: Int, _ ctx: RunContext) {
        let O = outChannels, C = inChannels, T = Winograd.tiles(g.h) * Winograd.tiles(g.w), G = batchWideWinogradGroup(g)
        let u = ctx.workspace.scratch(thread: 0, slot: 4, count: 16 * O * C)
        let v = ctx.workspace.scratch(thread: 0, slot: 5, count: Winograd.bufferCount(rows: C, ld: G * T))
        let mw = ctx.workspace.scratch(thread: 0, slot: 6, count: Winograd.bufferCount(rows: O, ld: G * T))
        let rows = (0..<parts).map { ctx.workspace.scratch(thread: $0, slot: 7, count: Winograd.scratchCount(height: max(g.h, g.p), width: max(g.w, g.q))) }
        transformFilters(into: u, parts: parts)
        Conv2d.batchWideWinograd(input: x, inputChannels: C, h: g.h, w: g.w, filters: u, flipped: false, outputChannels: O,
                                 into: out, n: g.n, group: G, tiles: T, v: v, m: mw, rows: rows, parts: parts)
    }

    /// out = Winograd convolution of `input` (n, Ci, h, w) with transformed filters `u` (16, Co, Ci), in
    /// groups of `group` samples. Shared by forward and by the input gradient: `flipped` convolves with
    /// the 180°-rotated filters of a layer whose `u` is (16, Ci, Co) (see Winograd.flippedPosition).
    static func batchWideWinograd(input x: UnsafePointer<Float>, inputChannels Ci: Int, h H: Int, w W: Int,
                                  filters u: UnsafePointer<Float>, flipped: Bool, outputChannels Co: Int,
                                  into out: UnsafeMutablePointer<Float>,
                                  n N: Int, group G: Int, tiles T: Int, v: UnsafeMutablePointer<Float>,
                                  m mw: UnsafeMutablePointer<Float>, rows: [UnsafeMutablePointer<Float>], parts: Int) {
        let plane = Ci * H * W, outPlane = Co * H * W
        var s = 0
        while s < N {
            let count = min(G, N - s), ld = count * T, s0 = s
            Parallel.run(parts) { t in
                let js = Parallel.slice(t, of: parts, count: count)
                Winograd.transformInput(x + (s0 + js.lowerBound) * plane, samples: js.count, sampleStride: plane, channels: Ci,
                                        h: H, w: W, into: v + js.lowerBound * T, ld: ld, scratch: rows[t])
            }
            Parallel.run(parts) { t in
                for xi in Parallel.slice(t, of: parts, count: 16) {
                    BLAS.sgemm(transposeA: flipped, transposeB: false, m: Co, n: ld, k: Ci, alpha: 1,
                               a: u + (flipped ? Winograd.flippedPosition(xi) : xi) * Co * Ci, lda: flipped ? Co : Ci,
                               b: v + xi * Winograd.planeStride(rows: Ci, ld: ld), ldb: ld, beta: 0,
                               c: mw + xi * Winograd.planeStride(rows: Co, ld: ld), ldc: ld)
                }
            }
            Parallel.run(parts) { t in
                let js = Parallel.slice(t, of: parts, count: count)
                Winograd.transformOutput(mw + js.lowerBound * T, samples: js.count, channels: Co, p: H, q: W, ld: ld,
                                         into: out + (s0 + js.lowerBound) * outPlane, sampleStride: outPlane, scratch: rows[t])
            }
            s += count
        }
    }

    /// Input gradient (when `dx` is given, written whole) and filter gradient (when `dw` is, accumulated).
    func batchWideWinogradBackward(x: UnsafePointer<Float>, dy: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>?,
                                   dw: UnsafeMutablePointer<Float>?, _ g: ConvGeometry, parts: Int, _ ctx: RunContext) {
        let O = outChannels, C = inChannels, T = Winograd.tiles(g.h) * Winograd.tiles(g.w), G = batchWideWinogradGroup(g)
        let wide = max(C, O)
        let u = ctx.workspace.scratch(thread: 0, slot: 4, count: dx != nil ? 16 * O * C : 1)
        let v = ctx.workspace.scratch(thread: 0, slot: 5, count: Winograd.bufferCount(rows: wide, ld: G * T))
        let mw = ctx.workspace.scratch(thread: 0, slot: 6, count: Winograd.bufferCount(rows: wide, ld: G * T))
        let rows = (0..<parts).map { ctx.workspace.scratch(thread: $0, slot: 7, count: Winograd.scratchCount(height: max(g.h, g.p), width: max(g.w, g.q))) }
        let z = ctx.workspace.scratch(thread: 0, slot: 8, count: dw != nil ? 16 * O * C : 1)
        if let dx {
            // The same convolution on dOut with the flipped, transposed filters.
            transformFilters(into: u, parts: parts)
            Conv2d.batchWideWinograd(input: dy, inputChannels: O, h: g.p, w: g.q, filters: u, flipped: true, outputChannels: C,
                                     into: dx, n: g.n, group: G, tiles: T, v: v, m: mw, rows: rows, parts: parts)
        }
        guard let dw else { return }
        let plane = g.inputPlane, outPlane = O * g.l
        var s = 0
        while s < g.n {
            let count = min(G, g.n - s), ld = count * T, s0 = s
            Parallel.run(parts) { t in
                let js = Parallel.slice(t, of: parts, count: count)
                Winograd.transformInput(x + (s0 + js.lowerBound) * plane, samples: js.count, sampleStride: plane, channels: C,
                                        h: g.h, w: g.w, into: v + js.lowerBound * T, ld: ld, scratch: rows[t])
                Winograd.transformOutputGradient(dy + (s0 + js.lowerBound) * outPlane, samples: js.count, sampleStride: outPlane,
                                                 channels: O, p: g.p, q: g.q, into: mw + js.lowerBound * T, ld: ld, scratch: rows[t])
            }
            Parallel.run(parts) { t in
                for xi in Parallel.slice(t, of: parts, count: 16) {
                    BLAS.sgemm(transposeA: false, transposeB: true, m: O, n: C, k: ld, alpha: 1, a: mw + xi * Winograd.planeStride(rows: O, ld: ld), lda: ld,
                               b: v + xi * Winograd.planeStride(rows: C, ld: ld), ldb: ld, beta: s0 == 0 ? 0 : 1, c: z + xi * O * C, ldc: C)
                }
            }
            s += count
        }
        Parallel.run(parts) { t in
            Winograd.accumulateFilterGradient(z, o: O, c: C, into: dw, indices: Parallel.slice(t, of: parts, count: O * C))
        }
    }
}
