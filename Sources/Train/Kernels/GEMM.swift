// The convolutions' and linear layers' matrix products: Loupe's own AVX-512 kernels where the CPU has them
// (Sources/CKernels/gemm.c), OpenBLAS elsewhere, always on the calling thread.
//
// Shapes (row-major): C (M×N) = α·op(A)·op(B) + β·C, op(A) M×K, op(B) K×N.

import CKernels
import LoupeCore

enum GEMM {
    /// C ← α·op(A)·op(B) + β·C on the calling thread; β = 0 never reads C.
    /// - Complexity: 2·m·n·k flops.
    @inline(__always)
    static func sgemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
                      a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                      beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        if m == 0 || n == 0 { return }
        if loupe_sgemm(transposeA ? 1 : 0, transposeB ? 1 : 0, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) != 0 { return }
        BLAS.sgemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda,
                   b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
    }
}
