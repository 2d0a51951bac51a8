// One SGEMM shared out between the trainer's threads (OpenBLAS itself runs single-threaded inside the
// kernels, see Model.forward).
//
// Shapes (row-major): C (M×N) = α·op(A)·op(B) + β·C, op(A) M×K, op(B) K×N.
//   The product is cut along M (rows of C and of op(A)) when M ≥ N, else along N (columns of C and of
//   op(B)). Each thread then packs only its share of the larger operand and all of the smaller one,
//   which is what keeps small-map convolutions (N = 32…512 columns, A a 512×4608 weight) from packing
//   the whole weight once per thread.
// Parts write disjoint blocks of C, so results depend only on the part count.

import LoupeCore

enum SplitGEMM {
    /// Part `part` of `parts` of C = α·op(A)·op(B) + β·C (see the file header for the split).
    /// - Complexity: O(M·N·K / parts) flops for this part.
    static func run(part: Int, of parts: Int, transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
                    alpha: Float = 1, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                    beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        if m >= n {
            let rows = Parallel.slice(part, of: parts, count: m)
            if rows.isEmpty { return }
            let aShare = transposeA ? a + rows.lowerBound : a + rows.lowerBound * lda
            GEMM.sgemm(transposeA: transposeA, transposeB: transposeB, m: rows.count, n: n, k: k, alpha: alpha,
                       a: aShare, lda: lda, b: b, ldb: ldb, beta: beta, c: c + rows.lowerBound * ldc, ldc: ldc)
        } else {
            let columns = Parallel.slice(part, of: parts, count: n)
            if columns.isEmpty { return }
            let bShare = transposeB ? b + columns.lowerBound * ldb : b + columns.lowerBound
            GEMM.sgemm(transposeA: transposeA, transposeB: transposeB, m: m, n: columns.count, k: k, alpha: alpha,
                       a: a, lda: lda, b: bShare, ldb: ldb, beta: beta, c: c + columns.lowerBound, ldc: ldc)
        }
    }
}
