// Linear centred kernel alignment: S. Kornblith, M. Norouzi, H. Lee & G. Hinton, "Similarity of neural network
// representations revisited", ICML 2019, eq. (2)–(5):
//   CKA(X, Y) = ‖Ycᵀ·Xc‖²_F / (‖Xcᵀ·Xc‖_F · ‖Ycᵀ·Yc‖_F) = ⟨K, L⟩ / (‖K‖_F·‖L‖_F), K = Xc·Xcᵀ, L = Yc·Ycᵀ,
// with Xc, Yc column-centred. Computed in float64 (DSYRK/DGEMM) through whichever Gram is smaller: feature Grams (dx×dx,
// dy×dy, dy×dx) when dx + dy ≤ n, else sample Grams (n×n) accumulated over column blocks.
//
// Shapes: x n×dx, y n×dy (row-major, same rows = same examples).
import Foundation
import LoupeCore

/// Representation similarity indices.
public enum CKA {
    /// Linear CKA between two representations of the same n examples, in [0, 1].
    /// Returns NaN for mismatched sizes, n < 2, NaN/Inf values, or a constant representation.
    /// - Complexity: O(n·(dx + dy)²) or O(n²·(dx + dy)), whichever is smaller.
    public static func linear(_ x: [Float], _ y: [Float], n: Int, dx: Int, dy: Int) -> Double {
        linear(x, y, n: n, dx: dx, dy: dy, sampleGram: nil)
    }

    /// `sampleGram` forces the n×n route (true) or the feature route (false); nil picks the cheaper.
    static func linear(_ x: [Float], _ y: [Float], n: Int, dx: Int, dy: Int, sampleGram: Bool?) -> Double {
        guard n >= 2, dx >= 1, dy >= 1, x.count == n * dx, y.count == n * dy,
              MatrixInput.badRows(x, n: n, d: dx).isEmpty, MatrixInput.badRows(y, n: n, d: dy).isEmpty else { return .nan }
        let value: Double
        if sampleGram ?? (dx + dy > n) {
            let k = centredSampleGram(x, n: n, d: dx), l = centredSampleGram(y, n: n, d: dy)
            value = dot(k, l) / (dot(k, k).squareRoot() * dot(l, l).squareRoot())
        } else {
            let xc = SquaredDistances.centered(x, n: n, d: dx, as: Double.self)
            let yc = SquaredDistances.centered(y, n: n, d: dy, as: Double.self)
            var xx = [Double](repeating: 0, count: dx * dx), yy = [Double](repeating: 0, count: dy * dy)
            var yx = [Double](repeating: 0, count: dy * dx)
            BLAS.dsyrk(transpose: true, n: dx, k: n, alpha: 1, a: xc, lda: dx, beta: 0, c: &xx, ldc: dx)
            BLAS.dsyrk(transpose: true, n: dy, k: n, alpha: 1, a: yc, lda: dy, beta: 0, c: &yy, ldc: dy)
            PCA.mirrorUpper(&xx, n: dx)
            PCA.mirrorUpper(&yy, n: dy)
            BLAS.dgemm(transposeA: true, transposeB: false, m: dy, n: dx, k: n, alpha: 1, a: yc, lda: dy, b: xc, ldb: dx,
                       beta: 0, c: &yx, ldc: dx)
            value = dot(yx, yx) / (dot(xx, xx).squareRoot() * dot(yy, yy).squareRoot())
        }
        return value.isFinite ? value : .nan
    }

    /// Xc·Xcᵀ (n×n) accumulated over blocks of 1024 centred columns.
    static func centredSampleGram(_ x: [Float], n: Int, d: Int) -> [Double] {
        var mean = [Double](repeating: 0, count: d)
        for i in 0..<n { for j in 0..<d { mean[j] += Double(x[i * d + j]) } }
        for j in 0..<d { mean[j] /= Double(n) }
        let width = min(d, 1024)
        var block = [Double](repeating: 0, count: n * width)
        var gram = [Double](repeating: 0, count: n * n)
        var lo = 0
        while lo < d {
            let hi = min(d, lo + width), b = hi - lo
            for i in 0..<n { for j in lo..<hi { block[i * b + j - lo] = Double(x[i * d + j]) - mean[j] } }
            BLAS.dsyrk(transpose: false, n: n, k: b, alpha: 1, a: block, lda: b, beta: lo == 0 ? 0 : 1, c: &gram, ldc: n)
            lo = hi
        }
        PCA.mirrorUpper(&gram, n: n)
        return gram
    }

    static func dot(_ a: [Double], _ b: [Double]) -> Double {
        var s = 0.0
        for i in 0..<a.count { s += a[i] * b[i] }
        return s
    }
}
