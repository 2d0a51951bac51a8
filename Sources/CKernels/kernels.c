// The kernels of CKernels.h: each level compiles im2col_variant.h, winograd_variant.h (which uses the
// first), pool_variant.h and fft_variant.h under its own target attribute; the dispatch follows.
#include "CKernels.h"

// No fused multiply-adds: every level then rounds exactly as SSE2 does (the kernels are elementwise, so
// vector width does not change the order of operations), and a result does not depend on the CPU's
// level. With contraction on, the AVX2 and AVX-512 FFT moved a 300-point t-SNE fit's KL by 10 %.
#pragma clang fp contract(off)

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

/// Columns per block of the F(2×2) output transforms: their scratch rows (4 × n floats) stay in L1.
#define WINOGRAD_BLOCK 256
/// Columns per block of the F(4×4) transforms: 36 scratch rows of 128 floats are 18 KB, within L1.
#define WINOGRAD4_BLOCK 128
size_t loupe_winograd_scratch_floats(ptrdiff_t h, ptrdiff_t w) {
    // The output and output-gradient transforms' 4 rows of a block's columns (the input transform needs none).
    const ptrdiff_t tiles = ((h + 1) / 2) * ((w + 1) / 2);
    const ptrdiff_t columns = tiles > WINOGRAD_BLOCK ? tiles : WINOGRAD_BLOCK + tiles;
    return (size_t)(4 * columns);
}

size_t loupe_winograd4_scratch_floats(ptrdiff_t h, ptrdiff_t w) {
    const ptrdiff_t tiles = ((h + 3) / 4) * ((w + 3) / 4);
    const ptrdiff_t columns = tiles > WINOGRAD4_BLOCK ? tiles : WINOGRAD4_BLOCK + tiles;
    return (size_t)(36 * columns + 4 * ((w + 3) / 4) + 18);
}

// t-SNE's gather (tsne_variant.h): 16 floats base[index[l]] into a 16-lane vector.
#define TSNE_GATHER_F32(base, index, result) for (int l_ = 0; l_ < 16; l_++) result[l_] = (base)[index[l_]];

#define VARIANT sse2
#define VL 8
#include "im2col_variant.h"
#include "winograd_variant.h"
#include "pool_variant.h"
#include "fft_variant.h"
#include "tsne_variant.h"
#undef VARIANT
#undef VL
#undef TSNE_GATHER_F32

#if defined(__x86_64__)
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#define TSNE_GATHER_F32(base, index, result)                                                                 \
    {                                                                                                        \
        __m256i i0_, i1_;                                                                                    \
        __builtin_memcpy(&i0_, &(index), 32); __builtin_memcpy(&i1_, (const char *)&(index) + 32, 32);       \
        const __m256 r0_ = _mm256_i32gather_ps((base), i0_, 4), r1_ = _mm256_i32gather_ps((base), i1_, 4);  \
        __builtin_memcpy(&(result), &r0_, 32); __builtin_memcpy((char *)&(result) + 32, &r1_, 32);           \
    }
#define VARIANT avx2
#define VL 8
#include "im2col_variant.h"
#include "winograd_variant.h"
#include "pool_variant.h"
#include "fft_variant.h"
#include "tsne_variant.h"
#undef VARIANT
#undef VL
#undef TSNE_GATHER_F32
#pragma clang attribute pop

#pragma clang attribute push(__attribute__((target("avx512f"))), apply_to = function)
#define TSNE_GATHER_F32(base, index, result)                                                                 \
    {                                                                                                        \
        __m512i i_;                                                                                          \
        __builtin_memcpy(&i_, &(index), 64);                                                                 \
        const __m512 r_ = _mm512_i32gather_ps(i_, (const void *)(base), 4);                                  \
        __builtin_memcpy(&(result), &r_, 64);                                                                \
    }
#define VARIANT avx512
#define VL 16
#include "im2col_variant.h"
#include "winograd_variant.h"
#include "pool_variant.h"
#include "fft_variant.h"
#include "tsne_variant.h"
#undef VARIANT
#undef VL
#undef TSNE_GATHER_F32
#pragma clang attribute pop
#endif

#include "dispatch.h"

void loupe_im2col_at(loupe_isa level, const float *x, ptrdiff_t channels, ptrdiff_t h, ptrdiff_t w, ptrdiff_t kernel,
                     ptrdiff_t stride, ptrdiff_t padding, ptrdiff_t p, ptrdiff_t q, float *col, ptrdiff_t ld) {
    DISPATCH(level, im2col, x, channels, h, w, kernel, stride, padding, p, q, col, ld)
}

