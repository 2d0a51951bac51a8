// The one door to OpenBLAS and its Fortran LAPACK: every BLAS/LAPACK call in Loupe goes through here.
import COpenBLAS

/// Thin, typed wrappers over the BLAS and LAPACK routines Loupe uses.
public enum BLAS {
    /// OpenBLAS's current thread count (see `withThreads` for changing it).
    public static var threads: Int { Int(openblas_get_num_threads()) }

    /// C ← alpha·op(A)·op(B) + beta·C, row-major.
    /// - Complexity: 2·m·n·k flops.
    @inline(__always)
    public static func sgemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                             a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                             beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        if m == 0 || n == 0 { return }
        audited {
            cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                        Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
        }
    }

    /// Double-precision GEMM, row-major (reference computations, PCA covariance in float64).
    public static func dgemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Double,
                             a: UnsafePointer<Double>, lda: Int, b: UnsafePointer<Double>, ldb: Int,
                             beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int) {
        if m == 0 || n == 0 { return }
        audited {
            cblas_dgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                        Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
        }
    }

    /// Symmetric rank-k update, row-major: C ← alpha·AᵀA + beta·C (A is k×n, `transpose` true) or
    /// C ← alpha·A·Aᵀ + beta·C (A is n×k); only the upper triangle of the n×n C is written.
    /// - Complexity: n²·k flops (half a GEMM).
    public static func dsyrk(transpose: Bool, n: Int, k: Int, alpha: Double, a: UnsafePointer<Double>, lda: Int,
                             beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int) {
        if n == 0 { return }
        audited {
            cblas_dsyrk(CblasRowMajor, CblasUpper, transpose ? CblasTrans : CblasNoTrans, Int32(n), Int32(k), alpha, a,
                        Int32(lda), beta, c, Int32(ldc))
        }
    }

    /// Single-precision `dsyrk`: C ← alpha·AᵀA + beta·C (`transpose`, A k×n) or alpha·A·Aᵀ + beta·C (A n×k),
    /// row-major, upper triangle of C only.
    /// - Complexity: n²·k flops.
    public static func ssyrk(transpose: Bool, n: Int, k: Int, alpha: Float, a: UnsafePointer<Float>, lda: Int,
                             beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        if n == 0 { return }
        audited {
            cblas_ssyrk(CblasRowMajor, CblasUpper, transpose ? CblasTrans : CblasNoTrans, Int32(n), Int32(k), alpha, a,
                        Int32(lda), beta, c, Int32(ldc))
        }
    }

    /// y ← alpha·x + y.
    public static func saxpy(_ n: Int, _ alpha: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>) {
        cblas_saxpy(Int32(n), alpha, x, 1, y, 1)
    }

    /// Eigen-decomposition of a symmetric n×n matrix (LAPACK `dsyevd`): eigenvalues ascending, and
    /// eigenvectors as the rows of the returned matrix (row i pairs with value i).
    /// - Complexity: O(n³).
    public static func symmetricEigen(_ matrix: [Double], n: Int) throws -> (values: [Double], vectors: [Double]) {
        precondition(matrix.count == n * n)
        // Column-major input of a symmetric matrix is the same matrix; the returned column-major
        // eigenvector matrix read row-major gives the vectors as rows.
        var a = matrix
        var w = [Double](repeating: 0, count: n)
        var jobz = CChar(UInt8(ascii: "V")), uplo = CChar(UInt8(ascii: "U"))
        var nn = Int32(n), lda = Int32(max(n, 1)), info: Int32 = 0
        var lwork: Int32 = -1, liwork: Int32 = -1
        var workSize = [Double](repeating: 0, count: 1)
        var iworkSize = [Int32](repeating: 0, count: 1)
        dsyevd_(&jobz, &uplo, &nn, &a, &lda, &w, &workSize, &lwork, &iworkSize, &liwork, &info, 1, 1)
        lwork = Int32(workSize[0]); liwork = iworkSize[0]
        var work = [Double](repeating: 0, count: Int(lwork))
        var iwork = [Int32](repeating: 0, count: Int(liwork))
        dsyevd_(&jobz, &uplo, &nn, &a, &lda, &w, &work, &lwork, &iwork, &liwork, &info, 1, 1)
        if info != 0 { throw LoupeError.invalidInput("LAPACK dsyevd failed (info \(info)): the matrix has NaN or Inf values") }
        return (w, a)
    }

    /// Single-precision `symmetricEigen` (LAPACK `ssyevd`): eigenvalues ascending, eigenvectors as rows.
    /// - Complexity: O(n³).
    public static func symmetricEigen(_ matrix: [Float], n: Int) throws -> (values: [Float], vectors: [Float]) {
        precondition(matrix.count == n * n)
        var a = matrix
        var w = [Float](repeating: 0, count: n)
        var jobz = CChar(UInt8(ascii: "V")), uplo = CChar(UInt8(ascii: "U"))
        var nn = Int32(n), lda = Int32(max(n, 1)), info: Int32 = 0
        var lwork: Int32 = -1, liwork: Int32 = -1
        var workSize: Float = 0, iworkSize: Int32 = 0
        ssyevd_(&jobz, &uplo, &nn, &a, &lda, &w, &workSize, &lwork, &iworkSize, &liwork, &info, 1, 1)
        lwork = Int32(workSize); liwork = iworkSize
        var work = [Float](repeating: 0, count: Int(max(lwork, 1)))
        var iwork = [Int32](repeating: 0, count: Int(max(liwork, 1)))
        ssyevd_(&jobz, &uplo, &nn, &a, &lda, &w, &work, &lwork, &iwork, &liwork, &info, 1, 1)
        if info != 0 { throw LoupeError.invalidInput("LAPACK ssyevd failed (info \(info)): the matrix has NaN or Inf values") }
        return (w, a)
    }

    /// The `count` largest eigenpairs of a symmetric n×n Float matrix (LAPACK `ssyevr`, MRRR; cheaper than
    /// `ssyevd` when count ≪ n): eigenvalues ascending, eigenvectors as the rows of the count×n result.
    /// - Complexity: O(n³) for the tridiagonal reduction, O(n²·count) for the vectors.
    public static func symmetricEigen(_ matrix: [Float], n: Int, largest count: Int) throws -> (values: [Float], vectors: [Float]) {
        precondition(matrix.count == n * n && count >= 1 && count <= n)
        var a = matrix
        var jobz = CChar(UInt8(ascii: "V")), range = CChar(UInt8(ascii: "I")), uplo = CChar(UInt8(ascii: "U"))
        var nn = Int32(n), lda = Int32(max(n, 1)), il = Int32(n - count + 1), iu = Int32(n)
        var vl: Float = 0, vu: Float = 0, abstol: Float = 0, found: Int32 = 0, info: Int32 = 0
        var w = [Float](repeating: 0, count: n)
        var z = [Float](repeating: 0, count: n * count)
        var ldz = Int32(max(n, 1))
        var support = [Int32](repeating: 0, count: 2 * count)
        var lwork: Int32 = -1, liwork: Int32 = -1
        var workSize: Float = 0, iworkSize: Int32 = 0
        ssyevr_(&jobz, &range, &uplo, &nn, &a, &lda, &vl, &vu, &il, &iu, &abstol, &found, &w, &z, &ldz, &support,
                &workSize, &lwork, &iworkSize, &liwork, &info, 1, 1, 1)
        lwork = Int32(workSize); liwork = iworkSize
        var work = [Float](repeating: 0, count: Int(max(lwork, 1)))
        var iwork = [Int32](repeating: 0, count: Int(max(liwork, 1)))
        ssyevr_(&jobz, &range, &uplo, &nn, &a, &lda, &vl, &vu, &il, &iu, &abstol, &found, &w, &z, &ldz, &support,
                &work, &lwork, &iwork, &liwork, &info, 1, 1, 1)
        if info != 0 || Int(found) != count {
            throw LoupeError.invalidInput("LAPACK ssyevr failed (info \(info), \(found) of \(count) eigenpairs)")
        }
        return (Array(w.prefix(count)), z)
    }

    /// Thin QR: replaces the m×n column-major matrix `a` by Q's first n columns (LAPACK `sgeqrf`+`sorgqr`).
    public static func orthonormalizeColumns(_ a: inout [Float], rows m: Int, columns n: Int) {
        var mm = Int32(m), nn = Int32(n), kk = Int32(n), lda = Int32(max(m, 1)), info: Int32 = 0
        var tau = [Float](repeating: 0, count: n)
        var query: Float = 0, lwork: Int32 = -1
        sgeqrf_(&mm, &nn, &a, &lda, &tau, &query, &lwork, &info)
        lwork = Int32(query)
        var work = [Float](repeating: 0, count: Int(max(lwork, 1)))
        sgeqrf_(&mm, &nn, &a, &lda, &tau, &work, &lwork, &info)
        lwork = -1
        sorgqr_(&mm, &nn, &kk, &a, &lda, &tau, &query, &lwork, &info)
        lwork = Int32(query)
        work = [Float](repeating: 0, count: Int(max(lwork, 1)))
        sorgqr_(&mm, &nn, &kk, &a, &lda, &tau, &work, &lwork, &info)
    }
}
