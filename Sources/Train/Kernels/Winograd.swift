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
//   scratch ((2·Pt + 2) × (2·Qt + 16))   per-thread zero-padded copy of one channel

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

    // SSE (the default x86-64 target) has 16 four-float registers: blocks of 4 tiles keep every value
    // of a transform in a register.
    typealias V4 = SIMD4<Float>
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

    /// Floats of per-thread scratch the transforms need for images `h` × `w`.
    static func scratchCount(height h: Int, width w: Int) -> Int { paddedRows(h) * paddedRow(w) }

    /// Floats to allocate beyond a tile buffer: block loads may read up to 3 tiles past the end.
    static let slack = 16

    /// A padded row holds one zero, the W values, then zeros: room for 8-wide loads at 2j + 2.
    @inline(__always) static func paddedRow(_ w: Int) -> Int { 2 * tiles(w) + 16 }

    @inline(__always) static func load8(_ p: UnsafePointer<Float>) -> V8 { UnsafeRawPointer(p).loadUnaligned(as: V8.self) }
    @inline(__always) static func load4(_ p: UnsafePointer<Float>) -> V4 { UnsafeRawPointer(p).loadUnaligned(as: V4.self) }

    /// Stores the first `count` (≤ 4) lanes.
    @inline(__always) static func store(_ v: V4, _ p: UnsafeMutablePointer<Float>, count: Int) {
        if count >= 4 {
            UnsafeMutableRawPointer(p).storeBytes(of: v, as: V4.self)
        } else {
            for i in 0..<count { p[i] = v[i] }
        }
    }

    /// V[ξ][ch][tile] (row stride `ld`, planes `planeStride(C, ld)` apart) = (Bᵀ·d·B)[ξ] for each 4×4
    /// input tile d of one sample, zero-padded by one pixel. Four tiles at a time.
    static func transformInput(_ x: UnsafePointer<Float>, channels C: Int, h H: Int, w W: Int,
                               into v: UnsafeMutablePointer<Float>, ld: Int, scratch: UnsafeMutablePointer<Float>) {
        let Pt = tiles(H), Qt = tiles(W), R = paddedRow(W), plane = planeStride(rows: C, ld: ld)
        // One zero-padded copy of the channel: padded row k holds x row k − 1 at columns 1 …< W + 1 and
        // zeros around it (set once; each channel overwrites only the interior). Tile row ti reads padded
        // rows 2ti …< 2ti + 4, tile column j columns 2j …< 2j + 4: each input row is copied once, not twice.
        scratch.update(repeating: 0, count: paddedRows(H) * R)
        for ch in 0..<C {
            let src = x + ch * H * W
            for ih in 0..<H { copyRow(src + ih * W, into: scratch + (ih + 1) * R + 1, count: W) }
            for ti in 0..<Pt {
                let r0 = scratch + 2 * ti * R, r1 = r0 + R, r2 = r1 + R, r3 = r2 + R
                let base = v + ch * ld + ti * Qt
                var j = 0
                while j < Qt {
                    let count = min(4, Qt - j)
                    // Bᵀ on columns of a row-combined 8-wide run t (at 2j) and t1 (at 2j + 2):
                    // with e/o its even/odd entries, (e − e′, o + e′, e′ − o, o − o′).
                    @inline(__always) func columns(_ k: Int, _ t: V8, _ t1: V8) {
                        let te = t.evenHalf, to = t.oddHalf, te1 = t1.evenHalf, to1 = t1.oddHalf
                        let out = base + (4 * k) * plane + j
                        store(te - te1, out, count: count)
                        store(to + te1, out + plane, count: count)
                        store(te1 - to, out + 2 * plane, count: count)
                        store(to - to1, out + 3 * plane, count: count)
                    }
                    // Bᵀ on rows: k0 = r0 − r2, k1 = r1 + r2, k2 = r2 − r1, k3 = r1 − r3.
                    let a1 = load8(r1 + 2 * j), b1 = load8(r1 + 2 * j + 2)
                    let a2 = load8(r2 + 2 * j), b2 = load8(r2 + 2 * j + 2)
                    columns(1, a1 + a2, b1 + b2)
                    columns(2, a2 - a1, b2 - b1)
                    columns(0, load8(r0 + 2 * j) - a2, load8(r0 + 2 * j + 2) - b2)
                    columns(3, a1 - load8(r3 + 2 * j), b1 - load8(r3 + 2 * j + 2))
                    j += 4
                }
            }
        }
    }

    /// Padded rows `transformInput` keeps for an image `h` high: a zero row above, and below enough zero
    /// rows for the last tile row (one for an even h, two for an odd).
    @inline(__always) static func paddedRows(_ h: Int) -> Int { 2 * tiles(h) + 2 }

    /// dst[0 ..< count] = src[0 ..< count], eight at a time: rows are short (2 to 56 floats here), and a
    /// call to memmove per row cost more than the copy.
    @inline(__always) static func copyRow(_ src: UnsafePointer<Float>, into dst: UnsafeMutablePointer<Float>, count: Int) {
        var k = 0
        while k + 8 <= count {
            UnsafeMutableRawPointer(dst + k).storeBytes(of: load8(src + k), as: V8.self)
            k += 8
        }
        while k < count { dst[k] = src[k]; k += 1 }
    }

    /// y[o] (P × Q) = Aᵀ·m·A for every tile, from Mw[ξ][o][tile] (row stride `ld`, plane stride O·ld;
    /// the buffer needs `slack` floats past its end).
    static func transformOutput(_ m: UnsafePointer<Float>, channels O: Int, p P: Int, q Q: Int, ld: Int,
                                into y: UnsafeMutablePointer<Float>) {
        let Pt = tiles(P), Qt = tiles(Q), plane = planeStride(rows: O, ld: ld)
        for oc in 0..<O {
            let dst = y + oc * P * Q
            for ti in 0..<Pt {
                let base = m + oc * ld + ti * Qt
                let row0 = dst + 2 * ti * Q
                let row1: UnsafeMutablePointer<Float>? = 2 * ti + 1 < P ? row0 + Q : nil
                var j = 0
                while j < Qt {
                    let p = base + j
                    // Aᵀ on rows, per column b: a_b = m_b + m_{4+b} + m_{8+b}, c_b = m_{4+b} − m_{8+b} − m_{12+b}.
                    @inline(__always) func rows(_ b: Int) -> (V4, V4) {
                        let m1 = load4(p + (4 + b) * plane), m2 = load4(p + (8 + b) * plane)
                        return (load4(p + b * plane) + m1 + m2, m1 - m2 - load4(p + (12 + b) * plane))
                    }
                    let (a0, c0) = rows(0), (a1, c1) = rows(1), (a2, c2) = rows(2), (a3, c3) = rows(3)
                    // Aᵀ on columns: (x0 + x1 + x2, x1 − x2 − x3).
                    writeInterleaved(a0 + a1 + a2, a1 - a2 - a3, into: row0, from: 2 * j, width: Q)
                    if let row1 { writeInterleaved(c0 + c1 + c2, c1 - c2 - c3, into: row1, from: 2 * j, width: Q) }
                    j += 4
                }
            }
        }
    }

    /// row[start + 2i] = even[i], row[start + 2i + 1] = odd[i], within `width`.
    @inline(__always)
    static func writeInterleaved(_ even: V4, _ odd: V4, into row: UnsafeMutablePointer<Float>, from start: Int, width: Int) {
        if start + 8 <= width {
            let v = V8(even[0], odd[0], even[1], odd[1], even[2], odd[2], even[3], odd[3])
            UnsafeMutableRawPointer(row + start).storeBytes(of: v, as: V8.self)
        } else {
            for i in 0..<4 {
                let c = start + 2 * i
                if c < width { row[c] = even[i] }
                if c + 1 < width { row[c + 1] = odd[i] }
            }
        }
    }

    /// Ŷ[ξ][o][tile] = (A·dy·Aᵀ)[ξ] for each 2×2 tile of dOut (zero beyond the edge).
    static func transformOutputGradient(_ dy: UnsafePointer<Float>, channels O: Int, p P: Int, q Q: Int,
                                        into yhat: UnsafeMutablePointer<Float>, ld: Int, scratch: UnsafeMutablePointer<Float>) {
        let Pt = tiles(P), Qt = tiles(Q), plane = planeStride(rows: O, ld: ld), R = paddedRow(Q)
        // Padded copies of the tile's two rows: r[k] = dy[row][k] for k < Q, zeros after.
        let r0 = scratch, r1 = scratch + R
        r0.update(repeating: 0, count: R)
        r1.update(repeating: 0, count: R)
        for oc in 0..<O {
            let src = dy + oc * P * Q
            for ti in 0..<Pt {
                r0.update(from: src + 2 * ti * Q, count: Q)
                if 2 * ti + 1 < P { r1.update(from: src + (2 * ti + 1) * Q, count: Q) } else { r1.update(repeating: 0, count: Q) }
                let base = yhat + oc * ld + ti * Qt
                var j = 0
                while j < Qt {
                    let top = load8(r0 + 2 * j), bottom = load8(r1 + 2 * j)
                    let a = top.evenHalf, b = top.oddHalf, c = bottom.evenHalf, d = bottom.oddHalf
                    let count = min(4, Qt - j)
                    // Rows of A·dy: (a, b), (a + c, b + d), (a − c, b − d), (−c, −d); columns likewise.
                    @inline(__always) func put(_ k: Int, _ p: V4, _ q: V4) {
                        let out = base + (4 * k) * plane + j
                        store(p, out, count: count)
                        store(p + q, out + plane, count: count)
                        store(p - q, out + 2 * plane, count: count)
                        store(-q, out + 3 * plane, count: count)
                    }
                    put(0, a, b)
                    put(1, a + c, b + d)
                    put(2, a - c, b - d)
                    put(3, -c, -d)
                    j += 4
                }
            }
        }
    }

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
