// One instruction-set variant of the Winograd F(4×4, 3×3) transforms (Lavin & Gray, "Fast Algorithms for
// Convolutional Neural Networks", 2016, interpolation points 0, ±1, ±2, ∞); kernels.c includes this file once
// per level, after im2col_variant.h and winograd_variant.h (whose macros it reuses). Each 4×4 output tile is
//   y = Aᵀ [(G g Gᵀ) ⊙ (Bᵀ d B)] A,  d the 6×6 input tile (stride 4, one pixel of padding),
// 36 products per 16 outputs where F(2×2, 3×3) needs 64 and im2col 144.
//
//   Bᵀ = [4  0 −5  0 1 0]   G = [ 1/4     0     0 ]   Aᵀ = [1 1  1 1  1 0]
//        [0 −4 −4  1 1 0]       [−1/6  −1/6  −1/6 ]        [0 1 −1 2 −2 0]
//        [0  4 −4 −1 1 0]       [−1/6   1/6  −1/6 ]        [0 1  1 4  4 0]
//        [0 −2 −1  2 1 0]       [1/24  1/12   1/6 ]        [0 1 −1 8 −8 1]
//        [0  2 −1 −2 1 0]       [1/24 −1/12   1/6 ]
//        [0  4  0 −5 0 1]       [   0     0     1 ]
//
// Same two-pass layout as winograd_variant.h: per channel over a block of samples, a gather pass into
// scratch rows (for the input, Bᵀ along each zero-padded image row; for dOut, the im2col unfold with 4×4
// windows at stride 4), then a combine pass over all the block's tile columns (s·T + tile) with full-width
// vectors. Position ξ = 6α + β. Scratch: D (36, n) rows for n = block samples · T columns (Y (16, n) for
// the output transform), then one padded image row.

/// Samples per block of the F(4×4) transforms: about WINOGRAD4_BLOCK columns, whole samples.
static inline ptrdiff_t FN(block_samples4)(ptrdiff_t tiles) {
    ptrdiff_t bs = WINOGRAD4_BLOCK / tiles;
    return bs < 1 ? 1 : bs;
}

// t = Bᵀ·(d0 … d5), in the factored form (a ± b, c ± e) of the middle rows.
#define BT6(TYPE, d, t)                                                                                      \
    {                                                                                                        \
        const TYPE a_ = d[4] - 4.0f * d[2], b_ = d[3] - 4.0f * d[1];                                          \
        const TYPE c_ = d[4] - d[2], e_ = 2.0f * (d[3] - d[1]);                                               \
        t[0] = 4.0f * d[0] - 5.0f * d[2] + d[4];                                                             \
        t[1] = a_ + b_; t[2] = a_ - b_; t[3] = c_ + e_; t[4] = c_ - e_;                                       \
        t[5] = 4.0f * d[1] - 5.0f * d[3] + d[5];                                                             \
    }

// o = Aᵀ·(m0 … m5).
#define AT6(TYPE, m, o)                                                                                      \
    {                                                                                                        \
        const TYPE s12_ = m[1] + m[2], d12_ = m[1] - m[2], s34_ = m[3] + m[4], d34_ = m[3] - m[4];           \
        o[0] = m[0] + s12_ + s34_; o[1] = d12_ + 2.0f * d34_; o[2] = s12_ + 4.0f * s34_;                     \
        o[3] = d12_ + 8.0f * d34_ + m[5];                                                                    \
    }

// r = A·(g0 … g3), A = (Aᵀ)ᵀ.
#define A4(TYPE, g, r)                                                                                       \
    {                                                                                                        \
        const TYPE e_ = g[0] + g[2], o_ = g[1] + g[3];                                                        \
        const TYPE e2_ = g[0] + 4.0f * g[2], o2_ = 2.0f * g[1] + 8.0f * g[3];                                \
        r[0] = g[0]; r[1] = e_ + o_; r[2] = e_ - o_; r[3] = e2_ + o2_; r[4] = e2_ - o2_; r[5] = g[3];        \
    }

