// Kernel: t-SNE's repulsive forces by FFT-accelerated interpolation (FIt-SNE: G. C. Linderman, M. Rachh,
// J. G. Hoskins, S. Steinerberger & Y. Kluger, "Fast interpolation-based t-SNE for improved visualization of
// single-cell RNA-seq data", Nature Methods 16, 243–245, 2019; grid defaults as openTSNE 1.0).
//
// The embedding's bounding box is cut into square boxes of side h ≤ `intervalWidth`, at least `minIntervals`
// along the longer side; each box holds p × p equispaced nodes (p = `points`, at (k + ½)·h/p), so all nodes form
// one regular grid of spacing δ = h/p. A point's unit charge is spread to the p² nodes of its box with Lagrange
// weights, the node potentials are a discrete convolution with the kernel sampled at node offsets, and each
// point reads its potential back with the same weights. The convolution is an FFT product on a zero-padded
// R × C grid (R ≥ 2·m_y − 1, C ≥ 2·m_x − 1: the Toeplitz matrix embedded in a circulant one).
//
// openTSNE convolves the squared kernel 1/(1+d²)² with four charges (1, y_x, y_y, |y|²) and recovers the forces
// and Z by expanding (y_i − y_j) and 1 + |y_i − y_j|², which cancels large terms when |y| ≫ the distances.
// Here the kernels themselves carry the offsets: H_x(d) = d_x/(1+|d|²)², H_y(d) = d_y/(1+|d|²)² and
// K(d) = 1/(1+|d|²) act on the single charge 1, so
//   forces_i = Σ_j H(y_i − y_j)            (= Σ_j w_ij²·(y_i − y_j), no cancellation)
//   Z + n    = Σ_i Σ_j K(y_i − y_j) = ⟨w, K ∗ w⟩ = (1/RC)·Σ_k K̂_k·|Ŵ_k|²   (Parseval: no inverse transform)
// (the n self-terms K(0) = 1 are subtracted, as openTSNE does). K is even and H_x, H_y are odd along their axis,
// so K̂ is real and Ĥ_x, Ĥ_y imaginary: one forward transform of the charges and one inverse transform of
// Ĥ_x·Ŵ + i·Ĥ_y·Ŵ (its real and imaginary parts are the two force fields) per iteration. The kernel spectra
// depend only on δ and the grid size, so they are cached: h is rounded down to a step of 2^(1/32) and R, C only
// grow until they are 25 % too large, so once the embedding is wider than `minIntervals`·`intervalWidth`
// (h = `intervalWidth`) they are recomputed only when the grid grows.
//
// Transforms run on blocks of `blockWidth` grid lines copied into per-worker scratch (FFT.swift's batched
// Stockham), two passes per direction, in single precision (Z and the forces are summed in Double).
//
// Shapes: y n×2 (Double); forces n×2 (Double); node n (Int32, first grid node of the point's box);
// weights n×2p (Float: p x-weights, then p y-weights); charges threads × m_y×m_x; field x/y m_y×m_x;
// spectrum R×m_x complex (only the columns the charges occupy); kernel spectra R×C real, in row blocks of
// `blockWidth` rows, column-major inside a block (the order the fused row pass produces).
import Foundation

extension TSNE {
    /// Grid of the FFT-accelerated interpolation (openTSNE's names in brackets).
    public struct Interpolation: Equatable, Sendable {
        /// Lagrange nodes per box and dimension [n_interpolation_points]. openTSNE uses 3; with 3, Loupe's
        /// single-precision grid left Fashion-MNIST's 70,000-point map 2.2 % above openTSNE's KL on the same P,
        /// with 4 it is within 0.5 % (docs/speed.md), for 1.4× the time.
        public var points = 4
        /// Boxes along the longer side of the embedding, at least [min_num_intervals].
        public var minIntervals = 50
        /// Largest side of a box, in embedding units [ints_in_interval].
        public var intervalWidth = 1.0
        /// Boxes along the longer side, at most (openTSNE caps at 1000 too).
        public var maxIntervals = 1000
        public init() {}

        /// openTSNE's grid: 3 nodes per box.
        public static var openTSNE: Interpolation {
            var grid = Interpolation()
            grid.points = 3
            return grid
        }
    }
}

/// Interpolation-based repulsive forces and normaliser of t-SNE (FIt-SNE), with its buffers and cached kernel spectra.
final class InterpolationGrid {
    let settings: TSNE.Interpolation
    /// Grid lines per transform block: 32 lines of ≤ 2 k nodes in four buffers stay within a core's L2 cache.
    static let blockWidth = 32

