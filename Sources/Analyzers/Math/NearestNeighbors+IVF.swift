// Approximate k-nearest neighbours by an inverted file (IVF; Sivic & Zisserman, ICCV 2003; Jégou, Douze & Schmid,
// IEEE TPAMI 33, 2011, without the quantisation): k-means cells (√n of them) from a few seeded Lloyd iterations on
// a sample; every row filed under its nearest centre and the rows sorted by cell, so each cell is one contiguous
// block. Each row probes its `probes` nearest cells; cell by cell, the rows probing it are gathered and one GEMM
// tile gives their squared distances to the cell's rows (‖a‖² + ‖b‖² − 2a·b on centred data, as the exact search),
// which update each row's bounded (distance, index) heap. The probe count is not guessed: it is the smallest whose
// recall@k, measured on a seeded sample of rows (their exact neighbours against the cells those fall in), reaches
// the target; the search then probes exactly those lists, so the estimate is the search's recall up to sampling
// error (≈ ±0.001 for 1000 rows).
//
// Shapes: x n×d (row-major); centres C×d; indices, distances n×k (row i: i's neighbours, nearest first, i excluded).
import Foundation
import LoupeCore

extension NearestNeighbors {
    /// How t-SNE (and other callers) find neighbours.
    public enum Method: String, Sendable, CaseIterable, Codable {
        /// Brute force over all pairs (BLAS GEMM blocks): O(n²·d).
        case exact
        /// Inverted-file search with the probe count calibrated to `ApproximateOptions.recallTarget`.
        case approx
        /// Exact up to `autoExactMaxRows` rows (or for narrow data), approximate above.
        case auto
    }

    /// Below this many rows `auto` searches exactly: there brute force costs a few seconds at most
    /// (20,000 × 784: ≈ 0.6 TFLOP) and the approximate search's fixed costs (k-means, calibration) would eat its gain.
    public static let autoExactMaxRows = 20_000

    public struct ApproximateOptions: Sendable {
        /// Seed of every random choice (k-means sample and start, calibration sample).
        public var seed: UInt64 = 0
        /// Number of k-means cells; nil = round(√n).
        public var clusters: Int? = nil
        /// Mean recall@k the probe count is chosen for (measured on `calibrationRows` rows against exact search).
        public var recallTarget = 0.995
        /// Rows whose exact neighbours calibrate the probe count.
        public var calibrationRows = 1000
        /// k-means runs on min(n, samplePerCluster · clusters) sampled rows.
        public var samplePerCluster = 32
        public var lloydIterations = 10
        /// If the calibrated search would compute more than this fraction of all pair distances, search exactly.
        public var maxSearchedFraction = 0.5
        public init() {}
    }

    /// What a search did, for the outputs' attributes.
    public struct Report: Sendable, Codable {
        /// What was asked for (exact, approx, auto).
        public var requested: Method
        /// What ran: exact or approx (approx falls back to exact when probing would cost nearly as much).
        public var method: Method
        public var k: Int
        public var seed: UInt64
        /// k-means cells and probes per query (0 for exact).
        public var clusters = 0
        public var probes = 0
        /// Recall@k estimated on the calibration rows (see the file header); 1 for exact.
        public var estimatedRecall = 1.0
        public var calibrationRows = 0
        /// Fraction of all n·(n − 1) pair distances computed.
        public var searchedFraction = 1.0
        /// Wall time of the search, s.
        public var seconds = 0.0
    }

