// Winograd minimal filtering F(2×2, 3×3) for 3×3, stride-1, padding-1 convolutions (Lavin & Gray,
// "Fast Algorithms for Convolutional Neural Networks", 2016): each 2×2 output tile is
//   y = Aᵀ [(G g Gᵀ) ⊙ (Bᵀ d Bᵀᵀ)] A
// with d the 4×4 input tile, so a convolution becomes 16 independent matrix products (one per
// position ξ = 4a + b of the 4×4 transformed tile) with 2.25× fewer multiplies than im2col.
// The input gradient is the same convolution of dOut with the filters rotated 180° and C↔O swapped;
// the filter gradient is dW = Gᵀ [Σ_tiles (A dy Aᵀ) ⊙ (Bᵀ d B)] G.
//
// Shapes (one sample, P = H, Q = W):
//   Pt = ⌈H/2⌉, Qt = ⌈W/2⌉ tile rows/columns, T = Pt·Qt tiles; a chunk of m samples has m·T columns
//   x    (C, H, W)            input
//   U    (16, O, C)           transformed filters (the input gradient reads them transposed, at flipped positions)
//   V    (16, C, ld)          transformed input tiles, column j·T + tile for chunk sample j; planes
//                             planeStride(C, ld) apart (so are Mw's and Ŷ's)
//   Mw   (16, O, ld)          products U[ξ]·V[ξ] before the output transform
//   Ŷ    (16, O, ld)          transformed output-gradient tiles (A dy Aᵀ)
//   Z    (16, O, C)           Σ over tiles of Ŷ[ξ]·V[ξ]ᵀ, before Gᵀ·Z·G
//   scratch (scratchCount)    per-thread rows of the C transforms (CKernels.h)

import CKernels

enum Winograd {
    @inline(__always) static func tiles(_ n: Int) -> Int { (n + 1) / 2 }

    /// U[ξ][o][c] = (G·w[o, c]·Gᵀ)[ξ] for the filters `indices` (o·C + c) of the `count` = O·C filters.
    ///
    /// The input gradient needs no second, flipped transform: rotating a filter by 180° swaps rows 0 and 3
    /// of G·J = P·G, so G·rot(g)·Gᵀ = P·(G·g·Gᵀ)·P, that is U[flippedPosition(ξ)] read transposed.
    /// - Complexity: O(count) — eight filters per step, each row of G applied to eight at once.
    static func transformFilters(_ w: UnsafePointer<Float>, count: Int, into u: UnsafeMutablePointer<Float>, indices: Range<Int>) {
        withUnsafeTemporaryAllocation(of: V8.self, capacity: 9) { f in
        var i = indices.lowerBound
        while i < indices.upperBound {
            let lanes = min(8, indices.upperBound - i)
            // f[k] lane l = w[(i + l)·9 + k]: eight filters' k-th taps side by side.
            if lanes < 8 { f.initialize(repeating: V8()) }
            for l in 0..<lanes {
                let g = w + (i + l) * 9
                for k in 0..<9 { f[k][l] = g[k] }
            }
            // T = G·g (rows of taps), then U = T·Gᵀ; G's rows are (1, 0, 0), ½(1, 1, 1), ½(1, −1, 1), (0, 0, 1).
            for a in 0..<4 {
                let t0: V8, t1: V8, t2: V8
                switch a {
                case 0: (t0, t1, t2) = (f[0], f[1], f[2])
                case 1: (t0, t1, t2) = (0.5 * (f[0] + f[3] + f[6]), 0.5 * (f[1] + f[4] + f[7]), 0.5 * (f[2] + f[5] + f[8]))
                case 2: (t0, t1, t2) = (0.5 * (f[0] - f[3] + f[6]), 0.5 * (f[1] - f[4] + f[7]), 0.5 * (f[2] - f[5] + f[8]))
                default: (t0, t1, t2) = (f[6], f[7], f[8])
                }
                let row = (t0, 0.5 * (t0 + t1 + t2), 0.5 * (t0 - t1 + t2), t2)
                storeLanes(row.0, u + (4 * a + 0) * count + i, lanes)
                storeLanes(row.1, u + (4 * a + 1) * count + i, lanes)
                storeLanes(row.2, u + (4 * a + 2) * count + i, lanes)
                storeLanes(row.3, u + (4 * a + 3) * count + i, lanes)
            }
            i += lanes
        }
        }
    }

    /// The position whose transformed filter, transposed, is that of the 180°-rotated filter at ξ.
    @inline(__always) static func flippedPosition(_ xi: Int) -> Int {
        let swap = [3, 1, 2, 0]
        return 4 * swap[xi / 4] + swap[xi % 4]
    }

    /// Stores the first `count` (≤ 8) lanes.
    @inline(__always) static func storeLanes(_ v: V8, _ p: UnsafeMutablePointer<Float>, _ count: Int) {
        if count == 8 {
            UnsafeMutableRawPointer(p).storeBytes(of: v, as: V8.self)
        } else {
            for l in 0..<count { p[l] = v[l] }
        }
    }

    typealias V8 = SIMD8<Float>

    /// The distance between two ξ planes of a (16, rows, ld) tile buffer: rows·ld rounded up to 64 past a
    /// multiple of 1024 floats. The transforms touch all 16 planes at once; at a whole multiple of 4 KB
    /// apart (rows and ld are powers of two in ResNet) they all fall into one set of the L1 cache and
    /// evict each other.
    @inline(__always) static func planeStride(rows: Int, ld: Int) -> Int {
        let plane = rows * ld
        return plane + (64 - plane % 1024 + 1024) % 1024
    }

