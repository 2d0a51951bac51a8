// Cluster-quality scores comparing a clustering or an embedding with reference labels. Each equals
// scikit-learn's function of the same name on the same inputs (checked against committed fixtures made by
// scripts/reference/sklearn_metrics.py): purity (from the contingency table), normalized_mutual_info_score
// (arithmetic normalisation), adjusted_rand_score (Hubert & Arabie 1985, via the pair confusion matrix),
// silhouette_score (Rousseeuw 1987), trustworthiness (Venna & Kaski 2001); k-NN accuracy is leave-one-out
// with the tie rule stated on `knnAccuracy`.
// Invalid input (length mismatch, too few points or clusters) returns NaN rather than trapping.
import Foundation
import LoupeCore

/// Scores of how well groups in data or an embedding match labels.
public enum ClusterMetrics {
    /// Contingency counts of two labelings: rows = distinct values of `a` (ascending), columns = of `b`.
    static func contingency(_ a: [Int], _ b: [Int]) -> (table: [Double], rows: Int, columns: Int) {
        let ra = Dictionary(uniqueKeysWithValues: Set(a).sorted().enumerated().map { ($1, $0) })
        let rb = Dictionary(uniqueKeysWithValues: Set(b).sorted().enumerated().map { ($1, $0) })
        var table = [Double](repeating: 0, count: ra.count * rb.count)
        for (u, v) in zip(a, b) { table[ra[u]! * rb.count + rb[v]!] += 1 }
        return (table, ra.count, rb.count)
    }

    /// Fraction of rows whose label is the majority label of their cluster.
    /// Returns NaN when the arrays differ in length or are empty.
    public static func purity(labels: [Int], clusters: [Int]) -> Double {
        guard labels.count == clusters.count, !labels.isEmpty else { return .nan }
        let (table, rows, columns) = contingency(labels, clusters)
        var total = 0.0
        for c in 0..<columns {
            var best = 0.0
            for r in 0..<rows { best = max(best, table[r * columns + c]) }
            total += best
        }
        return total / Double(labels.count)
    }

    /// Mutual information divided by the arithmetic mean of the two entropies (scikit-learn's default):
    /// 1 when both labelings have a single (or no) class, 0 when the mutual information is 0.
    public static func normalizedMutualInformation(_ a: [Int], _ b: [Int]) -> Double {
        guard a.count == b.count else { return .nan }
        let (table, rows, columns) = contingency(a, b)
        if (rows == 1 && columns == 1) || (rows == 0 && columns == 0) { return 1 }
        let n = Double(a.count)
        var rowSums = [Double](repeating: 0, count: rows), colSums = [Double](repeating: 0, count: columns)
        for r in 0..<rows { for c in 0..<columns { rowSums[r] += table[r * columns + c]; colSums[c] += table[r * columns + c] } }
        var mi = 0.0
        for r in 0..<rows {
            for c in 0..<columns {
                let nij = table[r * columns + c]
                guard nij > 0 else { continue }
                mi += nij / n * (log(nij) + log(n) - log(rowSums[r]) - log(colSums[c]))
            }
        }
        mi = max(0, mi)
        if mi == 0 { return 0 }
        func entropy(_ counts: [Double]) -> Double {
            -counts.reduce(0) { $0 + ($1 > 0 ? $1 / n * (log($1) - log(n)) : 0) }
        }
        return mi / ((entropy(rowSums) + entropy(colSums)) / 2)
    }

    /// Rand index adjusted for chance, from the pair confusion matrix; 1 for identical partitions.
    public static func adjustedRandIndex(_ a: [Int], _ b: [Int]) -> Double {
        guard a.count == b.count else { return .nan }
        let (table, rows, columns) = contingency(a, b)
        let n = Double(a.count)
        var rowSums = [Double](repeating: 0, count: rows), colSums = [Double](repeating: 0, count: columns)
        var sumSquares = 0.0
        for r in 0..<rows {
            for c in 0..<columns {
                let v = table[r * columns + c]
                rowSums[r] += v; colSums[c] += v; sumSquares += v * v
            }
        }
        let rowSquares = rowSums.reduce(0) { $0 + $1 * $1 }, colSquares = colSums.reduce(0) { $0 + $1 * $1 }
        // Ordered-pair counts as in scikit-learn's pair_confusion_matrix.
        let tp = sumSquares - n
        let fp = colSquares - sumSquares
        let fn = rowSquares - sumSquares
        let tn = n * n - fp - fn - sumSquares
        if fn == 0 && fp == 0 { return 1 }
        return 2 * (tp * tn - fn * fp) / ((tp + fn) * (fn + tn) + (tp + fp) * (fp + tn))
    }
}