void loupe_col2im_add_at(loupe_isa level, const float *col, ptrdiff_t ld, ptrdiff_t channels, ptrdiff_t h, ptrdiff_t w,
                         ptrdiff_t kernel, ptrdiff_t stride, ptrdiff_t padding, ptrdiff_t p, ptrdiff_t q, float *dx) {
    DISPATCH(level, col2im_add, col, ld, channels, h, w, kernel, stride, padding, p, q, dx)
}

void loupe_im2col(const float *x, ptrdiff_t channels, ptrdiff_t h, ptrdiff_t w, ptrdiff_t kernel, ptrdiff_t stride,
                  ptrdiff_t padding, ptrdiff_t p, ptrdiff_t q, float *col, ptrdiff_t ld) {
    loupe_im2col_at(loupe_isa_active(), x, channels, h, w, kernel, stride, padding, p, q, col, ld);
}

void loupe_col2im_add(const float *col, ptrdiff_t ld, ptrdiff_t channels, ptrdiff_t h, ptrdiff_t w, ptrdiff_t kernel,
                      ptrdiff_t stride, ptrdiff_t padding, ptrdiff_t p, ptrdiff_t q, float *dx) {
    loupe_col2im_add_at(loupe_isa_active(), col, ld, channels, h, w, kernel, stride, padding, p, q, dx);
}

void loupe_winograd_input_at(loupe_isa level, const float *x, ptrdiff_t samples, ptrdiff_t sample_stride, ptrdiff_t channels,
                             ptrdiff_t h, ptrdiff_t w, float *v, ptrdiff_t ld, ptrdiff_t plane, float *scratch) {
    DISPATCH(level, winograd_input, x, samples, sample_stride, channels, h, w, v, ld, plane, scratch)
}

void loupe_winograd_output_at(loupe_isa level, const float *m, ptrdiff_t samples, ptrdiff_t channels, ptrdiff_t p, ptrdiff_t q,
                              ptrdiff_t ld, ptrdiff_t plane, float *y, ptrdiff_t sample_stride, float *scratch) {
    DISPATCH(level, winograd_output, m, samples, channels, p, q, ld, plane, y, sample_stride, scratch)
}

void loupe_winograd_output_gradient_at(loupe_isa level, const float *dy, ptrdiff_t samples, ptrdiff_t sample_stride,
                                       ptrdiff_t channels, ptrdiff_t p, ptrdiff_t q, float *yhat, ptrdiff_t ld,
                                       ptrdiff_t plane, float *scratch) {
    DISPATCH(level, winograd_output_gradient, dy, samples, sample_stride, channels, p, q, yhat, ld, plane, scratch)
}

void loupe_winograd_filters_at(loupe_isa level, const float *w, ptrdiff_t count, float *u, ptrdiff_t first, ptrdiff_t end) {
    DISPATCH(level, winograd_filters, w, count, u, first, end)
}

void loupe_winograd_filter_gradient_at(loupe_isa level, const float *z, ptrdiff_t count, float *dw, ptrdiff_t first, ptrdiff_t end) {
    DISPATCH(level, winograd_filter_gradient, z, count, dw, first, end)
}

void loupe_winograd_filters(const float *w, ptrdiff_t count, float *u, ptrdiff_t first, ptrdiff_t end) {
    loupe_winograd_filters_at(loupe_isa_active(), w, count, u, first, end);
}

void loupe_winograd_filter_gradient(const float *z, ptrdiff_t count, float *dw, ptrdiff_t first, ptrdiff_t end) {
    loupe_winograd_filter_gradient_at(loupe_isa_active(), z, count, dw, first, end);
}

void loupe_winograd_input(const float *x, ptrdiff_t samples, ptrdiff_t sample_stride, ptrdiff_t channels,
                          ptrdiff_t h, ptrdiff_t w, float *v, ptrdiff_t ld, ptrdiff_t plane, float *scratch) {
    loupe_winograd_input_at(loupe_isa_active(), x, samples, sample_stride, channels, h, w, v, ld, plane, scratch);
}

void loupe_winograd_output(const float *m, ptrdiff_t samples, ptrdiff_t channels, ptrdiff_t p, ptrdiff_t q,
                           ptrdiff_t ld, ptrdiff_t plane, float *y, ptrdiff_t sample_stride, float *scratch) {
    loupe_winograd_output_at(loupe_isa_active(), m, samples, channels, p, q, ld, plane, y, sample_stride, scratch);
}

