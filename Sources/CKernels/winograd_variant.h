// One instruction-set variant of the Winograd transforms; kernels.c includes this file once per
// level with VARIANT (name suffix) and VL (floats per vector) defined, inside a
// `#pragma clang attribute push(target(...))`, so the same source compiles to SSE2, AVX2 and AVX-512.
//
// The input transform reads each tile column's 16 inputs through an offset table (one block of VL columns
// at a time, reused by every channel) and applies Bᵀ·d·B in registers. The output and output-gradient
// transforms run in two passes per channel over a block of samples: a gather pass that walks the image
// rows (short, 2 to 56 floats here) and writes per-tile values into scratch rows, and a combine pass that
// runs over the block's tile columns (s·T + tile) with full-width vectors. Vectorising over the columns of
// one image row, as a single pass must, leaves most lanes idle on small maps: a 16 × 16 map has 8 tile
// columns, a 2 × 2 map one. Shapes as in CKernels.h; Y (4, n) scratch rows for n = block samples · T columns.

#define CAT2(a, b) a##_##b
#define CAT(a, b) CAT2(a, b)
#define FN(name) CAT(name, VARIANT)
#define VF CAT(vf, VARIANT)

typedef float VF __attribute__((ext_vector_type(VL)));
typedef uint32_t CAT(vu, VARIANT) __attribute__((ext_vector_type(VL)));
#define VU CAT(vu, VARIANT)

#define LOADV(p) ({ VF v_; __builtin_memcpy(&v_, (p), sizeof(VF)); v_; })
#define STOREV(p, x) do { VF t_ = (x); __builtin_memcpy((p), &t_, sizeof(VF)); } while (0)

#define SCALAR_LOAD(p) (*(p))
#define SCALAR_STORE(p, x) (*(p) = (x))

/// Samples per block: about `WINOGRAD_BLOCK` columns, whole samples.
static inline ptrdiff_t FN(block_samples)(ptrdiff_t tiles) {
    ptrdiff_t bs = WINOGRAD_BLOCK / tiles;
    return bs < 1 ? 1 : bs;
}

/// Column offsets of one block: for lane l (column k0 + l, or the block's first column past the end) and tile
/// position 4a + b, where to read in a channel plane of the sample (its pixel 0 when the position is padding)
/// and whether the position is inside the image (all ones) or padding (zero).
static inline void FN(input_offsets)(ptrdiff_t k0, ptrdiff_t lanes, ptrdiff_t T, ptrdiff_t Qt, ptrdiff_t H,
                                     ptrdiff_t W, ptrdiff_t stride, ptrdiff_t off[16][VL], uint32_t keep[16][VL]) {
    for (int l = 0; l < VL; l++) {
        const ptrdiff_t k = k0 + (l < lanes ? l : 0), s = k / T, t = k % T, ti = t / Qt, tj = t % Qt;
        for (int a = 0; a < 4; a++) {
            for (int b = 0; b < 4; b++) {
                const ptrdiff_t r = 2 * ti + a - 1, q = 2 * tj + b - 1;
                const int inside = r >= 0 && r < H && q >= 0 && q < W;
                off[4 * a + b][l] = s * stride + (inside ? r * W + q : 0);
                keep[4 * a + b][l] = inside ? ~0u : 0u;
            }
        }
    }
}

#if VL == 16 && defined(__x86_64__)
// AVX-512: each lane's 4 × 4 window is read as 4 masked loads of 4 floats (row a into 128-bit lane a; positions
// outside the image are neither read nor kept), and the 16 lanes' windows are transposed in registers into
// the 16 position vectors. 64 loads and 64 shuffles per block and channel, where the offset-table gather
// below takes 256 scalar loads and inserts, plus 256 offset loads (the input transform was 8 % of a
// ResNet-18 @64 step on AMD EPYC Zen 5, most of it in that gather).
#define WINDOW_LOADS 1

