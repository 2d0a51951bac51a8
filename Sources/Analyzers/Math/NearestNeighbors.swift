// Exact k-nearest-neighbour search: squared euclidean distances in row blocks (BLAS GEMM for wide data),
// then a bounded max-heap per row. Used by t-SNE's affinities and the neighbourhood metrics.
//
// Shapes: x n×d (row-major); indices, distances n×k (row i: i's neighbours, nearest first, i itself excluded).
import Foundation
import LoupeCore

/// Exact nearest neighbours by brute force over BLAS distance blocks.
public struct NearestNeighbors {
    /// The `k` nearest neighbours of every row of `x`, excluding the row itself (by index, so an exact
    /// duplicate of a row still counts as its neighbour). Distances are squared euclidean, ascending;
    /// equal distances are ordered by index. `k` is clamped to `n − 1`; empty arrays come back when n < 2, k < 1
    /// or `x.count != n·d`. Rows must be finite (check with the callers' input validation first).
    /// - Complexity: O(n²·d) flops (GEMM), O(n²·log k) selection; memory O(512·n + n·k).
    public static func exact(_ x: [Float], n: Int, d: Int, k: Int, threads: Int = 2) -> (indices: [Int32], distances: [Float]) {
        let (indices, distances) = search(SquaredDistances.centered(x, n: n, d: d, as: Float.self), n: n, d: d, k: k,
                                          threads: threads)
        return (indices, distances)
    }

    /// As `exact`, with distances computed and returned in Double (for metrics that must match float64 references).
    static func exactDouble(_ x: [Float], n: Int, d: Int, k: Int, threads: Int = 2) -> (indices: [Int32], distances: [Double]) {
        search(SquaredDistances.centered(x, n: n, d: d, as: Double.self), n: n, d: d, k: k, threads: threads)
    }

    static func search<T: GemmScalar>(_ xc: [T], n: Int, d: Int, k requested: Int, threads: Int) -> (indices: [Int32], distances: [T]) {
        let k = max(0, min(requested, n - 1))
        guard n > 1, k > 0, xc.count == n * d else { return ([], []) }
        var indices = [Int32](repeating: 0, count: n * k)
        var distances = [T](repeating: 0, count: n * k)
        indices.withUnsafeMutableBufferPointer { ip in
            distances.withUnsafeMutableBufferPointer { dp in
                let ib = ip.baseAddress!, db = dp.baseAddress!
                SquaredDistances.rowBlocks(xc, n: n, d: d, block: 512, threads: threads) { rows, block in
                    Parallel.chunks(rows.count, chunks: 4 * threads, threads: threads) { _, local in
                        for r in local {
                            let i = rows.lowerBound + r
                            TopK.select(block + r * n, count: n, skip: i, k: k, indices: ib + i * k, distances: db + i * k)
                        }
                    }
                }
            }
        }
        return (indices, distances)
    }
}

/// Selection of the k smallest values of a row with a bounded max-heap.
enum TopK {
    /// Writes the `k` smallest entries of `values[0..<count]` (skipping index `skip`), ascending by
    /// (value, index), to `indices`/`distances`. Requires `k ≤ count − 1` when `skip` is in range.
    /// - Complexity: O(count·log k) worst case, O(count) when most values are rejected at the root.
    @inline(__always)
    static func select<T: BinaryFloatingPoint>(_ values: UnsafePointer<T>, count: Int, skip: Int, k: Int,
                                               indices: UnsafeMutablePointer<Int32>, distances: UnsafeMutablePointer<T>) {
        // Max-heap on (value, index) lives in the output buffers (TopK.push, in NearestNeighbors+IVF.swift).
        var size = 0
        for j in 0..<count where j != skip {
            push(values[j], Int32(j), k: k, size: &size, indices: indices, distances: distances)
        }
        sortHeap(size: size, indices: indices, distances: distances)
    }
}
