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

/// Whether an unfold of P × Q outputs goes through an offset table: rows of at most IM2COL_TABLE_MAX_Q
/// outputs (ResNet-18's strided convolutions at 64 px write rows of 8, 4 and 2), where the row loops'
/// set-up cost more than their copies, and a table (k·k·P·Q entries) small enough for the stack.
#define IM2COL_TABLE_MAX_Q 8
#define IM2COL_TABLE_MAX 4096
#define IM2COL_USES_TABLE(k, P, Q) ((Q) <= IM2COL_TABLE_MAX_Q && (k) * (k) * (P) * (Q) <= IM2COL_TABLE_MAX)

/// off[t·L + l]: where tap t (i·k + j) of output l (u·Q + v) reads within a channel plane, or −1 for padding.
static inline void FN(im2col_offsets)(ptrdiff_t H, ptrdiff_t W, ptrdiff_t k, ptrdiff_t s, ptrdiff_t pad, ptrdiff_t P,
                                      ptrdiff_t Q, int32_t *off) {
    const ptrdiff_t L = P * Q;
    for (ptrdiff_t i = 0; i < k; i++)
        for (ptrdiff_t j = 0; j < k; j++)
            for (ptrdiff_t u = 0; u < P; u++)
                for (ptrdiff_t v = 0; v < Q; v++) {
                    const ptrdiff_t r = u * s - pad + i, q = v * s - pad + j;
                    off[(i * k + j) * L + u * Q + v] = (r >= 0 && r < H && q >= 0 && q < W) ? (int32_t)(r * W + q) : -1;
                }
}

void FN(im2col)(const float *restrict x, ptrdiff_t C, ptrdiff_t H, ptrdiff_t W, ptrdiff_t k, ptrdiff_t s, ptrdiff_t pad,
                ptrdiff_t P, ptrdiff_t Q, float *restrict col, ptrdiff_t ld) {
    if (IM2COL_USES_TABLE(k, P, Q)) {
        // Each row (c, t) is the L outputs read through the table built once for every channel.
        const ptrdiff_t L = P * Q, taps = k * k;
        int32_t off[IM2COL_TABLE_MAX];
        FN(im2col_offsets)(H, W, k, s, pad, P, Q, off);
        for (ptrdiff_t c = 0; c < C; c++) {
            const float *restrict xc = x + c * H * W;
            for (ptrdiff_t t = 0; t < taps; t++) {
                float *restrict row = col + (c * taps + t) * ld;
                const int32_t *o = off + t * L;
                for (ptrdiff_t l = 0; l < L; l++) row[l] = o[l] >= 0 ? xc[o[l]] : 0.0f;
            }
        }
        return;
    }
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
    if (IM2COL_USES_TABLE(k, P, Q)) {
        // The adjoint of the table unfold, in the same (c, i, j, u, v) order as the row loops below, so the
        // sums into each input pixel come in the same order either way.
        const ptrdiff_t L = P * Q, taps = k * k;
        int32_t off[IM2COL_TABLE_MAX];
        FN(im2col_offsets)(H, W, k, s, pad, P, Q, off);
        for (ptrdiff_t c = 0; c < C; c++) {
            float *restrict dc = dx + c * H * W;
            for (ptrdiff_t t = 0; t < taps; t++) {
                const float *restrict row = col + (c * taps + t) * ld;
                const int32_t *o = off + t * L;
#pragma clang loop vectorize(disable)
                for (ptrdiff_t l = 0; l < L; l++) {
                    if (o[l] >= 0) dc[o[l]] += row[l];
                }
            }
        }
        return;
    }
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
