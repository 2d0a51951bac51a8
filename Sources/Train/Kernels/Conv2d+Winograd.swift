// Conv2d's Winograd paths for 3×3 / stride 1 / padding 1: F(4×4, 3×3) on maps of at least
// `winograd4MinimumMap` (16) pixels a side and on 7×7 maps (see takesWinograd4), F(2×2, 3×3) elsewhere, and the
// 9-product tile on 2×2 maps (see Winograd.swift and Winograd+Tile.swift for the transforms and shapes). Each
// thread takes a contiguous slice of samples, in chunks of m samples (m·T columns per GEMM, T tiles per sample);
// scratch slots: 4 U (shared; F(2×2) and the 2×2-map tile keep their own, see forwardFilters), 5 V, 6 Mw/Ŷ,
// 7 rows, 8 this thread's Z.

import Foundation
import LoupeCore

extension Conv2d {
    /// Whether `g` takes the Winograd path: 3×3/1/1 with enough channels for the GEMMs to pay off,
    /// on a map of at least 2×2. A 1-pixel row or column fills half a 2×2 tile: 16 products per tile
    /// against im2col's 9 per pixel, plus the transforms (ResNet-18's layer4 at 32 px is 1×1, and
    /// Winograd made that stage about 1.5× slower there).
    func usesWinograd(_ g: ConvGeometry) -> Bool {
        allowsWinograd && kernel == 3 && stride == 1 && padding == 1 && g.h >= Conv2d.winogradMinimumMap && g.w >= Conv2d.winogradMinimumMap
            && inChannels >= Conv2d.winogradMinimumChannels && outChannels >= Conv2d.winogradMinimumChannels
    }

    /// The smallest map side that takes F(4×4, 3×3) (environment LOUPE_WINOGRAD4_MIN_MAP, for benchmarking; a value
    /// above 16 also turns off the odd sides of `takesWinograd4`). Quiet A/B against F(2×2) everywhere (AMD EPYC,
    /// 2026-12-02): from 24 px, ResNet-18 @224 1.14×, LittleConv @64 1.15×, @128 1.25×. From 16 px against 24 (AMD EPYC Zen 5,
    /// 2026-12-07, the AVX-512 transforms and masked GEMM edges): ResNet-18 @64 (layer1, 16×16) 1.07× on one
    /// thread and 1.03× on two, LittleConv 1.00-1.01× on two. Below 16 it loses on two threads: ResNet-18 @112's
    /// 14×14 layer2 ran its backward 1.15× slower, @64's 8×8 maps 7 % slower in all.
    static let winograd4MinimumMap = ProcessInfo.processInfo.environment["LOUPE_WINOGRAD4_MIN_MAP"].flatMap { Int($0) } ?? 16

    /// False when the environment sets LOUPE_NO_MAP2_WINOGRAD=1 (for benchmarking): 2×2 maps then take F(2×2).
    static let map2ByDefault = ProcessInfo.processInfo.environment["LOUPE_NO_MAP2_WINOGRAD"] == nil

    /// The algorithm for `g`: `winogradTileOverride` when set (tests run each on every shape it fits), else by
    /// map size: the 2×2-map tile on 2×2 maps, F(4×4) where `takesWinograd4`, F(2×2) elsewhere.
    func winogradTile(_ g: ConvGeometry) -> Winograd.Tile {
        let map2 = g.h == 2 && g.w == 2
        if let tile = winogradTileOverride { return tile == .map2 && !map2 ? .f2 : tile }
        if map2 && Conv2d.map2ByDefault { return .map2 }
        return Conv2d.takesWinograd4(side: min(g.h, g.w)) ? .f4 : .f2
    }

