// Kernel: the Barnes-Hut quadtree for t-SNE's repulsive forces (van der Maaten, "Accelerating t-SNE using
// tree-based algorithms", JMLR 15, 2014; Barnes & Hut, Nature 324, 1986).
//
// The tree is rebuilt every iteration from Morton codes: points are quantised on a 2¹⁶×2¹⁶ grid over the
// bounding square, radix-sorted by code, and every node is a run of consecutive sorted points sharing a code
// prefix. Nodes are stored in pre-order with a `skip` index (the node after the subtree), so a traversal is
// a forward scan with no stack: accept a node → jump to `skip`, open it → step to the next node.
// Nodes with a single child are collapsed (the child's smaller cell is a strictly better summary), and
// leaves hold up to `leafSize` (16) points whose interactions are computed exactly unless the leaf as a whole
// passes the opening test.
//
// Opening test: a node summarises a point when side / ‖y − centre of mass‖ < θ, with `side` the side length
// of the node's square cell (openTSNE's criterion); θ = 0 never summarises and gives the exact sum.
// The walk is done per group — the ≤ 8 consecutive points of a leaf, in SIMD lanes — and a node summarises
// the whole group when the test holds for the group's bounding box (its nearest point to the centre of mass).
// That is at least as strict as the per-point test, so the approximation is never coarser than per-point
// Barnes-Hut, and one walk serves 8 points (Warren & Salmon's group walk, Supercomputing '93).
//
// Shapes: y n×2 (Double, original order); px, py n (Float, Morton order); order n (Morton → original);
// forces n×2 (Double, original order): Σ_j w_ij²·(y_i − y_j) with w_ij = 1 / (1 + ‖y_i − y_j‖²);
// the returned Z = Σ_i Σ_{j≠i} w_ij.
import Foundation

struct BarnesHutTree {
    struct Node {
        var cx: Float
        var cy: Float
        var count: Float
        /// Squared side of the node's cell (0 for a single point).
        var side2: Float
        /// Index of the next node after this subtree.
        var skip: Int32
        /// Points start..<end (Morton order) for a leaf; start == end for an inner node.
        var start: Int32
        var end: Int32
    }

    static let gridBits = 16
    let leafSize: Int
    private(set) var n = 0
    private(set) var nodes: [Node] = []
    private(set) var order: [Int32] = []
    private(set) var px: [Float] = []
    private(set) var py: [Float] = []
    private var codes: [UInt32] = []
    private var scratchOrder: [Int32] = []
    private var scratchCodes: [UInt32] = []
    private var rootSide = 1.0

    init(leafSize: Int = 16) { self.leafSize = max(1, leafSize) }

    /// Rebuilds the tree over `y` (n×2, row-major).
    /// - Complexity: O(n) for codes and radix sort, O(n·log n) at worst for the node ranges.
    mutating func build(_ y: UnsafePointer<Double>, n: Int) {
        self.n = n
        if codes.count != n {
            codes = [UInt32](repeating: 0, count: n); scratchCodes = codes
            order = [Int32](repeating: 0, count: n); scratchOrder = order
            px = [Float](repeating: 0, count: n); py = px
            nodes = []
            nodes.reserveCapacity(2 * n + 1)
        }
        guard n > 0 else { nodes = []; return }
        var minX = y[0], maxX = y[0], minY = y[1], maxY = y[1]
        for i in 1..<n {
            let a = y[2 * i], b = y[2 * i + 1]
            if a < minX { minX = a }; if a > maxX { maxX = a }
            if b < minY { minY = b }; if b > maxY { maxY = b }
        }
        var side = max(maxX - minX, maxY - minY)
        if !(side > 0) { side = 1 }
        rootSide = side
        let cells = Double(1 << BarnesHutTree.gridBits)
        let scale = cells / side, top = UInt32((1 << BarnesHutTree.gridBits) - 1)
        codes.withUnsafeMutableBufferPointer { c in
            order.withUnsafeMutableBufferPointer { o in
                for i in 0..<n {
                    let qx = min(top, UInt32(max(0, (y[2 * i] - minX) * scale)))
                    let qy = min(top, UInt32(max(0, (y[2 * i + 1] - minY) * scale)))
                    c[i] = BarnesHutTree.spread(qx) | (BarnesHutTree.spread(qy) << 1)
                    o[i] = Int32(i)
                }
            }
        }
        radixSort()
        px.withUnsafeMutableBufferPointer { xs in
            py.withUnsafeMutableBufferPointer { ys in
                order.withUnsafeBufferPointer { o in
                    for s in 0..<n {
                        let i = Int(o[s])
                        xs[s] = Float(y[2 * i]); ys[s] = Float(y[2 * i + 1])
                    }
                }
            }
        }
        nodes.removeAll(keepingCapacity: true)
        _ = buildNode(0, n)
    }

