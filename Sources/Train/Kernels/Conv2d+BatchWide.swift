// Conv2d's batch-wide im2col path, for maps so small that a thread's own samples make too few GEMM
// columns (ResNet-18 at 64 px: layer3 is 4×4, layer4 2×2, so 16 samples per thread give 256 or 64).
// The per-sample path then runs two thin GEMMs that each pack the whole weight; here a group of G
// samples is unfolded side by side and every GEMM is cut between the threads (SplitGEMM).
//
// Shapes (see Conv2d.swift for g):
//   col    (K, G·L)   slot 0: unfolded group, column j·L + l for group sample j
//   stage  (O, G·L)   slot 1: forward GEMM result, or the gathered dOut in backward
//   dcol   (K, G·L)   slot 2: Wᵀ·dOut before folding
// forward:  stage = W·col, scattered to out (N, O, P, Q)
// backward: dW += stage·colᵀ (parts write disjoint blocks: no partials to add), dcol = Wᵀ·stage, fold

import Foundation
import LoupeCore

extension Conv2d {
    /// Floats of one batch-wide buffer (col or dcol) by default; a group holds as many samples as fit.
    static let batchWideBudget = 1 << 22

    /// False when the environment sets LOUPE_NO_BATCH_WIDE=1 (for benchmarking the per-sample paths against these).
    static let batchWideByDefault = ProcessInfo.processInfo.environment["LOUPE_NO_BATCH_WIDE"] == nil

    /// Whether `g` takes the batch-wide path on `parts` threads: each thread's samples would make fewer
    /// than `targetColumns` GEMM columns.
    func usesBatchWide(_ g: ConvGeometry, parts: Int) -> Bool {
        allowsBatchWide && parts > 1 && (g.n + parts - 1) / parts * g.l < Conv2d.targetColumns
    }

    /// Samples per batch-wide group.
    func batchWideGroup(_ g: ConvGeometry) -> Int {
        max(1, min(g.n, batchWideBudget / max(1, max(g.k, g.outChannels) * g.l)))
    }

    static func batchWideForward(x: UnsafePointer<Float>, w: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>,
                                 _ g: ConvGeometry, parts: Int, group G: Int, col: UnsafeMutablePointer<Float>,
                                 stage: UnsafeMutablePointer<Float>) {
        let O = g.outChannels, K = g.k, L = g.l
        var s = 0
        while s < g.n {
            let m = min(G, g.n - s), ld = m * L, s0 = s
            Parallel.run(parts) { t in
                for j in Parallel.slice(t, of: parts, count: m) { Im2col.unfold(x + (s0 + j) * g.inputPlane, g, into: col + j * L, ld: ld) }
            }
            Parallel.run(parts) { t in
                SplitGEMM.run(part: t, of: parts, transposeA: false, transposeB: false, m: O, n: ld, k: K, a: w, lda: K,
                              b: col, ldb: ld, beta: 0, c: stage, ldc: ld)
            }
            Parallel.run(parts) { t in
                for j in Parallel.slice(t, of: parts, count: m) {
                    for o in 0..<O { (out + ((s0 + j) * O + o) * L).update(from: stage + o * ld + j * L, count: L) }
                }
            }
            s += m
        }
    }

    static func batchWideBackward(x: UnsafePointer<Float>, w: UnsafePointer<Float>, dy: UnsafePointer<Float>,
                                  dw: UnsafeMutablePointer<Float>?, dx: UnsafeMutablePointer<Float>?, _ g: ConvGeometry,
                                  parts: Int, group G: Int, col: UnsafeMutablePointer<Float>, stage: UnsafeMutablePointer<Float>,
                                  dcol: UnsafeMutablePointer<Float>) {
        let O = g.outChannels, K = g.k, L = g.l
        var s = 0
        while s < g.n {
            let m = min(G, g.n - s), ld = m * L, s0 = s
            Parallel.run(parts) { t in
                for j in Parallel.slice(t, of: parts, count: m) {
                    for o in 0..<O { (stage + o * ld + j * L).update(from: dy + ((s0 + j) * O + o) * L, count: L) }
                    if dw != nil { Im2col.unfold(x + (s0 + j) * g.inputPlane, g, into: col + j * L, ld: ld) }
                }
            }
            Parallel.run(parts) { t in
                if let dw {
                    SplitGEMM.run(part: t, of: parts, transposeA: false, transposeB: true, m: O, n: K, k: ld, a: stage, lda: ld,
                                  b: col, ldb: ld, beta: 1, c: dw, ldc: K)
                }
                if dx != nil {
                    SplitGEMM.run(part: t, of: parts, transposeA: true, transposeB: false, m: K, n: ld, k: O, a: w, lda: K,
                                  b: stage, ldb: ld, beta: 0, c: dcol, ldc: ld)
                }
            }
            if let dx {
                Parallel.run(parts) { t in
                    for j in Parallel.slice(t, of: parts, count: m) {
                        Im2col.fold(dcol + j * L, g, ld: ld, addingInto: dx + (s0 + j) * g.inputPlane)
                    }
                }
            }
            s += m
        }
    }
}
