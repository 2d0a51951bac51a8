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
//   U    (16, O, C)           transformed filters (16, C, O when flipped for the input gradient)
//   V    (16, C, ld)          transformed input tiles, column j·T + tile for chunk sample j
//   Mw   (16, O, ld)          products U[ξ]·V[ξ] before the output transform
//   Ŷ    (16, O, ld)          transformed output-gradient tiles (A dy Aᵀ)
//   Z    (16, O, C)           Σ over tiles of Ŷ[ξ]·V[ξ]ᵀ, before Gᵀ·Z·G
//   scratch (4·(2·Qt + 16))   per-thread zero-padded rows

enum Winograd {
    @inline(__always) static func tiles(_ n: Int) -> Int { (n + 1) / 2 }

    /// U[ξ][o][c] = (G·w[o, c]·Gᵀ)[ξ]; flipped: U[ξ][c][o] from w[o, c] rotated by 180°.
    static func transformFilters(_ w: UnsafePointer<Float>, o O: Int, c C: Int, flipped: Bool, into u: UnsafeMutablePointer<Float>) {
        let plane = O * C
        // Loop so that writes are sequential in U: (o, c) unflipped, (c, o) flipped.
        let (outer, inner) = flipped ? (C, O) : (O, C)
        for first in 0..<outer {
            for second in 0..<inner {
                let (oc, ic) = flipped ? (second, first) : (first, second)
                let g = w + (oc * C + ic) * 9
                @inline(__always) func f(_ i: Int) -> Float { flipped ? g[8 - i] : g[i] }
                let index = flipped ? ic * O + oc : oc * C + ic
                // T = G·f (4×3): rows f0, ½(f0 + f1 + f2), ½(f0 − f1 + f2), f2 of f's rows; then U = T·Gᵀ.
                for a in 0..<4 {
                    var t = (Float(0), Float(0), Float(0))
                    for j in 0..<3 {
                        let f0 = f(j), f1 = f(3 + j), f2 = f(6 + j)
                        let value: Float
                        switch a {
                        case 0: value = f0
                        case 1: value = 0.5 * (f0 + f1 + f2)
                        case 2: value = 0.5 * (f0 - f1 + f2)
                        default: value = f2
                        }
                        switch j { case 0: t.0 = value; case 1: t.1 = value; default: t.2 = value }
                    }
                    u[(4 * a + 0) * plane + index] = t.0
                    u[(4 * a + 1) * plane + index] = 0.5 * (t.0 + t.1 + t.2)
                    u[(4 * a + 2) * plane + index] = 0.5 * (t.0 - t.1 + t.2)
                    u[(4 * a + 3) * plane + index] = t.2
                }
            }
        }
    }

    // SSE (the default x86-64 target) has 16 four-float registers: blocks of 4 tiles keep every value
    // of a transform in a register.
    typealias V4 = SIMD4<Float>
    typealias V8 = SIMD8<Float>

    /// Floats of per-thread scratch the transforms need for images `w` wide.
    static func scratchCount(width w: Int) -> Int { 4 * paddedRow(w) }

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

    /// V[ξ][ch][tile] (row stride `ld`, plane stride `channels·ld`) = (Bᵀ·d·B)[ξ] for each 4×4 input
    /// tile d of one sample, zero-padded by one pixel. Four tiles at a time.
    static func transformInput(_ x: UnsafePointer<Float>, channels C: Int, h H: Int, w W: Int,
                               into v: UnsafeMutablePointer<Float>, ld: Int, scratch: UnsafeMutablePointer<Float>) {
        let Pt = tiles(H), Qt = tiles(W), R = paddedRow(W), plane = C * ld
        // Padded rows: a[k] = x[k − 1] for 1 ≤ k ≤ W. Tile j reads a[2j …< 2j + 4].
        let r0 = scratch, r1 = scratch + R, r2 = scratch + 2 * R, r3 = scratch + 3 * R
        scratch.update(repeating: 0, count: 4 * R)
        for ch in 0..<C {
            let src = x + ch * H * W
            for ti in 0..<Pt {
                @inline(__always) func fill(_ row: UnsafeMutablePointer<Float>, _ ih: Int) {
                    if ih >= 0 && ih < H {
                        (row + 1).update(from: src + ih * W, count: W)
                    } else {
                        (row + 1).update(repeating: 0, count: W)
                    }
                }
                fill(r0, 2 * ti - 1)
                fill(r1, 2 * ti)
                fill(r2, 2 * ti + 1)
                fill(r3, 2 * ti + 2)
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

    /// y[o] (P × Q) = Aᵀ·m·A for every tile, from Mw[ξ][o][tile] (row stride `ld`, plane stride O·ld;
    /// the buffer needs `slack` floats past its end).
    static func transformOutput(_ m: UnsafePointer<Float>, channels O: Int, p P: Int, q Q: Int, ld: Int,
                                into y: UnsafeMutablePointer<Float>) {
        let Pt = tiles(P), Qt = tiles(Q), plane = O * ld
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
        let Pt = tiles(P), Qt = tiles(Q), plane = O * ld, R = paddedRow(Q)
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

    /// dW[o, c] += Gᵀ·Z·G with Z[a][b] = z[(4a + b)·O·C + o·C + c].
    static func accumulateFilterGradient(_ zs: UnsafePointer<Float>, o O: Int, c C: Int, into dw: UnsafeMutablePointer<Float>) {
        let plane = O * C
        for index in 0..<plane {
            // S = Gᵀ·Z (3×4), rows of Gᵀ: (1, ½, ½, 0), (0, ½, −½, 0), (0, ½, ½, 1); then dW = S·G.
            let g = dw + index * 9
            @inline(__always) func z(_ a: Int, _ b: Int) -> Float { zs[(4 * a + b) * plane + index] }
            for i in 0..<3 {
                @inline(__always) func s(_ b: Int) -> Float {
                    switch i {
                    case 0: return z(0, b) + 0.5 * (z(1, b) + z(2, b))
                    case 1: return 0.5 * (z(1, b) - z(2, b))
                    default: return 0.5 * (z(1, b) + z(2, b)) + z(3, b)
                    }
                }
                let s0 = s(0), s1 = s(1), s2 = s(2), s3 = s(3)
                g[3 * i + 0] += s0 + 0.5 * (s1 + s2)
                g[3 * i + 1] += 0.5 * (s1 - s2)
                g[3 * i + 2] += 0.5 * (s1 + s2) + s3
            }
        }
    }
}
