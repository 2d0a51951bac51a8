// One instruction-set variant of the max-pooling windows; kernels.c includes this file once per level.
// Ties go to the first element in row-major order and a NaN wins, as PyTorch (and as the Swift general
// path in MaxPool2d.swift). Written branch-free per output, so the compiler turns the comparisons
// into vector selects over a row of outputs.

#define CAT2(a, b) a##_##b
#define CAT(a, b) CAT2(a, b)
#define FN(name) CAT(name, VARIANT)

/// Keeps (value, at) when it beats (best, index): greater, or NaN.
#define POOL_TAKE(value, at)                                                                                  \
    {                                                                                                         \
        const float v_ = (value);                                                                             \
        const int wins_ = (v_ > best) | (v_ != v_);                                                           \
        best = wins_ ? v_ : best;                                                                             \
        index = wins_ ? (at) : index;                                                                         \
    }

void FN(maxpool2x2)(const float *restrict src, ptrdiff_t w, ptrdiff_t P, ptrdiff_t Q, float *restrict out,
                    int32_t *restrict argmax) {
    for (ptrdiff_t u = 0; u < P; u++) {
        const float *r0 = src + 2 * u * w, *r1 = r0 + w;
        const int32_t base = (int32_t)(2 * u * w);
        for (ptrdiff_t v = 0; v < Q; v++) {
            float best = r0[2 * v];
            int32_t index = base + (int32_t)(2 * v);
            POOL_TAKE(r0[2 * v + 1], base + (int32_t)(2 * v + 1))
            POOL_TAKE(r1[2 * v], base + (int32_t)(w + 2 * v))
            POOL_TAKE(r1[2 * v + 1], base + (int32_t)(w + 2 * v + 1))
            out[u * Q + v] = best;
            argmax[u * Q + v] = index;
        }
    }
}

void FN(maxpool3x3_row)(const float *restrict top, ptrdiff_t w, ptrdiff_t row_base, ptrdiff_t stride, ptrdiff_t pad,
                        ptrdiff_t first, ptrdiff_t end, float *restrict out, int32_t *restrict argmax) {
    for (ptrdiff_t v = first; v < end; v++) {
        const ptrdiff_t c0 = v * stride - pad;
        float best = top[c0];
        int32_t index = (int32_t)(row_base + c0);
        for (int r = 0; r < 3; r++) {
            for (int j = (r == 0); j < 3; j++) POOL_TAKE(top[r * w + c0 + j], (int32_t)(row_base + r * w + c0 + j))
        }
        out[v] = best;
        argmax[v] = index;
    }
}

#undef POOL_TAKE
#undef FN
#undef CAT
#undef CAT2
