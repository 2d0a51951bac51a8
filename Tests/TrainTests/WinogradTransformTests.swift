import CKernels
#if canImport(Glibc)
import Glibc
#endif
import LoupeCore
import Testing

/// The C Winograd transforms (CKernels), at every instruction-set level this CPU has, against the
/// definitions V = Bᵀ·d·B, y = Aᵀ·m·A, Ŷ = A·dy·Aᵀ, U = G·g·Gᵀ and dW += Gᵀ·Z·G evaluated in Double. The convolution tests reach
/// only the level the CPU picks; these reach SSE2 and AVX2 on an AVX-512 machine too.
@Suite struct WinogradTransformTests {
    static let bt: [[Double]] = [[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]]
    static let at: [[Double]] = [[1, 1, 1, 0], [0, 1, -1, -1]]

    static var levels: [loupe_isa] {
        [LOUPE_ISA_SSE2, LOUPE_ISA_AVX2, LOUPE_ISA_AVX512].filter { $0.rawValue <= loupe_isa_supported().rawValue }
    }

    struct Shape: CustomStringConvertible, Sendable {
        let samples, channels, h, w: Int
        var description: String { "\(samples)×\(channels)×\(h)×\(w)" }
        var pt: Int { (h + 1) / 2 }
        var qt: Int { (w + 1) / 2 }
        var tiles: Int { pt * qt }
        /// Row stride and plane distance with slack, so writes past a row or plane would show.
        var ld: Int { samples * tiles + 3 }
        var plane: Int { channels * ld + 5 }
    }

    /// One tile per sample, odd sides, more columns than one block (T > 256), several blocks of samples.
    static let shapes = [Shape(samples: 3, channels: 2, h: 1, w: 1), Shape(samples: 5, channels: 3, h: 2, w: 2),
                         Shape(samples: 2, channels: 2, h: 5, w: 7), Shape(samples: 3, channels: 2, h: 16, w: 16),
                         Shape(samples: 1, channels: 1, h: 34, w: 33), Shape(samples: 70, channels: 2, h: 4, w: 4)]

    static func random(_ count: Int, seed: UInt64) -> [Float] {
        var g = SeededGenerator(seed: seed)
        return (0..<count).map { _ in g.nextGaussian() }
    }

    static func maxError(_ a: [Float], _ b: [Double]) -> Double {
        let scale = max(b.filter { !$0.isNaN }.map(abs).max() ?? 1, 1e-30)
        return zip(a, b).map { $0.0.isNaN != $0.1.isNaN ? .infinity : ($0.0.isNaN ? 0 : abs(Double($0.0) - $0.1)) }.max()! / scale
    }

    @Test(arguments: shapes)
    func inputTransform(_ s: Shape) {
        let x = Self.random(s.samples * s.channels * s.h * s.w, seed: 1)
        var expected = [Double](repeating: .nan, count: 16 * s.plane)
        for n in 0..<s.samples { for c in 0..<s.channels { for ti in 0..<s.pt { for tj in 0..<s.qt {
            func d(_ a: Int, _ b: Int) -> Double {
                let r = 2 * ti + a - 1, col = 2 * tj + b - 1
                guard r >= 0, r < s.h, col >= 0, col < s.w else { return 0 }
                return Double(x[((n * s.channels + c) * s.h + r) * s.w + col])
            }
            for k in 0..<4 { for l in 0..<4 {
                var sum = 0.0
                for a in 0..<4 { for b in 0..<4 { sum += Self.bt[k][a] * d(a, b) * Self.bt[l][b] } }
                expected[(4 * k + l) * s.plane + c * s.ld + n * s.tiles + ti * s.qt + tj] = sum
            } }
        } } } }
        for level in Self.levels {
            var v = [Float](repeating: .nan, count: 16 * s.plane)
            var scratch = [Float](repeating: 0, count: loupe_winograd_scratch_floats(s.h, s.w))
            loupe_winograd_input_at(level, x, s.samples, s.channels * s.h * s.w, s.channels, s.h, s.w, &v, s.ld, s.plane, &scratch)
            #expect(Self.maxError(v, expected) < 1e-6, "\(String(cString: loupe_isa_name(level))) \(s)")
        }
    }

