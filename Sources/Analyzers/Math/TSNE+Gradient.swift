// t-SNE gradient, in openTSNE's scaling (without the factor 4 of ∂KL/∂y, which the learning rate absorbs):
//   g_i = α·Σ_j p_ij·w_ij·(y_i − y_j) − (1/Z)·Σ_j w_ij²·(y_i − y_j),   w_ij = 1/(1 + ‖y_i − y_j‖²), Z = Σ_{k≠l} w_kl
// The attractive sum runs over the sparse P; the repulsive sum and Z come from the Barnes-Hut tree
// (BarnesHutTree.swift), the FFT-accelerated interpolation (TSNE+Interpolation.swift) or, for `fitExact`
// and tests, from the O(n²) double loop below.
// KL(P‖Q) = Σ p_ij·log(p_ij / w_ij) + (Σ p_ij)·log Z, evaluated exactly over the non-zeros of P with the
// Z of the same pass (approximate when Z comes from the tree or the grid), as openTSNE and scikit-learn do.
//
// Shapes: y n×2 (Double, row-major); gradient n×2; P CSR n rows.
import CKernels
import Foundation

extension TSNE {
    /// How the repulsive term is computed.
    enum Repulsion {
        case exact
        case barnesHut(theta: Double)
        case interpolation(Interpolation)
    }

    /// Reusable buffers for one optimisation.
    final class GradientWorkspace {
        var tree = BarnesHutTree()
        /// Made on first use by the interpolation, kept across iterations (its kernel spectra are cached).
        var grid: InterpolationGrid?
        var forces: [Double]
        /// P in 16-row slices for the attraction kernel, made on first use (P is fixed during a fit).
        var slices: SlicedAffinities?
        /// The attractive sums of the last call, n×2.
        var attractive: [Float]
        init(n: Int) {
            forces = [Double](repeating: 0, count: 2 * n)
            attractive = [Float](repeating: 0, count: 2 * n)
        }
    }

    /// The gradient at `y`, Z, and KL(P‖Q) when `evaluateKL`.
    static func gradient(_ y: [Double], p: SparseAffinities, exaggeration: Double, repulsion: Repulsion, threads: Int,
                         evaluateKL: Bool, workspace: GradientWorkspace,
                         into gradient: inout [Double]) -> (z: Double, kl: Double?) {
        let n = p.n
        let z: Double
        switch repulsion {
        case .exact:
            z = exactRepulsion(y, n: n, threads: threads, into: &workspace.forces)
        case .barnesHut(let theta):
            y.withUnsafeBufferPointer { workspace.tree.build($0.baseAddress!, n: n) }
            z = workspace.forces.withUnsafeMutableBufferPointer {
                workspace.tree.repulsion(theta: theta, threads: threads, into: $0.baseAddress!)
            }
        case .interpolation(let settings):
            let grid = workspace.grid.flatMap { $0.settings == settings ? $0 : nil } ?? InterpolationGrid(settings: settings)
            workspace.grid = grid
            z = y.withUnsafeBufferPointer { yp in
                workspace.forces.withUnsafeMutableBufferPointer {
                    grid.repulsion(yp.baseAddress!, n: n, threads: threads, into: $0.baseAddress!)
                }
            }
        }
        if workspace.slices?.n != n { workspace.slices = SlicedAffinities(p) }
        let klTerms = attraction(y, p: p, slices: workspace.slices!, exaggeration: exaggeration, threads: threads,
                                 evaluateKL: evaluateKL, forces: workspace.forces, z: z, scratch: &workspace.attractive,
                                 into: &gradient)
        guard evaluateKL else { return (z, nil) }
        return (z, klTerms.pLogPOverW + klTerms.sumP * log(z))
    }