    // Geometry of the last call.
    private(set) var boxes = (x: 0, y: 0)
    private(set) var size = (rows: 0, cols: 0)
    private(set) var spacing = 0.0
    /// Times the kernel spectra were computed (for tests of the cache).
    private(set) var kernelUpdates = 0
    private struct Key: Equatable { var rows = 0, cols = 0, spacing = 0.0 }
    private var kernelKey = Key()
    private var rowPlan = FFTPlan(length: 1), colPlan = FFTPlan(length: 1)

    private let node = GridBuffer<Int32>(), weights = GridBuffer<Float>()
    private let charges = GridBuffer<Float>(), fieldX = GridBuffer<Float>(), fieldY = GridBuffer<Float>()
    private let spectrumRe = GridBuffer<Float>(), spectrumIm = GridBuffer<Float>()
    private let kernelK = GridBuffer<Float>(), kernelX = GridBuffer<Float>(), kernelY = GridBuffer<Float>()
    private var scratch: [GridBuffer<Float>] = []
    /// Lagrange denominators 1 / Π_{j≠k} (t_k − t_j) of the unit-box nodes t_k = (k + ½)/p.
    private let nodes: [Double], denominators: [Double]

    init(settings: TSNE.Interpolation) {
        self.settings = settings
        let p = settings.points
        nodes = (0..<p).map { (Double($0) + 0.5) / Double(p) }
        var inverse: [Double] = []
        for k in 0..<p {
            var product = 1.0
            for j in 0..<p where j != k { product *= Double(k - j) / Double(p) }
            inverse.append(1 / product)
        }
        denominators = inverse
    }

    /// Writes Σ_j w_ij²·(y_i − y_j) for every point to `forces` and returns Z = Σ_{i≠j} w_ij, both interpolated.
    /// - Complexity: O(n·p²) to spread and gather, O(R·C·log(R·C)) for the transforms (R·C ≈ 4·(p·extent/h)²).
    func repulsion(_ y: UnsafePointer<Double>, n: Int, threads: Int, into forces: UnsafeMutablePointer<Double>) -> Double {
        guard n > 1 else {
            for c in 0..<(2 * n) { forces[c] = 0 }
            return 0
        }
        let threads = max(1, threads)
        var minX = y[0], maxX = y[0], minY = y[1], maxY = y[1]
        for i in 1..<n {
            minX = min(minX, y[2 * i]); maxX = max(maxX, y[2 * i])
            minY = min(minY, y[2 * i + 1]); maxY = max(maxY, y[2 * i + 1])
        }
        let h = layOut(width: maxX - minX, height: maxY - minY)
        updateKernels(threads: threads)
        locate(y, n: n, origin: (minX, minY), h: h, threads: threads)
        spread(n: n, threads: threads)
        let total = convolve(threads: threads)
        gather(n: n, threads: threads, into: forces)
        return total - Double(n)
    }

    // MARK: - Geometry

    /// Chooses the box side h, the box counts and the transform size for an embedding of this extent; returns h.
    private func layOut(width: Double, height: Double) -> Double {
        let width = width.isFinite ? width : 0, height = height.isFinite ? height : 0  // a diverged map: any grid
        let s = settings, longer = max(width, height)
        var h = min(s.intervalWidth, longer / Double(s.minIntervals))
        h = max(h, longer / Double(s.maxIntervals))
        if !(h > 0 && h.isFinite) { h = s.intervalWidth }
        h = exp2((log2(h) * 32).rounded(.down) / 32)  // on a fixed ladder, so the kernel spectra can be reused
        boxes = (max(1, Int((width / h).rounded(.up))), max(1, Int((height / h).rounded(.up))))
        spacing = h / Double(s.points)
        let p = s.points
        size = (Self.transformLength(current: size.rows, nodes: p * boxes.y),
                Self.transformLength(current: size.cols, nodes: p * boxes.x))
        return h
    }

    /// A length ≥ 2·nodes − 1 with factors 2, 3, 5; keeps `current` while it fits and is < 25 % too long.
    static func transformLength(current: Int, nodes: Int) -> Int {
        let needed = 2 * nodes - 1, good = FFTPlan.goodSize(atLeast: needed)
        return current >= needed && 4 * current <= 5 * good ? current : good
    }

    // MARK: - Points ↔ nodes

