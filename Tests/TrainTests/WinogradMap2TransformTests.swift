import CKernels
import LoupeCore
import Testing

/// The 2×2-map Winograd transforms (CKernels/winograd_map2_variant.h), at every instruction-set level this CPU
/// has, against their matrix definitions evaluated in Double, and the algorithm itself (U ⊙ V through the
/// output transform) against a direct 3×3 convolution of a 2×2 map, so a wrong matrix cannot pass with
/// a matching wrong definition.
@Suite struct WinogradMap2TransformTests {
    /// Per axis: input (x0, x1) → (x0 + x1, x1, x0); filter (w0, w1, w2) → (w1, w2 − w1, w0 − w1);
    /// output (m0, m1, m2) → (m0 + m1, m0 + m2).
    static let tx: [[Double]] = [[1, 1], [0, 1], [1, 0]]
    static let tw: [[Double]] = [[0, 1, 0], [0, -1, 1], [1, -1, 0]]
    static let ty: [[Double]] = [[1, 1, 0], [1, 0, 1]]

    static var levels: [loupe_isa] { WinogradTransformTests.levels }

    /// Samples and channels that are no multiple of any vector width; slack in ld and plane shows stray writes.
    static let samples = 5, channels = 19, ld = 8, plane = 19 * 8 + 3, stride = 19 * 4 + 2

    static func transformed(_ t: [[Double]], _ d: (Int, Int) -> Double, a: Int, b: Int) -> Double {
        var sum = 0.0
        for r in 0..<t[0].count { for q in 0..<t[0].count { sum += t[a][r] * d(r, q) * t[b][q] } }
        return sum
    }

    @Test func mapTransforms() {
        let (n, C, ld, plane, stride) = (Self.samples, Self.channels, Self.ld, Self.plane, Self.stride)
        let x = WinogradTransformTests.random(n * stride, seed: 1), m = WinogradTransformTests.random(9 * plane, seed: 2)
        var v0 = [Double](repeating: .nan, count: 9 * plane), yhat0 = v0, y0 = [Double](repeating: .nan, count: n * stride)
        for s in 0..<n { for c in 0..<C {
            let px = { (r: Int, q: Int) in Double(x[s * stride + c * 4 + 2 * r + q]) }
            for a in 0..<3 { for b in 0..<3 {
                v0[(3 * a + b) * plane + c * ld + s] = Self.transformed(Self.tx, px, a: a, b: b)
                // Ŷ = Tyᵀ·dy·Ty, the output transform's adjoint, of the same numbers read as dy.
                var g = 0.0
                for i in 0..<2 { for j in 0..<2 { g += Self.ty[i][a] * px(i, j) * Self.ty[j][b] } }
                yhat0[(3 * a + b) * plane + c * ld + s] = g
            } }
            for i in 0..<2 { for j in 0..<2 {
                var sum = 0.0
                for a in 0..<3 { for b in 0..<3 { sum += Self.ty[i][a] * Double(m[(3 * a + b) * plane + c * ld + s]) * Self.ty[j][b] } }
                y0[s * stride + c * 4 + 2 * i + j] = sum
            } }
        } }
        for level in Self.levels {
            let name = String(cString: loupe_isa_name(level))
            var v = [Float](repeating: .nan, count: 9 * plane), yhat = v, y = [Float](repeating: .nan, count: n * stride)
            loupe_winograd_map2_input_at(level, x, n, stride, C, &v, ld, plane)
            loupe_winograd_map2_output_gradient_at(level, x, n, stride, C, &yhat, ld, plane)
            loupe_winograd_map2_output_at(level, m, n, C, ld, plane, &y, stride)
            #expect(WinogradTransformTests.maxError(v, v0) < 1e-6, "input, \(name)")
            #expect(WinogradTransformTests.maxError(yhat, yhat0) < 1e-6, "output gradient, \(name)")
            #expect(WinogradTransformTests.maxError(y, y0) < 1e-6, "output, \(name)")
        }
    }

    /// A count and a range that leave filters out at both ends and are no multiple of a vector width.
    @Test func filterTransforms() {
        let count = 41, range = 3..<38
        let w = WinogradTransformTests.random(count * 9, seed: 4), z = WinogradTransformTests.random(9 * count, seed: 5)
        let dw0 = WinogradTransformTests.random(count * 9, seed: 6)
        var u0 = [Double](repeating: .nan, count: 9 * count), dwExpected = dw0.map(Double.init)
        for i in range {
            for a in 0..<3 { for b in 0..<3 {
                u0[(3 * a + b) * count + i] = Self.transformed(Self.tw, { Double(w[i * 9 + 3 * $0 + $1]) }, a: a, b: b)
            } }
            for k in 0..<3 { for l in 0..<3 {
                var sum = 0.0
                for a in 0..<3 { for b in 0..<3 { sum += Self.tw[a][k] * Double(z[(3 * a + b) * count + i]) * Self.tw[b][l] } }
                dwExpected[i * 9 + 3 * k + l] += sum
            } }
        }
        for level in Self.levels {
            let name = String(cString: loupe_isa_name(level))
            var u = [Float](repeating: .nan, count: 9 * count), dw = dw0
            loupe_winograd_map2_filters_at(level, w, count, &u, range.lowerBound, range.upperBound)
            loupe_winograd_map2_filter_gradient_at(level, z, count, &dw, range.lowerBound, range.upperBound)
            #expect(WinogradTransformTests.maxError(u, u0) < 1e-6, "filters, \(name)")
            #expect(WinogradTransformTests.maxError(dw, dwExpected) < 1e-6, "filter gradient, \(name)")
        }
    }

    /// One channel in, one out: output(U ⊙ V) is the 3×3, padding-1 convolution of the 2×2 map, exactly
    /// (small integers), for every level's transforms.
    @Test func productIsTheConvolution() {
        let x: [Float] = [3, -1, 2, 5], w: [Float] = [1, -2, 4, 0, 3, -1, 2, 7, -3]
        var direct = [Float](repeating: 0, count: 4)
        for i in 0..<2 { for j in 0..<2 { for k in 0..<3 { for l in 0..<3 {
            let r = i + k - 1, q = j + l - 1
            if r >= 0, r < 2, q >= 0, q < 2 { direct[2 * i + j] += w[3 * k + l] * x[2 * r + q] }
        } } } }
        for level in Self.levels {
            var v = [Float](repeating: 0, count: 9), u = v, y = [Float](repeating: 0, count: 4)
            loupe_winograd_map2_input_at(level, x, 1, 4, 1, &v, 1, 1)
            loupe_winograd_map2_filters_at(level, w, 1, &u, 0, 1)
            let m = zip(u, v).map { $0 * $1 }
            loupe_winograd_map2_output_at(level, m, 1, 1, 1, 1, &y, 4)
            #expect(y == direct, "\(String(cString: loupe_isa_name(level)))")
        }
    }
}