void loupe_winograd_output_gradient(const float *dy, ptrdiff_t samples, ptrdiff_t sample_stride, ptrdiff_t channels,
                                    ptrdiff_t p, ptrdiff_t q, float *yhat, ptrdiff_t ld, ptrdiff_t plane, float *scratch) {
    loupe_winograd_output_gradient_at(loupe_isa_active(), dy, samples, sample_stride, channels, p, q, yhat, ld, plane, scratch);
}

void loupe_maxpool2x2_at(loupe_isa level, const float *src, ptrdiff_t w, ptrdiff_t p, ptrdiff_t q, float *out, int32_t *argmax) {
    DISPATCH(level, maxpool2x2, src, w, p, q, out, argmax)
}

void loupe_maxpool3x3_row_at(loupe_isa level, const float *top, ptrdiff_t w, ptrdiff_t row_base, ptrdiff_t stride, ptrdiff_t pad,
                             ptrdiff_t first, ptrdiff_t end, float *out, int32_t *argmax) {
    DISPATCH(level, maxpool3x3_row, top, w, row_base, stride, pad, first, end, out, argmax)
}

void loupe_maxpool3x3s2_at(loupe_isa level, const float *x, ptrdiff_t h, ptrdiff_t w, ptrdiff_t pad, ptrdiff_t p, ptrdiff_t q,
                           float *out, int32_t *argmax) {
    DISPATCH(level, maxpool3x3s2, x, h, w, pad, p, q, out, argmax)
}

void loupe_maxpool3x3s2(const float *x, ptrdiff_t h, ptrdiff_t w, ptrdiff_t pad, ptrdiff_t p, ptrdiff_t q, float *out,
                        int32_t *argmax) {
    loupe_maxpool3x3s2_at(loupe_isa_active(), x, h, w, pad, p, q, out, argmax);
}

void loupe_maxpool2x2(const float *src, ptrdiff_t w, ptrdiff_t p, ptrdiff_t q, float *out, int32_t *argmax) {
    loupe_maxpool2x2_at(loupe_isa_active(), src, w, p, q, out, argmax);
}

void loupe_maxpool3x3_row(const float *top, ptrdiff_t w, ptrdiff_t row_base, ptrdiff_t stride, ptrdiff_t pad,
                          ptrdiff_t first, ptrdiff_t end, float *out, int32_t *argmax) {
    loupe_maxpool3x3_row_at(loupe_isa_active(), top, w, row_base, stride, pad, first, end, out, argmax);
}

void loupe_fft_stage_at(loupe_isa level, int radix, const float *xr, const float *xi, float *yr, float *yi, ptrdiff_t m,
                        ptrdiff_t run, const float *wr, const float *wi) {
    DISPATCH(level, fft_stage, radix, xr, xi, yr, yi, m, run, wr, wi)
}

void loupe_winograd4_input_at(loupe_isa level, const float *x, ptrdiff_t samples, ptrdiff_t sample_stride, ptrdiff_t channels,
                              ptrdiff_t h, ptrdiff_t w, float *v, ptrdiff_t ld, ptrdiff_t plane, float *scratch) {
    DISPATCH(level, winograd4_input, x, samples, sample_stride, channels, h, w, v, ld, plane, scratch)
}

void loupe_winograd4_output_at(loupe_isa level, const float *m, ptrdiff_t samples, ptrdiff_t channels, ptrdiff_t p, ptrdiff_t q,
                               ptrdiff_t ld, ptrdiff_t plane, float *y, ptrdiff_t sample_stride, float *scratch) {
    DISPATCH(level, winograd4_output, m, samples, channels, p, q, ld, plane, y, sample_stride, scratch)
}

void loupe_winograd4_output_gradient_at(loupe_isa level, const float *dy, ptrdiff_t samples, ptrdiff_t sample_stride,
                                        ptrdiff_t channels, ptrdiff_t p, ptrdiff_t q, float *yhat, ptrdiff_t ld,
                                        ptrdiff_t plane, float *scratch) {
    DISPATCH(level, winograd4_output_gradient, dy, samples, sample_stride, channels, p, q, yhat, ld, plane, scratch)
}

void loupe_winograd4_filters_at(loupe_isa level, const float *w, ptrdiff_t count, float *u, ptrdiff_t first, ptrdiff_t end,
                                int flipped) {
    DISPATCH(level, winograd4_filters, w, count, u, first, end, flipped)
}