    /// Each point's box (its first node's index) and its p Lagrange weights per axis.
    private func locate(_ y: UnsafePointer<Double>, n: Int, origin: (Double, Double), h: Double, threads: Int) {
        let p = settings.points, mx = p * boxes.x, bx = boxes.x, by = boxes.y
        node.reserve(n); weights.reserve(2 * p * n)
        let nb = node.base, wb = weights.base, inv = 1 / h
        nodes.withUnsafeBufferPointer { tp in
            denominators.withUnsafeBufferPointer { dp in
                let t = tp.baseAddress!, den = dp.baseAddress!
                Parallel.chunks(n, chunks: 4 * threads, threads: threads) { _, range in
                    for i in range {
                        let u = (y[2 * i] - origin.0) * inv, v = (y[2 * i + 1] - origin.1) * inv
                        // (written so that a NaN lands in box 0 instead of trapping)
                        let ix = u > 0 ? min(bx - 1, Int(min(u, Double(bx)))) : 0
                        let iy = v > 0 ? min(by - 1, Int(min(v, Double(by)))) : 0
                        nb[i] = Int32(iy * p * mx + ix * p)
                        let w = wb + 2 * p * i
                        InterpolationGrid.lagrange(u - Double(ix), p: p, nodes: t, denominators: den, into: w)
                        InterpolationGrid.lagrange(v - Double(iy), p: p, nodes: t, denominators: den, into: w + p)
                    }
                }
            }
        }
    }

    /// L_k(u) = Π_{j≠k} (u − t_j) / Π_{j≠k} (t_k − t_j) for the p unit-box nodes.
    @inline(__always)
    private static func lagrange(_ u: Double, p: Int, nodes t: UnsafePointer<Double>, denominators: UnsafePointer<Double>,
                                 into w: UnsafeMutablePointer<Float>) {
        for k in 0..<p {
            var v = denominators[k]
            for j in 0..<p where j != k { v *= u - t[j] }
            w[k] = Float(v)
        }
    }

    /// Adds every point's weights to the nodes of its box, one partial grid per thread.
    private func spread(n: Int, threads: Int) {
        let p = settings.points, mx = p * boxes.x, cells = mx * p * boxes.y
        charges.reserve(threads * cells)
        let nb = node.base, wb = weights.base, gb = charges.base
        Parallel.chunks(n, chunks: threads, threads: threads) { chunk, range in
            let g = gb + chunk * cells
            g.update(repeating: 0, count: cells)
            for i in range {
                let w = wb + 2 * p * i, base = Int(nb[i])
                for ky in 0..<p {
                    let wy = w[p + ky], row = g + base + ky * mx
                    for kx in 0..<p { row[kx] += wy * w[kx] }
                }
            }
        }
        if threads > 1 {  // fold the partial grids into the first (parallel over cells)
            Parallel.chunks(cells, chunks: threads, threads: threads) { _, range in
                for t in 1..<threads { let src = gb + t * cells; for c in range { gb[c] += src[c] } }
            }
        }
    }

    /// forces_i = the weighted field values at the nodes of point i's box.
    private func gather(n: Int, threads: Int, into forces: UnsafeMutablePointer<Double>) {
        let p = settings.points, mx = p * boxes.x
        let nb = node.base, wb = weights.base, fxb = fieldX.base, fyb = fieldY.base
        Parallel.chunks(n, chunks: 4 * threads, threads: threads) { _, range in
            for i in range {
                let w = wb + 2 * p * i, base = Int(nb[i])
                var sx: Float = 0, sy: Float = 0
                for ky in 0..<p {
                    let rx = fxb + base + ky * mx, ry = fyb + base + ky * mx
                    var ax: Float = 0, ay: Float = 0
                    for kx in 0..<p { ax += w[kx] * rx[kx]; ay += w[kx] * ry[kx] }
                    sx += w[p + ky] * ax; sy += w[p + ky] * ay
                }
                forces[2 * i] = Double(sx); forces[2 * i + 1] = Double(sy)
            }
        }
    }

    // MARK: - Kernel spectra

