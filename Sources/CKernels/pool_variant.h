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

#if VL == 8
#define EVEN_LANES(a, b) __builtin_shufflevector(a, b, 0, 2, 4, 6, 8, 10, 12, 14)
#define ODD_LANES(a, b) __builtin_shufflevector(a, b, 1, 3, 5, 7, 9, 11, 13, 15)
#elif VL == 16
#define EVEN_LANES(a, b) __builtin_shufflevector(a, b, 0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30)
#define ODD_LANES(a, b) __builtin_shufflevector(a, b, 1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31)
#endif

typedef float CAT(pvf, VARIANT) __attribute__((ext_vector_type(VL)));
typedef int32_t CAT(pvi, VARIANT) __attribute__((ext_vector_type(VL)));
#define PVF CAT(pvf, VARIANT)
#define PVI CAT(pvi, VARIANT)

/// Keeps (value, at) lane by lane where it beats (best, index): greater, or NaN.
#define POOL_TAKE_V(value, at)                                                                                \
    {                                                                                                         \
        const PVF v_ = (value);                                                                               \
        const PVI wins_ = (PVI)(v_ > best) | (PVI)(v_ != v_);                                                 \
        best = (PVF)(((PVI)v_ & wins_) | ((PVI)best & ~wins_));                                               \
        index = ((at) & wins_) | (index & ~wins_);                                                            \
    }

/// The 3-wide maxima at stride 2 of one input row (`row` its index) for outputs v0 …< v0 + VL: taps at columns
/// 2v − pad + k, k = 0, 1, 2, of which those outside the row are −∞ (a lane whose first tap is padding starts
/// from its second, so a window of −∞ points at its first real element, as the scan does).
static inline void FN(pool3s2_row)(const float *restrict x, ptrdiff_t W, ptrdiff_t row, ptrdiff_t pad, ptrdiff_t v0,
                                   PVF *best_out, PVI *index_out) {
    const ptrdiff_t c = 2 * v0 - pad;  // the chunk's first tap column
    PVF lo, hi, lo2, hi2;
    const float *src = x + row * W;
    if (c >= 0 && c + 2 * VL + 2 <= W) {
        __builtin_memcpy(&lo, src + c, sizeof(PVF)); __builtin_memcpy(&hi, src + c + VL, sizeof(PVF));
        __builtin_memcpy(&lo2, src + c + 2, sizeof(PVF)); __builtin_memcpy(&hi2, src + c + VL + 2, sizeof(PVF));
    } else {
#if VL == 16 && defined(__x86_64__)
        // Masked loads with −∞ in the lanes outside the row, which are not read. The byte-by-byte buffer below
        // made every chunk of the stem's 16- to 56-column rows slow (a row's first chunk always starts in the
        // padding), and cost 2 % of a ResNet-18 @112 step.
        const __m512 minus_inf = _mm512_set1_ps(-__builtin_inff());
#define POOL_ROW_MASK(start) ((__mmask16)((start) >= W || (start) + 16 <= 0 ? 0u                                          : ((0xFFFFu << ((start) < 0 ? -(start) : 0)) & (0xFFFFu >> ((start) + 16 > W ? (start) + 16 - W : 0)))))
#define POOL_ROW_LOAD(start) ((PVF)_mm512_mask_loadu_ps(minus_inf, POOL_ROW_MASK(start),                                    (const void *)((uintptr_t)src + (intptr_t)sizeof(float) * (start))))
        lo = POOL_ROW_LOAD(c); hi = POOL_ROW_LOAD(c + VL); lo2 = POOL_ROW_LOAD(c + 2); hi2 = POOL_ROW_LOAD(c + VL + 2);
#undef POOL_ROW_LOAD
#undef POOL_ROW_MASK
#else
        float buf[2 * VL + 2];
        for (int j = 0; j < 2 * VL + 2; j++) buf[j] = (c + j >= 0 && c + j < W) ? src[c + j] : -__builtin_inff();
        __builtin_memcpy(&lo, buf, sizeof(PVF)); __builtin_memcpy(&hi, buf + VL, sizeof(PVF));
        __builtin_memcpy(&lo2, buf + 2, sizeof(PVF)); __builtin_memcpy(&hi2, buf + VL + 2, sizeof(PVF));
#endif
    }
    PVI lane;
    for (int l = 0; l < VL; l++) lane[l] = l;
    const PVI at0 = (PVI)((int32_t)(row * W + c)) + 2 * lane;
    // Lanes whose first tap is left of the row (only v = 0 with padding) index their second tap instead.
    const PVI padded = (PVI)((int32_t)c) + 2 * lane < 0;
    PVF best = EVEN_LANES(lo, hi);
    PVI index = (at0 & ~padded) | ((at0 + 1) & padded);
    POOL_TAKE_V(ODD_LANES(lo, hi), at0 + 1)
    POOL_TAKE_V(EVEN_LANES(lo2, hi2), at0 + 2)
    *best_out = best;
    *index_out = index;
}

void FN(maxpool3x3s2)(const float *restrict x, ptrdiff_t H, ptrdiff_t W, ptrdiff_t pad, ptrdiff_t P, ptrdiff_t Q,
                      float *restrict out, int32_t *restrict argmax) {
    // Separable: the row maxima of the window's rows, then the maximum over them in row order. The same
    // (value, index) as the row-major scan: within a row the first maximum or the last NaN, and a later row
    // wins only when greater or NaN. Even and odd columns come from two vector loads and a shuffle, so a
    // vector holds VL outputs whatever the stride.
    for (ptrdiff_t u = 0; u < P; u++) {
        const ptrdiff_t r0 = 2 * u - pad;
        for (ptrdiff_t v0 = 0; v0 < Q; v0 += VL) {
            PVF best = 0;
            PVI index = 0;
            int started = 0;
            for (ptrdiff_t r = r0; r < r0 + 3; r++) {
                if (r < 0 || r >= H) continue;
                PVF rb;
                PVI ri;
                FN(pool3s2_row)(x, W, r, pad, v0, &rb, &ri);
                if (!started) { best = rb; index = ri; started = 1; continue; }
                POOL_TAKE_V(rb, ri)
            }
            const ptrdiff_t lanes = Q - v0 < VL ? Q - v0 : VL;
            float b[VL];
            int32_t at[VL];
            __builtin_memcpy(b, &best, sizeof(PVF));
            __builtin_memcpy(at, &index, sizeof(PVI));
            for (ptrdiff_t l = 0; l < lanes; l++) { out[u * Q + v0 + l] = b[l]; argmax[u * Q + v0 + l] = at[l]; }
        }
    }
}

#undef POOL_TAKE_V
#undef EVEN_LANES
#undef ODD_LANES
#undef PVF
#undef PVI
#undef POOL_TAKE
#undef FN
#undef CAT
#undef CAT2
