// Principal component analysis.
// Exact: covariance route (d×d: float32 SSYRK per 2048-row block accumulated in float64, the k largest
// eigenvectors from LAPACK ssyevr, variances refined as float64 Rayleigh quotients) or, when n < d, Gram route
// (n×n: float64 DSYRK over column blocks, dsyevd). Randomized: Halko, Martinsson & Tropp, "Finding structure
// with randomness: probabilistic algorithms for constructing approximate matrix decompositions", SIAM Review 53
// (2011), Algorithm 4.4 (subspace iteration, re-orthonormalised after every product) — see PCA+Randomized.swift.
// Conventions follow scikit-learn: explained variance with ddof = 1, ratios over the total variance,
// svd_flip(u_based_decision=False) signs (the largest-magnitude entry of each component is positive).
//
// Shapes: x n×d (row-major); mean d; components k×d (unit rows); scores n×k = (x − mean)·componentsᵀ.
import Foundation
import LoupeCore

/// Principal component analysis with scikit-learn-compatible outputs.
public struct PCA {
    /// How components are computed.
    public enum Method {
        /// Exact unless min(n, d) > 2048 and k ≤ min(n, d)/10, where randomized is far cheaper.
        case auto
        /// Eigen-decomposition of the covariance (float64-accumulated) or, when n < d, of the float64 Gram matrix.
        case exact
        /// Randomized subspace iteration (Halko et al. 2011); ratios use the exact total variance.
        case randomized
    }

    public struct Result {
        /// Column means, d.
        public var mean: [Float]
        /// k×d, unit rows, signed like scikit-learn's svd_flip (largest |entry| positive).
        public var components: [Float]
        /// Variance along each component (ddof 1), k.
        public var explainedVariance: [Double]
        /// explainedVariance / total variance of the data, k.
        public var explainedVarianceRatio: [Double]
        /// Projections of the centred rows, n×k.
        public var scores: [Float]
        /// Singular values of the centred data, k.
        public var singularValues: [Double]

        public init(mean: [Float], components: [Float], explainedVariance: [Double], explainedVarianceRatio: [Double],
                    scores: [Float], singularValues: [Double]) {
            self.mean = mean; self.components = components; self.explainedVariance = explainedVariance
            self.explainedVarianceRatio = explainedVarianceRatio; self.scores = scores; self.singularValues = singularValues
        }
    }

    /// Fits `k` principal components of the n×d row-major matrix `x`.
    /// - Throws: `LoupeError.invalidInput` for bad shapes, k outside 1...min(n, d), n < 2, or NaN/Inf rows.
    /// - Complexity: exact O(n·d·min(n, d) + min(n, d)³); randomized O(n·d·(k + 10)·(2q + 2)) with q = 4 or 7.
    public static func fit(_ x: [Float], n: Int, d: Int, components k: Int, method: Method = .auto,
                           seed: UInt64 = 0) throws -> Result {
        try MatrixInput.check(x, n: n, d: d, what: "PCA input", minRows: 2, scanRows: false)
        guard k >= 1, k <= min(n, d) else {
            throw LoupeError.invalidInput("PCA: components must be in 1...\(min(n, d)) for \(n)×\(d) data, got \(k)")
        }
        // Column sums are finite exactly when every value is (a float's magnitude cannot overflow a double sum),
        // so the means double as the NaN/Inf scan; rows are only searched when something is wrong.
        let mean = columnMeans(x, n: n, d: d)
        if !mean.allSatisfy(\.isFinite) { try MatrixInput.check(x, n: n, d: d, what: "PCA input", minRows: 2) }
        let randomized: Bool
        switch method {
        case .exact: randomized = false
        case .randomized: randomized = true
        case .auto: randomized = min(n, d) > 2048 && k * 10 <= min(n, d)
        }
        var result = randomized ? fitRandomized(x, n: n, d: d, k: k, mean: mean, seed: seed)
            : fitExact(x, n: n, d: d, k: k, mean: mean)
        flipSigns(&result, d: d)
        return result
    }