/// For lane l of a block (column k0 + l, or the block's first column past the end): where window row a starts
/// in a channel plane, less 4a, and the bits 4a + b of the window positions inside the image.
static inline void FN(window_table)(ptrdiff_t k0, ptrdiff_t lanes, ptrdiff_t T, ptrdiff_t Qt, ptrdiff_t H,
                                    ptrdiff_t W, ptrdiff_t stride, ptrdiff_t rows[VL][4], __mmask16 inside[VL]) {
    // Lane l's sample and tile by counting on from lane 0's (divisions per lane cost as much as a channel's loads).
    ptrdiff_t s = k0 / T, ti = (k0 % T) / Qt, tj = (k0 % T) % Qt;
    for (int l = 0; l < lanes; l++) {
        unsigned bits = 0;
        for (int a = 0; a < 4; a++) {
            const ptrdiff_t r = 2 * ti + a - 1;
            const int row_inside = r >= 0 && r < H;
            rows[l][a] = s * stride + (row_inside ? r * W : 0) + 2 * tj - 1 - 4 * a;
            for (int b = 0; b < 4; b++) {
                const ptrdiff_t q = 2 * tj + b - 1;
                if (row_inside && q >= 0 && q < W) bits |= 1u << (4 * a + b);
            }
        }
        inside[l] = (__mmask16)bits;
        if (++tj == Qt) { tj = 0; if (++ti * Qt == T) { ti = 0; s++; } }
    }
    // Lanes past the last column read lane 0's window (never past the input), and are not stored.
    for (ptrdiff_t l = lanes; l < VL; l++) {
        for (int a = 0; a < 4; a++) rows[l][a] = rows[0][a];
        inside[l] = inside[0];
    }
}

