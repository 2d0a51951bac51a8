// im2col / col2im of CKernels.h: three variants of im2col_variant.h and the dispatch.
#include "CKernels.h"

#define VARIANT sse2
#include "im2col_variant.h"
#undef VARIANT

#if defined(__x86_64__)
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#define VARIANT avx2
#include "im2col_variant.h"
#undef VARIANT
#pragma clang attribute pop

#pragma clang attribute push(__attribute__((target("avx512f"))), apply_to = function)
#define VARIANT avx512
#include "im2col_variant.h"
#undef VARIANT
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
