import Foundation
import LoupeCore
import Testing
@testable import Analyzers

@Suite("k-means, metrics, neighbours, CKA")
struct MathClusterTests {
    @Test func kMeansRecoversSeparatedBlobs() throws {
        let (x, truth) = MathSample.blobs(clusters: 4, perCluster: 50, d: 6, separation: 8, seed: 11)
        let r = try KMeans.fit(x, n: 200, d: 6, k: 4, restarts: 3, seed: 1)
        #expect(ClusterMetrics.adjustedRandIndex(truth, r.labels) == 1)
        #expect(Set(r.labels) == Set(0..<4))
        // Inertia is the sum of squared distances to the returned centroids.
        var inertia = 0.0
        for i in 0..<200 {
            for j in 0..<6 { let e = Double(x[i * 6 + j] - r.centroids[r.labels[i] * 6 + j]); inertia += e * e }
        }
        #expect(abs(inertia - r.inertia) <= 1e-4 * inertia)
        #expect(r.iterations >= 1)
    }

    @Test func kMeansKeepsTheBestRestartAndIsSeeded() throws {
        let x = MathSample.gaussian(300 * 3, seed: 4)
        let one = try KMeans.fit(x, n: 300, d: 3, k: 6, restarts: 1, seed: 5)
        let many = try KMeans.fit(x, n: 300, d: 3, k: 6, restarts: 8, seed: 5)
        #expect(many.inertia <= one.inertia + 1e-9)
        let again = try KMeans.fit(x, n: 300, d: 3, k: 6, restarts: 8, seed: 5)
        #expect(again.labels == many.labels && again.inertia == many.inertia)
        let progress = ProgressBar("k-means", total: 1, quiet: true)
        _ = try KMeans.fit(x, n: 300, d: 3, k: 6, restarts: 4, seed: 5, progress: progress)
        #expect(progress.done == 4 && progress.total == 4)
    }

    @Test func kMeansRejectsBadInput() {
        var x = MathSample.gaussian(20, seed: 1)
        #expect(throws: LoupeError.self) { try KMeans.fit(x, n: 10, d: 2, k: 11) }
        x[3] = .nan
        #expect { try KMeans.fit(x, n: 10, d: 2, k: 2) } throws: { "\($0)".contains("1 of 10 rows") }
    }

    @Test func binByKMeansMarksNonFiniteRows() {
        var rgb: [Float] = []
        for i in 0..<60 { let base: Float = i < 30 ? 0.1 : 0.9; rgb += [base, base, base + 0.01 * Float(i % 3)] }
        rgb[3 * 5] = .nan
        let bins = ClusterMetrics.binByKMeans(rgb, n: 60, d: 3, k: 2, seed: 0)
        #expect(bins[5] == -1)
        #expect(Set(bins[0..<30].filter { $0 >= 0 }).count == 1 && Set(bins[30..<60]).count == 1)
        #expect(bins[0] != bins[59])
    }

    @Test func knnTieGoesToNearestNeighbour() {
        // 1-D points 0…4 labelled [2, 2, 1, 1, 2], k = 4 (every other point votes):
        // x=0: {2: 2, 1: 2} tie, nearest (x=1) has 2 → 2 ✓; x=1: tie, x=0 and x=2 equidistant, lower index
        // first → label 2 ✓; x=2: 2 wins 3:1 ✗; x=3: 2 wins 3:1 ✗; x=4: tie, nearest x=3 has 1 ✗ → 2/5.
        let acc = ClusterMetrics.knnAccuracy([0, 1, 2, 3, 4], n: 5, d: 1, labels: [2, 2, 1, 1, 2], k: 4)
        #expect(acc == 0.4)
    }

    @Test func silhouetteDoesNotDependOnChunk() {
        let (x, labels) = MathSample.blobs(clusters: 3, perCluster: 30, d: 20, separation: 1, seed: 3)
        let a = ClusterMetrics.silhouette(x, n: 90, d: 20, labels: labels, chunk: 512)
        let b = ClusterMetrics.silhouette(x, n: 90, d: 20, labels: labels, chunk: 7)
        #expect(abs(a - b) < 1e-12)
        #expect(ClusterMetrics.silhouette(x, n: 90, d: 20, labels: [Int](repeating: 0, count: 90)).isNaN)
    }

