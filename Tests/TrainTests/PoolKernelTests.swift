import CKernels
import LoupeCore
import Testing

/// The C max-pooling windows (CKernels) at every instruction-set level this CPU has, against the
/// textbook scan (row-major, strictly greater wins, a NaN wins): ties, −∞ and NaN included, with rows
/// long enough for full vectors and a ragged tail.
@Suite struct PoolKernelTests {
    /// Values from a small set, so ties are common; a few −∞ and NaN.
    static func plane(_ count: Int, seed: UInt64) -> [Float] {
        var g = SeededGenerator(seed: seed)
        return (0..<count).map { _ in
            let r = g.next() % 20
            return r == 0 ? -.infinity : r == 1 ? .nan : Float(r % 5)
        }
    }

    static func scan(_ x: [Float], w: Int, cells: [(Int, Int)]) -> (Float, Int32) {
        var best = -Float.infinity, at = cells[0].0 * w + cells[0].1
        for (r, c) in cells {
            let value = x[r * w + c]
            if value > best || value.isNaN { best = value; at = r * w + c }
        }
        return (best, Int32(at))
    }

    static func same(_ a: Float, _ b: Float) -> Bool { a == b || (a.isNaN && b.isNaN) }

    @Test(arguments: [(2, 2), (6, 38), (9, 69)])
    func pool2x2(_ size: (Int, Int)) {
        let (h, w) = size, P = h / 2, Q = w / 2
        let x = Self.plane(h * w, seed: UInt64(h * 100 + w))
        for level in WinogradTransformTests.levels {
            var out = [Float](repeating: 7, count: P * Q), arg = [Int32](repeating: -1, count: P * Q)
            loupe_maxpool2x2_at(level, x, w, P, Q, &out, &arg)
            for u in 0..<P { for v in 0..<Q {
                let (best, at) = Self.scan(x, w: w, cells: [(2 * u, 2 * v), (2 * u, 2 * v + 1), (2 * u + 1, 2 * v), (2 * u + 1, 2 * v + 1)])
                #expect(Self.same(out[u * Q + v], best) && arg[u * Q + v] == at, "\(String(cString: loupe_isa_name(level))) \(size) (\(u), \(v))")
            } }
        }
    }

    /// 3×3 at stride 2 over whole planes, padding 0 and 1: every window, the clipped ones at the edges too
    /// (one input pixel; rows shorter than a vector; full vectors with a ragged tail; odd and even sides).
    /// A plane of −∞ too, where every window must point at its first element inside the plane.
    @Test(arguments: [(1, 1), (2, 3), (5, 7), (32, 32), (9, 69), (33, 70)])
    func pool3x3Stride2(_ size: (Int, Int)) {
        let (h, w) = size
        for x in [Self.plane(h * w, seed: UInt64(h * 1000 + w)), [Float](repeating: -.infinity, count: h * w)] {
            for pad in [0, 1] where h + 2 * pad >= 3 && w + 2 * pad >= 3 {
                let P = (h + 2 * pad - 3) / 2 + 1, Q = (w + 2 * pad - 3) / 2 + 1
                for level in WinogradTransformTests.levels {
                    var out = [Float](repeating: 7, count: P * Q + 1), arg = [Int32](repeating: -1, count: P * Q + 1)
                    loupe_maxpool3x3s2_at(level, x, h, w, pad, P, Q, &out, &arg)
                    #expect(out[P * Q] == 7 && arg[P * Q] == -1, "writes past the plane")
                    for u in 0..<P { for v in 0..<Q {
                        let cells = (0..<3).flatMap { r in (0..<3).map { (2 * u - pad + r, 2 * v - pad + $0) } }
                            .filter { $0.0 >= 0 && $0.0 < h && $0.1 >= 0 && $0.1 < w }
                        let (best, at) = Self.scan(x, w: w, cells: cells)
                        #expect(Self.same(out[u * Q + v], best) && arg[u * Q + v] == at,
                                "\(String(cString: loupe_isa_name(level))) \(size) pad \(pad) (\(u), \(v))")
                    } }
                }
            }
        }
    }

    /// ResNet's stem pool: 3×3, stride 2, padding 1; the interior columns of one output row.
    @Test func pool3x3Row() {
        let h = 3, w = 75, stride = 2, pad = 1, Q = (w + 2 * pad - 3) / stride + 1
        let x = Self.plane(h * w, seed: 9)
        let first = 1, end = (w - 3 + pad) / stride + 1
        for level in WinogradTransformTests.levels {
            var out = [Float](repeating: 7, count: Q), arg = [Int32](repeating: -1, count: Q)
            loupe_maxpool3x3_row_at(level, x, w, 40, stride, pad, first, end, &out, &arg)
            #expect(out[0] == 7 && arg[0] == -1 && out[end...].allSatisfy { $0 == 7 }, "writes outside the columns")
            for v in first..<end {
                let c0 = v * stride - pad
                let (best, at) = Self.scan(x, w: w, cells: (0..<3).flatMap { r in (0..<3).map { (r, c0 + $0) } })
                #expect(Self.same(out[v], best) && arg[v] == at + 40, "\(String(cString: loupe_isa_name(level))) column \(v)")
            }
        }
    }
}