    /// gradient = α·Σ p·w·(y_i − y_j) − forces / Z (sums in Float, which is ample for a direction; the attractive
    /// sums come from `slices`, CKernels' loupe_tsne_attraction, each row summed in entry order at every level);
    /// returns Σ p·log(p/w) and Σ p, in Double from the Double positions, when asked.
    static func attraction(_ y: [Double], p: SparseAffinities, slices: SlicedAffinities, exaggeration: Double, threads: Int,
                           evaluateKL: Bool, forces: [Double], z: Double, scratch attractive: inout [Float],
                           into gradient: inout [Double]) -> (pLogPOverW: Double, sumP: Double) {
        let n = p.n
        let chunkCount = max(1, min(n / 64, 8 * threads))
        var partialKL = [Double](repeating: 0, count: chunkCount)
        var partialP = [Double](repeating: 0, count: chunkCount)
        let invZ = z > 0 ? 1 / z : 0
        let yf = y.map { Float($0) }
        slices.forces(yf, threads: threads, into: &attractive)
        attractive.withUnsafeBufferPointer { ap in
        y.withUnsafeBufferPointer { yp in
            forces.withUnsafeBufferPointer { fp in
                gradient.withUnsafeMutableBufferPointer { gp in
                    p.rowStart.withUnsafeBufferPointer { rp in
                        p.columns.withUnsafeBufferPointer { cp in
                            p.values.withUnsafeBufferPointer { vp in
                                partialKL.withUnsafeMutableBufferPointer { klp in
                                    partialP.withUnsafeMutableBufferPointer { spp in
                                        let yb = yp.baseAddress!, fb = fp.baseAddress!
                                        let gb = gp.baseAddress!, rb = rp.baseAddress!, cb = cp.baseAddress!
                                        let vb = vp.baseAddress!, klb = klp.baseAddress!, sb = spp.baseAddress!
                                        let ab = ap.baseAddress!
                                        Parallel.chunks(n, chunks: chunkCount, threads: threads) { chunk, rows in
                                            for i in rows {
                                                gb[2 * i] = exaggeration * Double(ab[2 * i]) - fb[2 * i] * invZ
                                                gb[2 * i + 1] = exaggeration * Double(ab[2 * i + 1]) - fb[2 * i + 1] * invZ
                                            }
                                            guard evaluateKL else { return }
                                            var kl = 0.0, sp = 0.0
                                            for i in rows {
                                                let xi = yb[2 * i], yi = yb[2 * i + 1]
                                                for e in rb[i]..<rb[i + 1] where vb[e] > 0 {
                                                    let j = Int(cb[e])
                                                    let dx = xi - yb[2 * j], dy = yi - yb[2 * j + 1]
                                                    let pv = Double(vb[e])
                                                    kl += pv * log(pv * (1 + dx * dx + dy * dy))
                                                    sp += pv
                                                }
                                            }
                                            klb[chunk] = kl
                                            sb[chunk] = sp
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        }
        return (partialKL.reduce(0, +), partialP.reduce(0, +))
    }

    /// Exact Σ_j w_ij²·(y_i − y_j) into `forces`; returns Z.
    /// - Complexity: O(n²).
    static func exactRepulsion(_ y: [Double], n: Int, threads: Int, into forces: inout [Double]) -> Double {
        let chunkCount = max(1, min(n, 8 * threads))
        var partial = [Double](repeating: 0, count: chunkCount)
        y.withUnsafeBufferPointer { yp in
            forces.withUnsafeMutableBufferPointer { fp in
                partial.withUnsafeMutableBufferPointer { zp in
                    let yb = yp.baseAddress!, fb = fp.baseAddress!, zb = zp.baseAddress!
                    Parallel.chunks(n, chunks: chunkCount, threads: threads) { chunk, rows in
                        var z = 0.0
                        for i in rows {
                            let xi = yb[2 * i], yi = yb[2 * i + 1]
                            var fx = 0.0, fy = 0.0
                            for j in 0..<n where j != i {
                                let dx = xi - yb[2 * j], dy = yi - yb[2 * j + 1]
                                let w = 1 / (1 + dx * dx + dy * dy)
                                z += w
                                fx += w * w * dx
                                fy += w * w * dy
                            }
                            fb[2 * i] = fx
                            fb[2 * i + 1] = fy
                        }
                        zb[chunk] = z
                    }
                }
            }
        }
        return partial.reduce(0, +)
    }
}