    /// Whether a map of this (smaller) side takes F(4×4): from `winograd4MinimumMap`, and on sides of 7, 11 and 15,
    /// where F(2×2)'s tiles pad the map by a row and a column just as F(4×4)'s do, so F(4×4) computes 144 products
    /// per 8×8 where F(2×2) computes 256. Measured on 7×7 (AMD EPYC Zen 5, 2026-12-07, paired rounds against
    /// F(2×2) there): ResNet-18 @224 (layer4) 1.06× on two threads and 1.05× on one, @112 (layer3) 1.025× on two
    /// (10 rounds, none below 1.00) and 0.975× on one. 8×8, padded by neither, stays F(2×2) (@64: 0.99×).
    static func takesWinograd4(side: Int) -> Bool {
        side >= winograd4MinimumMap || (side >= 7 && side % 4 == 3 && winograd4MinimumMap <= 16)
    }

    /// Columns per chunk of the per-sample Winograd path when the environment sets LOUPE_WINOGRAD_COLUMNS
    /// (for benchmarking); otherwise `cacheColumns`.
    static let winogradColumns = ProcessInfo.processInfo.environment["LOUPE_WINOGRAD_COLUMNS"].flatMap { Int($0) }

    /// Columns whose V and Mw (`positions` planes of C and of O rows, 4 bytes a float) fill about 2 MB, one
    /// core's L2 on current Xeons: the transforms write them and the GEMMs read them straight back. Against the
    /// old 1,024 columns (4.8 MB at 64 channels), CPU per step improved 1.05× on ResNet-18 @112, 1.06× at
    /// @64 and 1.02× on LittleConv @128 (F(2×2), Intel Xeon, quiet A/B; docs/speed.md).
    func cacheColumns(_ tile: Winograd.Tile) -> Int {
        max(32, min(Conv2d.targetColumns, (1 << 19) / (tile.positions * (inChannels + outChannels))))
    }

    /// Samples per chunk: whole samples up to `cacheColumns` columns (at least one), scratch of at most
    /// ~8 MB per buffer.
    func winogradChunk(_ g: ConvGeometry, parts: Int) -> Int {
        let tile = winogradTile(g), t = tile.tileCount(g)
        let perPart = (g.n + parts - 1) / parts
        let byMemory = (1 << 21) / (tile.positions * max(inChannels, outChannels) * t)
        return max(1, min(perPart, (Conv2d.winogradColumns ?? cacheColumns(tile)) / t, byMemory))
    }

    /// False when the environment sets LOUPE_NO_KEPT_FILTERS=1 (for benchmarking): `keepsFilters`' default.
    static let keepsFiltersByDefault = ProcessInfo.processInfo.environment["LOUPE_NO_KEPT_FILTERS"] == nil

    /// U (positions, O, C) for this forward: into the layer's own buffer for F(2×2) and the 2×2-map tile, whose input gradient reads
    /// the same U, so the backward need not write it again (16·O·C floats, 16 MB for a 512-channel layer and
    /// 64 MB for all of ResNet-18's F(2×2) convolutions, held from the first step on); into the shared scratch
    /// otherwise.
    func forwardFilters(_ tile: Winograd.Tile, parts: Int, _ ctx: RunContext) -> UnsafeMutablePointer<Float> {
        let count = tile.positions * outChannels * inChannels
        let keep = tile.inputGradientReadsForwardFilters && keepsFilters
        let u = keep ? cache.filters.buffer(count) : ctx.workspace.scratch(thread: 0, slot: 4, count: count)
        transformFilters(tile, into: u, parts: parts)
        cache.filters.fresh = keep
        return u
    }

    /// The filters the input gradient reads: the forward's when it kept them (same weights: the optimiser
    /// steps after the backward), else transformed now into the shared scratch.
    func inputGradientFilters(_ tile: Winograd.Tile, parts: Int, _ ctx: RunContext) -> UnsafePointer<Float> {
        if tile.inputGradientReadsForwardFilters, cache.filters.fresh, let kept = cache.filters.pointer { return UnsafePointer(kept) }
        let u = ctx.workspace.scratch(thread: 0, slot: 4, count: tile.positions * outChannels * inChannels)
        transformInputGradientFilters(tile, into: u, parts: parts)
        return UnsafePointer(u)
    }

