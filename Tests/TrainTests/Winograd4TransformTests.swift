import CKernels
import LoupeCore
import Testing

/// The C F(4×4, 3×3) transforms at every instruction-set level this CPU has, against V = Bᵀ·d·B, y = Aᵀ·m·A,
/// Ŷ = A·dy·Aᵀ, U = G·g·Gᵀ (of the rotated filter too) and dW += Gᵀ·Z·G evaluated in Double with Lavin &
/// Gray's matrices typed in here. That the matrices compute a convolution at all is the convolution tests'
/// part (KernelReferenceTests runs both algorithms against direct loops).
@Suite struct Winograd4TransformTests {
    static let bt: [[Double]] = [[4, 0, -5, 0, 1, 0], [0, -4, -4, 1, 1, 0], [0, 4, -4, -1, 1, 0],
                                 [0, -2, -1, 2, 1, 0], [0, 2, -1, -2, 1, 0], [0, 4, 0, -5, 0, 1]]
    static let at: [[Double]] = [[1, 1, 1, 1, 1, 0], [0, 1, -1, 2, -2, 0], [0, 1, 1, 4, 4, 0], [0, 1, -1, 8, -8, 1]]
    static let g: [[Double]] = [[0.25, 0, 0], [-1.0 / 6, -1.0 / 6, -1.0 / 6], [-1.0 / 6, 1.0 / 6, -1.0 / 6],
                                [1.0 / 24, 1.0 / 12, 1.0 / 6], [1.0 / 24, -1.0 / 12, 1.0 / 6], [0, 0, 1]]

    struct Shape: CustomStringConvertible, Sendable {
        let samples, channels, h, w: Int
        var description: String { "\(samples)×\(channels)×\(h)×\(w)" }
        var pt: Int { (h + 3) / 4 }
        var qt: Int { (w + 3) / 4 }
        var tiles: Int { pt * qt }
        /// Row stride and plane distance with slack, so writes past a row or plane would show.
        var ld: Int { samples * tiles + 3 }
        var plane: Int { channels * ld + 5 }
    }

    /// Partial tiles on every side (1 to 3 pixels over), one tile per sample, more columns than one block
    /// (T > 128), several blocks of samples.
    static let shapes = [Shape(samples: 3, channels: 2, h: 1, w: 1), Shape(samples: 5, channels: 3, h: 4, w: 4),
                         Shape(samples: 2, channels: 2, h: 5, w: 7), Shape(samples: 3, channels: 2, h: 16, w: 18),
                         Shape(samples: 1, channels: 1, h: 50, w: 47), Shape(samples: 40, channels: 2, h: 8, w: 8)]

    static func product(_ l: [[Double]], _ m: (Int, Int) -> Double, _ r: [[Double]], rows: Int, cols: Int) -> [[Double]] {
        // l · m · rᵀ for an m of rows × cols.
        (0..<l.count).map { i in (0..<r.count).map { j in
            var sum = 0.0
            for a in 0..<rows { for b in 0..<cols { sum += l[i][a] * m(a, b) * r[j][b] } }
            return sum
        } }
    }

    static func transposed(_ m: [[Double]]) -> [[Double]] { (0..<m[0].count).map { j in m.map { $0[j] } } }

    @Test(arguments: shapes)
    func inputTransform(_ s: Shape) {
        let x = WinogradTransformTests.random(s.samples * s.channels * s.h * s.w, seed: 11)
        var expected = [Double](repeating: .nan, count: 36 * s.plane)
        for n in 0..<s.samples { for c in 0..<s.channels { for ti in 0..<s.pt { for tj in 0..<s.qt {
            let v = Self.product(Self.bt, { a, b in
                let r = 4 * ti + a - 1, col = 4 * tj + b - 1
                guard r >= 0, r < s.h, col >= 0, col < s.w else { return 0 }
                return Double(x[((n * s.channels + c) * s.h + r) * s.w + col])
            }, Self.bt, rows: 6, cols: 6)
            for k in 0..<6 { for l in 0..<6 { expected[(6 * k + l) * s.plane + c * s.ld + n * s.tiles + ti * s.qt + tj] = v[k][l] } }
        } } } }
        for level in WinogradTransformTests.levels {
            var v = [Float](repeating: .nan, count: 36 * s.plane)
            var scratch = [Float](repeating: 0, count: loupe_winograd4_scratch_floats(s.h, s.w))
            loupe_winograd4_input_at(level, x, s.samples, s.channels * s.h * s.w, s.channels, s.h, s.w, &v, s.ld, s.plane, &scratch)
            #expect(WinogradTransformTests.maxError(v, expected) < 1e-6, "\(String(cString: loupe_isa_name(level))) \(s)")
        }
    }