void FN(winograd4_input)(const float *restrict x, ptrdiff_t samples, ptrdiff_t stride, ptrdiff_t C,
                         ptrdiff_t H, ptrdiff_t W, float *restrict v, ptrdiff_t ld, ptrdiff_t plane,
                         float *restrict scratch) {
    const ptrdiff_t Pt = (H + 3) / 4, Qt = (W + 3) / 4, T = Pt * Qt, R = 4 * Qt + 2;
    const ptrdiff_t bs = FN(block_samples4)(T);
    float *restrict d = scratch, *restrict row = scratch + 36 * (bs * T > T ? bs * T : T);
    for (ptrdiff_t s0 = 0; s0 < samples; s0 += bs) {
        const ptrdiff_t s1 = s0 + bs < samples ? s0 + bs : samples, n = (s1 - s0) * T;
        for (ptrdiff_t c = 0; c < C; c++) {
            // Gather: Bᵀ along every zero-padded row r (input row r − 1), stored for the one or two tile
            // rows that contain it (tile row ti reads padded rows 4ti …< 4ti + 6) as D[6a + β][s·T + tile].
            // Walking rows once costs one pass over the image; the im2col unfold (6×6 windows, stride 4)
            // reads every row 1.5 times through a strided gather, and took 11 % of a ResNet-18 step.
            for (ptrdiff_t s = s0; s < s1; s++) {
                const float *src = x + s * stride + c * H * W;
                float *base = d + (s - s0) * T;
                for (ptrdiff_t r = 0; r < 4 * Pt + 2; r++) {
                    const ptrdiff_t ti1 = r / 4, a1 = r % 4, ti2 = r / 4 - 1, a2 = r % 4 + 4;
                    float *first = ti1 < Pt ? base + (6 * a1) * n + ti1 * Qt : 0;
                    float *second = (a2 < 6 && ti2 >= 0 && ti2 < Pt) ? base + (6 * a2) * n + ti2 * Qt : 0;
                    if (!first && !second) continue;
                    __builtin_memset(row, 0, (size_t)R * sizeof(float));
                    if (r >= 1 && r <= H) __builtin_memcpy(row + 1, src + (r - 1) * W, (size_t)W * sizeof(float));
                    for (ptrdiff_t j = 0; j < Qt; j++) {
                        const float *p = row + 4 * j;
                        float t[6];
                        BT6(float, p, t)
                        if (first) for (int b = 0; b < 6; b++) first[b * n + j] = t[b];
                        if (second) for (int b = 0; b < 6; b++) second[b * n + j] = t[b];
                    }
                }
            }
            float *out = v + s0 * T + c * ld;
            // Combine: Bᵀ along the columns, V[6α + β] = Σ_a Bᵀ[α][a]·D[6a + β].
            for (int b = 0; b < 6; b++) {
                ptrdiff_t k = 0;
                for (; k + VL <= n; k += VL) {
                    VF col[6], t[6];
                    for (int a = 0; a < 6; a++) col[a] = LOADV(d + (6 * a + b) * n + k);
                    BT6(VF, col, t)
                    for (int a = 0; a < 6; a++) STOREV(out + (6 * a + b) * plane + k, t[a]);
                }
                for (; k < n; k++) {
                    float col[6], t[6];
                    for (int a = 0; a < 6; a++) col[a] = d[(6 * a + b) * n + k];
                    BT6(float, col, t)
                    for (int a = 0; a < 6; a++) out[(6 * a + b) * plane + k] = t[a];
                }
            }
        }
    }
}

