// k-means: Lloyd's algorithm (Lloyd 1982) from k-means++ seeds (Arthur & Vassilvitskii, SODA 2007), using
// scikit-learn's greedy variant (2 + ⌊ln k⌋ candidate centres per step, the one lowering the potential most
// wins), its tolerance (1e-4 × mean feature variance on the centre shift) and its empty-cluster rule
// (re-seed from the points farthest from their centres). The best of `restarts` seeded runs is kept.
//
// Shapes: x n×d (row-major); centroids k×d; labels n. Distances use GEMM on centred data:
// ‖x − c‖² = ‖x‖² − 2·x·c + ‖c‖².
import Foundation
import LoupeCore

/// k-means clustering with k-means++ initialisation and seeded restarts.
public struct KMeans {
    public struct Result {
        /// Cluster of each row, 0..<k.
        public var labels: [Int]
        /// k×d, row-major.
        public var centroids: [Float]
        /// Sum of squared distances of rows to their centroid (float64).
        public var inertia: Double
        /// Lloyd iterations of the kept restart.
        public var iterations: Int

        public init(labels: [Int], centroids: [Float], inertia: Double, iterations: Int) {
            self.labels = labels; self.centroids = centroids; self.inertia = inertia; self.iterations = iterations
        }
    }

    /// Clusters the n×d rows of `x` into `k` groups; keeps the restart with the lowest inertia.
    /// - Throws: `LoupeError.invalidInput` for NaN/Inf rows, k outside 1...n, or restarts/iterations < 1.
    /// - Complexity: O(restarts·iterations·n·k·d) (GEMM) plus O(restarts·k·log k·n·d) for seeding.
    public static func fit(_ x: [Float], n: Int, d: Int, k: Int, restarts: Int = 10, maxIterations: Int = 300,
                           seed: UInt64 = 0, progress: ProgressBar? = nil) throws -> Result {
        try MatrixInput.check(x, n: n, d: d, what: "k-means input")
        guard k >= 1, k <= n else { throw LoupeError.invalidInput("k-means: k must be in 1...\(n), got \(k)") }
        guard restarts >= 1, maxIterations >= 1 else {
            throw LoupeError.invalidInput("k-means: restarts and maxIterations must be ≥ 1")
        }
        var mean = [Double](repeating: 0, count: d)
        for i in 0..<n { for j in 0..<d { mean[j] += Double(x[i * d + j]) } }
        for j in 0..<d { mean[j] /= Double(n) }
        var xc = [Float](repeating: 0, count: n * d)
        var variance = 0.0
        for i in 0..<n {
            for j in 0..<d {
                let v = Double(x[i * d + j]) - mean[j]
                xc[i * d + j] = Float(v)
                variance += v * v
            }
        }
        let tolerance = 1e-4 * variance / Double(n * d)
        let problem = Problem(x: xc, norms: SquaredDistances.norms(xc, n: n, d: d), n: n, d: d, k: k)
        progress?.setTotal(restarts)
        var generator = SeededGenerator(seed: seed)
        var best: Result?
        for _ in 0..<restarts {
            var g = generator.split()
            let seeds = problem.plusPlus(&g)
            let run = problem.lloyd(centroids: seeds, maxIterations: maxIterations, tolerance: tolerance)
            if best == nil || run.inertia < best!.inertia { best = run }
            progress?.advance(note: String(format: "inertia %.4g", best!.inertia))
        }
        var result = best!
        for c in 0..<k { for j in 0..<d { result.centroids[c * d + j] = Float(Double(result.centroids[c * d + j]) + mean[j]) } }
        return result
    }

    /// Centred data and the steps of one run.
    struct Problem {
        let x: [Float]
        let norms: [Float]
        let n: Int, d: Int, k: Int
        static let blockRows = 4096

        /// Squared distances of rows `rows` to the `m` centres (m×d) → rows.count×m, row-major.
        func distances(rows: Range<Int>, centres: [Float], m: Int, into out: inout [Float]) {
            let r = rows.count
            var cn = [Float](repeating: 0, count: m)
            for c in 0..<m { var s: Float = 0; for j in 0..<d { s += centres[c * d + j] * centres[c * d + j] }; cn[c] = s }
            x.withUnsafeBufferPointer { xp in
                BLAS.sgemm(transposeA: false, transposeB: true, m: r, n: m, k: d, alpha: -2,
                           a: xp.baseAddress! + rows.lowerBound * d, lda: d, b: centres, ldb: d, beta: 0, c: &out, ldc: m)
            }
            for a in 0..<r { for c in 0..<m { out[a * m + c] = max(0, out[a * m + c] + norms[rows.lowerBound + a] + cn[c]) } }
        }

        /// Distances of every row to one centre given as a row of x.
        func distances(toRow c: Int) -> [Double] {
            (0..<n).map { i in
                var s = 0.0
                for j in 0..<d { let e = Double(x[i * d + j]) - Double(x[c * d + j]); s += e * e }
                return s
            }
        }

