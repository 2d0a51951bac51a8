// CKernels: Loupe's own C kernels, compiled for several x86-64 instruction sets and chosen once at run
// time from cpuid. Swift has no per-function target attribute, so a binary built for baseline x86-64
// (SSE2) would otherwise run its hand-written loops four floats at a time on an AVX-512 machine.
// This is not a door to a C library: it links nothing, and every function is plain arithmetic on
// caller-owned buffers.
//
// Kernels: im2col/col2im, the parallel regions' worker threads (workers.c), max-pooling windows, FFT stages, t-SNE's attractive forces, and the Winograd F(2×2, 3×3) and F(4×4, 3×3) transforms (Lavin & Gray, "Fast Algorithms for
// Convolutional Neural Networks", 2016); see Sources/Train/Kernels/Winograd.swift for the algebra. Shapes, for a chunk of `samples`
// consecutive samples whose tiles sit side by side (column s·T + tile of sample s, T = Pt·Qt tiles,
// Pt = ⌈H/2⌉, Qt = ⌈W/2⌉):
//   x     (samples, C, H, W)        sample s at x + s·sampleStride
//   V     (16, C, ld)               plane ξ at v + ξ·plane, row c at + c·ld
//   M, Ŷ  (16, O, ld)               likewise
//   y     (samples, O, P, Q)        sample s at y + s·sampleStride
#ifndef LOUPE_CKERNELS_H
#define LOUPE_CKERNELS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Instruction-set levels of the kernel variants, lowest first.
typedef enum {
    LOUPE_ISA_SSE2 = 0,     ///< baseline x86-64 (and every non-x86 machine: portable C)
    LOUPE_ISA_AVX2 = 1,     ///< AVX2 + FMA (Haswell, Zen)
    LOUPE_ISA_AVX512 = 2,   ///< AVX-512 F (Skylake-SP and later Xeons, Zen 4)
} loupe_isa;

/// The highest level this CPU and operating system support.
loupe_isa loupe_isa_supported(void);
/// The level the kernels run at: the supported one, or lower when the environment sets
/// LOUPE_ISA=sse2|avx2|avx512f (benchmarks measure what the wider variants buy).
loupe_isa loupe_isa_active(void);
/// "sse2", "avx2+fma" or "avx512f".
const char *loupe_isa_name(loupe_isa level);

/// Floats of scratch each Winograd transform call needs for maps of up to `h` × `w`.
size_t loupe_winograd_scratch_floats(ptrdiff_t h, ptrdiff_t w);

/// V[ξ][c][s·T + tile] = (Bᵀ·d·B)[ξ] for each 4×4 tile d of each sample, zero-padded by one pixel.
void loupe_winograd_input(const float *x, ptrdiff_t samples, ptrdiff_t sample_stride, ptrdiff_t channels,
                          ptrdiff_t h, ptrdiff_t w, float *v, ptrdiff_t ld, ptrdiff_t plane, float *scratch);

/// y[s][o] (p × q) = Aᵀ·m·A for each tile, from M[ξ][o][s·T + tile].
void loupe_winograd_output(const float *m, ptrdiff_t samples, ptrdiff_t channels, ptrdiff_t p, ptrdiff_t q,
                           ptrdiff_t ld, ptrdiff_t plane, float *y, ptrdiff_t sample_stride, float *scratch);

/// Ŷ[ξ][o][s·T + tile] = (A·dy·Aᵀ)[ξ] for each 2×2 tile of dy (zero beyond the edge).
void loupe_winograd_output_gradient(const float *dy, ptrdiff_t samples, ptrdiff_t sample_stride, ptrdiff_t channels,
                                    ptrdiff_t p, ptrdiff_t q, float *yhat, ptrdiff_t ld, ptrdiff_t plane, float *scratch);

/// U[ξ][i] = (G·g_i·Gᵀ)[ξ] for the 3×3 filters i in first ..< end of `count` (w: count × 9; U: 16 × count).
void loupe_winograd_filters(const float *w, ptrdiff_t count, float *u, ptrdiff_t first, ptrdiff_t end);

/// dW_i += Gᵀ·Z_i·G for i in first ..< end, Z_i[a][b] = z[(4a + b)·count + i] (dw: count × 9).
void loupe_winograd_filter_gradient(const float *z, ptrdiff_t count, float *dw, ptrdiff_t first, ptrdiff_t end);