    /// The `k` nearest neighbours of every row by `method` (see `exact` for the conventions of the result;
    /// approximate results follow the same ones among the candidates they examined).
    /// Deterministic for a given seed and thread count.
    public static func search(_ x: [Float], n: Int, d: Int, k: Int, method: Method, options: ApproximateOptions = .init(),
                              threads: Int = 2) -> (indices: [Int32], distances: [Float], report: Report) {
        let start = ContinuousClock.now
        let kk = max(0, min(k, n - 1))
        var report = Report(requested: method, method: .exact, k: kk, seed: options.seed)
        let useApprox: Bool
        switch method {
        case .exact: useApprox = false
        case .approx: useApprox = true
        case .auto: useApprox = n > autoExactMaxRows && d > SquaredDistances.directMaxColumns
        }
        // Too few rows for cells to help: every row would be a candidate anyway.
        if useApprox, n > kk + 1, kk > 0, x.count == n * d {
            let trace = ProcessInfo.processInfo.environment["LOUPE_KNN_TRACE"] != nil
            var ivf = InvertedFile(x, n: n, d: d, options: options, threads: threads)
            if trace { FileHandle.standardError.write("kNN: cells \((ContinuousClock.now - start).seconds) s\n".data(using: .utf8)!) }
            let calibration = ivf.calibrate(k: kk, options: options)
            if trace { FileHandle.standardError.write("kNN: calibrated \((ContinuousClock.now - start).seconds) s\n".data(using: .utf8)!) }
            report.clusters = ivf.clusters
            report.probes = calibration.probes
            report.estimatedRecall = calibration.recall
            report.calibrationRows = calibration.rows
            if calibration.searchedFraction <= options.maxSearchedFraction {
                let (indices, distances, fraction) = ivf.search(k: kk, probes: calibration.probes)
                report.method = .approx
                report.searchedFraction = fraction
                report.seconds = (ContinuousClock.now - start).seconds
                return (indices, distances, report)
            }
            report.estimatedRecall = 1
        }
        let (indices, distances) = exact(x, n: n, d: d, k: kk, threads: threads)
        report.seconds = (ContinuousClock.now - start).seconds
        return (indices, distances, report)
    }
}

/// Rows sorted by k-means cell, with the cell boundaries: the index of `NearestNeighbors.search`'s approximate path.
struct InvertedFile {
    let n: Int, d: Int, threads: Int
    /// Centred rows, in cell order (row p is original row `order[p]`).
    private(set) var rows: [Float]
    private(set) var norms: [Float]
    /// Original row of each sorted position.
    private(set) var order: [Int32]
    /// Cell c holds sorted positions cellStart[c]..<cellStart[c + 1].
    private(set) var cellStart: [Int]
    /// Centred centres, clusters×d, and their squared norms.
    private(set) var centres: [Float]
    private(set) var centreNorms: [Float]
    var clusters: Int { cellStart.count - 1 }
    private var generator: SeededGenerator

    init(_ x: [Float], n: Int, d: Int, options o: NearestNeighbors.ApproximateOptions, threads: Int) {
        self.n = n; self.d = d; self.threads = threads
        var g = SeededGenerator(seed: o.seed)
        var xc = SquaredDistances.centered(x, n: n, d: d, as: Float.self)
        let c = max(1, min(n, o.clusters ?? Int(Double(n).squareRoot().rounded())))
        // k-means on a seeded sample, started from its first c rows.
        let sampleCount = min(n, max(c, o.samplePerCluster * c))
        let sample = Self.sampleWithoutReplacement(n, sampleCount, &g)
        var sx = [Float](repeating: 0, count: sampleCount * d)
        for (r, i) in sample.enumerated() { for j in 0..<d { sx[r * d + j] = xc[i * d + j] } }
        var centres = Array(sx[0..<(c * d)])
        let sampleNorms = SquaredDistances.norms(sx, n: sampleCount, d: d)
        for _ in 0..<max(0, o.lloydIterations) {
            let labels = Self.nearestCentre(sx, norms: sampleNorms, n: sampleCount, d: d, centres: centres, c: c, threads: threads)
            var sums = [Double](repeating: 0, count: c * d), counts = [Int](repeating: 0, count: c)
            for r in 0..<sampleCount {
                let l = Int(labels[r])
                counts[l] += 1
                for j in 0..<d { sums[l * d + j] += Double(sx[r * d + j]) }
            }
            // An empty cell keeps its centre (it may win rows in the full assignment, or stay empty).
            for l in 0..<c where counts[l] > 0 {
                for j in 0..<d { centres[l * d + j] = Float(sums[l * d + j] / Double(counts[l])) }
            }
        }
        let allNorms = SquaredDistances.norms(xc, n: n, d: d)
        let labels = Self.nearestCentre(xc, norms: allNorms, n: n, d: d, centres: centres, c: c, threads: threads)
        // Counting sort by cell (stable: original order within a cell), then permute the rows in place.
        var start = [Int](repeating: 0, count: c + 1)
        for l in labels { start[Int(l) + 1] += 1 }
        for l in 0..<c { start[l + 1] += start[l] }
        var fill = start
        var order = [Int32](repeating: 0, count: n)
        for i in 0..<n { let l = Int(labels[i]); order[fill[l]] = Int32(i); fill[l] += 1 }
        Self.permuteRows(&xc, d: d, order: order)
        var norms = [Float](repeating: 0, count: n)
        for p in 0..<n { norms[p] = allNorms[Int(order[p])] }
        self.rows = xc
        self.norms = norms
        self.order = order
        self.cellStart = start
        self.centres = centres
        self.centreNorms = SquaredDistances.norms(centres, n: c, d: d)
        self.generator = g
    }