    @Test func purityOfAHandExample() {
        // clusters: A = {0,0,1}, B = {1,1,2,2,2} → (2 + 3) / 8.
        #expect(ClusterMetrics.purity(labels: [0, 0, 1, 1, 1, 2, 2, 2], clusters: [5, 5, 5, 7, 7, 7, 7, 7]) == 5.0 / 8)
        #expect(ClusterMetrics.purity(labels: [1], clusters: []).isNaN)
    }

    @Test(arguments: [2, 40])
    func nearestNeighboursMatchBruteForce(d: Int) {
        let n = 150, k = 7
        let x = MathSample.gaussian(n * d, seed: UInt64(d), scale: 3).map { $0 + 50 }  // offset: centring matters
        let (idx, dist) = NearestNeighbors.exact(x, n: n, d: d, k: k)
        for i in 0..<n {
            let brute = (0..<n).filter { $0 != i }.map { j -> (Double, Int) in
                var s = 0.0
                for c in 0..<d { let e = Double(x[i * d + c]) - Double(x[j * d + c]); s += e * e }
                return (s, j)
            }.sorted { $0 < $1 }
            #expect(idx[(i * k)..<((i + 1) * k)].map(Int.init) == brute.prefix(k).map(\.1))
            for e in 0..<k { #expect(abs(Double(dist[i * k + e]) - brute[e].0) <= 1e-4 * max(1, brute[e].0)) }
        }
    }

    @Test func ckaIsInvariantToRotationAndScale() {
        let n = 50, d = 8
        let x = MathSample.gaussian(n * d, seed: 1)
        // y = 3·x·R + 7 with R a permutation with sign flips (orthogonal).
        var y = [Float](repeating: 0, count: n * d)
        for i in 0..<n { for j in 0..<d { y[i * d + (j * 3) % d] = (j % 2 == 0 ? 3 : -3) * x[i * d + j] + 7 } }
        #expect(abs(CKA.linear(x, y, n: n, dx: d, dy: d) - 1) < 1e-9)
        #expect(abs(CKA.linear(x, y, n: n, dx: d, dy: d, sampleGram: true) - 1) < 1e-9)
        let z = MathSample.gaussian(n * 3, seed: 2)
        let v = CKA.linear(x, z, n: n, dx: d, dy: 3)
        #expect(v > 0 && v < 0.5)
        #expect(CKA.linear(x, [Float](repeating: 1, count: n), n: n, dx: d, dy: 1).isNaN)
    }

    @Test func pcaRandomizedMatchesExact() throws {
        // Decaying spectrum, 300×120, 5 components.
        let n = 300, d = 120
        let g = MathSample.gaussian(n * d, seed: 9)
        var x = [Float](repeating: 0, count: n * d)
        for i in 0..<n { for j in 0..<d { x[i * d + j] = g[i * d + j] * Float(exp(-Double(j) / 10) + 0.05) } }
        let exact = try PCA.fit(x, n: n, d: d, components: 5, method: .exact)
        let fast = try PCA.fit(x, n: n, d: d, components: 5, method: .randomized, seed: 3)
        for (a, b) in zip(exact.explainedVarianceRatio, fast.explainedVarianceRatio) { #expect(abs(a - b) < 1e-4) }
        #expect(zip(exact.components, fast.components).map { abs($0 - $1) }.max()! < 1e-2)
        // Gram route (n < d) agrees with the covariance route on the transposed shape's PCA of the same rows.
        let wide = try PCA.fit(Array(x[0..<(60 * d)]), n: 60, d: d, components: 4, method: .exact)
        let mean = PCA.columnMeans(Array(x[0..<(60 * d)]), n: 60, d: d)
        let viaCovariance = PCA.fitCovariance(Array(x[0..<(60 * d)]), n: 60, d: d, k: 4, mean: mean)
        for (a, b) in zip(wide.explainedVariance, viaCovariance.explainedVariance) { #expect(abs(a - b) <= 1e-6 * a) }
    }

    @Test func pcaRejectsBadInput() {
        let x = MathSample.gaussian(30, seed: 1)
        #expect(throws: LoupeError.self) { try PCA.fit(x, n: 10, d: 3, components: 4) }
        #expect(throws: LoupeError.self) { try PCA.fit(x, n: 10, d: 4, components: 2) }
        var bad = x
        bad[0] = .infinity
        #expect { try PCA.fit(bad, n: 10, d: 3, components: 2) } throws: { "\($0)".contains("1 of 10 rows") }
    }
}
