import LoupeCore
import Testing

@Suite("Tensor")
struct TensorTests {
    func naive(_ a: Tensor, _ b: Tensor, _ ta: Bool, _ tb: Bool) -> [Double] {
        let (m, k) = ta ? (a.shape[1], a.shape[0]) : (a.shape[0], a.shape[1])
        let n = tb ? b.shape[0] : b.shape[1]
        var c = [Double](repeating: 0, count: m * n)
        for i in 0..<m { for j in 0..<n { for p in 0..<k {
            let x = ta ? a[p, i] : a[i, p]
            let y = tb ? b[j, p] : b[p, j]
            c[i * n + j] += Double(x) * Double(y)
        } } }
        return c
    }

    @Test("matmul equals a naive loop, with and without transposes, on non-square shapes",
          arguments: [(1, 1, 1), (3, 5, 7), (17, 4, 33), (64, 65, 63)])
    func matmul(shape: (Int, Int, Int)) {
        let (m, k, n) = shape
        var rng = SeededGenerator(seed: UInt64(m * 1000 + k * 10 + n))
        for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
            let a = Tensor(shape: ta ? [k, m] : [m, k], storage: (0..<(m * k)).map { _ in rng.nextGaussian() })
            let b = Tensor(shape: tb ? [n, k] : [k, n], storage: (0..<(k * n)).map { _ in rng.nextGaussian() })
            let c = Tensor.matmul(a, b, transposeA: ta, transposeB: tb)
            #expect(c.shape == [m, n])
            let reference = naive(a, b, ta, tb)
            let worst = zip(c.storage, reference).map { abs(Double($0) - $1) / max(1, abs($1)) }.max() ?? 0
            #expect(worst < 1e-5, "transposeA \(ta) transposeB \(tb): error \(worst)")
        }
    }

    @Test func indexingAndReshape() {
        var t = Tensor(shape: [2, 3, 4])
        t[1, 2, 3] = 5
        #expect(t.storage[23] == 5)
        #expect(t.reshaped([6, 4])[5, 3] == 5)
    }

    @Test("seeded generator: same seed, same stream; saved state resumes it")
    func generator() {
        var a = SeededGenerator(seed: 42), b = SeededGenerator(seed: 42)
        let first = (0..<5).map { _ in a.next() }
        #expect(first == (0..<5).map { _ in b.next() })
        let saved = SeededGenerator(seed: 42, stateWords: a.stateWords)
        var c = saved
        #expect(a.next() == c.next())
        var d = SeededGenerator(seed: 43)
        #expect(d.next() != first[0])
        let mean = (0..<20000).map { _ in Double(a.nextGaussian()) }.reduce(0, +) / 20000
        #expect(abs(mean) < 0.03)
    }
}

@Suite("LAPACK statuses")
struct LAPACKStatusTests {
    @Test("a bad argument is a typed LAPACK error naming the routine and the argument, never ignored")
    func invalidArgumentIsNamed() {
        var a: [Float] = [1, 2, 3, 4]
        do {
            try BLAS.orthonormalizeColumns(&a, rows: 2, columns: 3)  // n > m: sorgqr refuses argument 2
            Issue.record("no error for 3 columns of 2 rows")
        } catch let error as LAPACKError {
            #expect(error.info < 0 && error.description.contains("LAPACK"), "\(error)")
        } catch {
            Issue.record("untyped error \(error)")
        }
    }

    @Test("eigen-decompositions of finite symmetric matrices succeed; the checker passes info 0 through")
    func finiteMatricesSucceed() throws {
        let (values, _) = try BLAS.symmetricEigen([Float(2), 1, 1, 2], n: 2)
        #expect(abs(values[0] - 1) < 1e-5 && abs(values[1] - 3) < 1e-5)
        #expect(throws: Never.self) { try LAPACKError.check("ssyevd", 0) }
        #expect(throws: LAPACKError.self) { try LAPACKError.check("ssyevd", 3) }
    }
}