    /// Floats to allocate for a (16, rows, ld) tile buffer of any ld up to `ld`, slack included.
    static func bufferCount(rows: Int, ld: Int) -> Int { 16 * (rows * ld + 1024) + slack }

    /// Floats to allocate beyond a tile buffer.
    static let slack = 16

    /// Floats of per-thread scratch the transforms need for maps of up to `h` × `w`.
    static func scratchCount(height h: Int, width w: Int) -> Int { loupe_winograd_scratch_floats(h, w) }

    // The three map transforms are C (CKernels), compiled for SSE2, AVX2 and AVX-512 and chosen from
    // cpuid: as Swift SIMD code built for baseline x86-64 they spilled and ran 4 floats at a time, and
    // took a fifth of a ResNet-18 step at 64 px. Each takes `samples` consecutive samples whose tiles sit
    // side by side (column s·T + tile).

    /// V[ξ][ch][s·T + tile] (row stride `ld`, planes `planeStride(C, ld)` apart) = (Bᵀ·d·B)[ξ] for each
    /// 4×4 input tile d of each sample, zero-padded by one pixel; sample s at x + s·sampleStride.
    static func transformInput(_ x: UnsafePointer<Float>, samples: Int, sampleStride: Int, channels C: Int, h H: Int, w W: Int,
                               into v: UnsafeMutablePointer<Float>, ld: Int, scratch: UnsafeMutablePointer<Float>) {
        guard samples > 0 else { return }
        loupe_winograd_input(x, samples, sampleStride, C, H, W, v, ld, planeStride(rows: C, ld: ld), scratch)
    }

    /// y[s][o] (P × Q, sample s at y + s·sampleStride) = Aᵀ·m·A for every tile, from Mw[ξ][o][s·T + tile]
    /// (row stride `ld`, planes `planeStride(O, ld)` apart).
    static func transformOutput(_ m: UnsafePointer<Float>, samples: Int, channels O: Int, p P: Int, q Q: Int, ld: Int,
                                into y: UnsafeMutablePointer<Float>, sampleStride: Int, scratch: UnsafeMutablePointer<Float>) {
        guard samples > 0 else { return }
        loupe_winograd_output(m, samples, O, P, Q, ld, planeStride(rows: O, ld: ld), y, sampleStride, scratch)
    }

    /// Ŷ[ξ][o][s·T + tile] = (A·dy·Aᵀ)[ξ] for each 2×2 tile of dOut (zero beyond the edge).
    static func transformOutputGradient(_ dy: UnsafePointer<Float>, samples: Int, sampleStride: Int, channels O: Int,
                                        p P: Int, q Q: Int, into yhat: UnsafeMutablePointer<Float>, ld: Int,
                                        scratch: UnsafeMutablePointer<Float>) {
        guard samples > 0 else { return }
        loupe_winograd_output_gradient(dy, samples, sampleStride, O, P, Q, yhat, ld, planeStride(rows: O, ld: ld), scratch)
    }

    @inline(__always) static func load8(_ p: UnsafePointer<Float>) -> V8 { UnsafeRawPointer(p).loadUnaligned(as: V8.self) }

    /// dW[o, c] += Gᵀ·Z·G with Z[a][b] = z[(4a + b)·O·C + o·C + c], for the filters `indices` (default: all O·C).
    /// - Complexity: O(O·C), eight filters per step.
    static func accumulateFilterGradient(_ zs: UnsafePointer<Float>, o O: Int, c C: Int, into dw: UnsafeMutablePointer<Float>,
                                         indices: Range<Int>? = nil) {
        let plane = O * C, range = indices ?? 0..<plane
        withUnsafeTemporaryAllocation(of: V8.self, capacity: 9) { taps in
        var index = range.lowerBound
        while index < range.upperBound {
            let lanes = min(8, range.upperBound - index)
            @inline(__always) func z(_ a: Int, _ b: Int) -> V8 {
                let p = zs + (4 * a + b) * plane + index
                if lanes == 8 { return load8(p) }
                var v = V8()
                for l in 0..<lanes { v[l] = p[l] }
                return v
            }
            // S = Gᵀ·Z (3×4), rows of Gᵀ: (1, ½, ½, 0), (0, ½, −½, 0), (0, ½, ½, 1); then dW = S·G.
            taps.initialize(repeating: V8())
            for b in 0..<4 {
                let z0 = z(0, b), z1 = z(1, b), z2 = z(2, b), z3 = z(3, b)
                let s0 = z0 + 0.5 * (z1 + z2), s1 = 0.5 * (z1 - z2), s2 = 0.5 * (z1 + z2) + z3
                // Column b of S feeds dW's columns through G: (1, 0, 0), ½(1, 1, 1), ½(1, −1, 1), (0, 0, 1).
                let weights: (Float, Float, Float) = b == 0 ? (1, 0, 0) : b == 1 ? (0.5, 0.5, 0.5) : b == 2 ? (0.5, -0.5, 0.5) : (0, 0, 1)
                @inline(__always) func add(_ i: Int, _ sRow: V8) {
                    taps[3 * i + 0] += weights.0 * sRow
                    taps[3 * i + 1] += weights.1 * sRow
                    taps[3 * i + 2] += weights.2 * sRow
                }
                add(0, s0)
                add(1, s1)
                add(2, s2)
            }
            for l in 0..<lanes {
                let g = dw + (index + l) * 9
                for k in 0..<9 { g[k] += taps[k][l] }
            }
            index += lanes
        }
        }
    }
}