    // MARK: exact

    /// Rows per block in the projection pass and per float32 covariance block (its float32 sums run over at
    /// most this many rows; blocks are added in float64).
    static let blockRows = 2048
    static let covarianceBlock = 2048

    /// Column means in float64, rows split over two threads.
    static func columnMeans(_ x: [Float], n: Int, d: Int) -> [Double] {
        let chunks = min(8, max(1, n / 256))
        var partial = [Double](repeating: 0, count: chunks * d)
        x.withUnsafeBufferPointer { p in
            partial.withUnsafeMutableBufferPointer { m in
                let pb = p.baseAddress!, mb = m.baseAddress!
                Parallel.chunks(n, chunks: chunks, threads: 2) { c, rows in
                    let sums = mb + c * d
                    for i in rows { for j in 0..<d { sums[j] += Double(pb[i * d + j]) } }
                }
            }
        }
        var mean = [Double](repeating: 0, count: d)
        for c in 0..<chunks { for j in 0..<d { mean[j] += partial[c * d + j] } }
        return mean.map { $0 / Double(n) }
    }

    /// Rows lo..<hi of x − mean as Float, on two threads (a memory-bound pass). The mean is rounded to Float
    /// first: that shifts every row by the same ≤ 3e-8·|mean|, which no covariance or score can notice.
    static func centredRows(_ x: UnsafePointer<Float>, d: Int, rows: Range<Int>, mean: UnsafePointer<Float>,
                            into out: UnsafeMutablePointer<Float>) {
        Parallel.chunks(rows.count, chunks: 8, threads: 2) { _, local in
            for r in local {
                let src = x + (rows.lowerBound + r) * d, dst = out + r * d
                for j in 0..<d { dst[j] = src[j] - mean[j] }
            }
        }
    }

    static func fitExact(_ x: [Float], n: Int, d: Int, k: Int, mean: [Double]) -> Result {
        return d <= n ? fitCovariance(x, n: n, d: d, k: k, mean: mean) : fitGram(x, n: n, d: d, k: k, mean: mean)
    }