    /// `count` distinct indices of 0..<n in seeded random order (partial Fisher–Yates).
    static func sampleWithoutReplacement(_ n: Int, _ count: Int, _ g: inout SeededGenerator) -> [Int] {
        var pool = Array(0..<n)
        for i in 0..<min(count, n) {
            let j = i + Int(g.next() % UInt64(n - i))
            pool.swapAt(i, j)
        }
        return Array(pool[0..<min(count, n)])
    }

    /// Rearranges the rows of x (n×d) so that new row p is old row order[p] (cycle by cycle, one row of scratch).
    static func permuteRows(_ x: inout [Float], d: Int, order: [Int32]) {
        let n = order.count
        var done = [Bool](repeating: false, count: n)
        var scratch = [Float](repeating: 0, count: d)
        x.withUnsafeMutableBufferPointer { xp in
            let xb = xp.baseAddress!
            for p in 0..<n where !done[p] {
                // Row p receives order[p], which receives order[order[p]], … until the cycle closes at p.
                for j in 0..<d { scratch[j] = xb[p * d + j] }
                var q = p
                while true {
                    done[q] = true
                    let src = Int(order[q])
                    if src == p {
                        for j in 0..<d { xb[q * d + j] = scratch[j] }
                        break
                    }
                    (xb + q * d).update(from: xb + src * d, count: d)
                    q = src
                }
            }
        }
    }

    /// Squared distances of rows a (m×d, norms an) to centres (c×d, norms cn) into out (m×c).
    static func centreDistances(_ a: UnsafePointer<Float>, norms an: UnsafePointer<Float>, m: Int, d: Int,
                                centres: UnsafePointer<Float>, centreNorms cn: UnsafePointer<Float>, c: Int,
                                into out: UnsafeMutablePointer<Float>) {
        BLAS.sgemm(transposeA: false, transposeB: true, m: m, n: c, k: d, alpha: -2, a: a, lda: d, b: centres, ldb: d,
                   beta: 0, c: out, ldc: c)
        for r in 0..<m { for l in 0..<c { out[r * c + l] = max(0, out[r * c + l] + an[r] + cn[l]) } }
    }

    /// Squared distances of the n rows to the c centres, `centreBlock` rows at a time (one GEMM each):
    /// `body(rows, distances)` gets row r of `rows` at distances + (r − rows.lowerBound)·c.
    static func forEachCentreBlock(_ x: [Float], norms: [Float], n: Int, d: Int, centres: [Float], centreNorms: [Float], c: Int,
                                   _ body: (_ rows: Range<Int>, _ distances: UnsafePointer<Float>) -> Void) {
        var buffer = [Float](repeating: 0, count: min(n, centreBlock) * c)
        x.withUnsafeBufferPointer { xp in
            norms.withUnsafeBufferPointer { np in
                centres.withUnsafeBufferPointer { cp in
                    centreNorms.withUnsafeBufferPointer { cnp in
                        buffer.withUnsafeMutableBufferPointer { bp in
                            var lo = 0
                            while lo < n {
                                let hi = min(n, lo + centreBlock)
                                centreDistances(xp.baseAddress! + lo * d, norms: np.baseAddress! + lo, m: hi - lo, d: d,
                                                centres: cp.baseAddress!, centreNorms: cnp.baseAddress!, c: c, into: bp.baseAddress!)
                                body(lo..<hi, UnsafePointer(bp.baseAddress!))
                                lo = hi
                            }
                        }
                    }
                }
            }
        }
    }

