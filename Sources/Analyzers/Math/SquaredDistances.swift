// Kernel: blocks of squared euclidean distances, via GEMM (‖a‖² + ‖b‖² − 2·a·b) for wide data and
// by direct differences for narrow data (where the GEMM identity would lose precision for no gain).
//
// Shapes (row-major):
//   x      n×d   data, centred by the caller (centring keeps ‖a‖² small, so the identity stays accurate)
//   norms  n     ‖x_i‖²
//   block  r×n   squared distances of rows lo..<lo+r to every row; the diagonal is exactly 0
import Foundation
import LoupeCore

/// Scalars with a GEMM in LoupeCore's BLAS wrappers.
protocol GemmScalar: BinaryFloatingPoint, Sendable {
    /// C ← alpha·A·Bᵀ + beta·C with A m×k, B n×k, C m×n, all row-major and dense.
    static func gemmABt(m: Int, n: Int, k: Int, alpha: Self, a: UnsafePointer<Self>, b: UnsafePointer<Self>,
                        beta: Self, c: UnsafeMutablePointer<Self>)
}

extension Float: GemmScalar {
    static func gemmABt(m: Int, n: Int, k: Int, alpha: Float, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                        beta: Float, c: UnsafeMutablePointer<Float>) {
        BLAS.sgemm(transposeA: false, transposeB: true, m: m, n: n, k: k, alpha: alpha, a: a, lda: k, b: b, ldb: k,
                   beta: beta, c: c, ldc: n)
    }
}

extension Double: GemmScalar {
    static func gemmABt(m: Int, n: Int, k: Int, alpha: Double, a: UnsafePointer<Double>, b: UnsafePointer<Double>,
                        beta: Double, c: UnsafeMutablePointer<Double>) {
        BLAS.dgemm(transposeA: false, transposeB: true, m: m, n: n, k: k, alpha: alpha, a: a, lda: k, b: b, ldb: k,
                   beta: beta, c: c, ldc: n)
    }
}

/// Squared euclidean distances computed block by block, so memory stays at `block`×n values.
enum SquaredDistances {
    /// Below this many columns distances are computed from differences, not with GEMM.
    static let directMaxColumns = 16

    /// `x` minus its column means, converted to `T` (the mean is taken in Double).
    static func centered<T: GemmScalar>(_ x: [Float], n: Int, d: Int, as: T.Type = T.self) -> [T] {
        var mean = [Double](repeating: 0, count: d)
        for i in 0..<n { for j in 0..<d { mean[j] += Double(x[i * d + j]) } }
        for j in 0..<d { mean[j] /= Double(max(n, 1)) }
        var out = [T](repeating: 0, count: n * d)
        for i in 0..<n { for j in 0..<d { out[i * d + j] = T(Double(x[i * d + j]) - mean[j]) } }
        return out
    }

    /// Row norms ‖x_i‖².
    static func norms<T: GemmScalar>(_ x: [T], n: Int, d: Int) -> [T] {
        var out = [T](repeating: 0, count: n)
        for i in 0..<n {
            var s: T = 0
            for j in 0..<d { s += x[i * d + j] * x[i * d + j] }
            out[i] = s
        }
        return out
    }

    /// Calls `body(rows, block)` for consecutive row ranges of at most `block` rows, where
    /// `block[(i - rows.lowerBound)·n + j]` = ‖x_i − x_j‖² (never negative; exactly 0 on the diagonal).
    /// The body runs on the calling thread; parallelise inside it if needed.
    /// - Complexity: O(n²·d) time, O(block·n) memory.
    static func rowBlocks<T: GemmScalar>(_ x: [T], n: Int, d: Int, block: Int, threads: Int,
                                         _ body: (Range<Int>, UnsafeMutablePointer<T>) -> Void) {
        let rowsPerBlock = max(1, min(block, n))
        let buffer = UnsafeMutablePointer<T>.allocate(capacity: rowsPerBlock * n)
        defer { buffer.deallocate() }
        let sq = norms(x, n: n, d: d)
        x.withUnsafeBufferPointer { xp in
            sq.withUnsafeBufferPointer { np in
                let xb = xp.baseAddress!, nb = np.baseAddress!
                var lo = 0
                while lo < n {
                    let hi = min(n, lo + rowsPerBlock), r = hi - lo
                    if d <= directMaxColumns {
                        Parallel.chunks(r, chunks: 4 * threads, threads: threads) { _, rows in
                            for ri in rows { direct(xb, n: n, d: d, row: lo + ri, out: buffer + ri * n) }
                        }
                    } else {
                        T.gemmABt(m: r, n: n, k: d, alpha: -2, a: xb + lo * d, b: xb, beta: 0, c: buffer)
                        Parallel.chunks(r, chunks: 4 * threads, threads: threads) { _, rows in
                            for ri in rows {
                                let out = buffer + ri * n, ni = nb[lo + ri]
                                for j in 0..<n { out[j] = max(0, out[j] + ni + nb[j]) }
                                out[lo + ri] = 0
                            }
                        }
                    }
                    body(lo..<hi, buffer)
                    lo = hi
                }
            }
        }
    }

    @inline(__always)
    private static func direct<T: GemmScalar>(_ x: UnsafePointer<T>, n: Int, d: Int, row i: Int,
                                               out: UnsafeMutablePointer<T>) {
        let xi = x + i * d
        if d == 2 {
            let a0 = xi[0], a1 = xi[1]
            for j in 0..<n {
                let e0 = a0 - x[2 * j], e1 = a1 - x[2 * j + 1]
                out[j] = e0 * e0 + e1 * e1
            }
            return
        }
        for j in 0..<n {
            let xj = x + j * d
            var s: T = 0
            for c in 0..<d { let e = xi[c] - xj[c]; s += e * e }
            out[j] = s
        }
    }
}