        /// Greedy k-means++ seeding (scikit-learn's `_kmeans_plusplus`).
        func plusPlus(_ g: inout SeededGenerator) -> [Float] {
            let trials = 2 + Int(log(Double(k)))
            var centres = [Float](repeating: 0, count: k * d)
            let first = Int(g.next() % UInt64(n))
            for j in 0..<d { centres[j] = x[first * d + j] }
            var closest = distances(toRow: first)
            var potential = closest.reduce(0, +)
            var candidateDistances = [Float](repeating: 0, count: n * trials)
            for c in 1..<max(k, 1) {
                // Candidates drawn with probability ∝ squared distance to the nearest chosen centre.
                var cumulative = [Double](repeating: 0, count: n)
                var s = 0.0
                for i in 0..<n { s += closest[i]; cumulative[i] = s }
                var ids: [Int] = []
                for _ in 0..<trials {
                    let target = g.nextDouble() * potential
                    var lo = 0, hi = n - 1
                    while lo < hi { let mid = (lo + hi) / 2; if cumulative[mid] < target { lo = mid + 1 } else { hi = mid } }
                    ids.append(lo)
                }
                var candidates = [Float](repeating: 0, count: trials * d)
                for (t, id) in ids.enumerated() { for j in 0..<d { candidates[t * d + j] = x[id * d + j] } }
                distances(rows: 0..<n, centres: candidates, m: trials, into: &candidateDistances)
                var bestTrial = 0, bestPotential = Double.infinity
                for t in 0..<trials {
                    var pot = 0.0
                    for i in 0..<n { pot += min(closest[i], Double(candidateDistances[i * trials + t])) }
                    if pot < bestPotential { bestPotential = pot; bestTrial = t }
                }
                potential = bestPotential
                for i in 0..<n { closest[i] = min(closest[i], Double(candidateDistances[i * trials + bestTrial])) }
                for j in 0..<d { centres[c * d + j] = candidates[bestTrial * d + j] }
            }
            return centres
        }

        /// Nearest centre of every row and the distance to it.
        func assign(_ centres: [Float]) -> (labels: [Int], distances: [Float]) {
            var labels = [Int](repeating: 0, count: n), nearest = [Float](repeating: 0, count: n)
            var block = [Float](repeating: 0, count: min(n, Problem.blockRows) * k)
            var lo = 0
            while lo < n {
                let hi = min(n, lo + Problem.blockRows)
                distances(rows: lo..<hi, centres: centres, m: k, into: &block)
                for a in 0..<(hi - lo) {
                    var best = 0, bestD = block[a * k]
                    for c in 1..<k where block[a * k + c] < bestD { best = c; bestD = block[a * k + c] }
                    labels[lo + a] = best
                    nearest[lo + a] = bestD
                }
                lo = hi
            }
            return (labels, nearest)
        }

        /// Lloyd iterations until labels stop changing or the centre shift is below `tolerance`.
        func lloyd(centroids initial: [Float], maxIterations: Int, tolerance: Double) -> Result {
            var centres = initial
            var labels = [Int](repeating: -1, count: n)
            var iterations = 0
            for _ in 0..<maxIterations {
                iterations += 1
                let (newLabels, nearest) = assign(centres)
                let unchanged = newLabels == labels
                labels = newLabels
                if unchanged { break }
                var sums = [Double](repeating: 0, count: k * d), counts = [Int](repeating: 0, count: k)
                for i in 0..<n {
                    let c = labels[i]
                    counts[c] += 1
                    for j in 0..<d { sums[c * d + j] += Double(x[i * d + j]) }
                }
                // Empty clusters take the rows farthest from their centres.
                let empty = (0..<k).filter { counts[$0] == 0 }
                if !empty.isEmpty {
                    let far = (0..<n).sorted { nearest[$0] > nearest[$1] || (nearest[$0] == nearest[$1] && $0 < $1) }
                    for (e, c) in empty.enumerated() {
                        let i = far[e], old = labels[i]
                        counts[old] -= 1
                        for j in 0..<d { sums[old * d + j] -= Double(x[i * d + j]); sums[c * d + j] = Double(x[i * d + j]) }
                        counts[c] = 1
                        labels[i] = c
                    }
                }
                var shift = 0.0
                for c in 0..<k where counts[c] > 0 {
                    for j in 0..<d {
                        let v = sums[c * d + j] / Double(counts[c])
                        shift += (v - Double(centres[c * d + j])) * (v - Double(centres[c * d + j]))
                        centres[c * d + j] = Float(v)
                    }
                }
                if shift <= tolerance { break }
            }
            // Labels consistent with the final centres (as scikit-learn's last E-step).
            labels = assign(centres).labels
            var inertia = 0.0
            for i in 0..<n {
                let c = labels[i]
                for j in 0..<d { let e = Double(x[i * d + j]) - Double(centres[c * d + j]); inertia += e * e }
            }
            return Result(labels: labels, centroids: centres, inertia: inertia, iterations: iterations)
        }
    }
}
