// t-SNE input affinities: Gaussian conditionals p_{j|i} over the ⌊3·perplexity⌋ exact nearest neighbours,
// each row's precision β_i found by binary search so that its entropy equals log(perplexity)
// (van der Maaten & Hinton 2008; the neighbour restriction from van der Maaten 2014), then the symmetrised
// joint p_ij = (p_{j|i} + p_{i|j}) / 2n stored as a sparse row matrix.
// The bisection is openTSNE's (β starts at 1, doubles/halves until bracketed, |H − log perplexity| ≤ 1e-8 nats,
// at most 200 steps), but the row's exponentials are taken relative to its nearest distance. openTSNE 1.0.4
// instead adds an absolute 2.2e-16 to the unnormalised row sum; for high-dimensional inputs (squared
// neighbour distances ~10³, as in the shared 512-D benchmark) that sum is far below 1e-16, so its search
// settles on flatter rows (median perplexity ≈ 42 for a target of 30) and its P, hence its KL, differ.
//
// Shapes: neighbour indices / squared distances n×k; conditional n×k; P: CSR with n rows.
import Foundation
import LoupeCore

/// A sparse symmetric affinity matrix in compressed-row form; row i lists (column, p_ij), columns ascending.
struct SparseAffinities {
    var n: Int
    var rowStart: [Int]
    var columns: [Int32]
    var values: [Float]
    var nonZeros: Int { columns.count }
}

extension TSNE {
    /// Target entropy tolerance and bisection cap, as in openTSNE.
    static let entropyTolerance = 1e-8
    static let maxBisectionSteps = 200

    /// p_{j|i} for each row's k neighbours (squared distances, ascending), calibrated to `perplexity`.
    /// Distances are shifted by the row's nearest distance before exponentiating, which leaves p and the
    /// entropy unchanged but avoids underflow for high-dimensional data.
    /// - Complexity: O(n·k·steps).
    static func conditionalAffinities(distances: [Float], n: Int, k: Int, perplexity: Double,
                                      threads: Int) -> (p: [Double], beta: [Double]) {
        var p = [Double](repeating: 0, count: n * k)
        var betas = [Double](repeating: 0, count: n)
        let target = log(perplexity)
        p.withUnsafeMutableBufferPointer { pp in
            betas.withUnsafeMutableBufferPointer { bp in
                distances.withUnsafeBufferPointer { dp in
                    let pb = pp.baseAddress!, bb = bp.baseAddress!, db = dp.baseAddress!
                    Parallel.chunks(n, chunks: 8 * threads, threads: threads) { _, rows in
                        for i in rows {
                            bb[i] = calibrateRow(db + i * k, k: k, target: target, out: pb + i * k)
                        }
                    }
                }
            }
        }
        return (p, betas)
    }

    /// Bisection on β for one row; writes the normalised p to `out` and returns β.
    static func calibrateRow(_ d: UnsafePointer<Float>, k: Int, target: Double, out: UnsafeMutablePointer<Double>) -> Double {
        var d0 = Double(d[0])
        for j in 1..<k { d0 = min(d0, Double(d[j])) }
        var beta = 1.0, lo = -Double.infinity, hi = Double.infinity
        for _ in 0..<maxBisectionSteps {
            var sum = 0.0
            for j in 0..<k {
                let v = exp(-beta * (Double(d[j]) - d0))
                out[j] = v
                sum += v
            }
            var weighted = 0.0
            for j in 0..<k {
                out[j] /= sum
                weighted += (Double(d[j]) - d0) * out[j]
            }
            let entropy = log(sum) + beta * weighted
            let diff = entropy - target
            if abs(diff) <= entropyTolerance { break }
            if diff > 0 {
                lo = beta
                beta = hi == .infinity ? beta * 2 : (beta + hi) / 2
            } else {
                hi = beta
                beta = lo == -.infinity ? beta / 2 : (beta + lo) / 2
            }
        }
        return beta
    }

    /// Entropy (nats) of one normalised row, for tests.
    static func entropy(_ row: ArraySlice<Double>) -> Double {
        -row.reduce(0) { $0 + ($1 > 0 ? $1 * log($1) : 0) }
    }

    /// Symmetrises the conditionals: p_ij = (p_{j|i} + p_{i|j}) / (2n); the result sums to 1.
    static func symmetrize(indices: [Int32], conditional: [Double], n: Int, k: Int) -> SparseAffinities {
        var counts = [Int](repeating: 0, count: n + 1)
        for i in 0..<n {
            counts[i] += k
            for e in 0..<k { counts[Int(indices[i * k + e])] += 1 }
        }
        var start = [Int](repeating: 0, count: n + 1)
        for i in 0..<n { start[i + 1] = start[i] + counts[i] }
        var fill = start
        var cols = [Int32](repeating: 0, count: start[n])
        var vals = [Double](repeating: 0, count: start[n])
        for i in 0..<n {
            for e in 0..<k {
                let j = Int(indices[i * k + e]), v = conditional[i * k + e]
                cols[fill[i]] = Int32(j); vals[fill[i]] = v; fill[i] += 1
                cols[fill[j]] = Int32(i); vals[fill[j]] = v; fill[j] += 1
            }
        }
        // Sort each row by column and merge the (at most two) entries of each pair.
        let scale = 1 / (2 * Double(n))
        var rowStart = [Int](repeating: 0, count: n + 1)
        var outCols: [Int32] = [], outVals: [Float] = []
        outCols.reserveCapacity(start[n]); outVals.reserveCapacity(start[n])
        var pairs: [(Int32, Double)] = []
        for i in 0..<n {
            pairs.removeAll(keepingCapacity: true)
            for e in start[i]..<start[i + 1] { pairs.append((cols[e], vals[e])) }
            pairs.sort { $0.0 < $1.0 }
            var e = 0
            while e < pairs.count {
                var v = pairs[e].1
                var f = e + 1
                while f < pairs.count && pairs[f].0 == pairs[e].0 { v += pairs[f].1; f += 1 }
                outCols.append(pairs[e].0); outVals.append(Float(v * scale))
                e = f
            }
            rowStart[i + 1] = outCols.count
        }
        return SparseAffinities(n: n, rowStart: rowStart, columns: outCols, values: outVals)
    }

    /// Exact neighbours, calibrated conditionals and the symmetric sparse P for `x`.
    static func affinities(_ x: [Float], n: Int, d: Int, perplexity: Double, threads: Int) -> SparseAffinities {
        affinities(x, n: n, d: d, perplexity: perplexity, neighbors: .exact, seed: 0, threads: threads).p
    }

    /// Neighbours by `neighbors` (NearestNeighbors.search, seeded by `seed`), calibrated conditionals and the
    /// symmetric sparse P, with the search's report.
    static func affinities(_ x: [Float], n: Int, d: Int, perplexity: Double, neighbors: NearestNeighbors.Method,
                           seed: UInt64, threads: Int) -> (p: SparseAffinities, neighbors: NearestNeighbors.Report) {
        let k = Int(3 * perplexity)
        var options = NearestNeighbors.ApproximateOptions()
        options.seed = seed
        let (indices, distances, report) = NearestNeighbors.search(x, n: n, d: d, k: k, method: neighbors, options: options,
                                                                   threads: threads)
        let (p, _) = conditionalAffinities(distances: distances, n: n, k: k, perplexity: perplexity, threads: threads)
        return (symmetrize(indices: indices, conditional: p, n: n, k: k), report)
    }
}