void FN(winograd4_output)(const float *restrict m, ptrdiff_t samples, ptrdiff_t C, ptrdiff_t P, ptrdiff_t Q,
                          ptrdiff_t ld, ptrdiff_t plane, float *restrict y, ptrdiff_t stride, float *restrict scratch) {
    const ptrdiff_t Pt = (P + 3) / 4, Qt = (Q + 3) / 4, T = Pt * Qt;
    const ptrdiff_t bs = FN(block_samples4)(T);
    for (ptrdiff_t s0 = 0; s0 < samples; s0 += bs) {
        const ptrdiff_t s1 = s0 + bs < samples ? s0 + bs : samples, n = (s1 - s0) * T;
        float *restrict yr = scratch;  // Y[4i + j][s·T + tile] = y[i][j] of the tile
        for (ptrdiff_t c = 0; c < C; c++) {
            const float *in = m + s0 * T + c * ld;
            // Combine: Aᵀ along each row α, then along the columns.
#define OUTPUT4_TILE(TYPE, LOAD, k, STORE)                                                                         \
            {                                                                                                       \
                TYPE f[6][4];                                                                                       \
                for (int a = 0; a < 6; a++) {                                                                       \
                    TYPE r[6];                                                                                      \
                    for (int b = 0; b < 6; b++) r[b] = LOAD(in + (6 * a + b) * plane + k);                          \
                    AT6(TYPE, r, f[a])                                                                              \
                }                                                                                                   \
                for (int j = 0; j < 4; j++) {                                                                       \
                    TYPE col[6], o[4];                                                                              \
                    for (int a = 0; a < 6; a++) col[a] = f[a][j];                                                   \
                    AT6(TYPE, col, o)                                                                               \
                    for (int i = 0; i < 4; i++) STORE(yr + (4 * i + j) * n + k, o[i]);                              \
                }                                                                                                   \
            }
            ptrdiff_t k = 0;
            for (; k + VL <= n; k += VL) OUTPUT4_TILE(VF, LOADV, k, STOREV)
            for (; k < n; k++) OUTPUT4_TILE(float, SCALAR_LOAD, k, SCALAR_STORE)
            // Scatter the 4 × 4 tiles into the map, within P × Q.
            for (ptrdiff_t s = s0; s < s1; s++) {
                float *dst = y + s * stride + c * P * Q;
                const ptrdiff_t t0 = (s - s0) * T;
                for (ptrdiff_t ti = 0; ti < Pt; ti++) {
                    for (ptrdiff_t i = 0; i < 4 && 4 * ti + i < P; i++) {
                        float *row = dst + (4 * ti + i) * Q;
                        const float *y0 = yr + (4 * i) * n + t0 + ti * Qt, *y1 = y0 + n, *y2 = y1 + n, *y3 = y2 + n;
                        const ptrdiff_t full = Q / 4;
                        for (ptrdiff_t j = 0; j < full; j++) {
                            row[4 * j] = y0[j]; row[4 * j + 1] = y1[j]; row[4 * j + 2] = y2[j]; row[4 * j + 3] = y3[j];
                        }
                        const ptrdiff_t rest = Q - 4 * full;
                        if (rest > 0) row[4 * full] = y0[full];
                        if (rest > 1) row[4 * full + 1] = y1[full];
                        if (rest > 2) row[4 * full + 2] = y2[full];
                    }
                }
            }
        }
    }
}

void FN(winograd4_output_gradient)(const float *restrict dy, ptrdiff_t samples, ptrdiff_t stride, ptrdiff_t C,
                                   ptrdiff_t P, ptrdiff_t Q, float *restrict yhat, ptrdiff_t ld, ptrdiff_t plane,
                                   float *restrict scratch) {
    const ptrdiff_t Pt = (P + 3) / 4, Qt = (Q + 3) / 4, T = Pt * Qt;
    const ptrdiff_t bs = FN(block_samples4)(T);
    float *restrict g = scratch;
    for (ptrdiff_t s0 = 0; s0 < samples; s0 += bs) {
        const ptrdiff_t s1 = s0 + bs < samples ? s0 + bs : samples, n = (s1 - s0) * T;
        for (ptrdiff_t c = 0; c < C; c++) {
            // Gather: the 4 × 4 tiles of dy (zero beyond the edge) as 16 rows.
            for (ptrdiff_t s = s0; s < s1; s++) {
                FN(im2col)(dy + s * stride + c * P * Q, 1, P, Q, 4, 4, 0, Pt, Qt, g + (s - s0) * T, n);
            }
            float *out = yhat + s0 * T + c * ld;
            // Combine: Ŷ = A·dy·Aᵀ, A along each row i of the tile, then along the columns.
#define GRADIENT4_TILE(TYPE, LOAD, k, STORE)                                                                       \
            {                                                                                                       \
                TYPE h[4][6];                                                                                       \
                for (int i = 0; i < 4; i++) {                                                                       \
                    TYPE r[4];                                                                                      \
                    for (int j = 0; j < 4; j++) r[j] = LOAD(g + (4 * i + j) * n + k);                               \
                    A4(TYPE, r, h[i])                                                                               \
                }                                                                                                   \
                for (int b = 0; b < 6; b++) {                                                                       \
                    TYPE col[4], t[6];                                                                              \
                    for (int i = 0; i < 4; i++) col[i] = h[i][b];                                                   \
                    A4(TYPE, col, t)                                                                                \
                    for (int a = 0; a < 6; a++) STORE(out + (6 * a + b) * plane + k, t[a]);                         \
                }                                                                                                   \
            }
            ptrdiff_t k = 0;
            for (; k + VL <= n; k += VL) GRADIENT4_TILE(VF, LOADV, k, STOREV)
            for (; k < n; k++) GRADIENT4_TILE(float, SCALAR_LOAD, k, SCALAR_STORE)
        }
    }
}

/// G's rows, applied to (g0, g1, g2).
#define G3(TYPE, g, t)                                                                                       \
    {                                                                                                        \
        const TYPE p_ = g[0] + g[2];                                                                         \
        t[0] = 0.25f * g[0];                                                                                 \
        t[1] = -(p_ + g[1]) / 6.0f; t[2] = -(p_ - g[1]) / 6.0f;                                              \
        t[3] = g[0] / 24.0f + g[1] / 12.0f + g[2] / 6.0f; t[4] = g[0] / 24.0f - g[1] / 12.0f + g[2] / 6.0f;  \
        t[5] = g[2];                                                                                         \
    }

