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
        if d > SquaredDistances.directMaxColumns { return symmetricSearch(xc, n: n, d: d, k: k, threads: threads) }
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

extension NearestNeighbors {
    /// Rows per block of the symmetric search.
    static let symmetricBlock = 512

    /// The GEMM search over the upper triangle only: block I of rows gets its distances to the rows from its
    /// own first one on (one GEMM, r × (n − lo)), which feed both its own rows' heaps and, read by column, the
    /// heaps of the later rows; the earlier blocks gave it the rest. Half the GEMM of the full search, which
    /// is most of an exact search (70,000 × 512: 5 TFLOP in all). Every distance is ‖a‖² + ‖b‖² − 2a·b with
    /// the norms added as (‖a‖² + ‖b‖²), the same value whichever row it is read for, and each heap keeps the
    /// k smallest (distance, index) pairs whatever order they come in, so the result does not depend on the
    /// order of the pushes or on the thread count.
    /// - Complexity: O(n²·d/2) flops, O(n²·log k) selection; memory O(512·n + n·k).
    static func symmetricSearch<T: GemmScalar>(_ xc: [T], n: Int, d: Int, k: Int, threads: Int) -> (indices: [Int32], distances: [T]) {
        var indices = [Int32](repeating: 0, count: n * k)
        var distances = [T](repeating: 0, count: n * k)
        var sizes = [Int](repeating: 0, count: n)
        let block = max(1, min(symmetricBlock, n))
        let buffer = UnsafeMutablePointer<T>.allocate(capacity: block * n)
        defer { buffer.deallocate() }
        let sq = SquaredDistances.norms(xc, n: n, d: d)
        xc.withUnsafeBufferPointer { xp in sq.withUnsafeBufferPointer { np in
        indices.withUnsafeMutableBufferPointer { ip in distances.withUnsafeMutableBufferPointer { dp in
        sizes.withUnsafeMutableBufferPointer { sp in
            let xb = xp.baseAddress!, nb = np.baseAddress!, ib = ip.baseAddress!, db = dp.baseAddress!, sb = sp.baseAddress!
            var lo = 0
            while lo < n {
                let hi = min(n, lo + block), r = hi - lo, width = n - lo
                T.gemmABt(m: r, n: width, k: d, alpha: -2, a: xb + lo * d, b: xb + lo * d, beta: 0, c: buffer)
                // Distances, clamped at 0: row ri, column c is rows lo + ri and lo + c.
                Parallel.chunks(r, chunks: 4 * threads, threads: threads) { _, rows in
                    for ri in rows {
                        let out = buffer + ri * width, ni = nb[lo + ri]
                        for c in 0..<width { out[c] = max(0, out[c] + (ni + nb[lo + c])) }
                    }
                }
                // This block's rows: every column from lo on but their own.
                Parallel.chunks(r, chunks: 4 * threads, threads: threads) { _, rows in
                    for ri in rows {
                        let i = lo + ri, out = buffer + ri * width
                        for c in 0..<width where c != ri {
                            TopK.push(out[c], Int32(lo + c), k: k, size: &sb[i], indices: ib + i * k, distances: db + i * k)
                        }
                    }
                }
                // The later rows, 16 columns at a time (one cache line of each of the block's rows).
                let later = n - hi, strips = (later + 15) / 16
                if strips > 0 {
                    Parallel.chunks(strips, chunks: 4 * threads, threads: threads) { _, range in
                        for strip in range {
                            let c0 = r + 16 * strip, c1 = min(width, c0 + 16)
                            for ri in 0..<r {
                                let out = buffer + ri * width, id = Int32(lo + ri)
                                for c in c0..<c1 {
                                    let j = lo + c
                                    TopK.push(out[c], id, k: k, size: &sb[j], indices: ib + j * k, distances: db + j * k)
                                }
                            }
                        }
                    }
                }
                lo = hi
            }
            Parallel.chunks(n, chunks: 4 * threads, threads: threads) { _, rows in
                for i in rows { TopK.sortHeap(size: sb[i], indices: ib + i * k, distances: db + i * k) }
            }
        } } } } }
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