void loupe_winograd4_filter_gradient_at(loupe_isa level, const float *z, ptrdiff_t count, float *dw, ptrdiff_t first,
                                        ptrdiff_t end) {
    DISPATCH(level, winograd4_filter_gradient, z, count, dw, first, end)
}

void loupe_winograd4_input(const float *x, ptrdiff_t samples, ptrdiff_t sample_stride, ptrdiff_t channels,
                           ptrdiff_t h, ptrdiff_t w, float *v, ptrdiff_t ld, ptrdiff_t plane, float *scratch) {
    loupe_winograd4_input_at(loupe_isa_active(), x, samples, sample_stride, channels, h, w, v, ld, plane, scratch);
}

void loupe_winograd4_output(const float *m, ptrdiff_t samples, ptrdiff_t channels, ptrdiff_t p, ptrdiff_t q,
                            ptrdiff_t ld, ptrdiff_t plane, float *y, ptrdiff_t sample_stride, float *scratch) {
    loupe_winograd4_output_at(loupe_isa_active(), m, samples, channels, p, q, ld, plane, y, sample_stride, scratch);
}

void loupe_winograd4_output_gradient(const float *dy, ptrdiff_t samples, ptrdiff_t sample_stride, ptrdiff_t channels,
                                     ptrdiff_t p, ptrdiff_t q, float *yhat, ptrdiff_t ld, ptrdiff_t plane, float *scratch) {
    loupe_winograd4_output_gradient_at(loupe_isa_active(), dy, samples, sample_stride, channels, p, q, yhat, ld, plane, scratch);
}

void loupe_winograd4_filters(const float *w, ptrdiff_t count, float *u, ptrdiff_t first, ptrdiff_t end, int flipped) {
    loupe_winograd4_filters_at(loupe_isa_active(), w, count, u, first, end, flipped);
}

void loupe_winograd4_filter_gradient(const float *z, ptrdiff_t count, float *dw, ptrdiff_t first, ptrdiff_t end) {
    loupe_winograd4_filter_gradient_at(loupe_isa_active(), z, count, dw, first, end);
}

void loupe_tsne_attraction_at(loupe_isa level, const float *ys, const int32_t *rows, const ptrdiff_t *slice_start,
                              const int32_t *columns, const float *values, ptrdiff_t first, ptrdiff_t end, float *out) {
    DISPATCH(level, tsne_attraction, ys, rows, slice_start, columns, values, first, end, out)
}

void loupe_tsne_attraction(const float *ys, const int32_t *rows, const ptrdiff_t *slice_start, const int32_t *columns,
                           const float *values, ptrdiff_t first, ptrdiff_t end, float *out) {
    loupe_tsne_attraction_at(loupe_isa_active(), ys, rows, slice_start, columns, values, first, end, out);
}

void loupe_winograd_map2_input_at(loupe_isa level, const float *x, ptrdiff_t samples, ptrdiff_t sample_stride,
                                  ptrdiff_t channels, float *v, ptrdiff_t ld, ptrdiff_t plane) {
    DISPATCH(level, winograd_map2_input, x, samples, sample_stride, channels, v, ld, plane)
}

void loupe_winograd_map2_output_at(loupe_isa level, const float *m, ptrdiff_t samples, ptrdiff_t channels, ptrdiff_t ld,
                                   ptrdiff_t plane, float *y, ptrdiff_t sample_stride) {
    DISPATCH(level, winograd_map2_output, m, samples, channels, ld, plane, y, sample_stride)
}

void loupe_winograd_map2_output_gradient_at(loupe_isa level, const float *dy, ptrdiff_t samples, ptrdiff_t sample_stride,
                                            ptrdiff_t channels, float *yhat, ptrdiff_t ld, ptrdiff_t plane) {
    DISPATCH(level, winograd_map2_output_gradient, dy, samples, sample_stride, channels, yhat, ld, plane)
}

void loupe_winograd_map2_filters_at(loupe_isa level, const float *w, ptrdiff_t count, float *u, ptrdiff_t first,
                                    ptrdiff_t end) {
    DISPATCH(level, winograd_map2_filters, w, count, u, first, end)
}

void loupe_winograd_map2_filter_gradient_at(loupe_isa level, const float *z, ptrdiff_t count, float *dw, ptrdiff_t first,
                                            ptrdiff_t end) {
    DISPATCH(level, winograd_map2_filter_gradient, z, count, dw, first, end)
}