    /// Covariance route: C = Xcᵀ·Xc / (n − 1), eigenvectors are the components.
    /// Rows are centred (means in float64) block by block into Float; each block's Gram comes from SSYRK and is
    /// added into a float64 C (float32 sums over ≤ `covarianceBlock` rows, float64 across blocks), eigen-solved
    /// in float32 (as scikit-learn's covariance_eigh solver does). The reported variances are then the Rayleigh quotients ‖Xc·v‖²/(n − 1) of the returned unit
    /// components, summed in float64 from the scores (errors in v enter only squared), and the ratios divide by
    /// the trace of the float64-accumulated C — so they match a float64 SVD to ~1e-8 while the heavy product runs
    /// at float32 speed.
    static func fitCovariance(_ x: [Float], n: Int, d: Int, k: Int, mean: [Double]) -> Result {
        var cov = [Double](repeating: 0, count: d * d)
        var blockCov = [Float](repeating: 0, count: d * d)
        let rowsPerBlock = min(n, covarianceBlock)
        var block = [Float](repeating: 0, count: rowsPerBlock * d)
        let meanF = mean.map { Float($0) }
        x.withUnsafeBufferPointer { xp in
            meanF.withUnsafeBufferPointer { mp in
                block.withUnsafeMutableBufferPointer { bp in
                    blockCov.withUnsafeMutableBufferPointer { cp in
                        cov.withUnsafeMutableBufferPointer { dp in
                            let xb = xp.baseAddress!, mb = mp.baseAddress!, bb = bp.baseAddress!
                            let cb = cp.baseAddress!, db = dp.baseAddress!
                            var lo = 0
                            while lo < n {
                                let hi = min(n, lo + rowsPerBlock)
                                centredRows(xb, d: d, rows: lo..<hi, mean: mb, into: bb)
                                BLAS.ssyrk(transpose: true, n: d, k: hi - lo, alpha: 1, a: bb, lda: d, beta: 0, c: cb, ldc: d)
                                for i in 0..<d { for j in i..<d { db[i * d + j] += Double(cb[i * d + j]) } }
                                lo = hi
                            }
                        }
                    }
                }
            }
        }
        mirrorUpper(&cov, n: d)
        let scale = 1 / Double(n - 1)
        var trace = 0.0
        for j in 0..<d { trace += cov[j * d + j] }
        // The eigenvectors only need float accuracy (the variances are refined below): the k largest from
        // ssyevr, or all from ssyevd if that fails. Both only fail on NaN/Inf, which the input check excludes.
        let covF = cov.map { Float($0 * scale) }
        var components = [Float](repeating: 0, count: k * d)
        if let (_, top) = try? BLAS.symmetricEigen(covF, n: d, largest: k) {
            for c in 0..<k { for j in 0..<d { components[c * d + j] = top[(k - 1 - c) * d + j] } }
        } else if let (_, all) = try? BLAS.symmetricEigen(covF, n: d) {
            for c in 0..<k { for j in 0..<d { components[c * d + j] = all[(d - 1 - c) * d + j] } }
        }
        // Sign-fix before projecting so scores and components agree whichever route ran.
        var result = Result(mean: mean.map { Float($0) }, components: components, explainedVariance: [],
                            explainedVarianceRatio: [], scores: [], singularValues: [])
        flipSigns(&result, d: d)
        result.scores = project(x, n: n, d: d, mean: mean, components: result.components, k: k)
        var variance = [Double](repeating: 0, count: k)
        for i in 0..<n { for c in 0..<k { let v = Double(result.scores[i * k + c]); variance[c] += v * v } }
        for c in 0..<k {
            var norm = 0.0
            for j in 0..<d { norm += Double(result.components[c * d + j]) * Double(result.components[c * d + j]) }
            variance[c] /= Double(n - 1) * norm
        }
        let total = trace * scale
        result.explainedVariance = variance
        result.explainedVarianceRatio = variance.map { total > 0 ? $0 / total : 0 }
        result.singularValues = variance.map { ($0 * Double(n - 1)).squareRoot() }
        return result
    }

