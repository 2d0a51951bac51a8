// The Winograd transforms of CKernels.h: three variants of winograd_variant.h and the dispatch.
#include "CKernels.h"

#include <string.h>

/// Columns per block of the two-pass transforms: the scratch rows (16 × n floats) stay in L1/L2.
#define WINOGRAD_BLOCK 256
/// Floats of the padded-row buffer for maps `w` wide: the row, its zeros and 16 floats of slack.
#define WINOGRAD_ROW_FLOATS(w) (2 * (((w) + 1) / 2) + 18)

size_t loupe_winograd_scratch_floats(ptrdiff_t h, ptrdiff_t w) {
    const ptrdiff_t tiles = ((h + 1) / 2) * ((w + 1) / 2);
    const ptrdiff_t columns = tiles > WINOGRAD_BLOCK ? tiles : WINOGRAD_BLOCK + tiles;
    return (size_t)(16 * columns + WINOGRAD_ROW_FLOATS(w));
}

#define VARIANT sse2
#define VL 8
#include "winograd_variant.h"
#undef VARIANT
#undef VL

#if defined(__x86_64__)
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#define VARIANT avx2
#define VL 8
#include "winograd_variant.h"
#undef VARIANT
#undef VL
#pragma clang attribute pop

#pragma clang attribute push(__attribute__((target("avx512f"))), apply_to = function)
#define VARIANT avx512
#define VL 16
#include "winograd_variant.h"
#undef VARIANT
#undef VL
#pragma clang attribute pop
#endif

#include "dispatch.h"

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