    /// Rows per centre-distance GEMM: a 2,048 × c block of distances.
    static let centreBlock = 2048

    /// Nearest centre of each row (lowest index on ties), by GEMM blocks.
    static func nearestCentre(_ x: [Float], norms: [Float], n: Int, d: Int, centres: [Float], c: Int, threads: Int) -> [Int32] {
        var labels = [Int32](repeating: 0, count: n)
        let cn = SquaredDistances.norms(centres, n: c, d: d)
        labels.withUnsafeMutableBufferPointer { lp in
            let lb = lp.baseAddress!
            forEachCentreBlock(x, norms: norms, n: n, d: d, centres: centres, centreNorms: cn, c: c) { rows, distances in
                Parallel.chunks(rows.count, chunks: 4 * threads, threads: threads) { _, local in
                    for r in local {
                        let row = distances + r * c
                        var best = 0, bestD = row[0]
                        for l in 1..<c where row[l] < bestD { best = l; bestD = row[l] }
                        lb[rows.lowerBound + r] = Int32(best)
                    }
                }
            }
        }
        return labels
    }

    /// Cells of a row ranked by distance of their centres (ascending, ties by cell index).
    static func rankCells(_ row: UnsafePointer<Float>, c: Int) -> [Int32] {
        var ids = (0..<c).map { Int32($0) }
        ids.sort { row[Int($0)] < row[Int($1)] || (row[Int($0)] == row[Int($1)] && $0 < $1) }
        return ids
    }

    struct Calibration { var probes: Int; var recall: Double; var rows: Int; var searchedFraction: Double }

