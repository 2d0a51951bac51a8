// Winograd minimal filtering F(2×2, 3×3) for 3×3, stride-1, padding-1 convolutions (Lavin & Gray,
// "Fast Algorithms for Convolutional Neural Networks", 2016): each 2×2 output tile is
//   y = Aᵀ [(G g Gᵀ) ⊙ (Bᵀ d Bᵀᵀ)] A
// with d the 4×4 input tile, so a convolution becomes 16 independent matrix products (one per
// position ξ = 4a + b of the 4×4 transformed tile) with 2.25× fewer multiplies than im2col.
// The input gradient is the same convolution of dOut with the filters rotated 180° and C↔O swapped;
// the filter gradient is dW = Gᵀ [Σ_tiles (A dy Aᵀ) ⊙ (Bᵀ d B)] G.
//
// Shapes (one sample, P = H, Q = W):
//   Pt = ⌈H/2⌉, Qt = ⌈W/2⌉ tile rows/columns, T = Pt·Qt tiles; a chunk of m samples has m·T columns
//   x    (C, H, W)            input
//   U    (16, O, C)           transformed filters (the input gradient reads them transposed, at flipped positions)
//   V    (16, C, ld)          transformed input tiles, column j·T + tile for chunk sample j; planes
//                             planeStride(C, ld) apart (so are Mw's and Ŷ's)
//   Mw   (16, O, ld)          products U[ξ]·V[ξ] before the output transform
//   Ŷ    (16, O, ld)          transformed output-gradient tiles (A dy Aᵀ)
//   Z    (16, O, C)           Σ over tiles of Ŷ[ξ]·V[ξ]ᵀ, before Gᵀ·Z·G
//   scratch (scratchCount)    per-thread rows of the C transforms (CKernels.h)

import CKernels

enum Winograd {
    /// The position whose transformed filter, transposed, is that of the 180°-rotated filter at ξ.
    ///
    /// The input gradient needs no second, flipped transform: rotating a filter by 180° swaps rows 0 and 3
    /// of G·J = P·G, so G·rot(g)·Gᵀ = P·(G·g·Gᵀ)·P, that is U[flippedPosition(ξ)] read transposed.
    @inline(__always) static func flippedPosition(_ xi: Int) -> Int {
        let swap = [3, 1, 2, 0]
        return 4 * swap[xi / 4] + swap[xi % 4]
    }

    /// `flippedPosition` for the 2×2-map tile (9 positions ξ = 3a + b): rotating a filter reverses its taps,
    /// which swaps transformed entries 1 and 2 on each axis (CKernels/winograd_map2_variant.h).
    @inline(__always) static func flippedMap2Position(_ xi: Int) -> Int {
        let swap = [0, 2, 1]
        return 3 * swap[xi / 3] + swap[xi % 3]
    }

    /// The distance between two ξ planes of a (16, rows, ld) tile buffer: rows·ld rounded up to 64 past a
    /// multiple of 1024 floats. The transforms touch all 16 planes at once; at a whole multiple of 4 KB
    /// apart (rows and ld are powers of two in ResNet) they all fall into one set of the L1 cache and
    /// evict each other.
    @inline(__always) static func planeStride(rows: Int, ld: Int) -> Int {
        let plane = rows * ld
        return plane + (64 - plane % 1024 + 1024) % 1024
    }

    /// Floats to allocate beyond a tile buffer.
    static let slack = 16

    // Every transform is C (CKernels), compiled for SSE2, AVX2 and AVX-512 and chosen from cpuid: as
    // Swift SIMD code built for baseline x86-64 they spilled and ran 4 floats at a time, and the input
    // transform alone took a fifth of a ResNet-18 step at 64 px. Winograd.Tile (Winograd+Tile.swift) calls
    // them, for either tile size; the map transforms take `samples` consecutive samples whose tiles sit side
    // by side (column s·T + tile).
}