    /// Gram route for n < d: G = Xc·Xcᵀ (n×n); component c = Xcᵀ·u_c / s_c, scores = u_c·s_c.
    static func fitGram(_ x: [Float], n: Int, d: Int, k: Int, mean: [Double]) -> Result {
        let colsPerBlock = 1024
        var gram = [Double](repeating: 0, count: n * n)
        var block = [Double](repeating: 0, count: n * min(d, colsPerBlock))
        func fillBlock(_ cols: Range<Int>) {
            let b = cols.count
            for i in 0..<n { for (c, j) in cols.enumerated() { block[i * b + c] = Double(x[i * d + j]) - mean[j] } }
        }
        var lo = 0
        while lo < d {
            let hi = min(d, lo + colsPerBlock)
            fillBlock(lo..<hi)
            BLAS.dsyrk(transpose: false, n: n, k: hi - lo, alpha: 1, a: block, lda: hi - lo, beta: lo == 0 ? 0 : 1,
                       c: &gram, ldc: n)
            lo = hi
        }
        mirrorUpper(&gram, n: n)
        var trace = 0.0
        for i in 0..<n { trace += gram[i * n + i] }
        let (values, vectors) = (try? BLAS.symmetricEigen(gram, n: n)) ?? ([Double](repeating: 0, count: n),
                                                                          [Double](repeating: 0, count: n * n))
        // Top-k eigenvectors as columns of U (n×k), singular values s = sqrt(λ).
        var u = [Double](repeating: 0, count: n * k)
        var s = [Double](repeating: 0, count: k)
        for c in 0..<k {
            let src = n - 1 - c
            s[c] = max(0, values[src]).squareRoot()
            for i in 0..<n { u[i * k + c] = vectors[src * n + i] }
        }
        // Vᵀ (k×d) = diag(1/s)·Uᵀ·Xc, block by block over columns.
        var components = [Float](repeating: 0, count: k * d)
        var vt = [Double](repeating: 0, count: k * min(d, colsPerBlock))
        lo = 0
        while lo < d {
            let hi = min(d, lo + colsPerBlock), b = hi - lo
            fillBlock(lo..<hi)
            BLAS.dgemm(transposeA: true, transposeB: false, m: k, n: b, k: n, alpha: 1, a: u, lda: k, b: block, ldb: b,
                       beta: 0, c: &vt, ldc: b)
            for c in 0..<k where s[c] > 0 {
                for j in 0..<b { components[c * d + lo + j] = Float(vt[c * b + j] / s[c]) }
            }
            lo = hi
        }
        var scores = [Float](repeating: 0, count: n * k)
        for i in 0..<n { for c in 0..<k { scores[i * k + c] = Float(u[i * k + c] * s[c]) } }
        let variance = s.map { $0 * $0 / Double(n - 1) }
        let total = trace / Double(n - 1)
        return Result(mean: mean.map { Float($0) }, components: components, explainedVariance: variance,
                      explainedVarianceRatio: variance.map { total > 0 ? $0 / total : 0 }, scores: scores,
                      singularValues: s)
    }

    /// Copies the upper triangle of a row-major n×n matrix (as DSYRK writes it) to the lower one.
    static func mirrorUpper(_ c: inout [Double], n: Int) {
        for i in 0..<n { for j in (i + 1)..<max(n, i + 1) { c[j * n + i] = c[i * n + j] } }
    }

    /// (x − mean)·componentsᵀ over row blocks centred in float64 and multiplied with SGEMM.
    static func project(_ x: [Float], n: Int, d: Int, mean: [Double], components: [Float], k: Int) -> [Float] {
        var scores = [Float](repeating: 0, count: n * k)
        let rowsPerBlock = min(n, blockRows)
        var block = [Float](repeating: 0, count: rowsPerBlock * d)
        let meanF = mean.map { Float($0) }
        x.withUnsafeBufferPointer { xp in
            meanF.withUnsafeBufferPointer { mp in
                block.withUnsafeMutableBufferPointer { bp in
                    scores.withUnsafeMutableBufferPointer { sp in
                        var lo = 0
                        while lo < n {
                            let hi = min(n, lo + rowsPerBlock)
                            centredRows(xp.baseAddress!, d: d, rows: lo..<hi, mean: mp.baseAddress!, into: bp.baseAddress!)
                            BLAS.sgemm(transposeA: false, transposeB: true, m: hi - lo, n: k, k: d, alpha: 1,
                                       a: bp.baseAddress!, lda: d, b: components, ldb: d, beta: 0,
                                       c: sp.baseAddress! + lo * k, ldc: k)
                            lo = hi
                        }
                    }
                }
            }
        }
        return scores
    }

    /// scikit-learn's svd_flip(u_based_decision=False): each component's largest-|entry| is positive
    /// (first such entry on ties); scores flip with their component.
    static func flipSigns(_ r: inout Result, d: Int) {
        let k = r.explainedVariance.count
        let n = k > 0 ? r.scores.count / k : 0
        for c in 0..<k {
            var best = 0
            for j in 1..<max(d, 1) where abs(r.components[c * d + j]) > abs(r.components[c * d + best]) { best = j }
            if r.components[c * d + best] < 0 {
                for j in 0..<d { r.components[c * d + j] = -r.components[c * d + j] }
                for i in 0..<n { r.scores[i * k + c] = -r.scores[i * k + c] }
            }
        }
    }
}
