// One instruction-set variant of im2col / col2im (Chellapilla, Puri & Simard 2006); kernels.c includes
// this file once per level, as with winograd_variant.h. Shapes as in CKernels.h. Strides 1 and 2 get loops of
// their own, so the compiler sees a constant stride and vectorises the row copies (stride 2 with
// shuffles); other strides take the general loop.

#define CAT2(a, b) a##_##b
#define CAT(a, b) CAT2(a, b)
#define FN(name) CAT(name, VARIANT)

static inline ptrdiff_t FN(ceil_div)(ptrdiff_t a, ptrdiff_t b) { return a >= 0 ? (a + b - 1) / b : -((-a) / b); }
static inline ptrdiff_t FN(floor_div)(ptrdiff_t a, ptrdiff_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

/// Output columns lo ..< hi whose input column v·s − pad + j lies inside 0 ..< W.
static inline void FN(valid_columns)(ptrdiff_t W, ptrdiff_t Q, ptrdiff_t s, ptrdiff_t pad, ptrdiff_t j, ptrdiff_t *lo, ptrdiff_t *hi) {
    ptrdiff_t l = FN(ceil_div)(pad - j, s), h = FN(floor_div)(W - 1 + pad - j, s) + 1;
    if (l < 0) l = 0;
    if (h > Q) h = Q;
    if (h < l) h = l;
    *lo = l;
    *hi = h;
}

void FN(im2col)(const float *restrict x, ptrdiff_t C, ptrdiff_t H, ptrdiff_t W, ptrdiff_t k, ptrdiff_t s, ptrdiff_t pad,
                ptrdiff_t P, ptrdiff_t Q, float *restrict col, ptrdiff_t ld) {
    for (ptrdiff_t c = 0; c < C; c++) {
        for (ptrdiff_t i = 0; i < k; i++) {
            for (ptrdiff_t j = 0; j < k; j++) {
                float *row = col + ((c * k + i) * k + j) * ld;
                ptrdiff_t lo, hi;
                FN(valid_columns)(W, Q, s, pad, j, &lo, &hi);
                for (ptrdiff_t u = 0; u < P; u++) {
                    float *restrict dst = row + u * Q;
                    const ptrdiff_t ih = u * s - pad + i;
                    if (ih < 0 || ih >= H || lo == hi) {
                        for (ptrdiff_t v = 0; v < Q; v++) dst[v] = 0;
                        continue;
                    }
                    const float *restrict src = x + (c * H + ih) * W + (j - pad);
                    for (ptrdiff_t v = 0; v < lo; v++) dst[v] = 0;
                    if (s == 1) {
                        for (ptrdiff_t v = lo; v < hi; v++) dst[v] = src[v];
                    } else if (s == 2) {
                        for (ptrdiff_t v = lo; v < hi; v++) dst[v] = src[2 * v];
                    } else {
                        for (ptrdiff_t v = lo; v < hi; v++) dst[v] = src[v * s];
                    }
                    for (ptrdiff_t v = hi; v < Q; v++) dst[v] = 0;
                }
            }
        }
    }
}

void FN(col2im_add)(const float *restrict col, ptrdiff_t ld, ptrdiff_t C, ptrdiff_t H, ptrdiff_t W, ptrdiff_t k, ptrdiff_t s,
                    ptrdiff_t pad, ptrdiff_t P, ptrdiff_t Q, float *restrict dx) {
    for (ptrdiff_t c = 0; c < C; c++) {
        for (ptrdiff_t i = 0; i < k; i++) {
            for (ptrdiff_t j = 0; j < k; j++) {
                const float *row = col + ((c * k + i) * k + j) * ld;
                ptrdiff_t lo, hi;
                FN(valid_columns)(W, Q, s, pad, j, &lo, &hi);
                if (lo == hi) continue;
                for (ptrdiff_t u = 0; u < P; u++) {
                    const ptrdiff_t ih = u * s - pad + i;
                    if (ih < 0 || ih >= H) continue;
                    const float *restrict src = row + u * Q;
                    float *restrict dst = dx + (c * H + ih) * W + (j - pad);
                    if (s == 1) {
                        for (ptrdiff_t v = lo; v < hi; v++) dst[v] += src[v];
                    } else if (s == 2) {
                        for (ptrdiff_t v = lo; v < hi; v++) dst[2 * v] += src[v];
                    } else {
                        for (ptrdiff_t v = lo; v < hi; v++) dst[v * s] += src[v];
                    }
                }
            }
        }
    }
}

#undef FN
#undef CAT
#undef CAT2
