// Geometric cluster scores: leave-one-out k-NN accuracy, mean silhouette (Rousseeuw, J. Comput. Appl. Math.
// 20, 1987), trustworthiness (Venna & Kaski, ICANN 2001; scikit-learn's definition), and the k-means binning
// of a nuisance attribute. Distances are euclidean, computed in float64 from centred data in row blocks, so
// memory stays O(chunk·n) and results match scikit-learn's float64 computation.
import Foundation
import LoupeCore

extension ClusterMetrics {
    /// Leave-one-out k-NN accuracy: each row is predicted by a majority vote of its `k` nearest other rows
    /// (euclidean). Tie rule (nearest-first): among labels with the highest vote count, the one held by the
    /// nearest of the k neighbours wins. With no tied votes this equals scikit-learn's
    /// KNeighborsClassifier(k) leave-one-out accuracy (whose ties go to the smallest label instead).
    /// Returns NaN for mismatched sizes, n < 2, k < 1, or NaN/Inf rows; k is clamped to n − 1.
    /// - Complexity: O(n²·d) (float64 GEMM blocks).
    public static func knnAccuracy(_ x: [Float], n: Int, d: Int, labels: [Int], k: Int = 10) -> Double {
        guard let correct = knnCorrect(x, n: n, d: d, labels: labels, k: k) else { return .nan }
        return Double(correct.filter { $0 }.count) / Double(n)
    }

    /// Per row, whether the leave-one-out k-NN vote of `knnAccuracy` (same neighbours, same tie rule)
    /// predicts its label: the indicators whose mean is the accuracy, for bootstrap intervals over rows.
    /// Returns nil where `knnAccuracy` returns NaN.
    public static func knnCorrect(_ x: [Float], n: Int, d: Int, labels: [Int], k: Int = 10) -> [Bool]? {
        guard n >= 2, k >= 1, d >= 1, x.count == n * d, labels.count == n,
              MatrixInput.badRows(x, n: n, d: d).isEmpty else { return nil }
        let kk = min(k, n - 1)
        let (indices, _) = neighbours(x, n: n, d: d, k: kk)
        var correct = [Bool](repeating: false, count: n)
        var votes: [Int: Int] = [:]
        for i in 0..<n {
            votes.removeAll(keepingCapacity: true)
            var top = 0
            for e in 0..<kk {
                let v = (votes[labels[Int(indices[i * kk + e])]] ?? 0) + 1
                votes[labels[Int(indices[i * kk + e])]] = v
                top = max(top, v)
            }
            // Neighbours are nearest first, so the first label with the top count is the nearest tied one.
            for e in 0..<kk {
                let label = labels[Int(indices[i * kk + e])]
                if votes[label] == top {
                    correct[i] = label == labels[i]
                    break
                }
            }
        }
        return correct
    }

    /// Above this many rows, 2-D neighbours come from the grid search (same result as brute force, O(n·k)).
    static let planeMinRows = 4096

    /// Exact float64 neighbours: by grid for large 2-D inputs, by brute force otherwise.
    static func neighbours(_ x: [Float], n: Int, d: Int, k: Int) -> (indices: [Int32], distances: [Double]) {
        d == 2 && n > planeMinRows ? NearestNeighbors.exactPlane(x, n: n, k: k) : NearestNeighbors.exactDouble(x, n: n, d: d, k: k)
    }

    /// Above this many rows trustworthiness is estimated from `trustworthinessSampleRows` seeded rows (its sum over
    /// rows is a mean of per-row penalties; each sampled row's penalty is exact, its ranks taken among all n rows).
    public static let trustworthinessExactMaxRows = 10_000
    public static let trustworthinessSampleRows = 1000