/// The Winograd F(4×4, 3×3) transforms (winograd4_variant.h has the matrices), with T = ⌈H/4⌉·⌈W/4⌉ tiles
/// per sample and 36 planes (ξ = 6α + β) in V, M, Ŷ and U:
/// floats of scratch each call needs for maps of up to `h` × `w`;
size_t loupe_winograd4_scratch_floats(ptrdiff_t h, ptrdiff_t w);
/// V[ξ][c][s·T + tile] = (Bᵀ·d·B)[ξ] for each 6×6 input tile d (stride 4), zero-padded by one pixel;
void loupe_winograd4_input(const float *x, ptrdiff_t samples, ptrdiff_t sample_stride, ptrdiff_t channels,
                           ptrdiff_t h, ptrdiff_t w, float *v, ptrdiff_t ld, ptrdiff_t plane, float *scratch);
/// y[s][o] (p × q) = Aᵀ·m·A for each 4×4 tile, from M[ξ][o][s·T + tile];
void loupe_winograd4_output(const float *m, ptrdiff_t samples, ptrdiff_t channels, ptrdiff_t p, ptrdiff_t q,
                            ptrdiff_t ld, ptrdiff_t plane, float *y, ptrdiff_t sample_stride, float *scratch);
/// Ŷ[ξ][o][s·T + tile] = (A·dy·Aᵀ)[ξ] for each 4×4 tile of dy (zero beyond the edge);
void loupe_winograd4_output_gradient(const float *dy, ptrdiff_t samples, ptrdiff_t sample_stride, ptrdiff_t channels,
                                     ptrdiff_t p, ptrdiff_t q, float *yhat, ptrdiff_t ld, ptrdiff_t plane, float *scratch);
/// U[ξ][i] = (G·g_i·Gᵀ)[ξ], of the 180°-rotated g_i when `flipped` (for the input gradient), for i in first ..< end;
void loupe_winograd4_filters(const float *w, ptrdiff_t count, float *u, ptrdiff_t first, ptrdiff_t end, int flipped);
/// dW_i += Gᵀ·Z_i·G for i in first ..< end, Z_i[α][β] = z[(6α + β)·count + i].
void loupe_winograd4_filter_gradient(const float *z, ptrdiff_t count, float *dw, ptrdiff_t first, ptrdiff_t end);

/// Winograd for 3×3 convolutions of 2×2 maps, 9 positions ξ = 3a + b (winograd_map2_variant.h has the
/// transforms), one tile per sample (column s), at a given level (loupe_isa_active() in use):
/// V[ξ][c][s] from x (samples, C, 2, 2);
void loupe_winograd_map2_input_at(loupe_isa level, const float *x, ptrdiff_t samples, ptrdiff_t sample_stride,
                                  ptrdiff_t channels, float *v, ptrdiff_t ld, ptrdiff_t plane);
/// y (samples, C, 2, 2) from M[ξ][c][s];
void loupe_winograd_map2_output_at(loupe_isa level, const float *m, ptrdiff_t samples, ptrdiff_t channels, ptrdiff_t ld,
                                   ptrdiff_t plane, float *y, ptrdiff_t sample_stride);
/// Ŷ[ξ][c][s] from dy (samples, C, 2, 2), the output transform's adjoint;
void loupe_winograd_map2_output_gradient_at(loupe_isa level, const float *dy, ptrdiff_t samples, ptrdiff_t sample_stride,
                                            ptrdiff_t channels, float *yhat, ptrdiff_t ld, ptrdiff_t plane);
/// U[ξ][i] for the 3×3 filters i in first ..< end of `count` (w: count × 9; U: 9 × count);
void loupe_winograd_map2_filters_at(loupe_isa level, const float *w, ptrdiff_t count, float *u, ptrdiff_t first,
                                    ptrdiff_t end);
/// dW_i += the filter transform's adjoint of Z_i, Z_i[ξ] = z[ξ·count + i], for i in first ..< end.
void loupe_winograd_map2_filter_gradient_at(loupe_isa level, const float *z, ptrdiff_t count, float *dw, ptrdiff_t first,
                                            ptrdiff_t end);

/// col[(c·k + i)·k + j][u·q + v] = x[c, u·s − pad + i, v·s − pad + j] (0 outside) for one sample
/// x (channels, h, w); col has row stride ld ≥ p·q.
void loupe_im2col(const float *x, ptrdiff_t channels, ptrdiff_t h, ptrdiff_t w, ptrdiff_t kernel, ptrdiff_t stride,
                  ptrdiff_t padding, ptrdiff_t p, ptrdiff_t q, float *col, ptrdiff_t ld);