    /// Interleaves the low 16 bits of `v` with zeros (bit b → bit 2b).
    @inline(__always)
    static func spread(_ v: UInt32) -> UInt32 {
        var x = v & 0xFFFF
        x = (x | (x << 8)) & 0x00FF_00FF
        x = (x | (x << 4)) & 0x0F0F_0F0F
        x = (x | (x << 2)) & 0x3333_3333
        x = (x | (x << 1)) & 0x5555_5555
        return x
    }

    /// Stable LSD radix sort of (codes, order) by code, 8 bits per pass.
    private mutating func radixSort() {
        var count = [Int](repeating: 0, count: 256)
        for pass in 0..<4 {
            let shift = UInt32(8 * pass)
            for b in 0..<256 { count[b] = 0 }
            for c in codes { count[Int((c >> shift) & 0xFF)] += 1 }
            if count.contains(n) { continue }  // every code has the same byte here: order unchanged
            var sum = 0
            for b in 0..<256 { let t = count[b]; count[b] = sum; sum += t }
            for s in 0..<n {
                let c = codes[s], b = Int((c >> shift) & 0xFF)
                scratchCodes[count[b]] = c
                scratchOrder[count[b]] = order[s]
                count[b] += 1
            }
            swap(&codes, &scratchCodes)
            swap(&order, &scratchOrder)
        }
    }

    /// Level (0 = root) of the smallest grid cell holding codes a and b.
    @inline(__always)
    private static func commonLevel(_ a: UInt32, _ b: UInt32) -> Int {
        a == b ? gridBits : (a ^ b).leadingZeroBitCount / 2
    }

    /// Appends the subtree of sorted points lo..<hi in pre-order; returns its index.
    private mutating func buildNode(_ lo: Int, _ hi: Int) -> Int {
        let index = nodes.count
        let level = BarnesHutTree.commonLevel(codes[lo], codes[hi - 1])
        let cellSide = Float(rootSide / Double(1 << level))
        if hi - lo <= leafSize || level == BarnesHutTree.gridBits {
            var sx = 0.0, sy = 0.0
            for s in lo..<hi { sx += Double(px[s]); sy += Double(py[s]) }
            let m = Double(hi - lo)
            nodes.append(Node(cx: Float(sx / m), cy: Float(sy / m), count: Float(m),
                              side2: hi - lo == 1 ? 0 : cellSide * cellSide,
                              skip: Int32(index + 1), start: Int32(lo), end: Int32(hi)))
            return index
        }
        nodes.append(Node(cx: 0, cy: 0, count: 0, side2: cellSide * cellSide, skip: 0, start: 0, end: 0))
        // Points below share their top 2·level code bits; the next two bits pick the quadrant.
        let shift = UInt32(2 * (BarnesHutTree.gridBits - 1 - level))
        var sx = 0.0, sy = 0.0, total = 0.0
        var start = lo
        while start < hi {
            let digit = (codes[start] >> shift) & 3
            // First index whose digit exceeds `digit` (digits are non-decreasing on the run).
            var a = start + 1, b = hi
            while a < b {
                let mid = (a + b) / 2
                if (codes[mid] >> shift) & 3 > digit { b = mid } else { a = mid + 1 }
            }
            let child = buildNode(start, a)
            let c = nodes[child]
            sx += Double(c.cx) * Double(c.count); sy += Double(c.cy) * Double(c.count); total += Double(c.count)
            start = a
        }
        nodes[index].cx = Float(sx / total)
        nodes[index].cy = Float(sy / total)
        nodes[index].count = Float(total)
        nodes[index].skip = Int32(nodes.count)
        return index
    }

