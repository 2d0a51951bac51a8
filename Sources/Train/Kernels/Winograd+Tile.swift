// The three Winograd algorithms Conv2d runs, behind one interface: F(2×2, 3×3) (Winograd.swift),
// F(4×4, 3×3) (Lavin & Gray 2016, points 0, ±1, ±2, ∞; the matrices are in CKernels/winograd4_variant.h), and,
// for 2×2 maps only, the nested F(2, 2) of CKernels/winograd_map2_variant.h: 9 products per tile where F(2×2)
// multiplies the padding too and spends 16.
// F(4×4) computes a 4×4 output tile from a 6×6 input tile with 36 products: 2.25 per output against
// F(2×2)'s 4 and im2col's 9, and its transforms store 36 planes per 16 outputs against 16 per 4. Its
// transform matrices have larger entries (up to 8 and 1/24), so single-precision results carry a few
// times more rounding error; the convolution tests hold both to the same bound against direct loops.
//
// Shapes as in Winograd.swift with `positions` planes (16, 36 or 9) and T = tiles(H)·tiles(W):
//   U (positions, O, C), V (positions, C, ld), Mw / Ŷ (positions, O, ld), Z (positions, O, C).

import CKernels

extension Winograd {
    /// Output tile size of the algorithm.
    enum Tile: String, Sendable, CaseIterable, CustomStringConvertible {
        case f2 = "F(2×2, 3×3)"
        case f4 = "F(4×4, 3×3)"
        /// 2×2 maps only (one tile per sample).
        case map2 = "F(2×2, 3×3) on a 2×2 map"

        var description: String { rawValue }
        /// Side of an output tile.
        var side: Int { self == .f4 ? 4 : 2 }
        /// Transformed-tile positions ξ: (side + 2)², or 9 on a 2×2 map.
        var positions: Int {
            switch self {
            case .f2: 16
            case .f4: 36
            case .map2: 9
            }
        }

        /// Whether the input gradient reads the forward's U (transposed, at `inputGradientPosition`), so a layer
        /// may keep it from the forward.
        var inputGradientReadsForwardFilters: Bool { self != .f4 }

        @inline(__always) func tiles(_ n: Int) -> Int { (n + side - 1) / side }
        func tileCount(_ g: ConvGeometry) -> Int { tiles(g.h) * tiles(g.w) }

        /// Floats to allocate for a (positions, rows, ld) tile buffer of any ld up to `ld`, slack included.
        func bufferCount(rows: Int, ld: Int) -> Int { positions * (rows * ld + 1024) + Winograd.slack }

        /// Floats of per-thread scratch the transforms need for maps of up to `h` × `w`.
        func scratchCount(height h: Int, width w: Int) -> Int {
            switch self {
            case .f2: loupe_winograd_scratch_floats(h, w)
            case .f4: loupe_winograd4_scratch_floats(h, w)
            case .map2: 1
            }
        }

        /// U[ξ][i] = (G·w_i·Gᵀ)[ξ] for the filters `indices` of the `count` = O·C filters.
        func transformFilters(_ w: UnsafePointer<Float>, count: Int, into u: UnsafeMutablePointer<Float>, indices: Range<Int>) {
            switch self {
            case .f2: loupe_winograd_filters(w, count, u, indices.lowerBound, indices.upperBound)
            case .f4: loupe_winograd4_filters(w, count, u, indices.lowerBound, indices.upperBound, 0)
            case .map2: loupe_winograd_map2_filters_at(loupe_isa_active(), w, count, u, indices.lowerBound, indices.upperBound)
            }
        }

        /// The filters the input gradient reads: F(2×2) and the 2×2-map tile read U itself at `inputGradientPosition(ξ)`;
        /// F(4×4) has no such symmetry (rotating a filter maps the point 2 to ½), so it transforms the
        /// 180°-rotated filters.
        func transformInputGradientFilters(_ w: UnsafePointer<Float>, count: Int, into u: UnsafeMutablePointer<Float>,
                                           indices: Range<Int>) {
            switch self {
            case .f2: loupe_winograd_filters(w, count, u, indices.lowerBound, indices.upperBound)
            case .f4: loupe_winograd4_filters(w, count, u, indices.lowerBound, indices.upperBound, 1)
            case .map2: loupe_winograd_map2_filters_at(loupe_isa_active(), w, count, u, indices.lowerBound, indices.upperBound)
            }
        }

        /// The plane of `transformInputGradientFilters`' output that, transposed, multiplies dOut's plane ξ.
        @inline(__always) func inputGradientPosition(_ xi: Int) -> Int {
            switch self {
            case .f2: Winograd.flippedPosition(xi)
            case .f4: xi
            case .map2: Winograd.flippedMap2Position(xi)
            }
        }

        func transformInput(_ x: UnsafePointer<Float>, samples: Int, sampleStride: Int, channels C: Int, h H: Int, w W: Int,
                            into v: UnsafeMutablePointer<Float>, ld: Int, scratch: UnsafeMutablePointer<Float>) {
            guard samples > 0 else { return }
            let plane = Winograd.planeStride(rows: C, ld: ld)
            switch self {
            case .f2: loupe_winograd_input(x, samples, sampleStride, C, H, W, v, ld, plane, scratch)
            case .f4: loupe_winograd4_input(x, samples, sampleStride, C, H, W, v, ld, plane, scratch)
            case .map2:
                precondition(H == 2 && W == 2, "F(2×2, 3×3) on a 2×2 map got \(H)×\(W)")
                loupe_winograd_map2_input_at(loupe_isa_active(), x, samples, sampleStride, C, v, ld, plane)
            }
        }

        func transformOutput(_ m: UnsafePointer<Float>, samples: Int, channels O: Int, p P: Int, q Q: Int, ld: Int,
                             into y: UnsafeMutablePointer<Float>, sampleStride: Int, scratch: UnsafeMutablePointer<Float>) {
            guard samples > 0 else { return }
            let plane = Winograd.planeStride(rows: O, ld: ld)
            switch self {
            case .f2: loupe_winograd_output(m, samples, O, P, Q, ld, plane, y, sampleStride, scratch)
            case .f4: loupe_winograd4_output(m, samples, O, P, Q, ld, plane, y, sampleStride, scratch)
            case .map2:
                precondition(P == 2 && Q == 2, "F(2×2, 3×3) on a 2×2 map got \(P)×\(Q)")
                loupe_winograd_map2_output_at(loupe_isa_active(), m, samples, O, ld, plane, y, sampleStride)
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
            case .map2:
                precondition(P == 2 && Q == 2, "F(2×2, 3×3) on a 2×2 map got \(P)×\(Q)")
                loupe_winograd_map2_output_gradient_at(loupe_isa_active(), dy, samples, sampleStride, O, yhat, ld, plane)
            }
        }

        /// dW[o, c] += Gᵀ·Z·G for the filters `indices` (o·C + c), Z[ξ] = zs[ξ·O·C + o·C + c].
        func accumulateFilterGradient(_ zs: UnsafePointer<Float>, o O: Int, c C: Int, into dw: UnsafeMutablePointer<Float>,
                                      indices: Range<Int>) {
            switch self {
            case .f2: loupe_winograd_filter_gradient(zs, O * C, dw, indices.lowerBound, indices.upperBound)
            case .f4: loupe_winograd4_filter_gradient(zs, O * C, dw, indices.lowerBound, indices.upperBound)
            case .map2: loupe_winograd_map2_filter_gradient_at(loupe_isa_active(), zs, O * C, dw, indices.lowerBound, indices.upperBound)
            }
        }
    }
}