    /// Recomputes K̂, Ĥ_x/i and Ĥ_y/i when the spacing or the transform size changed.
    private func updateKernels(threads: Int) {
        let (rows, cols) = size
        if rowPlan.length != rows { rowPlan = FFTPlan(length: rows) }
        if colPlan.length != cols { colPlan = FFTPlan(length: cols) }
        let key = Key(rows: rows, cols: cols, spacing: spacing)
        guard kernelKey != key else { return }
        kernelKey = key
        kernelUpdates += 1
        let count = rows * cols, delta = spacing
        kernelK.reserve(count); kernelX.reserve(count); kernelY.reserve(count)
        reserveScratch(threads: threads)
        // The kernels at every offset of the period, (L − 1)/2 each way; the Nyquist line of an even L is
        // left 0 so that H stays exactly odd (it never meets a node pair: offsets stay ≤ m − 1 < L/2).
        let gridRe = GridBuffer<Float>(), gridIm = GridBuffer<Float>()
        gridRe.reserve(count); gridIm.reserve(count)
        let offset = { (a: Int, l: Int) -> Int? in
            a <= (l - 1) / 2 ? a : (l % 2 == 0 && a == l / 2 ? nil : a - l)
        }
        for pass in 0..<2 {
            let re = gridRe.base, im = gridIm.base
            Parallel.chunks(rows, chunks: 4 * threads, threads: threads) { _, range in
                for r in range {
                    let dy = offset(r, rows).map { Double($0) * delta }
                    for c in 0..<cols {
                        let e = r * cols + c
                        guard let dy, let dx = offset(c, cols).map({ Double($0) * delta }) else {
                            re[e] = 0; im[e] = 0; continue
                        }
                        let w = 1 / (1 + dx * dx + dy * dy)
                        if pass == 0 { re[e] = Float(dx * w * w); im[e] = Float(dy * w * w) } else { re[e] = Float(w); im[e] = 0 }
                    }
                }
            }
            columnPass(re: re, im: im, stride: cols, columns: cols, threads: threads)
            // Row transforms; FFT(H_x + i·H_y) = i·Ĥ_x/i·… : real part −Ĥ_y/i, imaginary part Ĥ_x/i.
            let kk = kernelK.base, kx = kernelX.base, ky = kernelY.base
            blocks(rows, threads: threads) { start, w, s in
                for b in 0..<w {
                    let rr = re + (start + b) * cols, ri = im + (start + b) * cols
                    for c in 0..<cols { s.re[c * w + b] = rr[c]; s.im[c * w + b] = ri[c] }
                }
                let out = self.colPlan.forward(s.re, s.im, width: w, scratchRe: s.re2, scratchIm: s.im2)
                let base = start * cols
                for t in 0..<(cols * w) {
                    if pass == 0 { kx[base + t] = out.im[t]; ky[base + t] = -out.re[t] } else { kk[base + t] = out.re[t] }
                }
            }
        }
    }

    // MARK: - Convolution

    /// Potentials of the spread charges: fieldX/fieldY ← H_x, H_y ∗ charges; returns ⟨w, K ∗ w⟩.
    private func convolve(threads: Int) -> Double {
        let (rows, cols) = size
        let p = settings.points, mx = p * boxes.x, my = p * boxes.y
        spectrumRe.reserve(rows * mx); spectrumIm.reserve(rows * mx)
        fieldX.reserve(my * mx); fieldY.reserve(my * mx)
        reserveScratch(threads: threads)
        let sr = spectrumRe.base, si = spectrumIm.base, q = charges.base
        // 1. Columns of the charges (zero-padded to R rows).
        blocks(mx, threads: threads) { start, w, s in
            for r in 0..<my {
                let src = q + r * mx + start
                for b in 0..<w { s.re[r * w + b] = src[b]; s.im[r * w + b] = 0 }
            }
            (s.re + my * w).update(repeating: 0, count: (rows - my) * w)
            (s.im + my * w).update(repeating: 0, count: (rows - my) * w)
            let out = self.rowPlan.forward(s.re, s.im, width: w, scratchRe: s.re2, scratchIm: s.im2)
            for r in 0..<rows {
                let dr = sr + r * mx + start, di = si + r * mx + start
                for b in 0..<w { dr[b] = out.re[r * w + b]; di[b] = out.im[r * w + b] }
            }
        }
        // 2. Per block of rows: forward row transforms (zero beyond m_x columns), the kernel products and
        //    Parseval's sum, inverse row transforms.
        let blockCount = (rows + Self.blockWidth - 1) / Self.blockWidth
        var partial = [Double](repeating: 0, count: blockCount)
        let kk = kernelK.base, kx = kernelX.base, ky = kernelY.base
        partial.withUnsafeMutableBufferPointer { zp in
            let zb = zp.baseAddress!
            blocks(rows, threads: threads) { start, w, s in
                for b in 0..<w {
                    let rr = sr + (start + b) * mx, ri = si + (start + b) * mx
                    for c in 0..<mx { s.re[c * w + b] = rr[c]; s.im[c * w + b] = ri[c] }
                }
                (s.re + mx * w).update(repeating: 0, count: (cols - mx) * w)
                (s.im + mx * w).update(repeating: 0, count: (cols - mx) * w)
                let f = self.colPlan.forward(s.re, s.im, width: w, scratchRe: s.re2, scratchIm: s.im2)
                let base = start * cols
                var z = 0.0
                for c in 0..<cols {
                    var zc: Float = 0
                    for b in 0..<w {
                        let t = c * w + b, a = f.re[t], bi = f.im[t]
                        let k = kk[base + t], hx = kx[base + t], hy = ky[base + t]
                        zc += k * (a * a + bi * bi)
                        f.re[t] = -hx * bi - hy * a
                        f.im[t] = hx * a - hy * bi
                    }
                    z += Double(zc)
                }
                zb[start / Self.blockWidth] = z
                let other = f.re == s.re ? (s.re2, s.im2) : (s.re, s.im)
                let g = self.colPlan.inverse(f.re, f.im, width: w, scratchRe: other.0, scratchIm: other.1)
                for b in 0..<w {
                    let rr = sr + (start + b) * mx, ri = si + (start + b) * mx
                    for c in 0..<mx { rr[c] = g.re[c * w + b]; ri[c] = g.im[c * w + b] }
                }
            }
        }
        // 3. Inverse column transforms; rows < m_y are the potentials at the nodes.
        let scale = 1 / Float(rows * cols), fx = fieldX.base, fy = fieldY.base
        blocks(mx, threads: threads) { start, w, s in
            for r in 0..<rows {
                let src = sr + r * mx + start, srci = si + r * mx + start
                for b in 0..<w { s.re[r * w + b] = src[b]; s.im[r * w + b] = srci[b] }
            }
            let out = self.rowPlan.inverse(s.re, s.im, width: w, scratchRe: s.re2, scratchIm: s.im2)
            for r in 0..<my {
                let dx = fx + r * mx + start, dy = fy + r * mx + start
                for b in 0..<w { dx[b] = out.re[r * w + b] * scale; dy[b] = out.im[r * w + b] * scale }
            }
        }
        return partial.reduce(0, +) / Double(rows * cols)
    }