    /// The input transform reads nothing past the input: x ends at an inaccessible page, so a stray read crashes
    /// the test. Lanes past the last column of a partial block once read on into the
    /// next samples' places (AVX-512 window loads), which the comparisons above cannot see.
    @Test(arguments: shapes)
    func inputTransformStaysInsideTheInput(_ s: Shape) throws {
        let count = s.samples * s.channels * s.h * s.w
        let x = Self.random(count, seed: 7)
        try GuardedFloats.withBuffer(x) { guarded in
            for level in Self.levels {
                var v = [Float](repeating: .nan, count: 16 * s.plane)
                var scratch = [Float](repeating: 0, count: loupe_winograd_scratch_floats(s.h, s.w))
                loupe_winograd_input_at(level, guarded, s.samples, s.channels * s.h * s.w, s.channels, s.h, s.w, &v, s.ld, s.plane, &scratch)
                var reference = [Float](repeating: .nan, count: 16 * s.plane)
                loupe_winograd_input_at(LOUPE_ISA_SSE2, x, s.samples, s.channels * s.h * s.w, s.channels, s.h, s.w, &reference, s.ld, s.plane, &scratch)
                #expect(v.map(\.bitPattern) == reference.map(\.bitPattern), "\(String(cString: loupe_isa_name(level))) \(s)")
            }
        }
    }

    @Test(arguments: shapes)
    func outputTransform(_ s: Shape) {
        let m = Self.random(16 * s.plane, seed: 2)
        let stride = s.channels * s.h * s.w + 2
        var expected = [Double](repeating: .nan, count: s.samples * stride)
        for n in 0..<s.samples { for c in 0..<s.channels { for ti in 0..<s.pt { for tj in 0..<s.qt {
            for r in 0..<2 { for q in 0..<2 where 2 * ti + r < s.h && 2 * tj + q < s.w {
                var sum = 0.0
                for a in 0..<4 { for b in 0..<4 {
                    sum += Self.at[r][a] * Double(m[(4 * a + b) * s.plane + c * s.ld + n * s.tiles + ti * s.qt + tj]) * Self.at[q][b]
                } }
                expected[n * stride + (c * s.h + 2 * ti + r) * s.w + 2 * tj + q] = sum
            } }
        } } } }
        for level in Self.levels {
            var y = [Float](repeating: .nan, count: s.samples * stride)
            var scratch = [Float](repeating: 0, count: loupe_winograd_scratch_floats(s.h, s.w))
            loupe_winograd_output_at(level, m, s.samples, s.channels, s.h, s.w, s.ld, s.plane, &y, stride, &scratch)
            #expect(Self.maxError(y, expected) < 1e-6, "\(String(cString: loupe_isa_name(level))) \(s)")
        }
    }

    @Test(arguments: shapes)
    func outputGradientTransform(_ s: Shape) {
        let stride = s.channels * s.h * s.w + 2
        let dy = Self.random(s.samples * stride, seed: 3)
        var expected = [Double](repeating: .nan, count: 16 * s.plane)
        for n in 0..<s.samples { for c in 0..<s.channels { for ti in 0..<s.pt { for tj in 0..<s.qt {
            func g(_ r: Int, _ q: Int) -> Double {
                guard 2 * ti + r < s.h, 2 * tj + q < s.w else { return 0 }
                return Double(dy[n * stride + (c * s.h + 2 * ti + r) * s.w + 2 * tj + q])
            }
            for k in 0..<4 { for l in 0..<4 {
                var sum = 0.0
                for r in 0..<2 { for q in 0..<2 { sum += Self.at[r][k] * g(r, q) * Self.at[q][l] } }
                expected[(4 * k + l) * s.plane + c * s.ld + n * s.tiles + ti * s.qt + tj] = sum
            } }
        } } } }
        for level in Self.levels {
            var yhat = [Float](repeating: .nan, count: 16 * s.plane)
            var scratch = [Float](repeating: 0, count: loupe_winograd_scratch_floats(s.h, s.w))
            loupe_winograd_output_gradient_at(level, dy, s.samples, stride, s.channels, s.h, s.w, &yhat, s.ld, s.plane, &scratch)
            #expect(Self.maxError(yhat, expected) < 1e-6, "\(String(cString: loupe_isa_name(level))) \(s)")
        }
    }

