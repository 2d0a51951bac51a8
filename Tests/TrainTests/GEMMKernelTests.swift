import CKernels
import Dispatch
import LoupeCore
import Testing

/// Loupe's own SGEMM (CKernels/gemm.c) at every instruction-set level this CPU has, against the product in
/// double precision (below AVX-512 it must decline and leave C to OpenBLAS): every transpose, row and column
/// tails of the 8×32 micro-kernel, the unpacked
/// path for a single column panel, depth beyond one packed block (β applies once), width beyond one, α and β,
/// padded leading dimensions, and β = 0 over NaN (C is not read).
@Suite struct GEMMKernelTests {
    struct Shape: CustomStringConvertible, Sendable {
        let ta, tb: Bool, m, n, k: Int, alpha, beta: Float
        /// B's leading dimension when not its width + 5 (a multiple of 1,024 is packed rather than read in place).
        var ldb: Int? = nil
        var description: String { "\(ta ? "Aᵀ" : "A")\(tb ? "Bᵀ" : "B") \(m)×\(n)×\(k) α\(alpha) β\(beta)\(ldb.map { " ldb \($0)" } ?? "")" }
    }

    static let shapes: [Shape] = [
        Shape(ta: false, tb: false, m: 16, n: 64, k: 24, alpha: 1, beta: 0),
        Shape(ta: true, tb: false, m: 13, n: 37, k: 19, alpha: 1, beta: 0),
        Shape(ta: false, tb: true, m: 21, n: 45, k: 17, alpha: 1, beta: 1),
        Shape(ta: true, tb: true, m: 9, n: 70, k: 33, alpha: 0.5, beta: 0.25),
        // One column panel: A read where it lies, the last rows through a padded panel.
        Shape(ta: false, tb: false, m: 29, n: 32, k: 40, alpha: 1, beta: 0),
        Shape(ta: true, tb: false, m: 27, n: 11, k: 40, alpha: 1, beta: 1),
        Shape(ta: false, tb: false, m: 5, n: 7, k: 3, alpha: 2, beta: 0),
        // Deeper than one packed block (192): later blocks accumulate onto the first.
        Shape(ta: false, tb: true, m: 10, n: 40, k: 300, alpha: 1, beta: 0.5),
        Shape(ta: true, tb: false, m: 12, n: 20, k: 530, alpha: 1, beta: 0),
        // Wider than one packed block (4096 columns).
        Shape(ta: false, tb: false, m: 3, n: 4133, k: 2, alpha: 1, beta: 1),
        Shape(ta: false, tb: false, m: 1, n: 1, k: 1, alpha: 1, beta: 0),
        // Column edges: a last panel of 2 (16-row pairs, then 8 rows) and of 17 columns, read with masks.
        Shape(ta: false, tb: false, m: 40, n: 98, k: 20, alpha: 1, beta: 0),
        Shape(ta: true, tb: false, m: 24, n: 49, k: 30, alpha: 1, beta: 1),
        Shape(ta: false, tb: true, m: 33, n: 77, k: 12, alpha: 1, beta: 0.5),
        // One narrow column panel: 16-row pairs read where A lies, then 8 rows, then a padded panel.
        Shape(ta: false, tb: false, m: 37, n: 9, k: 25, alpha: 1, beta: 1),
        Shape(ta: true, tb: false, m: 32, n: 16, k: 7, alpha: 1, beta: 0),
        // B rows 4 KB apart: packed, the partial last panel too.
        Shape(ta: false, tb: false, m: 17, n: 75, k: 20, alpha: 1, beta: 1, ldb: 1024),
        Shape(ta: true, tb: false, m: 8, n: 40, k: 9, alpha: 1, beta: 0, ldb: 2048),
    ]

