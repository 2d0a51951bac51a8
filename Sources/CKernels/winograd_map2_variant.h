// Winograd for 3×3 / stride 1 / padding 1 convolutions of 2×2 maps (ResNet-18's layer4 at 64 px), included by
// winograd_variant.h once per level with its macros.
//
// Along one axis, a 2-pixel map padded by one zero on each side convolved with (w0, w1, w2) is the Toeplitz
// product y0 = w1·x0 + w2·x1, y1 = w0·x0 + w1·x1: Winograd's F(2, 2) computes it with 3 multiplies instead of 4,
//   m = (w1, w2 − w1, w0 − w1) ⊙ (x0 + x1, x1, x0),   y0 = m0 + m1,   y1 = m0 + m2,
// and nested on both axes with 9 products per 2×2 output tile (Lavin & Gray 2016, §4; Winograd 1980). F(2×2, 3×3)
// spends 16 on the same tile, because it also multiplies the padding: this needs 9/16 of its GEMM work, and its
// transformed filters U (9, O, C) are no larger than the weights (F(2×2)'s are 16/9 of them, 17 MB per
// 512-channel layer, written every step).
//
// Transforms per axis (index a of a position ξ = 3a + b):
//   input        (x0, x1)      → (x0 + x1, x1, x0)
//   filter       (w0, w1, w2)  → (w1, w2 − w1, w0 − w1)
//   output       (m0, m1, m2)  → (m0 + m1, m0 + m2)
//   output grad  (d0, d1)      → (d0 + d1, d0, d1)            (the output transform's adjoint)
//   filter grad  (z0, z1, z2)  → dw += (z2, z0 − z1 − z2, z1)  (the filter transform's adjoint)
// Rotating a filter by 180° reverses (w0, w1, w2), which swaps its transformed entries 1 and 2: the input
// gradient reads U at positions (p(a), p(b)), p = (0, 2, 1), transposed.
//
// Shapes: x, dy (samples, C, 2, 2) with samples `stride` apart; V, M, Ŷ (9, C, ld), column s for sample s;
// w, dw (count, 3, 3); U, Z (9, count).

// The map transforms walk each sample's channels in order (its C·4 floats are contiguous; the planes' columns
// are ld apart): channel-major order with samples inside read one 16-byte piece per sample, thousands of
// floats apart, and ran at about 60 cycles per piece (ResNet-18 @64, AMD EPYC Zen 5).

/// The input transform of x's tiles, value ξ of sample s, channel c stored at out[at[ξ] + c·ld + s].
static inline void FN(map2_spread)(const float *restrict x, ptrdiff_t samples, ptrdiff_t stride, ptrdiff_t C,
                                   float *restrict out, ptrdiff_t ld, const ptrdiff_t at[9]) {
    for (ptrdiff_t s = 0; s < samples; s++) {
        const float *p = x + s * stride;
        for (ptrdiff_t c = 0; c < C; c++) {
            const float x00 = p[4 * c], x01 = p[4 * c + 1], x10 = p[4 * c + 2], x11 = p[4 * c + 3];
            // Rows first (r0, r1 along b), then the columns: (r0 + r1, r1, r0) along a.
            const float r00 = x00 + x01, r10 = x10 + x11;
            float *o = out + c * ld + s;
            o[at[0]] = r00 + r10; o[at[1]] = x01 + x11; o[at[2]] = x00 + x10;
            o[at[3]] = r10; o[at[4]] = x11; o[at[5]] = x10;
            o[at[6]] = r00; o[at[7]] = x01; o[at[8]] = x00;
        }
    }
}

void FN(winograd_map2_input)(const float *restrict x, ptrdiff_t samples, ptrdiff_t stride, ptrdiff_t C,
                             float *restrict v, ptrdiff_t ld, ptrdiff_t plane) {
    ptrdiff_t at[9];
    for (int xi = 0; xi < 9; xi++) at[xi] = xi * plane;
    FN(map2_spread)(x, samples, stride, C, v, ld, at);
}

void FN(winograd_map2_output)(const float *restrict m, ptrdiff_t samples, ptrdiff_t C, ptrdiff_t ld, ptrdiff_t plane,
                              float *restrict y, ptrdiff_t stride) {
    for (ptrdiff_t s = 0; s < samples; s++) {
        const float *in = m + s;
        float *p = y + s * stride;
        for (ptrdiff_t c = 0; c < C; c++) {
            const float *i = in + c * ld;
            float t[3][2];
            for (int a = 0; a < 3; a++) {
                const float m0 = i[3 * a * plane], m1 = i[(3 * a + 1) * plane], m2 = i[(3 * a + 2) * plane];
                t[a][0] = m0 + m1;
                t[a][1] = m0 + m2;
            }
            p[4 * c] = t[0][0] + t[1][0];
            p[4 * c + 1] = t[0][1] + t[1][1];
            p[4 * c + 2] = t[0][0] + t[2][0];
            p[4 * c + 3] = t[0][1] + t[2][1];
        }
    }
}