    /// The smallest probe count whose recall@k over a seeded sample of rows (their exact neighbours against the
    /// cells those fall in) reaches the target, with that recall and the expected fraction of pairs searched.
    mutating func calibrate(k: Int, options o: NearestNeighbors.ApproximateOptions) -> Calibration {
        let c = clusters
        let q = max(1, min(n, o.calibrationRows))
        let positions = Self.sampleWithoutReplacement(n, q, &generator).sorted()
        var cellOf = [Int32](repeating: 0, count: n)
        for l in 0..<c { for p in cellStart[l]..<cellStart[l + 1] { cellOf[p] = Int32(l) } }
        // rankHistogram[r]: exact neighbours (over all sampled rows) whose cell is the r-th nearest of its query's.
        var rankHistogram = [Int](repeating: 0, count: c)
        var sizeByRank = [Double](repeating: 0, count: c)
        let block = 256
        var qx = [Float](repeating: 0, count: min(q, block) * d), qn = [Float](repeating: 0, count: min(q, block))
        var tile = [Float](repeating: 0, count: min(q, block) * n)
        var cd = [Float](repeating: 0, count: min(q, block) * c)
        var nIdx = [Int32](repeating: 0, count: min(q, block) * k), nDist = [Float](repeating: 0, count: min(q, block) * k)
        var lo = 0
        while lo < q {
            let hi = min(q, lo + block), m = hi - lo
            for r in 0..<m {
                let p = positions[lo + r]
                for j in 0..<d { qx[r * d + j] = rows[p * d + j] }
                qn[r] = norms[p]
            }
            rows.withUnsafeBufferPointer { xp in
                norms.withUnsafeBufferPointer { np in
                    BLAS.sgemm(transposeA: false, transposeB: true, m: m, n: n, k: d, alpha: -2, a: qx, lda: d,
                               b: xp.baseAddress!, ldb: d, beta: 0, c: &tile, ldc: n)
                    tile.withUnsafeMutableBufferPointer { tp in
                        nIdx.withUnsafeMutableBufferPointer { ip in
                            nDist.withUnsafeMutableBufferPointer { dp in
                                let tb = tp.baseAddress!, nb = np.baseAddress!, ib = ip.baseAddress!, db = dp.baseAddress!
                                Parallel.chunks(m, chunks: 4 * threads, threads: threads) { _, local in
                                    for r in local {
                                        let out = tb + r * n, qr = qn[r]
                                        for j in 0..<n { out[j] = max(0, out[j] + qr + nb[j]) }
                                        TopK.select(UnsafePointer(out), count: n, skip: positions[lo + r], k: k,
                                                    indices: ib + r * k, distances: db + r * k)
                                    }
                                }
                            }
                        }
                    }
                }
            }
            qx.withUnsafeBufferPointer { qp in
                qn.withUnsafeBufferPointer { qnp in
                    centres.withUnsafeBufferPointer { cp in
                        centreNorms.withUnsafeBufferPointer { cnp in
                            cd.withUnsafeMutableBufferPointer { cdp in
                                Self.centreDistances(qp.baseAddress!, norms: qnp.baseAddress!, m: m, d: d, centres: cp.baseAddress!,
                                                     centreNorms: cnp.baseAddress!, c: c, into: cdp.baseAddress!)
                            }
                        }
                    }
                }
            }
            for r in 0..<m {
                let ranked = cd.withUnsafeBufferPointer { Self.rankCells($0.baseAddress! + r * c, c: c) }
                var rankOf = [Int](repeating: 0, count: c)
                for (rank, cell) in ranked.enumerated() {
                    rankOf[Int(cell)] = rank
                    sizeByRank[rank] += Double(cellStart[Int(cell) + 1] - cellStart[Int(cell)])
                }
                for e in 0..<k { rankHistogram[rankOf[Int(cellOf[Int(nIdx[r * k + e])])]] += 1 }
            }
            lo = hi
        }
        let total = Double(q * k)
        var found = 0, searched = 0.0
        for probes in 1...c {
            found += rankHistogram[probes - 1]
            searched += sizeByRank[probes - 1]
            let recall = Double(found) / total
            if recall >= o.recallTarget || probes == c {
                return Calibration(probes: probes, recall: recall, rows: q, searchedFraction: searched / (Double(q) * Double(n)))
            }
        }
        return Calibration(probes: c, recall: 1, rows: q, searchedFraction: 1)
    }