/// d[i][l] = position i of lane l's window in channel plane xc (0 outside the image).
static inline void FN(load_windows)(const float *xc, const ptrdiff_t rows[VL][4], const __mmask16 inside[VL], VF d[16]) {
    __m512 r[16], t[16];
    for (int l = 0; l < 16; l++) {
        // Addresses as integers: a row's start less 4a may lie before the plane, and is only read where masked in.
        const uintptr_t base = (uintptr_t)xc;
        // Four independent zero-masked loads, merged: a chain of merging loads waits on each one in turn.
        const __m512 w0 = _mm512_maskz_loadu_ps(inside[l] & 0x000F, (const void *)(base + sizeof(float) * rows[l][0]));
        const __m512 w1 = _mm512_maskz_loadu_ps(inside[l] & 0x00F0, (const void *)(base + sizeof(float) * rows[l][1]));
        const __m512 w2 = _mm512_maskz_loadu_ps(inside[l] & 0x0F00, (const void *)(base + sizeof(float) * rows[l][2]));
        const __m512 w3 = _mm512_maskz_loadu_ps(inside[l] & 0xF000, (const void *)(base + sizeof(float) * rows[l][3]));
        r[l] = _mm512_castsi512_ps(_mm512_or_si512(_mm512_or_si512(_mm512_castps_si512(w0), _mm512_castps_si512(w1)),
                                                   _mm512_or_si512(_mm512_castps_si512(w2), _mm512_castps_si512(w3))));
    }
    // 16 × 16 transpose: 32-bit, then 64-bit interleaves within 128-bit lanes, then two rounds of 128-bit shuffles.
    for (int i = 0; i < 8; i++) {
        t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    for (int g = 0; g < 4; g++) {
        const __m512d a = _mm512_castps_pd(t[4 * g]), b = _mm512_castps_pd(t[4 * g + 2]);
        const __m512d c = _mm512_castps_pd(t[4 * g + 1]), e = _mm512_castps_pd(t[4 * g + 3]);
        r[4 * g] = _mm512_castpd_ps(_mm512_unpacklo_pd(a, b));
        r[4 * g + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(a, b));
        r[4 * g + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(c, e));
        r[4 * g + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(c, e));
    }
    // r[4g + j], 128-bit lane q: window position 4q + j of lanes 4g ..< 4g + 4.
    for (int j = 0; j < 4; j++) {
        const __m512 even01 = _mm512_shuffle_f32x4(r[j], r[4 + j], 0x88), odd01 = _mm512_shuffle_f32x4(r[j], r[4 + j], 0xdd);
        const __m512 even23 = _mm512_shuffle_f32x4(r[8 + j], r[12 + j], 0x88), odd23 = _mm512_shuffle_f32x4(r[8 + j], r[12 + j], 0xdd);
        d[j] = (VF)_mm512_shuffle_f32x4(even01, even23, 0x88);
        d[8 + j] = (VF)_mm512_shuffle_f32x4(even01, even23, 0xdd);
        d[4 + j] = (VF)_mm512_shuffle_f32x4(odd01, odd23, 0x88);
        d[12 + j] = (VF)_mm512_shuffle_f32x4(odd01, odd23, 0xdd);
    }
}
#else
#define WINDOW_LOADS 0
#endif

void FN(winograd_input)(const float *restrict x, ptrdiff_t samples, ptrdiff_t stride, ptrdiff_t C,
                        ptrdiff_t H, ptrdiff_t W, float *restrict v, ptrdiff_t ld, ptrdiff_t plane,
                        float *restrict scratch) {
    (void)scratch;
    const ptrdiff_t Qt = (W + 1) / 2, T = ((H + 1) / 2) * Qt, n = samples * T;
    // A block is VL columns (s·T + tile, across samples on small maps), so every vector is full however few
    // tiles a row has; the 16 inputs of each column are read through an offset table built once per block
    // and reused by every channel, and padding is masked to exact zeros (a NaN or ∞ elsewhere in the plane
    // stays out of the tiles that do not contain it). It replaced a gather through zero-padded rows whose
    // per-row set-up and 16 store streams dominated on 2- to 16-pixel maps (docs/speed.md, 2026-12-07).
#if WINDOW_LOADS
    ptrdiff_t rows[VL][4];
    __mmask16 inside[VL];
#else
    ptrdiff_t off[16][VL];
    uint32_t keep[16][VL];
#endif
    for (ptrdiff_t k0 = 0; k0 < n; k0 += VL) {
        const ptrdiff_t lanes = n - k0 < VL ? n - k0 : VL;
#if WINDOW_LOADS
        FN(window_table)(k0, lanes, T, Qt, H, W, stride, rows, inside);
#else
        FN(input_offsets)(k0, lanes, T, Qt, H, W, stride, off, keep);
#endif
        for (ptrdiff_t c = 0; c < C; c++) {
            const float *xc = x + c * H * W;
            VF d[16];
#if WINDOW_LOADS
            FN(load_windows)(xc, rows, inside, d);
#else
            for (int i = 0; i < 16; i++) {
                float g[VL];
                for (int l = 0; l < VL; l++) g[l] = xc[off[i][l]];
                VU m;
                __builtin_memcpy(&m, keep[i], sizeof(VU));
                d[i] = (VF)((VU)LOADV(g) & m);
            }
#endif
            // Bᵀ on the columns of each row a, (d0 − d2, d1 + d2, d2 − d1, d1 − d3), then the same on the rows.
            VF e[4][4];
            for (int r = 0; r < 4; r++) {
                e[r][0] = d[4 * r] - d[4 * r + 2]; e[r][1] = d[4 * r + 1] + d[4 * r + 2];
                e[r][2] = d[4 * r + 2] - d[4 * r + 1]; e[r][3] = d[4 * r + 1] - d[4 * r + 3];
            }
            float *out = v + c * ld + k0;
            VF o[16];
            for (int b = 0; b < 4; b++) {
                o[b] = e[0][b] - e[2][b]; o[4 + b] = e[1][b] + e[2][b];
                o[8 + b] = e[2][b] - e[1][b]; o[12 + b] = e[1][b] - e[3][b];
            }
            if (lanes == VL) {
                for (int i = 0; i < 16; i++) STOREV(out + i * plane, o[i]);
            } else {
                for (int i = 0; i < 16; i++) {
                    float t[VL];
                    STOREV(t, o[i]);
                    for (ptrdiff_t l = 0; l < lanes; l++) out[i * plane + l] = t[l];
                }
            }
        }
    }
}

void FN(winograd_output)(const float *restrict m, ptrdiff_t samples, ptrdiff_t C, ptrdiff_t P, ptrdiff_t Q,
                         ptrdiff_t ld, ptrdiff_t plane, float *restrict y, ptrdiff_t stride, float *restrict scratch) {
    const ptrdiff_t Pt = (P + 1) / 2, Qt = (Q + 1) / 2, T = Pt * Qt;
    const ptrdiff_t bs = FN(block_samples)(T);
    for (ptrdiff_t s0 = 0; s0 < samples; s0 += bs) {
        const ptrdiff_t s1 = s0 + bs < samples ? s0 + bs : samples, n = (s1 - s0) * T;
        float *y00 = scratch, *y01 = scratch + n, *y10 = scratch + 2 * n, *y11 = scratch + 3 * n;
        for (ptrdiff_t c = 0; c < C; c++) {
            // Combine: Aᵀ on the rows (a_b = m_b + m_4+b + m_8+b, c_b = m_4+b − m_8+b − m_12+b), then on
            // the columns, (x0 + x1 + x2, x1 − x2 − x3).
            const float *in = m + s0 * T + c * ld;
#define OUTPUT_TILE(TYPE, LOAD, k, STORE)                                                                          \
            {                                                                                                       \
                TYPE a[4], e[4];                                                                                    \
                for (int b = 0; b < 4; b++) {                                                                       \
                    const TYPE m0 = LOAD(in + b * plane + k), m1 = LOAD(in + (4 + b) * plane + k);                  \
                    const TYPE m2 = LOAD(in + (8 + b) * plane + k), m3 = LOAD(in + (12 + b) * plane + k);           \
                    a[b] = m0 + m1 + m2; e[b] = m1 - m2 - m3;                                                       \
                }                                                                                                   \
                STORE(y00 + k, a[0] + a[1] + a[2]); STORE(y01 + k, a[1] - a[2] - a[3]);                             \
                STORE(y10 + k, e[0] + e[1] + e[2]); STORE(y11 + k, e[1] - e[2] - e[3]);                             \
            }
            ptrdiff_t k = 0;
            for (; k + VL <= n; k += VL) OUTPUT_TILE(VF, LOADV, k, STOREV)
            for (; k < n; k++) OUTPUT_TILE(float, SCALAR_LOAD, k, SCALAR_STORE)
            // Scatter the 2 × 2 tiles into the map, within P × Q.
            for (ptrdiff_t s = s0; s < s1; s++) {
                float *dst = y + s * stride + c * P * Q;
                const ptrdiff_t t0 = (s - s0) * T;
                for (ptrdiff_t ti = 0; ti < Pt; ti++) {
                    const ptrdiff_t t = t0 + ti * Qt;
                    float *r0 = dst + 2 * ti * Q, *r1 = r0 + Q;
                    const ptrdiff_t full = Q / 2;
                    for (ptrdiff_t j = 0; j < full; j++) { r0[2 * j] = y00[t + j]; r0[2 * j + 1] = y01[t + j]; }
                    if (Q % 2) r0[2 * full] = y00[t + full];
                    if (2 * ti + 1 < P) {
                        for (ptrdiff_t j = 0; j < full; j++) { r1[2 * j] = y10[t + j]; r1[2 * j + 1] = y11[t + j]; }
                        if (Q % 2) r1[2 * full] = y10[t + full];
                    }
                }
            }
        }
    }
}

void FN(winograd_output_gradient)(const float *restrict dy, ptrdiff_t samples, ptrdiff_t stride, ptrdiff_t C,
                                  ptrdiff_t P, ptrdiff_t Q, float *restrict yhat, ptrdiff_t ld, ptrdiff_t plane,
                                  float *restrict scratch) {
    const ptrdiff_t Pt = (P + 1) / 2, Qt = (Q + 1) / 2, T = Pt * Qt;
    const ptrdiff_t bs = FN(block_samples)(T);
    for (ptrdiff_t s0 = 0; s0 < samples; s0 += bs) {
        const ptrdiff_t s1 = s0 + bs < samples ? s0 + bs : samples, n = (s1 - s0) * T;
        float *ga = scratch, *gb = scratch + n, *gc = scratch + 2 * n, *gd = scratch + 3 * n;
        for (ptrdiff_t c = 0; c < C; c++) {
            // Gather each 2 × 2 tile (a b / c d), zero beyond the edge.
            for (ptrdiff_t s = s0; s < s1; s++) {
                const float *src = dy + s * stride + c * P * Q;
                const ptrdiff_t t0 = (s - s0) * T, full = Q / 2;
                for (ptrdiff_t ti = 0; ti < Pt; ti++) {
                    const ptrdiff_t t = t0 + ti * Qt;
                    const float *r0 = src + 2 * ti * Q, *r1 = r0 + Q;
                    for (ptrdiff_t j = 0; j < full; j++) { ga[t + j] = r0[2 * j]; gb[t + j] = r0[2 * j + 1]; }
                    if (Q % 2) { ga[t + full] = r0[2 * full]; gb[t + full] = 0; }
                    if (2 * ti + 1 < P) {
                        for (ptrdiff_t j = 0; j < full; j++) { gc[t + j] = r1[2 * j]; gd[t + j] = r1[2 * j + 1]; }
                        if (Q % 2) { gc[t + full] = r1[2 * full]; gd[t + full] = 0; }
                    } else {
                        for (ptrdiff_t j = 0; j < Qt; j++) { gc[t + j] = 0; gd[t + j] = 0; }
                    }
                }
            }
            // Combine: rows of A·dy are (a, b), (a + c, b + d), (a − c, b − d), (−c, −d); each row (p, q)
            // gives (p, p + q, p − q, −q) along the columns.
            float *out = yhat + s0 * T + c * ld;
#define GRADIENT_TILE(TYPE, LOAD, k, STORE)                                                                        \
            {                                                                                                       \
                const TYPE a = LOAD(ga + k), b = LOAD(gb + k), cc = LOAD(gc + k), d = LOAD(gd + k);                 \
                const TYPE p[4] = {a, a + cc, a - cc, -cc}, q[4] = {b, b + d, b - d, -d};                           \
                for (int r = 0; r < 4; r++) {                                                                       \
                    STORE(out + (4 * r) * plane + k, p[r]); STORE(out + (4 * r + 1) * plane + k, p[r] + q[r]);     \
                    STORE(out + (4 * r + 2) * plane + k, p[r] - q[r]); STORE(out + (4 * r + 3) * plane + k, -q[r]); \
                }                                                                                                   \
            }
            ptrdiff_t k = 0;
            for (; k + VL <= n; k += VL) GRADIENT_TILE(VF, LOADV, k, STOREV)
            for (; k < n; k++) GRADIENT_TILE(float, SCALAR_LOAD, k, SCALAR_STORE)
        }
    }
}

/// The first `lanes` floats of `v` to `dst`: a streaming store for a full vector when `streaming` (then `dst` is
/// aligned to a vector), a plain one otherwise.
static inline void FN(store_lanes)(float *dst, const VF *v, ptrdiff_t lanes, int streaming) {
    if (lanes == VL && streaming) {
        __builtin_nontemporal_store(*v, (VF *)__builtin_assume_aligned(dst, sizeof(VF)));
    } else if (lanes == VL) {
        STOREV(dst, *v);
    } else {
        float r[VL];
        STOREV(r, *v);
        for (ptrdiff_t l = 0; l < lanes; l++) dst[l] = r[l];
    }
}

/// U[ξ][i] = (G·g_i·Gᵀ)[ξ] for filters i (`lanes` of them, a vector's worth or fewer) from `g`, their 9 taps
/// tap-major (g[k·VL + l] is filter first + l's tap k). G's rows are (1, 0, 0), ½(1, 1, 1), ½(1, −1, 1), (0, 0, 1).
static inline void FN(filter_block)(const float *g, ptrdiff_t count, float *restrict u, ptrdiff_t first,
                                    ptrdiff_t lanes, int streaming) {
    const VF half = 0.5f;
    VF t[4][3];
    for (int k = 0; k < 3; k++) {
        const VF a = LOADV(g + k * VL), b = LOADV(g + (3 + k) * VL), c = LOADV(g + (6 + k) * VL);
        t[0][k] = a; t[1][k] = half * (a + b + c); t[2][k] = half * (a - b + c); t[3][k] = c;
    }
    for (int a = 0; a < 4; a++) {
        const VF o[4] = {t[a][0], half * (t[a][0] + t[a][1] + t[a][2]), half * (t[a][0] - t[a][1] + t[a][2]), t[a][2]};
        for (int b = 0; b < 4; b++) FN(store_lanes)(u + (4 * a + b) * count + first, &o[b], lanes, streaming);
    }
}

void FN(winograd_filters)(const float *restrict w, ptrdiff_t count, float *restrict u, ptrdiff_t first, ptrdiff_t end) {
    // VL filters at a time: their 9·VL taps are contiguous; transposed on the stack so that each tap is one
    // vector. U larger than a core's L2 goes out with streaming stores, which skip reading the lines they
    // overwrite (the GEMMs read U back from memory either way); they need every row's block aligned, so
    // the first filters up to an aligned one go singly.
    const int streaming = (size_t)count * 16 * sizeof(float) >= ((size_t)1 << 21) && count % VL == 0;
    ptrdiff_t i = first;
    if (streaming) {
        const ptrdiff_t misaligned = (ptrdiff_t)(((uintptr_t)(u + i) / sizeof(float)) % VL);
        const ptrdiff_t head = misaligned ? VL - misaligned : 0;
        float g[9 * VL];
        for (; i < end && i < first + head; i++) {
            for (int k = 0; k < 9; k++) g[k * VL] = w[i * 9 + k];
            FN(filter_block)(g, count, u, i, 1, 0);
        }
    }
    for (; i < end; i += VL) {
        const ptrdiff_t lanes = end - i < VL ? end - i : VL;
        float g[9 * VL];
        const float *src = w + i * 9;
        if (lanes == VL) {
            // Plain copies: vectorised, this loop becomes gathers, which were slower (AMD EPYC Zen 5).
#pragma clang loop vectorize(disable)
            for (int l = 0; l < VL; l++) {
                for (int k = 0; k < 9; k++) g[k * VL + l] = src[l * 9 + k];
            }
        } else {
            for (ptrdiff_t l = 0; l < lanes; l++) {
                for (int k = 0; k < 9; k++) g[k * VL + l] = src[l * 9 + k];
            }
        }
        FN(filter_block)(g, count, u, i, lanes, streaming);
    }
#if defined(__x86_64__)
    if (streaming) __builtin_ia32_sfence();  // streaming stores are weakly ordered: drain them before the GEMMs read U
#endif
}

/// `lanes` floats from `src` as a vector, zeros in the lanes past them.
static inline void FN(load_lanes)(const float *src, ptrdiff_t lanes, VF *out) {
    if (lanes == VL) {
        *out = LOADV(src);
        return;
    }
    float r[VL] = {0};
    for (ptrdiff_t l = 0; l < lanes; l++) r[l] = src[l];
    *out = LOADV(r);
}

/// dW[(first + l)·9 + k] += taps[k][l] for the `lanes` filters of a block: the 9·VL taps are contiguous in dW,
/// so a full block is transposed on the stack and added in one pass.
static inline void FN(add_taps)(float *restrict g, float taps[9][VL], ptrdiff_t lanes) {
    if (lanes == VL) {
        float sum[9 * VL];
        // Plain copies, one filter at a time (the barrier keeps the compiler from turning them into
        // scatters across filters, which were slower on AMD EPYC Zen 5).
        for (int l = 0; l < VL; l++) {
            for (int k = 0; k < 9; k++) sum[l * 9 + k] = taps[k][l];
            __asm__ volatile("" ::: "memory");
        }
        for (int j = 0; j < 9 * VL; j++) g[j] += sum[j];
    } else {
        for (ptrdiff_t l = 0; l < lanes; l++) {
            for (int k = 0; k < 9; k++) g[l * 9 + k] += taps[k][l];
        }
    }
}

void FN(winograd_filter_gradient)(const float *restrict z, ptrdiff_t count, float *restrict dw, ptrdiff_t first, ptrdiff_t end) {
    // S = Gᵀ·Z (3 × 4; rows of Gᵀ (1, ½, ½, 0), (0, ½, −½, 0), (0, ½, ½, 1)), then dW += S·G; VL filters at a
    // time, their 9·VL taps (contiguous in dW) assembled on the stack and added in one pass.
    const VF half = 0.5f;
    for (ptrdiff_t i = first; i < end; i += VL) {
        const ptrdiff_t lanes = end - i < VL ? end - i : VL;
        VF s[3][4];
        for (int b = 0; b < 4; b++) {
            VF zv[4];
            for (int a = 0; a < 4; a++) FN(load_lanes)(z + (4 * a + b) * count + i, lanes, &zv[a]);
            s[0][b] = zv[0] + half * (zv[1] + zv[2]);
            s[1][b] = half * (zv[1] - zv[2]);
            s[2][b] = half * (zv[1] + zv[2]) + zv[3];
        }
        float taps[9][VL];
        for (int r = 0; r < 3; r++) {
            STOREV(taps[3 * r + 0], s[r][0] + half * (s[r][1] + s[r][2]));
            STOREV(taps[3 * r + 1], half * (s[r][1] - s[r][2]));
            STOREV(taps[3 * r + 2], half * (s[r][1] + s[r][2]) + s[r][3]);
        }
        FN(add_taps)(dw + i * 9, taps, lanes);
    }
}

// The F(4×4, 3×3) transforms share this level's macros.
#include "winograd4_variant.h"
// The 2×2-map transforms (9 products per tile) likewise.
#include "winograd_map2_variant.h"

#undef WINDOW_LOADS
#undef INPUT_TILE
#undef OUTPUT_TILE
#undef GRADIENT_TILE
#undef SCALAR_LOAD
#undef SCALAR_STORE
#undef LOADV
#undef STOREV
#undef VF
#undef FN
#undef CAT
#undef CAT2