    @Test(arguments: shapes)
    func outputTransform(_ s: Shape) {
        let m = WinogradTransformTests.random(36 * s.plane, seed: 12)
        let stride = s.channels * s.h * s.w + 2
        var expected = [Double](repeating: .nan, count: s.samples * stride)
        for n in 0..<s.samples { for c in 0..<s.channels { for ti in 0..<s.pt { for tj in 0..<s.qt {
            let y = Self.product(Self.at, { a, b in Double(m[(6 * a + b) * s.plane + c * s.ld + n * s.tiles + ti * s.qt + tj]) },
                                 Self.at, rows: 6, cols: 6)
            for r in 0..<4 { for q in 0..<4 where 4 * ti + r < s.h && 4 * tj + q < s.w {
                expected[n * stride + (c * s.h + 4 * ti + r) * s.w + 4 * tj + q] = y[r][q]
            } }
        } } } }
        for level in WinogradTransformTests.levels {
            var y = [Float](repeating: .nan, count: s.samples * stride)
            var scratch = [Float](repeating: 0, count: loupe_winograd4_scratch_floats(s.h, s.w))
            loupe_winograd4_output_at(level, m, s.samples, s.channels, s.h, s.w, s.ld, s.plane, &y, stride, &scratch)
            #expect(WinogradTransformTests.maxError(y, expected) < 1e-6, "\(String(cString: loupe_isa_name(level))) \(s)")
        }
    }

    @Test(arguments: shapes)
    func outputGradientTransform(_ s: Shape) {
        let stride = s.channels * s.h * s.w + 2
        let dy = WinogradTransformTests.random(s.samples * stride, seed: 13)
        let a = Self.transposed(Self.at)
        var expected = [Double](repeating: .nan, count: 36 * s.plane)
        for n in 0..<s.samples { for c in 0..<s.channels { for ti in 0..<s.pt { for tj in 0..<s.qt {
            let yhat = Self.product(a, { r, q in
                guard 4 * ti + r < s.h, 4 * tj + q < s.w else { return 0 }
                return Double(dy[n * stride + (c * s.h + 4 * ti + r) * s.w + 4 * tj + q])
            }, a, rows: 4, cols: 4)
            for k in 0..<6 { for l in 0..<6 { expected[(6 * k + l) * s.plane + c * s.ld + n * s.tiles + ti * s.qt + tj] = yhat[k][l] } }
        } } } }
        for level in WinogradTransformTests.levels {
            var yhat = [Float](repeating: .nan, count: 36 * s.plane)
            var scratch = [Float](repeating: 0, count: loupe_winograd4_scratch_floats(s.h, s.w))
            loupe_winograd4_output_gradient_at(level, dy, s.samples, stride, s.channels, s.h, s.w, &yhat, s.ld, s.plane, &scratch)
            #expect(WinogradTransformTests.maxError(yhat, expected) < 1e-6, "\(String(cString: loupe_isa_name(level))) \(s)")
        }
    }

    /// A count that is no multiple of any vector width; one whose U (2.4 MB) the filter transform writes with
    /// streaming stores, which start at an aligned filter; each with a range that leaves filters out at both ends.
    @Test(arguments: [(37, 3..<35), (16384, 5..<16377)])
    func filterTransforms(_ count: Int, _ range: Range<Int>) {
        let w = WinogradTransformTests.random(count * 9, seed: 14), z = WinogradTransformTests.random(36 * count, seed: 15)
        let dw0 = WinogradTransformTests.random(count * 9, seed: 16)
        var u0 = [Double](repeating: .nan, count: 36 * count), flipped0 = u0, dwExpected = dw0.map(Double.init)
        let gt = Self.transposed(Self.g)
        for i in range {
            let u = Self.product(Self.g, { a, b in Double(w[i * 9 + 3 * a + b]) }, Self.g, rows: 3, cols: 3)
            let f = Self.product(Self.g, { a, b in Double(w[i * 9 + 3 * (2 - a) + (2 - b)]) }, Self.g, rows: 3, cols: 3)
            for k in 0..<6 { for l in 0..<6 { u0[(6 * k + l) * count + i] = u[k][l]; flipped0[(6 * k + l) * count + i] = f[k][l] } }
            let d = Self.product(gt, { a, b in Double(z[(6 * a + b) * count + i]) }, gt, rows: 6, cols: 6)
            for a in 0..<3 { for b in 0..<3 { dwExpected[i * 9 + 3 * a + b] += d[a][b] } }
        }
        for level in WinogradTransformTests.levels {
            var u = [Float](repeating: .nan, count: 36 * count), flipped = u, dw = dw0
            loupe_winograd4_filters_at(level, w, count, &u, range.lowerBound, range.upperBound, 0)
            loupe_winograd4_filters_at(level, w, count, &flipped, range.lowerBound, range.upperBound, 1)
            loupe_winograd4_filter_gradient_at(level, z, count, &dw, range.lowerBound, range.upperBound)
            let name = String(cString: loupe_isa_name(level))
            #expect(WinogradTransformTests.maxError(u, u0) < 1e-6, "filters, \(name)")
            #expect(WinogradTransformTests.maxError(flipped, flipped0) < 1e-6, "rotated filters, \(name)")
            #expect(WinogradTransformTests.maxError(dw, dwExpected) < 1e-6, "filter gradient, \(name)")
        }
    }
}