void FN(winograd4_filters)(const float *restrict w, ptrdiff_t count, float *restrict u, ptrdiff_t first, ptrdiff_t end,
                           int flipped) {
    // U = G·g·Gᵀ (of the 180°-rotated filter when `flipped`): G on the columns of g, then on the rows. VL
    // filters at a time, as winograd_filters: taps transposed on the stack (plain copies), 36 vector stores,
    // streaming ones for a U of 2 MB or more, from an aligned filter on.
    const int streaming = (size_t)count * 36 * sizeof(float) >= ((size_t)1 << 21) && count % VL == 0;
    ptrdiff_t i = first;
    ptrdiff_t head = 0;
    if (streaming) {
        const ptrdiff_t misaligned = (ptrdiff_t)(((uintptr_t)(u + i) / sizeof(float)) % VL);
        head = misaligned ? VL - misaligned : 0;
    }
    while (i < end) {
        const ptrdiff_t lanes = i < first + head ? 1 : (end - i < VL ? end - i : VL);
        const int stream = streaming && lanes == VL;
        float taps[9 * VL];
        const float *src = w + i * 9;
        if (lanes == VL) {
#pragma clang loop vectorize(disable)
            for (int l = 0; l < VL; l++) {
                for (int k = 0; k < 9; k++) taps[(flipped ? 8 - k : k) * VL + l] = src[l * 9 + k];
            }
        } else {
            for (ptrdiff_t l = 0; l < lanes; l++) {
                for (int k = 0; k < 9; k++) taps[(flipped ? 8 - k : k) * VL + l] = src[l * 9 + k];
            }
        }
        VF t[6][3];
        for (int b = 0; b < 3; b++) {
            const VF col[3] = {LOADV(taps + b * VL), LOADV(taps + (3 + b) * VL), LOADV(taps + (6 + b) * VL)};
            VF r[6];
            G3(VF, col, r)
            for (int a = 0; a < 6; a++) t[a][b] = r[a];
        }
        for (int a = 0; a < 6; a++) {
            VF r[6];
            G3(VF, t[a], r)
            for (int b = 0; b < 6; b++) FN(store_lanes)(u + (6 * a + b) * count + i, &r[b], lanes, stream);
        }
        i += lanes;
    }
#if defined(__x86_64__)
    if (streaming) __builtin_ia32_sfence();  // streaming stores are weakly ordered: drain them before the GEMMs read U
#endif
}

/// Gᵀ's rows, applied to (z0 … z5).
#define GT6(z, t)                                                                                            \
    {                                                                                                        \
        t[0] = 0.25f * z[0] - (z[1] + z[2]) / 6.0f + (z[3] + z[4]) / 24.0f;                                  \
        t[1] = (z[2] - z[1]) / 6.0f + (z[3] - z[4]) / 12.0f;                                                 \
        t[2] = -(z[1] + z[2]) / 6.0f + (z[3] + z[4]) / 6.0f + z[5];                                          \
    }

void FN(winograd4_filter_gradient)(const float *restrict z, ptrdiff_t count, float *restrict dw, ptrdiff_t first, ptrdiff_t end) {
    // dW += Gᵀ·Z·G: Gᵀ on the columns of Z, then on the rows; VL filters at a time, their 9·VL taps
    // (contiguous in dW) assembled on the stack and added in one pass, as winograd_filter_gradient.
    for (ptrdiff_t i = first; i < end; i += VL) {
        const ptrdiff_t lanes = end - i < VL ? end - i : VL;
        VF s[3][6];
        for (int b = 0; b < 6; b++) {
            VF col[6], r[3];
            for (int a = 0; a < 6; a++) FN(load_lanes)(z + (6 * a + b) * count + i, lanes, &col[a]);
            GT6(col, r)
            for (int a = 0; a < 3; a++) s[a][b] = r[a];
        }
        float taps[9][VL];
        for (int a = 0; a < 3; a++) {
            VF r[3];
            GT6(s[a], r)
            for (int b = 0; b < 3; b++) STOREV(taps[3 * a + b], r[b]);
        }
        FN(add_taps)(dw + i * 9, taps, lanes);
    }
}

#undef BT6
#undef AT6
#undef A4
#undef G3
#undef GT6
#undef OUTPUT4_TILE
#undef GRADIENT4_TILE