/// Per axis (d0 + d1, d0, d1) is the input transform with entries 1 and 2 swapped: the same values, each
/// stored at its flipped position.
void FN(winograd_map2_output_gradient)(const float *restrict dy, ptrdiff_t samples, ptrdiff_t stride, ptrdiff_t C,
                                       float *restrict yhat, ptrdiff_t ld, ptrdiff_t plane) {
    static const int swap[3] = {0, 2, 1};
    ptrdiff_t at[9];
    for (int xi = 0; xi < 9; xi++) at[xi] = (3 * swap[xi / 3] + swap[xi % 3]) * plane;
    FN(map2_spread)(dy, samples, stride, C, yhat, ld, at);
}

/// U of VL filters from their taps g[k·VL + l] (k = 3i + j), `lanes` of them stored.
static inline void FN(map2_filter_block)(const float *g, ptrdiff_t count, float *restrict u, ptrdiff_t i, ptrdiff_t lanes) {
    VF w[9], h[3][3];
    for (int k = 0; k < 9; k++) w[k] = LOADV(g + k * VL);
    // Along the columns of each row (w_r0, w_r1, w_r2) → (w_r1, w_r2 − w_r1, w_r0 − w_r1), then along the rows.
    for (int r = 0; r < 3; r++) {
        h[r][0] = w[3 * r + 1];
        h[r][1] = w[3 * r + 2] - w[3 * r + 1];
        h[r][2] = w[3 * r] - w[3 * r + 1];
    }
    VF o[9];
    for (int b = 0; b < 3; b++) {
        o[b] = h[1][b];
        o[3 + b] = h[2][b] - h[1][b];
        o[6 + b] = h[0][b] - h[1][b];
    }
    if (lanes == VL) {
        for (int k = 0; k < 9; k++) STOREV(u + k * count + i, o[k]);
    } else {
        for (int k = 0; k < 9; k++) {
            float t[VL];
            STOREV(t, o[k]);
            for (ptrdiff_t l = 0; l < lanes; l++) u[k * count + i + l] = t[l];
        }
    }
}

void FN(winograd_map2_filters)(const float *restrict w, ptrdiff_t count, float *restrict u, ptrdiff_t first, ptrdiff_t end) {
    for (ptrdiff_t i = first; i < end; i += VL) {
        const ptrdiff_t lanes = end - i < VL ? end - i : VL;
        float g[9 * VL] = {0};
        const float *src = w + i * 9;
        // Plain copies into tap-major order (gathers were slower; see winograd_filters).
#pragma clang loop vectorize(disable)
        for (ptrdiff_t l = 0; l < lanes; l++) {
            for (int k = 0; k < 9; k++) g[k * VL + l] = src[l * 9 + k];
        }
        FN(map2_filter_block)(g, count, u, i, lanes);
    }
}

void FN(winograd_map2_filter_gradient)(const float *restrict z, ptrdiff_t count, float *restrict dw, ptrdiff_t first,
                                       ptrdiff_t end) {
    for (ptrdiff_t i = first; i < end; i += VL) {
        const ptrdiff_t lanes = end - i < VL ? end - i : VL;
        VF zv[9], s[3][3];
        for (int k = 0; k < 9; k++) FN(load_lanes)(z + k * count + i, lanes, &zv[k]);
        // The adjoint along a: (z0, z1, z2) → (z2, z0 − z1 − z2, z1), for each b; then along b.
        for (int b = 0; b < 3; b++) {
            s[0][b] = zv[6 + b];
            s[1][b] = zv[b] - zv[3 + b] - zv[6 + b];
            s[2][b] = zv[3 + b];
        }
        float taps[9][VL];
        for (int r = 0; r < 3; r++) {
            STOREV(taps[3 * r + 0], s[r][2]);
            STOREV(taps[3 * r + 1], s[r][0] - s[r][1] - s[r][2]);
            STOREV(taps[3 * r + 2], s[r][1]);
        }
        FN(add_taps)(dw + i * 9, taps, lanes);
    }
}
