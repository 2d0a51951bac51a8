// P in 16-row slices (SELL-16; Kreutzer, Hager, Wellein, Fehske & Bishop, "A unified sparse matrix data format
// for efficient general sparse matrix-vector multiplication on modern processors with wide SIMD units",
// SIAM J. Sci. Comput. 36, 2014) for CKernels' t-SNE attraction: rows sorted by length (longest first, ties by
// index) and taken 16 at a time, so the rows of a slice are about as long and little padding is needed; entry e
// of the 16 rows side by side. The symmetrised P of a high-dimensional input has hubs (rows with several times
// k entries): a slice of rows in their own order would run as long as its longest row.
//
// Shapes: rows slices×16 (row ids, −1 in a last slice's empty lanes); sliceStart slices + 1; columns, values
// sliceStart.last (a slice of width w holds 16·w entries; padding is (own row, 0), which adds exactly +0).
import CKernels
import Foundation

struct SlicedAffinities {
    static let lanes = 16
    let n: Int
    let rows: [Int32]
    let sliceStart: [Int]
    let columns: [Int32]
    let values: [Float]
    var slices: Int { sliceStart.count - 1 }

    /// - Complexity: O(n·log n + nnz·(1 + padding)).
    init(_ p: SparseAffinities) {
        let lanes = Self.lanes
        n = p.n
        let order = (0..<p.n).sorted { a, b in
            let la = p.rowStart[a + 1] - p.rowStart[a], lb = p.rowStart[b + 1] - p.rowStart[b]
            return la != lb ? la > lb : a < b
        }
        let slices = (p.n + lanes - 1) / lanes
        var rows = [Int32](repeating: -1, count: slices * lanes)
        var starts = [0]
        starts.reserveCapacity(slices + 1)
        for s in 0..<slices {
            var width = 0
            for l in 0..<lanes where s * lanes + l < p.n {
                let i = order[s * lanes + l]
                rows[s * lanes + l] = Int32(i)
                width = max(width, p.rowStart[i + 1] - p.rowStart[i])
            }
            starts.append(starts.last! + lanes * width)
        }
        var columns = [Int32](repeating: 0, count: starts.last!)
        var values = [Float](repeating: 0, count: starts.last!)
        for s in 0..<slices {
            let width = (starts[s + 1] - starts[s]) / lanes
            for l in 0..<lanes {
                let i = Int(rows[s * lanes + l])
                let own = Int32(max(i, 0)), begin = i >= 0 ? p.rowStart[i] : 0, count = i >= 0 ? p.rowStart[i + 1] - begin : 0
                for e in 0..<width {
                    let at = starts[s] + e * lanes + l
                    if e < count {
                        columns[at] = p.columns[begin + e]
                        values[at] = p.values[begin + e]
                    } else {
                        columns[at] = own
                    }
                }
            }
        }
        self.rows = rows
        sliceStart = starts
        self.columns = columns
        self.values = values
    }

    /// out[2i + d] = Σ_j p_ij·w_ij·(y_i − y_j)_d with Float positions `y` (n×2), each row summed in entry order.
    func forces(_ y: [Float], threads: Int, into out: inout [Float]) {
        precondition(y.count == 2 * n && out.count == 2 * n)
        guard !columns.isEmpty else {
            for i in out.indices { out[i] = 0 }
            return
        }
        let chunkCount = max(1, min(slices, 8 * threads))
        y.withUnsafeBufferPointer { yp in
            rows.withUnsafeBufferPointer { rp in
                sliceStart.withUnsafeBufferPointer { sp in
                    columns.withUnsafeBufferPointer { cp in
                        values.withUnsafeBufferPointer { vp in
                            out.withUnsafeMutableBufferPointer { op in
                                let (yb, rb, sb, cb, vb, ob) = (yp.baseAddress!, rp.baseAddress!, sp.baseAddress!, cp.baseAddress!,
                                                                vp.baseAddress!, op.baseAddress!)
                                Parallel.chunks(slices, chunks: chunkCount, threads: threads) { _, range in
                                    loupe_tsne_attraction(yb, rb, sb, cb, vb, range.lowerBound, range.upperBound, ob)
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