/// dx += the fold of col (the adjoint of loupe_im2col) for one sample.
void loupe_col2im_add(const float *col, ptrdiff_t ld, ptrdiff_t channels, ptrdiff_t h, ptrdiff_t w, ptrdiff_t kernel,
                      ptrdiff_t stride, ptrdiff_t padding, ptrdiff_t p, ptrdiff_t q, float *dx);

/// 2×2/2 max pooling of one plane (w wide) into p × q outputs, with the row-major index of each
/// maximum within the plane (first wins ties, NaN wins).
void loupe_maxpool2x2(const float *src, ptrdiff_t w, ptrdiff_t p, ptrdiff_t q, float *out, int32_t *argmax);

/// Outputs first ..< end of one output row of 3×3 max pooling whose windows lie inside the plane: `top`
/// is the windows' first input row, `row_base` its index within the plane.
void loupe_maxpool3x3_row(const float *top, ptrdiff_t w, ptrdiff_t row_base, ptrdiff_t stride, ptrdiff_t pad,
                          ptrdiff_t first, ptrdiff_t end, float *out, int32_t *argmax);

/// 3×3 max pooling at stride 2 with padding `pad` (0 or 1, −∞) of one h × w plane into p × q outputs, every
/// window (clipped ones too), with the row-major index of each maximum within the plane (first wins ties,
/// NaN wins; a window of −∞ points at its first element inside the plane).
void loupe_maxpool3x3s2(const float *x, ptrdiff_t h, ptrdiff_t w, ptrdiff_t pad, ptrdiff_t p, ptrdiff_t q, float *out,
                        int32_t *argmax);

/// One Stockham stage of radix 2, 3, 4 or 5 of FFTPlan (Sources/Analyzers/Math/FFT.swift): x → y, m
/// butterflies of `run` contiguous lanes, twiddles W^(p·k) at wr/wi + (radix − 1)·p + k − 1. Call it
/// with loupe_isa_active() as the level.
void loupe_fft_stage_at(loupe_isa level, int radix, const float *xr, const float *xi, float *yr, float *yi, ptrdiff_t m,
                        ptrdiff_t run, const float *wr, const float *wi);

/// t-SNE's attractive forces out[2i + d] = Σ_e values[e]·(ys_i − ys_j)_d / (1 + ‖ys_i − ys_j‖²) over row i's entries
/// (j = columns[e]) for the rows of slices first ..< end of P in 16-row slices (tsne_variant.h has the layout), each
/// row summed in entry order at every level, so the result does not depend on the CPU. Requires 2·n < 2³¹.
void loupe_tsne_attraction(const float *ys, const int32_t *rows, const ptrdiff_t *slice_start, const int32_t *columns,
                           const float *values, ptrdiff_t first, ptrdiff_t end, float *out);

/// The same kernels at a given level (tests compare every level this CPU has against a reference);
/// a level above loupe_isa_supported() runs the supported one.
void loupe_winograd_input_at(loupe_isa level, const float *x, ptrdiff_t samples, ptrdiff_t sample_stride, ptrdiff_t channels,
                             ptrdiff_t h, ptrdiff_t w, float *v, ptrdiff_t ld, ptrdiff_t plane, float *scratch);
void loupe_winograd_output_at(loupe_isa level, const float *m, ptrdiff_t samples, ptrdiff_t channels, ptrdiff_t p, ptrdiff_t q,
                              ptrdiff_t ld, ptrdiff_t plane, float *y, ptrdiff_t sample_stride, float *scratch);
void loupe_winograd_output_gradient_at(loupe_isa level, const float *dy, ptrdiff_t samples, ptrdiff_t sample_stride,
                                       ptrdiff_t channels, ptrdiff_t p, ptrdiff_t q, float *yhat, ptrdiff_t ld,
                                       ptrdiff_t plane, float *scratch);
void loupe_winograd_filters_at(loupe_isa level, const float *w, ptrdiff_t count, float *u, ptrdiff_t first, ptrdiff_t end);
void loupe_winograd_filter_gradient_at(loupe_isa level, const float *z, ptrdiff_t count, float *dw, ptrdiff_t first, ptrdiff_t end);
void loupe_winograd4_input_at(loupe_isa level, const float *x, ptrdiff_t samples, ptrdiff_t sample_stride, ptrdiff_t channels,
                              ptrdiff_t h, ptrdiff_t w, float *v, ptrdiff_t ld, ptrdiff_t plane, float *scratch);