    func winogradForward(_ x: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>, _ g: ConvGeometry, _ ctx: RunContext) {
        let O = outChannels, C = inChannels, tile = winogradTile(g), T = tile.tileCount(g), positions = tile.positions
        let parts = Parallel.parts(ctx.threads, count: g.n, itemCost: 4 * C * g.l * O / 8)
        if usesBatchWideWinograd(g, parts: parts) { return batchWideWinogradForward(x, out: out, g, parts: parts, ctx) }
        let m = winogradChunk(g, parts: parts), ld = m * T
        let u = forwardFilters(tile, parts: parts, ctx)
        let vs = (0..<parts).map { ctx.workspace.scratch(thread: $0, slot: 5, count: tile.bufferCount(rows: C, ld: ld)) }
        let ms = (0..<parts).map { ctx.workspace.scratch(thread: $0, slot: 6, count: tile.bufferCount(rows: O, ld: ld)) }
        let rows = (0..<parts).map { ctx.workspace.scratch(thread: $0, slot: 7, count: tile.scratchCount(height: max(g.h, g.p), width: max(g.w, g.q))) }
        let plane = g.inputPlane, outPlane = O * g.l
        // Training keeps V, the transformed input, for the filter gradient: every chunk's columns in one buffer
        // (ld = n·T) instead of the thread's scratch.
        let kept = keptInputBuffer(tile, g, ctx).map { SharedPointer($0) }
        Parallel.run(parts) { t in
            let samples = Parallel.slice(t, of: parts, count: g.n)
            var s = samples.lowerBound
            while s < samples.upperBound {
                let count = min(m, samples.upperBound - s)
                let v = kept.map { $0.advanced(by: s * T) } ?? vs[t], vld = kept == nil ? ld : g.n * T
                tile.transformInput(x + s * plane, samples: count, sampleStride: plane, channels: C, h: g.h, w: g.w,
                                    into: v, ld: vld, scratch: rows[t])
                for xi in 0..<positions {
                    GEMM.sgemm(transposeA: false, transposeB: false, m: O, n: count * T, k: C, alpha: 1, a: u + xi * O * C, lda: C,
                               b: v + xi * Winograd.planeStride(rows: C, ld: vld), ldb: vld, beta: 0,
                               c: ms[t] + xi * Winograd.planeStride(rows: O, ld: ld), ldc: ld)
                }
                tile.transformOutput(ms[t], samples: count, channels: O, p: g.p, q: g.q, ld: ld,
                                     into: out + s * outPlane, sampleStride: outPlane, scratch: rows[t])
                s += count
            }
        }
        cache.transformedInput.fresh = kept != nil
    }

