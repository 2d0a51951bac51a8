import Foundation
import LoupeCore
import Testing
@testable import Analyzers

@Suite("Nearest neighbours")
struct MathNeighborsTests {
    /// Mean over rows of |found ∩ exact| / k.
    static func recall(_ found: [Int32], _ exact: [Int32], n: Int, k: Int) -> Double {
        var hits = 0
        for i in 0..<n {
            let truth = Set(exact[(i * k)..<((i + 1) * k)])
            hits += found[(i * k)..<((i + 1) * k)].filter { truth.contains($0) }.count
        }
        return Double(hits) / Double(n * k)
    }

    /// Every row's neighbours: k distinct other rows, distances ascending and equal to the true squared distances.
    static func checkWellFormed(_ x: [Float], n: Int, d: Int, k: Int, indices: [Int32], distances: [Float]) {
        #expect(indices.count == n * k && distances.count == n * k)
        for i in 0..<n {
            let row = indices[(i * k)..<((i + 1) * k)].map(Int.init)
            #expect(Set(row).count == k && !row.contains(i) && row.allSatisfy { (0..<n).contains($0) })
            for e in 0..<k {
                let j = row[e]
                var s = 0.0
                for c in 0..<d { let v = Double(x[i * d + c]) - Double(x[j * d + c]); s += v * v }
                #expect(abs(Double(distances[i * k + e]) - s) <= 1e-3 * max(1, s))
                if e > 0 { #expect(distances[i * k + e - 1] <= distances[i * k + e]) }
            }
        }
    }

    /// The inverted-file search, probes calibrated to its default target, finds ≥ 99 % of the exact neighbours of
    /// clustered data while computing well under half of the pair distances.
    @Test func approximateRecallOnClusteredData() {
        let (x, _) = MathSample.blobs(clusters: 8, perCluster: 150, d: 24, separation: 3, seed: 11)
        let n = 1200, d = 24, k = 15
        let exact = NearestNeighbors.exact(x, n: n, d: d, k: k)
        var o = NearestNeighbors.ApproximateOptions()
        o.seed = 5
        let approx = NearestNeighbors.search(x, n: n, d: d, k: k, method: .approx, options: o)
        #expect(approx.report.method == .approx, "fell back to exact: \(approx.report)")
        #expect(approx.report.clusters == 35 && approx.report.probes >= 1 && approx.report.probes < 35)
        #expect(approx.report.searchedFraction < 0.5)
        let r = Self.recall(approx.indices, exact.indices, n: n, k: k)
        #expect(r >= 0.99, "recall \(r), report \(approx.report)")
        #expect(approx.report.estimatedRecall >= 0.995)
        Self.checkWellFormed(x, n: n, d: d, k: k, indices: approx.indices, distances: approx.distances)
        // A lower target searches less and finds less: the probe count is what buys the recall.
        o.recallTarget = 0.5
        let rough = NearestNeighbors.search(x, n: n, d: d, k: k, method: .approx, options: o)
        #expect(rough.report.probes < approx.report.probes)
        #expect(rough.report.searchedFraction < approx.report.searchedFraction)
        #expect(Self.recall(rough.indices, exact.indices, n: n, k: k) < r)
    }

    /// Same seed, same threads: the same neighbours; the seed is the only source of randomness and is reported.
    @Test func approximateSearchIsSeeded() {
        let (x, _) = MathSample.blobs(clusters: 5, perCluster: 80, d: 20, separation: 2, seed: 3)
        var o = NearestNeighbors.ApproximateOptions()
        o.seed = 9
        o.recallTarget = 0.9
        let a = NearestNeighbors.search(x, n: 400, d: 20, k: 10, method: .approx, options: o)
        let b = NearestNeighbors.search(x, n: 400, d: 20, k: 10, method: .approx, options: o)
        #expect(a.indices == b.indices && a.distances == b.distances)
        #expect(a.report.seed == 9)
    }

    /// exact and auto below the threshold return exactly what NearestNeighbors.exact does.
    @Test func exactAndSmallAutoAreUnchanged() {
        let (x, _) = MathSample.blobs(clusters: 3, perCluster: 50, d: 30, separation: 2, seed: 4)
        let reference = NearestNeighbors.exact(x, n: 150, d: 30, k: 12)
        for method in [NearestNeighbors.Method.exact, .auto] {
            let r = NearestNeighbors.search(x, n: 150, d: 30, k: 12, method: method)
            #expect(r.indices == reference.indices && r.distances == reference.distances)
            #expect(r.report.method == .exact && r.report.estimatedRecall == 1)
        }
        #expect(NearestNeighbors.autoExactMaxRows >= 10_000)
    }

    /// k ≥ n is clamped to n − 1 (every other row), more cells than rows are clamped to n, and exact duplicates
    /// are found at distance 0: in each case the approximate search returns the exact neighbour sets.
    @Test func approximateEdgeCases() {
        let (x, _) = MathSample.blobs(clusters: 2, perCluster: 15, d: 20, separation: 2, seed: 8)
        var o = NearestNeighbors.ApproximateOptions()
        o.clusters = 50  // > n
        let all = NearestNeighbors.search(x, n: 30, d: 20, k: 40, method: .approx, options: o)
        #expect(all.report.k == 29 && all.indices.count == 30 * 29)
        Self.checkWellFormed(x, n: 30, d: 20, k: 29, indices: all.indices, distances: all.distances)
        let few = NearestNeighbors.search(x, n: 30, d: 20, k: 5, method: .approx, options: o)
        #expect(few.report.method == .exact || few.report.clusters == 30)
        #expect(Self.recall(few.indices, NearestNeighbors.exact(x, n: 30, d: 20, k: 5).indices, n: 30, k: 5) == 1)

        // Every row three times: its two copies are its nearest neighbours, at distance ≈ 0.
        let (base, _) = MathSample.blobs(clusters: 4, perCluster: 60, d: 20, separation: 3, seed: 9)
        var dup: [Float] = []
        for i in 0..<240 { for _ in 0..<3 { dup.append(contentsOf: base[(i * 20)..<((i + 1) * 20)]) } }
        let n = 720, k = 6
        let approx = NearestNeighbors.search(dup, n: n, d: 20, k: k, method: .approx)
        #expect(approx.report.method == .approx)
        for i in 0..<n {
            let copies = Set((0..<3).map { Int32(3 * (i / 3) + $0) }).subtracting([Int32(i)])
            #expect(Set(approx.indices[(i * k)..<(i * k + 2)]) == copies)
            #expect(approx.distances[i * k + 1] <= 1e-3)  // 0 up to the rounding of ‖a‖² + ‖b‖² − 2a·b
        }
        let exact = NearestNeighbors.exact(dup, n: n, d: 20, k: k)
        #expect(Self.recall(approx.indices, exact.indices, n: n, k: k) >= 0.99)
        // Fewer than 2 rows, or k = 0: empty, as exact.
        #expect(NearestNeighbors.search([1, 2], n: 1, d: 2, k: 3, method: .approx).indices.isEmpty)
        #expect(NearestNeighbors.search(x, n: 30, d: 20, k: 0, method: .approx).indices.isEmpty)
    }

    /// The grid search in the plane returns what brute force does, ties (integer coordinates) included.
    @Test(arguments: [false, true])
    func planeSearchMatchesBruteForce(ties: Bool) {
        let n = 700, k = 10
        var g = SeededGenerator(seed: ties ? 1 : 2)
        var x: [Float] = []
        for i in 0..<n {
            // A dense blob, a far-away sparse cloud and a line: uneven cells.
            if ties { x += [Float(g.next() % 12), Float(g.next() % 9)] } else if i % 3 == 0 {
                x += [1000 + 50 * g.nextGaussian(), 50 * g.nextGaussian()]
            } else if i % 3 == 1 { x += [g.nextGaussian(), g.nextGaussian()] } else { x += [Float(i), 0.5] }
        }
        let grid = NearestNeighbors.exactPlane(x, n: n, k: k)
        let brute = NearestNeighbors.exactDouble(x, n: n, d: 2, k: k)
        #expect(grid.indices == brute.indices)
        #expect(grid.distances == brute.distances)
        let same = NearestNeighbors.exactPlane([Float](repeating: 3, count: 40), n: 20, k: 4)
        #expect(same.indices == NearestNeighbors.exactDouble([Float](repeating: 3, count: 40), n: 20, d: 2, k: 4).indices)
    }

    /// Sampled trustworthiness: with every row sampled it is the exact value; with half, close to it.
    @Test func sampledTrustworthiness() {
        let (x, _) = MathSample.blobs(clusters: 3, perCluster: 100, d: 12, separation: 2, seed: 6)
        let n = 300
        var low = [Float](repeating: 0, count: 2 * n)
        for i in 0..<n {
            let a: Float = x[i * 12] + 0.3 * x[i * 12 + 2]
            low[2 * i] = a
            low[2 * i + 1] = x[i * 12 + 1]
        }
        let exact: Double = ClusterMetrics.trustworthiness(high: x, dHigh: 12, low: low, dLow: 2, n: n, k: 5)
        let (neighbours, _) = NearestNeighbors.exactDouble(low, n: n, d: 2, k: 5)
        let full: Double = ClusterMetrics.sampledTrustworthiness(high: x, dHigh: 12, lowNeighbours: neighbours, n: n, k: 5, rows: n, seed: 1)
        let half: Double = ClusterMetrics.sampledTrustworthiness(high: x, dHigh: 12, lowNeighbours: neighbours, n: n, k: 5, rows: 150, seed: 1)
        #expect(exact > 0.5 && exact < 0.99)
        #expect(abs(full - exact) < 1e-9)
        #expect(abs(half - exact) < 0.03 && half != exact)
    }

    /// The GEMM search over the upper triangle (three blocks of rows, the last one partial) against brute force in
    /// Double, with two exact duplicates (which must find each other at distance 0); the same bits on 1 and 2 threads.
    @Test func symmetricSearchMatchesBruteForce() {
        let n = 1100, d = 20, k = 7
        var x = MathSample.gaussian(n * d, seed: 31)
        for c in 0..<d { x[700 * d + c] = x[5 * d + c] }
        let two = NearestNeighbors.exact(x, n: n, d: d, k: k, threads: 2)
        let one = NearestNeighbors.exact(x, n: n, d: d, k: k, threads: 1)
        #expect(two.indices == one.indices && two.distances.map(\.bitPattern) == one.distances.map(\.bitPattern))
        var wrong = 0, worst = 0.0
        for i in 0..<n {
            var row: [(Double, Int32)] = []
            for j in 0..<n where j != i {
                var s = 0.0
                for c in 0..<d { let e = Double(x[i * d + c]) - Double(x[j * d + c]); s += e * e }
                row.append((s, Int32(j)))
            }
            row.sort { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }
            if Array(two.indices[(i * k)..<((i + 1) * k)]) != row.prefix(k).map(\.1) { wrong += 1 }
            for r in 0..<k { worst = max(worst, abs(Double(two.distances[i * k + r]) - row[r].0) / max(row[r].0, 1)) }
        }
        #expect(wrong == 0, "\(wrong) rows with other neighbours than brute force")
        #expect(worst < 1e-4)
        #expect(two.indices[5 * k] == 700 && two.indices[700 * k] == 5 && two.distances[5 * k] == 0)
    }
}