    /// Writes Σ_j w_ij²·(y_i − y_j) for every point to `forces` (n×2, original order) and returns
    /// Z = Σ_{i≠j} w_ij, both approximated with opening angle `theta` (exact for θ = 0).
    /// - Complexity: O(n·log n) per call for θ > 0 (O(n²) for θ = 0).
    func repulsion(theta: Double, threads: Int, into forces: UnsafeMutablePointer<Double>) -> Double {
        guard n > 1 else {
            for i in 0..<(2 * n) { forces[i] = 0 }
            return 0
        }
        let theta2 = Float(theta * theta)
        // Groups: runs of ≤ 8 points inside one leaf.
        var groups: [Int32] = []
        groups.reserveCapacity(n / 4 + 1)
        for node in nodes where node.end > node.start {
            var s = Int(node.start)
            while s < Int(node.end) { groups.append(Int32(s)); s = min(Int(node.end), s + 8) ; groups.append(Int32(s)) }
        }
        let groupCount = groups.count / 2
        let chunkCount = max(1, min(groupCount / 16, 16 * threads))
        var partial = [Double](repeating: 0, count: chunkCount)
        partial.withUnsafeMutableBufferPointer { zp in
            let zs = zp.baseAddress!
            groups.withUnsafeBufferPointer { gp in
                nodes.withUnsafeBufferPointer { np in
                    px.withUnsafeBufferPointer { xp in
                        py.withUnsafeBufferPointer { yp in
                            order.withUnsafeBufferPointer { op in
                                let gb = gp.baseAddress!, nb = np.baseAddress!, xs = xp.baseAddress!, ys = yp.baseAddress!
                                let ob = op.baseAddress!
                                let nodeCount = np.count
                                Parallel.chunks(groupCount, chunks: chunkCount, threads: threads) { chunk, range in
                                    var z = 0.0
                                    for g in range {
                                        let lo = Int(gb[2 * g]), count = Int(gb[2 * g + 1]) - lo
                                        let (fx, fy, q) = BarnesHutTree.walk(group: lo, count: count, nodes: nb,
                                                                             nodeCount: nodeCount, xs: xs, ys: ys,
                                                                             theta2: theta2)
                                        for l in 0..<count {
                                            let i = Int(ob[lo + l])
                                            forces[2 * i] = Double(fx[l])
                                            forces[2 * i + 1] = Double(fy[l])
                                            z += Double(q[l])
                                        }
                                    }
                                    zs[chunk] = z
                                }
                            }
                        }
                    }
                }
            }
        }
        return partial.reduce(0, +)
    }

    typealias Lanes = SIMD8<Float>

    /// Forces and Z shares of the `count` ≤ 8 points starting at sorted position `lo`, by one stackless
    /// pre-order scan. Unused lanes repeat the first point and are discarded by the caller.
    @inline(__always)
    private static func walk(group lo: Int, count: Int, nodes: UnsafePointer<Node>, nodeCount: Int,
                             xs: UnsafePointer<Float>, ys: UnsafePointer<Float>,
                             theta2: Float) -> (Lanes, Lanes, Lanes) {
        var gx = Lanes(repeating: xs[lo]), gy = Lanes(repeating: ys[lo])
        for l in 1..<max(count, 1) { gx[l] = xs[lo + l]; gy[l] = ys[lo + l] }
        let minX = gx.min(), maxX = gx.max(), minY = gy.min(), maxY = gy.max()
        let lanes = SIMD8<Int32>(0, 1, 2, 3, 4, 5, 6, 7)
        var fx = Lanes(), fy = Lanes(), q = Lanes()
        var index = 0
        while index < nodeCount {
            let node = nodes[index]
            // Distance from the centre of mass to the group's bounding box.
            let bx = max(0, max(minX - node.cx, node.cx - maxX)), by = max(0, max(minY - node.cy, node.cy - maxY))
            if node.side2 < theta2 * (bx * bx + by * by) {
                let dx = gx - node.cx, dy = gy - node.cy
                let w = 1 / (1 + dx * dx + dy * dy)
                let mw = node.count * w
                q += mw
                let f = mw * w
                fx += f * dx
                fy += f * dy
                index = Int(node.skip)
            } else if node.end > node.start {
                let start = Int(node.start), end = Int(node.end)
                let own = start <= lo && lo < end
                for t in start..<end {
                    let dx = gx - xs[t], dy = gy - ys[t]
                    var w = 1 / (1 + dx * dx + dy * dy)
                    if own { w.replace(with: 0, where: lanes .== Int32(t - lo)) }
                    q += w
                    let f = w * w
                    fx += f * dx
                    fy += f * dy
                }
                index = Int(node.skip)
            } else {
                index += 1
            }
        }
        return (fx, fy, q)
    }
}