    /// Mean silhouette coefficient over all rows (euclidean): s = (b − a) / max(a, b), with a the mean distance
    /// to the row's own cluster and b the smallest mean distance to another cluster; 0 for singleton clusters.
    /// Returns NaN unless 2 ≤ number of clusters ≤ n − 1 (scikit-learn raises there), or on bad input.
    /// - Complexity: O(n²·d) time, O(chunk·n) memory.
    public static func silhouette(_ x: [Float], n: Int, d: Int, labels: [Int], chunk: Int = 512) -> Double {
        guard n >= 2, d >= 1, x.count == n * d, labels.count == n, MatrixInput.badRows(x, n: n, d: d).isEmpty else {
            return .nan
        }
        let ids = Dictionary(uniqueKeysWithValues: Set(labels).sorted().enumerated().map { ($1, $0) })
        let clusters = ids.count
        guard clusters >= 2, clusters <= n - 1 else { return .nan }
        let dense = labels.map { ids[$0]! }
        var sizes = [Double](repeating: 0, count: clusters)
        for c in dense { sizes[c] += 1 }
        var scores = [Double](repeating: 0, count: n)
        let threads = 2
        let xc = SquaredDistances.centered(x, n: n, d: d, as: Double.self)
        scores.withUnsafeMutableBufferPointer { sp in
            let sb = sp.baseAddress!
            SquaredDistances.rowBlocks(xc, n: n, d: d, block: max(1, chunk), threads: threads) { rows, block in
                Parallel.chunks(rows.count, chunks: 4 * threads, threads: threads) { _, local in
                    var sums = [Double](repeating: 0, count: clusters)
                    for r in local {
                        for c in 0..<clusters { sums[c] = 0 }
                        let row = block + r * n
                        for j in 0..<n { sums[dense[j]] += row[j].squareRoot() }
                        let i = rows.lowerBound + r, own = dense[i]
                        guard sizes[own] > 1 else { sb[i] = 0; continue }
                        let a = sums[own] / (sizes[own] - 1)
                        var b = Double.infinity
                        for c in 0..<clusters where c != own { b = min(b, sums[c] / sizes[c]) }
                        let m = max(a, b)
                        sb[i] = m > 0 ? (b - a) / m : 0
                    }
                }
            }
        }
        return scores.reduce(0, +) / Double(n)
    }

    /// Trustworthiness of a low-dimensional map (scikit-learn's definition):
    /// T = 1 − 2/(n·k·(2n − 3k − 1)) · Σ_i Σ_{j ∈ N_k^low(i)} max(0, r(i, j) − k),
    /// with r(i, j) the rank of j among i's neighbours in the high-dimensional space (1 = nearest).
    /// Returns NaN unless k < n/2 (scikit-learn raises there), or on bad input.
    /// Above `trustworthinessExactMaxRows` rows (unless `exact`), the sum over i is estimated as n times the mean
    /// penalty of `trustworthinessSampleRows` rows drawn with `seed`.
    /// - Complexity: O(n²·(dHigh + k)) time exactly, O(m·n·(dHigh + k)) sampled (m rows), O(512·n) memory.
    public static func trustworthiness(high: [Float], dHigh: Int, low: [Float], dLow: Int, n: Int, k: Int = 5,
                                       exact: Bool = false, seed: UInt64 = 0) -> Double {
        guard k >= 1, Double(k) < Double(n) / 2, dHigh >= 1, dLow >= 1, high.count == n * dHigh, low.count == n * dLow,
              MatrixInput.badRows(high, n: n, d: dHigh).isEmpty, MatrixInput.badRows(low, n: n, d: dLow).isEmpty else {
            return .nan
        }
        let (lowNeighbours, _) = neighbours(low, n: n, d: dLow, k: k)
        if !exact && n > trustworthinessExactMaxRows {
            return sampledTrustworthiness(high: high, dHigh: dHigh, lowNeighbours: lowNeighbours, n: n, k: k,
                                          rows: trustworthinessSampleRows, seed: seed)
        }
        let threads = 2
        var penalty = [Double](repeating: 0, count: n)
        let xc = SquaredDistances.centered(high, n: n, d: dHigh, as: Double.self)
        penalty.withUnsafeMutableBufferPointer { pp in
            let pb = pp.baseAddress!
            SquaredDistances.rowBlocks(xc, n: n, d: dHigh, block: 512, threads: threads) { rows, block in
                Parallel.chunks(rows.count, chunks: 4 * threads, threads: threads) { _, local in
                    for r in local {
                        let i = rows.lowerBound + r, row = block + r * n
                        pb[i] = rankPenalty(row: UnsafePointer(row), i: i, n: n, lowNeighbours: lowNeighbours, k: k)
                    }
                }
            }
        }
        let nn = Double(n), kk = Double(k)
        return 1 - penalty.reduce(0, +) * (2 / (nn * kk * (2 * nn - 3 * kk - 1)))
    }