    /// Input gradient (when `dx` is given, written whole) and filter gradient (when `dw` is, accumulated).
    func winogradBackward(x: UnsafePointer<Float>, dy: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>?,
                          dw: UnsafeMutablePointer<Float>?, _ g: ConvGeometry, _ ctx: RunContext) {
        let O = outChannels, C = inChannels, tile = winogradTile(g), T = tile.tileCount(g), positions = tile.positions
        let parts = Parallel.parts(ctx.threads, count: g.n, itemCost: 4 * C * g.l * O / 8)
        if usesBatchWideWinograd(g, parts: parts) {
            return batchWideWinogradBackward(x: x, dy: dy, dx: dx, dw: dw, g, parts: parts, ctx)
        }
        let m = winogradChunk(g, parts: parts), ld = m * T
        let wide = max(C, O)
        let u = dx != nil ? inputGradientFilters(tile, parts: parts, ctx) : UnsafePointer(ctx.workspace.scratch(thread: 0, slot: 4, count: 1))
        let vs = (0..<parts).map { ctx.workspace.scratch(thread: $0, slot: 5, count: tile.bufferCount(rows: wide, ld: ld)) }
        let ms = (0..<parts).map { ctx.workspace.scratch(thread: $0, slot: 6, count: tile.bufferCount(rows: wide, ld: ld)) }
        let rows = (0..<parts).map { ctx.workspace.scratch(thread: $0, slot: 7, count: tile.scratchCount(height: max(g.h, g.p), width: max(g.w, g.q))) }
        let zs = (0..<parts).map { ctx.workspace.scratch(thread: $0, slot: 8, count: dw != nil ? positions * O * C : 1) }
        let plane = g.inputPlane, outPlane = O * g.l
        let kept = cache.transformedInput.fresh ? cache.transformedInput.pointer.map { SharedPointer($0) } : nil
        Parallel.run(parts) { t in
            let samples = Parallel.slice(t, of: parts, count: g.n)
            var s = samples.lowerBound
            var firstZ = true
            while s < samples.upperBound {
                let count = min(m, samples.upperBound - s)
                if let dx {
                    // The same convolution on dOut with the flipped, transposed filters.
                    tile.transformInput(dy + s * outPlane, samples: count, sampleStride: outPlane, channels: O, h: g.p, w: g.q,
                                        into: vs[t], ld: ld, scratch: rows[t])
                    for xi in 0..<positions {
                        GEMM.sgemm(transposeA: true, transposeB: false, m: C, n: count * T, k: O, alpha: 1,
                                   a: u + tile.inputGradientPosition(xi) * O * C, lda: C, b: vs[t] + xi * Winograd.planeStride(rows: O, ld: ld), ldb: ld,
                                   beta: 0, c: ms[t] + xi * Winograd.planeStride(rows: C, ld: ld), ldc: ld)
                    }
                    tile.transformOutput(ms[t], samples: count, channels: C, p: g.h, q: g.w, ld: ld,
                                         into: dx + s * plane, sampleStride: plane, scratch: rows[t])
                }
                if dw != nil {
                    // V from the forward when it kept it (same input: cache.input is what it transformed), else again.
                    let v = kept.map { $0.advanced(by: s * T) } ?? vs[t], vld = kept == nil ? ld : g.n * T
                    if kept == nil {
                        tile.transformInput(x + s * plane, samples: count, sampleStride: plane, channels: C, h: g.h, w: g.w,
                                            into: vs[t], ld: ld, scratch: rows[t])
                    }
                    tile.transformOutputGradient(dy + s * outPlane, samples: count, sampleStride: outPlane, channels: O,
                                                 p: g.p, q: g.q, into: ms[t], ld: ld, scratch: rows[t])
                    for xi in 0..<positions {
                        GEMM.sgemm(transposeA: false, transposeB: true, m: O, n: C, k: count * T, alpha: 1, a: ms[t] + xi * Winograd.planeStride(rows: O, ld: ld),
                                   lda: ld, b: v + xi * Winograd.planeStride(rows: C, ld: vld), ldb: vld, beta: firstZ ? 0 : 1, c: zs[t] + xi * O * C, ldc: C)
                    }
                    firstZ = false
                }
                s += count
            }
            if dw != nil && firstZ { zs[t].update(repeating: 0, count: positions * O * C) }
        }
        if let dw {
            let z = zs[0]
            for t in 1..<max(parts, 1) { VectorMath.add(UnsafePointer(zs[t]), into: z, positions * O * C) }
            Parallel.run(parts) { t in
                tile.accumulateFilterGradient(UnsafePointer(z), o: O, c: C, into: dw, indices: Parallel.slice(t, of: parts, count: O * C))
            }
        }
    }
}

/// A layer's own buffer kept from one forward to its backward (transformed filters or input).
final class KeptBuffer {
    private(set) var pointer: UnsafeMutablePointer<Float>?
    private var capacity = 0
    /// Set by a forward that wrote the buffer from the current weights; cleared when the next forward starts.
    var fresh = false

    /// At least `count` floats, reallocated only to grow.
    func buffer(_ count: Int) -> UnsafeMutablePointer<Float> {
        if capacity < count {
            pointer?.deallocate()
            pointer = .allocate(capacity: count)
            HugePages.advise(UnsafeMutableRawPointer(pointer!), bytes: count * MemoryLayout<Float>.stride)
            capacity = count
        }
        return pointer!
    }

    deinit { pointer?.deallocate() }
}