    /// Searches every row's `probes` nearest cells (more while they hold fewer than k other rows). Cell by cell,
    /// the rows probing it are gathered and one GEMM tile gives their distances to the cell's rows, which update
    /// their heaps. Returns results by original row and the fraction of pair distances computed.
    func search(k: Int, probes requested: Int) -> (indices: [Int32], distances: [Float], searchedFraction: Double) {
        let c = clusters
        let probes = max(1, min(c, requested))
        // 1. Each row's probe list: its `probes` nearest cells, by GEMM blocks against the centres.
        var lists = [Int32](repeating: 0, count: n * probes)
        var extra: [[Int32]] = Array(repeating: [], count: 0)  // rows whose cells hold ≤ k rows: (row, cells…)
        let extraLock = NSLock()
        lists.withUnsafeMutableBufferPointer { lp in
            let lb = lp.baseAddress!
            Self.forEachCentreBlock(rows, norms: norms, n: n, d: d, centres: centres, centreNorms: centreNorms, c: c) { block, distances in
                let lo = block.lowerBound
                Parallel.chunks(block.count, chunks: 4 * threads, threads: threads) { _, local in
                    var scratch = [Float](repeating: 0, count: probes)
                    for r in local {
                        let row = distances + r * c, out = lb + (lo + r) * probes
                        scratch.withUnsafeMutableBufferPointer { sp in
                            TopK.select(row, count: c, skip: -1, k: probes, indices: out, distances: sp.baseAddress!)
                        }
                        var held = 0
                        for e in 0..<probes { held += cellStart[Int(out[e]) + 1] - cellStart[Int(out[e])] }
                        if held <= k {
                            // Rare: tiny cells. Take further cells in order until k others are held.
                            let ranked = Self.rankCells(row, c: c)
                            var more: [Int32] = [Int32(lo + r)]
                            for cell in ranked.dropFirst(probes) where held <= k {
                                held += cellStart[Int(cell) + 1] - cellStart[Int(cell)]
                                more.append(cell)
                            }
                            extraLock.lock(); extra.append(more); extraLock.unlock()
                        }
                    }
                }
            }
        }
        extra.sort { $0[0] < $1[0] }  // thread scheduling must not change the order of anything
        let trace = ProcessInfo.processInfo.environment["LOUPE_KNN_TRACE"] != nil
        let t0 = ContinuousClock.now
        var gemmTime = Duration.zero, gatherTime = Duration.zero, selectTime = Duration.zero
        // 2. Inverted: for each cell, the rows (sorted positions, ascending) that probe it.
        var probeStart = [Int](repeating: 0, count: c + 1)
        for l in lists { probeStart[Int(l) + 1] += 1 }
        for e in extra { for l in e.dropFirst() { probeStart[Int(l) + 1] += 1 } }
        for l in 0..<c { probeStart[l + 1] += probeStart[l] }
        var fill = probeStart
        var probers = [Int32](repeating: 0, count: probeStart[c])
        var nextExtra = 0
        for p in 0..<n {
            for e in 0..<probes { let l = Int(lists[p * probes + e]); probers[fill[l]] = Int32(p); fill[l] += 1 }
            while nextExtra < extra.count && Int(extra[nextExtra][0]) == p {
                for l in extra[nextExtra].dropFirst() { probers[fill[Int(l)]] = Int32(p); fill[Int(l)] += 1 }
                nextExtra += 1
            }
        }
        lists = []
        // 3. Cell by cell: gathered probing rows × the cell's rows, one GEMM per at most `gather` probing rows.
        var indices = [Int32](repeating: 0, count: n * k)
        var distances = [Float](repeating: 0, count: n * k)
        var sizes = [Int32](repeating: 0, count: n)
        let gather = 4096
        var a = [Float](repeating: 0, count: min(probers.count, gather) * d)
        var tile = [Float](repeating: 0, count: 0)
        var computed = 0.0
        rows.withUnsafeBufferPointer { xp in
            norms.withUnsafeBufferPointer { np in
                order.withUnsafeBufferPointer { op in
                    probers.withUnsafeBufferPointer { pp in
                        indices.withUnsafeMutableBufferPointer { ip in
                            distances.withUnsafeMutableBufferPointer { dp in
                                sizes.withUnsafeMutableBufferPointer { szp in
                                    a.withUnsafeMutableBufferPointer { ap in
        let xb = xp.baseAddress!, nb = np.baseAddress!, ob = op.baseAddress!, pb = pp.baseAddress!
        let ib = ip.baseAddress!, db = dp.baseAddress!, sb = szp.baseAddress!, ab = ap.baseAddress!
        for cell in 0..<c {
            let s = cellStart[cell], size = cellStart[cell + 1] - s
            guard size > 0 else { continue }
            var lo = probeStart[cell]
            while lo < probeStart[cell + 1] {
                let hi = min(probeStart[cell + 1], lo + gather), m = hi - lo
                let g0 = ContinuousClock.now
                Parallel.chunks(m, chunks: 4 * threads, threads: threads) { _, local in
                    for r in local { (ab + r * d).update(from: xb + Int(pb[lo + r]) * d, count: d) }
                }
                let g1 = ContinuousClock.now
                gatherTime += g1 - g0
                if tile.count < m * size { tile = [Float](repeating: 0, count: m * size) }
                computed += Double(m * size)
                tile.withUnsafeMutableBufferPointer { tp in
                    let tb = tp.baseAddress!
                    BLAS.sgemm(transposeA: false, transposeB: true, m: m, n: size, k: d, alpha: -2, a: ab, lda: d,
                               b: xb + s * d, ldb: d, beta: 0, c: tb, ldc: size)
                    let g2 = ContinuousClock.now
                    gemmTime += g2 - g1
                    defer { selectTime += ContinuousClock.now - g2 }
                    Parallel.chunks(m, chunks: 4 * threads, threads: threads) { _, local in
                        for r in local {
                            // Each row probes a cell once, so no two tile rows share a heap.
                            let p = Int(pb[lo + r]), row = tb + r * size, qr = nb[p]
                            let id = Int(ob[p])
                            var heap = Int(sb[id])
                            for j in 0..<size {
                                let q = s + j
                                if q == p { continue }
                                TopK.push(max(0, row[j] + qr + nb[q]), ob[q], k: k, size: &heap, indices: ib + id * k,
                                          distances: db + id * k)
                            }
                            sb[id] = Int32(heap)
                        }
                    }
                }
                lo = hi
            }
        }
        if trace { FileHandle.standardError.write("kNN search: lists+inversion before \(t0), gather \(gatherTime), gemm \(gemmTime), select \(selectTime)\n".data(using: .utf8)!) }
        Parallel.chunks(n, chunks: 8 * threads, threads: threads) { _, local in
            for id in local { TopK.sortHeap(size: Int(sb[id]), indices: ib + id * k, distances: db + id * k) }
        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return (indices, distances, computed / (Double(n) * Double(max(1, n - 1))))
    }
}

extension TopK {
    /// Adds (value, index) to a max-heap of at most `k` entries ordered by (value, index), so the k smallest
    /// pairs survive whatever order candidates come in.
    @inline(__always)
    static func push<T: BinaryFloatingPoint>(_ v: T, _ id: Int32, k: Int, size: inout Int,
                                             indices: UnsafeMutablePointer<Int32>, distances: UnsafeMutablePointer<T>) {
        @inline(__always) func greater(_ a: Int, _ b: Int) -> Bool {
            distances[a] > distances[b] || (distances[a] == distances[b] && indices[a] > indices[b])
        }
        if size < k {
            distances[size] = v; indices[size] = id
            var c = size
            size += 1
            while c > 0 {
                let p = (c - 1) / 2
                if greater(c, p) {
                    let td = distances[c]; distances[c] = distances[p]; distances[p] = td
                    let ti = indices[c]; indices[c] = indices[p]; indices[p] = ti
                    c = p
                } else { break }
            }
            return
        }
        guard v < distances[0] || (v == distances[0] && id < indices[0]) else { return }
        distances[0] = v; indices[0] = id
        siftDown(0, k, indices: indices, distances: distances)
    }

    @inline(__always)
    static func siftDown<T: BinaryFloatingPoint>(_ start: Int, _ end: Int, indices: UnsafeMutablePointer<Int32>,
                                                 distances: UnsafeMutablePointer<T>) {
        @inline(__always) func greater(_ a: Int, _ b: Int) -> Bool {
            distances[a] > distances[b] || (distances[a] == distances[b] && indices[a] > indices[b])
        }
        var i = start
        while true {
            let l = 2 * i + 1
            if l >= end { break }
            var c = l
            if l + 1 < end && greater(l + 1, l) { c = l + 1 }
            if greater(c, i) {
                let td = distances[c]; distances[c] = distances[i]; distances[i] = td
                let ti = indices[c]; indices[c] = indices[i]; indices[i] = ti
                i = c
            } else { break }
        }
    }

    /// Heap sort of a `push` heap in place: ascending by (value, index).
    static func sortHeap<T: BinaryFloatingPoint>(size: Int, indices: UnsafeMutablePointer<Int32>, distances: UnsafeMutablePointer<T>) {
        var end = size
        while end > 1 {
            let td = distances[0]; distances[0] = distances[end - 1]; distances[end - 1] = td
            let ti = indices[0]; indices[0] = indices[end - 1]; indices[end - 1] = ti
            end -= 1
            siftDown(0, end, indices: indices, distances: distances)
        }
    }
}