    static let g: [[Double]] = [[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]]

    /// A count that is no multiple of any vector width; one whose U (2 MB) the filter transform writes with
    /// streaming stores, which start at an aligned filter; each with a range that leaves filters out at both ends.
    @Test(arguments: [(37, 3..<35), (32768, 5..<32761)])
    func filterTransforms(_ count: Int, _ range: Range<Int>) {
        let w = Self.random(count * 9, seed: 4), z = Self.random(16 * count, seed: 5), dw0 = Self.random(count * 9, seed: 6)
        var u0 = [Double](repeating: .nan, count: 16 * count), dwExpected = dw0.map(Double.init)
        for i in range {
            for k in 0..<4 { for l in 0..<4 {
                var sum = 0.0
                for a in 0..<3 { for b in 0..<3 { sum += Self.g[k][a] * Double(w[i * 9 + 3 * a + b]) * Self.g[l][b] } }
                u0[(4 * k + l) * count + i] = sum
            } }
            for a in 0..<3 { for b in 0..<3 {
                var sum = 0.0
                for k in 0..<4 { for l in 0..<4 { sum += Self.g[k][a] * Double(z[(4 * k + l) * count + i]) * Self.g[l][b] } }
                dwExpected[i * 9 + 3 * a + b] += sum
            } }
        }
        for level in Self.levels {
            var u = [Float](repeating: .nan, count: 16 * count), dw = dw0
            loupe_winograd_filters_at(level, w, count, &u, range.lowerBound, range.upperBound)
            loupe_winograd_filter_gradient_at(level, z, count, &dw, range.lowerBound, range.upperBound)
            #expect(Self.maxError(u, u0) < 1e-6, "filters, \(String(cString: loupe_isa_name(level)))")
            #expect(Self.maxError(dw, dwExpected) < 1e-6, "filter gradient, \(String(cString: loupe_isa_name(level)))")
        }
    }

    /// The dispatcher never picks more than the CPU has, and names every level.
    @Test func activeLevelIsSupported() {
        #expect(loupe_isa_active().rawValue <= loupe_isa_supported().rawValue)
        #expect(Self.levels.map { String(cString: loupe_isa_name($0)) } == ["sse2", "avx2+fma", "avx512f"].prefix(Self.levels.count).map { $0 })
    }
}

/// Floats placed so that they end where an inaccessible page begins: a read past the end is a segmentation
/// fault (the input transforms' padding reads nothing before the start either, but only a page-sized input
/// would also sit right after the lower guard page).
enum GuardedFloats {
    struct MapFailed: Error {}

    static func withBuffer<R>(_ values: [Float], _ body: (UnsafePointer<Float>) throws -> R) throws -> R {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let bytes = values.count * MemoryLayout<Float>.stride
        let dataPages = (bytes + page - 1) / page
        let total = (dataPages + 2) * page
        guard let raw = mmap(nil, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), raw != MAP_FAILED else {
            throw MapFailed()
        }
        defer { munmap(raw, total) }
        guard mprotect(raw, page, PROT_NONE) == 0, mprotect(raw + (dataPages + 1) * page, page, PROT_NONE) == 0 else {
            throw MapFailed()
        }
        // Flush against the upper guard page; the gap below the data (if any) stays readable but holds no input.
        let start = (raw + (dataPages + 1) * page - bytes).assumingMemoryBound(to: Float.self)
        values.withUnsafeBufferPointer { start.update(from: $0.baseAddress!, count: values.count) }
        return try body(UnsafePointer(start))
    }
}
