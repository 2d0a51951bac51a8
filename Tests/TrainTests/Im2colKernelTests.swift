import CKernels
import LoupeCore
import Testing

/// The C im2col / col2im (CKernels) at every instruction-set level this CPU has: unfold against its
/// definition, and fold as its exact adjoint (⟨unfold x, c⟩ = ⟨x, fold c⟩), for strides 1, 2 (their own
/// loops) and 3 (the general one), through the row loops (rows of more than 8 outputs) and the offset table
/// (8 or fewer, down to a 1 × 1 map). Every path's fold adds into each pixel in the definition's order, so it
/// matches a Float fold in that order bit for bit.
@Suite struct Im2colKernelTests {
    struct Shape: CustomStringConvertible, Sendable {
        let c, h, w, k, s, pad: Int
        var description: String { "C\(c) \(h)×\(w) k\(k) s\(s) p\(pad)" }
        var p: Int { (h + 2 * pad - k) / s + 1 }
        var q: Int { (w + 2 * pad - k) / s + 1 }
        var rows: Int { c * k * k }
        var ld: Int { p * q + 3 }
    }

    static let shapes = [Shape(c: 2, h: 9, w: 8, k: 3, s: 1, pad: 1), Shape(c: 3, h: 21, w: 19, k: 7, s: 2, pad: 3),
                         Shape(c: 2, h: 7, w: 7, k: 3, s: 2, pad: 1), Shape(c: 2, h: 5, w: 6, k: 1, s: 2, pad: 0),
                         Shape(c: 1, h: 10, w: 11, k: 3, s: 3, pad: 2), Shape(c: 2, h: 20, w: 18, k: 3, s: 1, pad: 1),
                         Shape(c: 3, h: 4, w: 4, k: 3, s: 2, pad: 1), Shape(c: 2, h: 1, w: 1, k: 3, s: 1, pad: 1),
                         Shape(c: 2, h: 17, w: 16, k: 3, s: 2, pad: 1),
                         // Stride 2 through the row loops (rows of 9-35 outputs): odd and even widths, no padding,
                         // a 5×5 kernel.
                         Shape(c: 2, h: 13, w: 29, k: 3, s: 2, pad: 1), Shape(c: 2, h: 12, w: 20, k: 3, s: 2, pad: 0),
                         Shape(c: 3, h: 9, w: 23, k: 5, s: 2, pad: 2), Shape(c: 1, h: 28, w: 28, k: 3, s: 2, pad: 1),
                         Shape(c: 1, h: 10, w: 70, k: 3, s: 2, pad: 1), Shape(c: 1, h: 66, w: 70, k: 3, s: 2, pad: 1)]

    @Test(arguments: shapes)
    func unfoldAndFold(_ g: Shape) {
        let x = WinogradTransformTests.random(g.c * g.h * g.w, seed: 7)
        let c = WinogradTransformTests.random(g.rows * g.ld, seed: 8)
        var expected = [Double](repeating: .nan, count: g.rows * g.ld)
        for ch in 0..<g.c { for i in 0..<g.k { for j in 0..<g.k { for u in 0..<g.p { for v in 0..<g.q {
            let ih = u * g.s - g.pad + i, iw = v * g.s - g.pad + j
            let inside = ih >= 0 && ih < g.h && iw >= 0 && iw < g.w
            expected[((ch * g.k + i) * g.k + j) * g.ld + u * g.q + v] = inside ? Double(x[(ch * g.h + ih) * g.w + iw]) : 0
        } } } } }
        // The fold in Float, in (c, i, j, u, v) order: every path adds into each pixel in that order.
        var folded = [Float](repeating: 0.5, count: x.count)
        for ch in 0..<g.c { for i in 0..<g.k { for j in 0..<g.k { for u in 0..<g.p { for v in 0..<g.q {
            let ih = u * g.s - g.pad + i, iw = v * g.s - g.pad + j
            if ih >= 0 && ih < g.h && iw >= 0 && iw < g.w {
                folded[(ch * g.h + ih) * g.w + iw] += c[((ch * g.k + i) * g.k + j) * g.ld + u * g.q + v]
            }
        } } } } }
        for level in WinogradTransformTests.levels {
            let name = String(cString: loupe_isa_name(level))
            var col = [Float](repeating: .nan, count: g.rows * g.ld)
            loupe_im2col_at(level, x, g.c, g.h, g.w, g.k, g.s, g.pad, g.p, g.q, &col, g.ld)
            #expect(WinogradTransformTests.maxError(col, expected) == 0, "unfold, \(name) \(g)")
            // The fold reads only the p·q columns of each row: the slack columns hold values that must not count.
            var dx = [Float](repeating: 0.5, count: x.count)
            loupe_col2im_add_at(level, c, g.ld, g.c, g.h, g.w, g.k, g.s, g.pad, g.p, g.q, &dx)
            var lhs = 0.0, rhs = 0.0
            for r in 0..<g.rows { for l in 0..<(g.p * g.q) { lhs += expected[r * g.ld + l] * Double(c[r * g.ld + l]) } }
            for i in 0..<x.count { rhs += Double(x[i]) * (Double(dx[i]) - 0.5) }
            #expect(abs(lhs - rhs) <= 1e-4 * max(1, abs(lhs)), "fold, \(name) \(g)")
            #expect(dx == folded, "fold, summed in the definition's order, \(name) \(g)")
        }
    }
}