    @Test(arguments: shapes)
    func matchesTheProductInDouble(_ s: Shape) {
        // Padded leading dimensions, so a kernel that assumes a packed operand reads the wrong elements.
        let rowsA = s.ta ? s.k : s.m, colsA = s.ta ? s.m : s.k, lda = colsA + 3
        let rowsB = s.tb ? s.n : s.k, colsB = s.tb ? s.k : s.n, ldb = s.ldb ?? colsB + 5, ldc = s.n + 2
        let a = WinogradTransformTests.random(rowsA * lda, seed: 11), b = WinogradTransformTests.random(rowsB * ldb, seed: 12)
        let c0 = s.beta == 0 ? [Float](repeating: .nan, count: s.m * ldc) : WinogradTransformTests.random(s.m * ldc, seed: 13)
        var expected = [Double](repeating: 0, count: s.m * ldc), bound = [Double](repeating: 0, count: s.m * ldc)
        for i in 0..<s.m {
            for j in 0..<s.n {
                var sum = 0.0, magnitude = 0.0
                for l in 0..<s.k {
                    let x = Double(s.ta ? a[l * lda + i] : a[i * lda + l]), y = Double(s.tb ? b[j * ldb + l] : b[l * ldb + j])
                    sum += x * y
                    magnitude += abs(x * y)
                }
                let old = s.beta == 0 ? 0 : Double(s.beta) * Double(c0[i * ldc + j])
                expected[i * ldc + j] = Double(s.alpha) * sum + old
                // Float rounding of k products summed in any order, then α and β.
                bound[i * ldc + j] = Double(s.k + 4) * 6e-8 * (abs(Double(s.alpha)) * magnitude + abs(old)) + 1e-30
            }
        }
        for level in WinogradTransformTests.levels {
            let name = String(cString: loupe_isa_name(level))
            var c = c0
            let ran = loupe_sgemm_at(level, s.ta ? 1 : 0, s.tb ? 1 : 0, s.m, s.n, s.k, s.alpha, a, lda, b, ldb, s.beta, &c, ldc)
            if level.rawValue < LOUPE_ISA_AVX512.rawValue {
                #expect(ran == 0, "\(name) has no kernel and must leave C to BLAS")
                #expect(zip(c, c0).allSatisfy { $0.bitPattern == $1.bitPattern }, "\(name) wrote C")
                continue
            }
            #expect(ran == 1, "\(name) \(s)")
            var worst = 0.0
            for i in 0..<s.m {
                for j in 0..<s.n {
                    let e = abs(Double(c[i * ldc + j]) - expected[i * ldc + j])
                    worst = max(worst, e.isNaN ? .infinity : e / bound[i * ldc + j])
                }
                // The slack columns of C are not written.
                for j in s.n..<ldc {
                    #expect(c[i * ldc + j].bitPattern == c0[i * ldc + j].bitPattern, "\(name) \(s): wrote C[\(i)][\(j)]")
                }
            }
            #expect(worst <= 1, "\(name) \(s): error \(worst) of the rounding bound")
        }
    }

    /// An unpacked B is read with masks at the right edge: with B's last row flush against an inaccessible
    /// page, no column past n is touched (the kernel used to read 32 columns and so packed that panel).
    @Test(.enabled(if: loupe_isa_supported() == LOUPE_ISA_AVX512), arguments: [(16, 98, 8), (24, 9, 5), (8, 45, 3), (32, 2, 70)])
    func readsNoColumnPastTheEdge(_ shape: (Int, Int, Int)) throws {
        let (m, n, k) = shape
        let a = WinogradTransformTests.random(m * k, seed: 31), b = WinogradTransformTests.random(k * n, seed: 32)
        var expected = [Float](repeating: 0, count: m * n)
        #expect(loupe_sgemm_at(LOUPE_ISA_AVX512, 0, 0, m, n, k, 1, a, k, b, n, 0, &expected, n) == 1)
        try GuardedFloats.withBuffer(b) { guarded in
            var c = [Float](repeating: .nan, count: m * n)
            #expect(loupe_sgemm_at(LOUPE_ISA_AVX512, 0, 0, m, n, k, 1, a, k, guarded, n, 0, &c, n) == 1)
            #expect(c.map(\.bitPattern) == expected.map(\.bitPattern), "\(m)×\(n)×\(k)")
        }
    }

    /// Each thread packs into buffers of its own: products of different sizes on threads that come and go
    /// (Dispatch's) give the bits each gives alone. Only where Loupe's kernel runs (below AVX-512 the products
    /// are OpenBLAS's, and this would test OpenBLAS).
    @Test(.enabled(if: loupe_isa_supported() == LOUPE_ISA_AVX512))
    func threadsPackIntoTheirOwnBuffers() {
        let sizes = [(40, 70, 300), (9, 33, 17), (64, 96, 64), (17, 130, 260), (8, 32, 512), (33, 5, 40)]
        let operands = sizes.enumerated().map { i, s in
            (WinogradTransformTests.random(s.0 * s.2, seed: UInt64(20 + i)), WinogradTransformTests.random(s.2 * s.1, seed: UInt64(40 + i)))
        }
        func product(_ i: Int) -> [Float] {
            let (m, n, k) = sizes[i]
            var c = [Float](repeating: 0, count: m * n)
            let ran = loupe_sgemm_at(LOUPE_ISA_AVX512, 0, 0, m, n, k, 1, operands[i].0, k, operands[i].1, n, 0, &c, n)
            #expect(ran == 1)
            return c
        }
        let alone = sizes.indices.map(product)
        let results = UnsafeMutableBufferPointer<[Float]>.allocate(capacity: 32 * sizes.count)
        results.initialize(repeating: [])
        defer { results.deallocate() }
        DispatchQueue.concurrentPerform(iterations: results.count) { j in results[j] = product(j % sizes.count) }
        for j in 0..<results.count {
            let same = results[j] == alone[j % sizes.count]
            #expect(same, "product \(j % sizes.count), run \(j): bits differ from the product computed alone")
        }
    }
}