    /// Transforms `columns` columns of a row-major rows × stride grid in place along the rows.
    private func columnPass(re: UnsafeMutablePointer<Float>, im: UnsafeMutablePointer<Float>, stride: Int, columns: Int,
                            threads: Int) {
        let rows = size.rows
        blocks(columns, threads: threads) { start, w, s in
            for r in 0..<rows {
                for b in 0..<w { s.re[r * w + b] = re[r * stride + start + b]; s.im[r * w + b] = im[r * stride + start + b] }
            }
            let out = self.rowPlan.forward(s.re, s.im, width: w, scratchRe: s.re2, scratchIm: s.im2)
            for r in 0..<rows {
                for b in 0..<w { re[r * stride + start + b] = out.re[r * w + b]; im[r * stride + start + b] = out.im[r * w + b] }
            }
        }
    }

    // MARK: - Blocks and scratch

    struct Scratch {
        var re, im, re2, im2: UnsafeMutablePointer<Float>
    }

    private func reserveScratch(threads: Int) {
        let lane = max(size.rows, size.cols) * Self.blockWidth
        while scratch.count < threads { scratch.append(GridBuffer<Float>()) }
        for s in scratch { s.reserve(4 * lane) }
    }

    /// Calls `body(start, width, scratch)` for blocks of ≤ `blockWidth` lines covering 0..<count, on at most
    /// `threads` workers that take blocks in turn, each with its own scratch.
    private func blocks(_ count: Int, threads: Int, _ body: (Int, Int, Scratch) -> Void) {
        let bw = Self.blockWidth, blockCount = (count + bw - 1) / bw
        let lane = max(size.rows, size.cols) * bw
        let workers = max(1, min(threads, blockCount, scratch.count))
        let bases = scratch.map(\.base)
        let lock = NSLock()
        var next = 0
        func work(_ worker: Int) {
            let b = bases[worker]
            let s = Scratch(re: b, im: b + lane, re2: b + 2 * lane, im2: b + 3 * lane)
            while true {
                lock.lock(); let k = next; next += 1; lock.unlock()
                if k >= blockCount { break }
                body(k * bw, min(bw, count - k * bw), s)
            }
        }
        if workers == 1 { work(0) } else { DispatchQueue.concurrentPerform(iterations: workers) { work($0) } }
    }
}

/// A growable heap buffer of a trivial type, zero-filled when (re)allocated, freed with its owner.
final class GridBuffer<Element: Numeric> {
    private(set) var base: UnsafeMutablePointer<Element>
    private(set) var capacity: Int

    init() {
        base = .allocate(capacity: 1); base.initialize(to: 0); capacity = 1
    }

    /// Makes room for `count` elements; the contents are lost when the buffer grows.
    func reserve(_ count: Int) {
        guard count > capacity else { return }
        base.deallocate()
        base = .allocate(capacity: count)
        base.initialize(repeating: 0, count: count)
        capacity = count
    }

    deinit { base.deallocate() }
}