    /// Σ over row i's k map neighbours of max(0, r − k), r the neighbour's rank among row i's
    /// high-dimensional distances `row` (n entries, row[i] ignored).
    @inline(__always)
    static func rankPenalty<T: BinaryFloatingPoint>(row: UnsafePointer<T>, i: Int, n: Int, lowNeighbours: [Int32], k: Int) -> Double {
        var sum = 0.0
        for e in 0..<k {
            let j = Int(lowNeighbours[i * k + e]), dij = row[j]
            var rank = 1
            for l in 0..<n where l != i && row[l] < dij { rank += 1 }
            sum += Double(max(0, rank - k))
        }
        return sum
    }

    /// Trustworthiness with the penalty sum estimated from `rows` seeded rows (exact ranks among all n rows).
    static func sampledTrustworthiness(high: [Float], dHigh d: Int, lowNeighbours: [Int32], n: Int, k: Int, rows m: Int,
                                       seed: UInt64) -> Double {
        var g = SeededGenerator(seed: seed)
        let sample = InvertedFile.sampleWithoutReplacement(n, min(m, n), &g).sorted()
        let xc = SquaredDistances.centered(high, n: n, d: d, as: Double.self)
        let norms = SquaredDistances.norms(xc, n: n, d: d)
        let threads = 2, block = 128
        var penalty = [Double](repeating: 0, count: sample.count)
        var q = [Double](repeating: 0, count: block * d)
        var tile = [Double](repeating: 0, count: block * n)
        var lo = 0
        while lo < sample.count {
            let hi = min(sample.count, lo + block), r = hi - lo
            for a in 0..<r { let i = sample[lo + a]; for j in 0..<d { q[a * d + j] = xc[i * d + j] } }
            xc.withUnsafeBufferPointer { xp in
                BLAS.withThreads(threads) {
                    BLAS.dgemm(transposeA: false, transposeB: true, m: r, n: n, k: d, alpha: -2, a: q, lda: d,
                               b: xp.baseAddress!, ldb: d, beta: 0, c: &tile, ldc: n)
                }
            }
            tile.withUnsafeMutableBufferPointer { tp in
                penalty.withUnsafeMutableBufferPointer { pp in
                    let tb = tp.baseAddress!, pb = pp.baseAddress!
                    Parallel.chunks(r, chunks: 4 * threads, threads: threads) { _, local in
                        for a in local {
                            let i = sample[lo + a], row = tb + a * n
                            for l in 0..<n { row[l] = max(0, row[l] + norms[i] + norms[l]) }
                            row[i] = 0
                            pb[lo + a] = rankPenalty(row: UnsafePointer(row), i: i, n: n, lowNeighbours: lowNeighbours, k: k)
                        }
                    }
                }
            }
            lo = hi
        }
        let nn = Double(n), kk = Double(k)
        let total = penalty.reduce(0, +) * nn / Double(sample.count)
        return 1 - total * (2 / (nn * kk * (2 * nn - 3 * kk - 1)))
    }

    /// Groups rows of a nuisance attribute (e.g. mean RGB, n×d) into `k` bins with seeded k-means++
    /// (10 restarts), so cluster scores can be computed against it like against class labels.
    /// Rows with NaN or Inf get bin −1; k is clamped to the number of finite rows.
    public static func binByKMeans(_ values: [Float], n: Int, d: Int, k: Int, seed: UInt64) -> [Int] {
        guard n >= 1, d >= 1, values.count == n * d, k >= 1 else { return [Int](repeating: -1, count: max(n, 0)) }
        let bad = Set(MatrixInput.badRows(values, n: n, d: d))
        let keep = (0..<n).filter { !bad.contains($0) }
        guard !keep.isEmpty else { return [Int](repeating: -1, count: n) }
        var rows = [Float]()
        rows.reserveCapacity(keep.count * d)
        for i in keep { rows.append(contentsOf: values[(i * d)..<((i + 1) * d)]) }
        guard let fit = try? KMeans.fit(rows, n: keep.count, d: d, k: min(k, keep.count), seed: seed) else {
            return [Int](repeating: -1, count: n)
        }
        var bins = [Int](repeating: -1, count: n)
        for (r, i) in keep.enumerated() { bins[i] = fit.labels[r] }
        return bins
    }
}
