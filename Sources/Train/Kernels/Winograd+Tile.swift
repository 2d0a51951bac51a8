// The two Winograd algorithms Conv2d runs, behind one interface: F(2×2, 3×3) (Winograd.swift) and
// F(4×4, 3×3) (Lavin & Gray 2016, points 0, ±1, ±2, ∞; the matrices are in CKernels/winograd4_variant.h).
// F(4×4) computes a 4×4 output tile from a 6×6 input tile with 36 products: 2.25 per output against
// F(2×2)'s 4 and im2col's 9, and its transforms store 36 planes per 16 outputs against 16 per 4. Its
// transform matrices have larger entries (up to 8 and 1/24), so single-precision results carry a few
// times more rounding error; the convolution tests hold both to the same bound against direct loops.
//
// Shapes as in Winograd.swift with `positions` planes (16 or 36) and T = tiles(H)·tiles(W):
//   U (positions, O, C), V (positions, C, ld), Mw / Ŷ (positions, O, ld), Z (positions, O, C).

import CKernels

extension Winograd {
    /// Output tile size of the algorithm.
    enum Tile: String, Sendable, CaseIterable, CustomStringConvertible {
        case f2 = "F(2×2, 3×3)"
        case f4 = "F(4×4, 3×3)"

        var description: String { rawValue }
        /// Side of an output tile.
        var side: Int { self == .f2 ? 2 : 4 }
        /// Transformed-tile positions ξ: (side + 2)².
        var positions: Int { self == .f2 ? 16 : 36 }

        @inline(__always) func tiles(_ n: Int) -> Int { (n + side - 1) / side }
        func tileCount(_ g: ConvGeometry) -> Int { tiles(g.h) * tiles(g.w) }

        /// Floats to allocate for a (positions, rows, ld) tile buffer of any ld up to `ld`, slack included.
        func bufferCount(rows: Int, ld: Int) -> Int { positions * (rows * ld + 1024) + Winograd.slack }

        /// Floats of per-thread scratch the transforms need for maps of up to `h` × `w`.
        func scratchCount(height h: Int, width w: Int) -> Int {
            self == .f2 ? loupe_winograd_scratch_floats(h, w) : loupe_winograd4_scratch_floats(h, w)
        }

        /// U[ξ][i] = (G·w_i·Gᵀ)[ξ] for the filters `indices` of the `count` = O·C filters.
        func transformFilters(_ w: UnsafePointer<Float>, count: Int, into u: UnsafeMutablePointer<Float>, indices: Range<Int>) {
            switch self {
            case .f2: loupe_winograd_filters(w, count, u, indices.lowerBound, indices.upperBound)
            case .f4: loupe_winograd4_filters(w, count, u, indices.lowerBound, indices.upperBound, 0)
            }
        }

        /// The filters the input gradient reads: F(2×2) reads U itself at `inputGradientPosition(ξ)`;
        /// F(4×4) has no such symmetry (rotating a filter maps the point 2 to ½), so it transforms the
        /// 180°-rotated filters.
        func transformInputGradientFilters(_ w: UnsafePointer<Float>, count: Int, into u: UnsafeMutablePointer<Float>,
                                           indices: Range<Int>) {
            switch self {
            case .f2: loupe_winograd_filters(w, count, u, indices.lowerBound, indices.upperBound)
            case .f4: loupe_winograd4_filters(w, count, u, indices.lowerBound, indices.upperBound, 1)
            }
        }

        /// The plane of `transformInputGradientFilters`' output that, transposed, multiplies dOut's plane ξ.
        @inline(__always) func inputGradientPosition(_ xi: Int) -> Int { self == .f2 ? Winograd.flippedPosition(xi) : xi }

        func transformInput(_ x: UnsafePointer<Float>, samples: Int, sampleStride: Int, channels C: Int, h H: Int, w W: Int,
                            into v: UnsafeMutablePointer<Float>, ld: Int, scratch: UnsafeMutablePointer<Float>) {
            guard samples > 0 else { return }
            let plane = Winograd.planeStride(rows: C, ld: ld)
            switch self {
            case .f2: loupe_winograd_input(x, samples, sampleStride, C, H, W, v, ld, plane, scratch)
            case .f4: loupe_winograd4_input(x, samples, sampleStride, C, H, W, v, ld, plane, scratch)
            }
        }

        func transformOutput(_ m: UnsafePointer<Float>, samples: Int, channels O: Int, p P: Int, q Q: Int, ld: Int,
                             into y: UnsafeMutablePointer<Float>, sampleStride: Int, scratch: UnsafeMutablePointer<Float>) {
            guard samples > 0 else { return }
            let plane = Winograd.planeStride(rows: O, ld: ld)
            switch self {
            case .f2: loupe_winograd_output(m, samples, O, P, Q, ld, plane, y, sampleStride, scratch)
            case .f4: loupe_winograd4_output(m, samples, O, P, Q, ld, plane, y, sampleStride, scratch)
            }
        }

        func transformOutputGradient(_ dy: UnsafePointer<Float>, samples: Int, sampleStride: Int, channels O: Int,
                                     p P: Int, q Q: Int, into yhat: UnsafeMutablePointer<Float>, ld: Int,
                                     scratch: UnsafeMutablePointer<Float>) {
            guard samples > 0 else { return }
            let plane = Winograd.planeStride(rows: O, ld: ld)
            switch self {
            case .f2: loupe_winograd_output_gradient(dy, samples, sampleStride, O, P, Q, yhat, ld, plane, scratch)
            case .f4: loupe_winograd4_output_gradient(dy, samples, sampleStride, O, P, Q, yhat, ld, plane, scratch)
            }
        }

        /// dW[o, c] += Gᵀ·Z·G for the filters `indices` (o·C + c), Z[ξ] = zs[ξ·O·C + o·C + c].
        func accumulateFilterGradient(_ zs: UnsafePointer<Float>, o O: Int, c C: Int, into dw: UnsafeMutablePointer<Float>,
                                      indices: Range<Int>) {
            switch self {
            case .f2: loupe_winograd_filter_gradient(zs, O * C, dw, indices.lowerBound, indices.upperBound)
            case .f4: loupe_winograd4_filter_gradient(zs, O * C, dw, indices.lowerBound, indices.upperBound)
            }
        }
    }
}
