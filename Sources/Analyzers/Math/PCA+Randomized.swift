// Randomized PCA: Halko, Martinsson & Tropp (2011), Algorithm 4.4 (randomized subspace iteration with QR
// after every product), with oversampling 10 and scikit-learn's power-iteration count (7 when k < 0.1·min(n, d),
// else 4). The small l×d problem is solved through its l×l Gram matrix in float64. Orthonormalisation uses
// the l×l Gram matrix too (eigen-decomposition in float64, applied twice, all level-3 BLAS): LAPACK's
// Householder QR on a 20000×60 panel is level-2 bound and ~10× slower here.
//
// Shapes (row-major unless stated): xc n×d centred copy; omega d×l; qt l×n (= Q column-major n×l);
// zt l×d (= Z column-major d×l); b l×d = Qᵀ·xc.
import Foundation
import LoupeCore

extension PCA {
    static func fitRandomized(_ x: [Float], n: Int, d: Int, k: Int, mean: [Double], seed: UInt64) -> Result {
        var xc = [Float](repeating: 0, count: n * d)
        var squares = [Double](repeating: 0, count: d)
        for i in 0..<n {
            for j in 0..<d {
                let v = Double(x[i * d + j]) - mean[j]
                xc[i * d + j] = Float(v)
                squares[j] += v * v
            }
        }
        let totalVariance = squares.reduce(0, +) / Double(n - 1)
        let l = min(k + 10, min(n, d))
        let powerIterations = Double(k) < 0.1 * Double(min(n, d)) ? 7 : 4
        var generator = SeededGenerator(seed: seed)
        let omega = (0..<(d * l)).map { _ in generator.nextGaussian() }

        // Qᵀ (l×n) = orth(Ωᵀ·Xcᵀ)
        var qt = [Float](repeating: 0, count: l * n)
        BLAS.sgemm(transposeA: true, transposeB: true, m: l, n: n, k: d, alpha: 1, a: omega, lda: l, b: xc, ldb: d,
                   beta: 0, c: &qt, ldc: n)
        orthonormalizeRows(&qt, count: l, length: n)
        var zt = [Float](repeating: 0, count: l * d)
        for _ in 0..<powerIterations {
            BLAS.sgemm(transposeA: false, transposeB: false, m: l, n: d, k: n, alpha: 1, a: qt, lda: n, b: xc, ldb: d,
                       beta: 0, c: &zt, ldc: d)
            orthonormalizeRows(&zt, count: l, length: d)
            BLAS.sgemm(transposeA: false, transposeB: true, m: l, n: n, k: d, alpha: 1, a: zt, lda: d, b: xc, ldb: d,
                       beta: 0, c: &qt, ldc: n)
            orthonormalizeRows(&qt, count: l, length: n)
        }
        // B = Qᵀ·Xc (l×d); B·Bᵀ = W·diag(s²)·Wᵀ; Vᵀ = diag(1/s)·Wᵀ·B.
        var bf = [Float](repeating: 0, count: l * d)
        BLAS.sgemm(transposeA: false, transposeB: false, m: l, n: d, k: n, alpha: 1, a: qt, lda: n, b: xc, ldb: d,
                   beta: 0, c: &bf, ldc: d)
        let b = bf.map { Double($0) }
        var gram = [Double](repeating: 0, count: l * l)
        BLAS.dgemm(transposeA: false, transposeB: true, m: l, n: l, k: d, alpha: 1, a: b, lda: d, b: b, ldb: d,
                   beta: 0, c: &gram, ldc: l)
        let (values, vectors) = (try? BLAS.symmetricEigen(gram, n: l)) ?? ([Double](repeating: 0, count: l),
                                                                          [Double](repeating: 0, count: l * l))
        var components = [Float](repeating: 0, count: k * d)
        var singular = [Double](repeating: 0, count: k)
        for c in 0..<k {
            let src = l - 1 - c
            let s = max(0, values[src]).squareRoot()
            singular[c] = s
            guard s > 0 else { continue }
            var row = [Double](repeating: 0, count: d)
            for r in 0..<l {
                let w = vectors[src * l + r]
                for j in 0..<d { row[j] += w * b[r * d + j] }
            }
            for j in 0..<d { components[c * d + j] = Float(row[j] / s) }
        }
        let variance = singular.map { $0 * $0 / Double(n - 1) }
        var result = Result(mean: mean.map { Float($0) }, components: components, explainedVariance: variance,
                            explainedVarianceRatio: variance.map { totalVariance > 0 ? $0 / totalVariance : 0 },
                            scores: [], singularValues: singular)
        flipSigns(&result, d: d)
        var scores = [Float](repeating: 0, count: n * k)
        BLAS.sgemm(transposeA: false, transposeB: true, m: n, n: k, k: d, alpha: 1, a: xc, lda: d, b: result.components,
                   ldb: d, beta: 0, c: &scores, ldc: k)
        result.scores = scores
        return result
    }

    /// Replaces the `count` rows (each `length` long) of `rows` by an orthonormal basis of their span:
    /// rows ← Λ^{-1/2}·Vᵀ·rows with V·Λ·Vᵀ the float64 Gram matrix, twice (the second pass removes the
    /// error of the first). Directions with λ ≤ 1e-12·λ_max are dropped (set to zero).
    static func orthonormalizeRows(_ rows: inout [Float], count l: Int, length m: Int) {
        for _ in 0..<2 {
            let wide = rows.map { Double($0) }
            var gram = [Double](repeating: 0, count: l * l)
            BLAS.dgemm(transposeA: false, transposeB: true, m: l, n: l, k: m, alpha: 1, a: wide, lda: m, b: wide, ldb: m,
                       beta: 0, c: &gram, ldc: l)
            guard let (values, vectors) = try? BLAS.symmetricEigen(gram, n: l) else { return }
            let top = values.last ?? 0
            var w = [Float](repeating: 0, count: l * l)
            for r in 0..<l where values[r] > 1e-12 * top {
                let scale = 1 / values[r].squareRoot()
                for a in 0..<l { w[r * l + a] = Float(vectors[r * l + a] * scale) }
            }
            let old = rows
            BLAS.sgemm(transposeA: false, transposeB: false, m: l, n: m, k: l, alpha: 1, a: w, lda: l, b: old, ldb: m,
                       beta: 0, c: &rows, ldc: m)
        }
    }
}
