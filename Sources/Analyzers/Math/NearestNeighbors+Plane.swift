// Exact k-nearest neighbours of 2-D points on a uniform grid (about two points per cell): each query scans
// rings of cells around its own until no unvisited cell can hold a point nearer than its current k-th. Same
// distances as `exactDouble` (float64 differences of the centred coordinates) and the same order (by distance,
// then index), in O(n·k) for spread-out maps instead of O(n²); used for the maps' k-NN metrics at large n.
import Foundation
import LoupeCore

extension NearestNeighbors {
    /// Exact neighbours of n points in the plane (x n×2), as `exactDouble(x, n: n, d: 2, k: k)` returns them.
    static func exactPlane(_ x: [Float], n: Int, k requested: Int, threads: Int = 2) -> (indices: [Int32], distances: [Double]) {
        let k = max(0, min(requested, n - 1))
        guard n > 1, k > 0, x.count == n * 2 else { return ([], []) }
        let p = SquaredDistances.centered(x, n: n, d: 2, as: Double.self)
        var minX = Double.infinity, maxX = -Double.infinity, minY = Double.infinity, maxY = -Double.infinity
        for i in 0..<n {
            minX = min(minX, p[2 * i]); maxX = max(maxX, p[2 * i])
            minY = min(minY, p[2 * i + 1]); maxY = max(maxY, p[2 * i + 1])
        }
        let g = max(1, Int((Double(n) / 2).squareRoot()))
        let span = max(maxX - minX, maxY - minY)
        let w = span > 0 ? span / Double(g) : 1
        @inline(__always) func cell(_ v: Double, _ lo: Double) -> Int { min(g - 1, max(0, Int((v - lo) / w))) }
        var start = [Int](repeating: 0, count: g * g + 1)
        var cellOf = [Int](repeating: 0, count: n)
        for i in 0..<n {
            let c = cell(p[2 * i + 1], minY) * g + cell(p[2 * i], minX)
            cellOf[i] = c
            start[c + 1] += 1
        }
        for c in 0..<(g * g) { start[c + 1] += start[c] }
        var fill = start
        var members = [Int32](repeating: 0, count: n)
        for i in 0..<n { members[fill[cellOf[i]]] = Int32(i); fill[cellOf[i]] += 1 }
        var indices = [Int32](repeating: 0, count: n * k)
        var distances = [Double](repeating: 0, count: n * k)
        indices.withUnsafeMutableBufferPointer { ip in
            distances.withUnsafeMutableBufferPointer { dp in
                let ib = ip.baseAddress!, db = dp.baseAddress!
                Parallel.chunks(n, chunks: 16 * threads, threads: threads) { _, rows in
                    for i in rows {
                        let a0 = p[2 * i], a1 = p[2 * i + 1]
                        let cx = cellOf[i] % g, cy = cellOf[i] / g
                        let hi = ib + i * k, hd = db + i * k
                        var size = 0
                        var r = 0
                        while true {
                            @inline(__always) func visit(_ c: Int) {
                                for m in start[c]..<start[c + 1] {
                                    let j = Int(members[m])
                                    if j == i { continue }
                                    let e0 = a0 - p[2 * j], e1 = a1 - p[2 * j + 1]
                                    TopK.push(e0 * e0 + e1 * e1, Int32(j), k: k, size: &size, indices: hi, distances: hd)
                                }
                            }
                            // Ring r: the cells at Chebyshev distance exactly r from the query's cell.
                            for yy in max(0, cy - r)...min(g - 1, cy + r) {
                                if yy == cy - r || yy == cy + r {
                                    for xx in max(0, cx - r)...min(g - 1, cx + r) { visit(yy * g + xx) }
                                } else {
                                    if cx - r >= 0 { visit(yy * g + cx - r) }
                                    if cx + r < g { visit(yy * g + cx + r) }
                                }
                            }
                            // Cells beyond ring r are more than r·w away along one axis (a small margin for rounding).
                            let bound = Double(r) * w * (1 - 1e-9)
                            if r >= g || (size == k && hd[0] < bound * bound) { break }
                            r += 1
                        }
                        TopK.sortHeap(size: size, indices: hi, distances: hd)
                    }
                }
            }
        }
        return (indices, distances)
    }
}
