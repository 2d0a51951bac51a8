import CKernels
import LoupeCore
import Testing
@testable import Analyzers

/// CKernels' t-SNE attraction at every instruction-set level this CPU has: against the sum in Double, and bit for
/// bit the sequential Float loop (each row summed in entry order), so a map does not depend on the CPU.
@Suite struct MathTSNEAttractionTests {
    /// 40 rows of 0 to 100 entries: two full blocks of 16 rows and a partial one, with empty rows.
    @Test func matchesDoubleAndTheSequentialSumAtEveryLevel() {
        var lengths = [0, 1, 15, 16, 17, 100, 33]
        for r in 0..<33 { lengths.append((r * 37) % 61) }
        let n = lengths.count
        var g = SeededGenerator(seed: 21)
        let ys = (0..<(2 * n)).map { _ in 3 * g.nextGaussian() }
        var rowStart = [0], columns: [Int32] = [], values: [Float] = []
        for len in lengths {
            for _ in 0..<len {
                columns.append(Int32(g.next() % UInt64(n)))
                values.append(abs(g.nextGaussian()) / 100)
            }
            rowStart.append(columns.count)
        }
        let rows = lengths.count
        var expected = [Double](repeating: 0, count: 2 * rows), sequential = [Float](repeating: 0, count: 2 * rows)
        for i in 0..<rows {
            for e in rowStart[i]..<rowStart[i + 1] {
                let jf = Int(columns[e])
                let fx = ys[2 * i] - ys[2 * jf], fy = ys[2 * i + 1] - ys[2 * jf + 1]
                let fw = values[e] / (1 + fx * fx + fy * fy)
                sequential[2 * i] += fw * fx
                sequential[2 * i + 1] += fw * fy
                let j = Int(columns[e])
                let dx = Double(ys[2 * i]) - Double(ys[2 * j]), dy = Double(ys[2 * i + 1]) - Double(ys[2 * j + 1])
                let pw = Double(values[e]) / (1 + dx * dx + dy * dy)
                expected[2 * i] += pw * dx
                expected[2 * i + 1] += pw * dy
            }
        }
        let scale = expected.map(abs).max()!
        let p = SparseAffinities(n: rows, rowStart: rowStart, columns: columns, values: values)
        let sliced = SlicedAffinities(p)
        #expect(sliced.slices == 3 && sliced.rows.filter { $0 >= 0 }.sorted() == (0..<Int32(rows)).map { $0 })
        for level in MathTSNEFFTTests.levels {
            var out = [Float](repeating: .nan, count: 2 * rows)
            loupe_tsne_attraction_at(level, ys, sliced.rows, sliced.sliceStart, sliced.columns, sliced.values, 0, sliced.slices, &out)
            let name = String(cString: loupe_isa_name(level))
            for c in 0..<(2 * rows) {
                #expect(abs(Double(out[c]) - expected[c]) <= 1e-5 * scale, "\(name) row \(c / 2)")
            }
            #expect((0..<(2 * rows)).allSatisfy { out[$0].bitPattern == sequential[$0].bitPattern },
                    "\(name) differs from the sequential sum in its last bits")
        }
        // The Swift entry point, on two threads.
        var out = [Float](repeating: .nan, count: 2 * rows)
        sliced.forces(ys, threads: 2, into: &out)
        #expect(out.map(\.bitPattern) == sequential.map(\.bitPattern))
    }
}