void loupe_winograd4_output_at(loupe_isa level, const float *m, ptrdiff_t samples, ptrdiff_t channels, ptrdiff_t p, ptrdiff_t q,
                               ptrdiff_t ld, ptrdiff_t plane, float *y, ptrdiff_t sample_stride, float *scratch);
void loupe_winograd4_output_gradient_at(loupe_isa level, const float *dy, ptrdiff_t samples, ptrdiff_t sample_stride,
                                        ptrdiff_t channels, ptrdiff_t p, ptrdiff_t q, float *yhat, ptrdiff_t ld,
                                        ptrdiff_t plane, float *scratch);
void loupe_winograd4_filters_at(loupe_isa level, const float *w, ptrdiff_t count, float *u, ptrdiff_t first, ptrdiff_t end,
                                int flipped);
void loupe_winograd4_filter_gradient_at(loupe_isa level, const float *z, ptrdiff_t count, float *dw, ptrdiff_t first,
                                        ptrdiff_t end);
void loupe_tsne_attraction_at(loupe_isa level, const float *ys, const int32_t *rows, const ptrdiff_t *slice_start,
                              const int32_t *columns, const float *values, ptrdiff_t first, ptrdiff_t end, float *out);
void loupe_im2col_at(loupe_isa level, const float *x, ptrdiff_t channels, ptrdiff_t h, ptrdiff_t w, ptrdiff_t kernel,
                     ptrdiff_t stride, ptrdiff_t padding, ptrdiff_t p, ptrdiff_t q, float *col, ptrdiff_t ld);
void loupe_col2im_add_at(loupe_isa level, const float *col, ptrdiff_t ld, ptrdiff_t channels, ptrdiff_t h, ptrdiff_t w,
                         ptrdiff_t kernel, ptrdiff_t stride, ptrdiff_t padding, ptrdiff_t p, ptrdiff_t q, float *dx);
void loupe_maxpool3x3s2_at(loupe_isa level, const float *x, ptrdiff_t h, ptrdiff_t w, ptrdiff_t pad, ptrdiff_t p, ptrdiff_t q,
                           float *out, int32_t *argmax);
void loupe_maxpool2x2_at(loupe_isa level, const float *src, ptrdiff_t w, ptrdiff_t p, ptrdiff_t q, float *out, int32_t *argmax);
void loupe_maxpool3x3_row_at(loupe_isa level, const float *top, ptrdiff_t w, ptrdiff_t row_base, ptrdiff_t stride, ptrdiff_t pad,
                             ptrdiff_t first, ptrdiff_t end, float *out, int32_t *argmax);

/// C ← α·op(A)·op(B) + β·C, row-major (op(A) M×K, op(B) K×N), single precision, on the calling thread
/// (gemm.c): Loupe's own AVX-512 kernel at loupe_isa_active(). Returns 0 without touching C below AVX-512,
/// when the environment sets LOUPE_GEMM=blas, or when its packing buffer cannot be allocated, where the
/// caller uses OpenBLAS instead; 1 when done.
/// β = 0 never reads C.
int loupe_sgemm(int transpose_a, int transpose_b, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, float alpha, const float *a,
                ptrdiff_t lda, const float *b, ptrdiff_t ldb, float beta, float *c, ptrdiff_t ldc);
/// The same at a given level (tests run every level this CPU has).
int loupe_sgemm_at(loupe_isa level, int transpose_a, int transpose_b, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, float alpha,
                   const float *a, ptrdiff_t lda, const float *b, ptrdiff_t ldb, float beta, float *c, ptrdiff_t ldc);

/// One part of a parallel region: `part` of the region's parts, with the caller's context.
typedef void (*loupe_part_fn)(void *context, ptrdiff_t part);

/// Runs fn(context, part) for part 0 ..< parts, part 0 on the calling thread and the others on persistent
/// worker threads (workers.c), and returns 0 when all have finished; returns −1 without running anything
/// when parts < 2, when another region is running, or when called from inside a part.
int loupe_parallel_run(ptrdiff_t parts, void *context, loupe_part_fn fn);

#ifdef __cplusplus
}
#endif
#endif
