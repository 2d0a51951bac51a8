// One instruction-set variant of the Stockham FFT stages of Sources/Analyzers/Math/FFT.swift (radix 2, 3, 4
// and 5); kernels.c includes this file once per level. A stage reads x and writes y: for every p < m, the
// inputs j at (p + j·m)·run and the outputs k at (r·p + k)·run, `run` contiguous lanes each (the batch of
// columns times the stride so far), so each butterfly is a loop over contiguous lanes the compiler
// vectorises at the level's width. Twiddles W^(p·k), k = 1 … r − 1, at wr/wi + (r − 1)·p + k − 1; p = 0
// has none.

#define CAT2(a, b) a##_##b
#define CAT(a, b) CAT2(a, b)
#define FN(name) CAT(name, VARIANT)

/// (re, im) · (wr, wi), stored at (o_re, o_im)[t].
#define TWIDDLE_STORE(ore, oim, br, bi, w_r, w_i)                                                                  \
    do {                                                                                                            \
        const float br_ = (br), bi_ = (bi);                                                                         \
        (ore)[t] = br_ * (w_r) - bi_ * (w_i);                                                                       \
        (oim)[t] = br_ * (w_i) + bi_ * (w_r);                                                                       \
    } while (0)

static void FN(fft_radix2)(const float *restrict xr, const float *restrict xi, float *restrict yr, float *restrict yi,
                           ptrdiff_t m, ptrdiff_t run, const float *wr, const float *wi) {
    for (ptrdiff_t p = 0; p < m; p++) {
        const float *ar = xr + p * run, *ai = xi + p * run, *br = xr + (p + m) * run, *bi = xi + (p + m) * run;
        float *o0r = yr + 2 * p * run, *o0i = yi + 2 * p * run, *o1r = o0r + run, *o1i = o0i + run;
        if (p == 0) {
            for (ptrdiff_t t = 0; t < run; t++) {
                o0r[t] = ar[t] + br[t]; o0i[t] = ai[t] + bi[t];
                o1r[t] = ar[t] - br[t]; o1i[t] = ai[t] - bi[t];
            }
        } else {
            const float w1r = wr[p], w1i = wi[p];
            for (ptrdiff_t t = 0; t < run; t++) {
                o0r[t] = ar[t] + br[t]; o0i[t] = ai[t] + bi[t];
                TWIDDLE_STORE(o1r, o1i, ar[t] - br[t], ai[t] - bi[t], w1r, w1i);
            }
        }
    }
}

static void FN(fft_radix4)(const float *restrict xr, const float *restrict xi, float *restrict yr, float *restrict yi,
                           ptrdiff_t m, ptrdiff_t run, const float *wr, const float *wi) {
    for (ptrdiff_t p = 0; p < m; p++) {
        const float *i0r = xr + p * run, *i0i = xi + p * run;
        const float *i1r = i0r + m * run, *i1i = i0i + m * run, *i2r = i1r + m * run, *i2i = i1i + m * run;
        const float *i3r = i2r + m * run, *i3i = i2i + m * run;
        float *o0r = yr + 4 * p * run, *o0i = yi + 4 * p * run;
        float *o1r = o0r + run, *o1i = o0i + run, *o2r = o1r + run, *o2i = o1i + run, *o3r = o2r + run, *o3i = o2i + run;
        const float w1r = p ? wr[3 * p] : 1, w1i = p ? wi[3 * p] : 0, w2r = p ? wr[3 * p + 1] : 1, w2i = p ? wi[3 * p + 1] : 0;
        const float w3r = p ? wr[3 * p + 2] : 1, w3i = p ? wi[3 * p + 2] : 0;
#define RADIX4_BODY(STORE1, STORE2, STORE3)                                                                        \
        for (ptrdiff_t t = 0; t < run; t++) {                                                                       \
            const float t0r = i0r[t] + i2r[t], t0i = i0i[t] + i2i[t], t1r = i0r[t] - i2r[t], t1i = i0i[t] - i2i[t]; \
            const float t2r = i1r[t] + i3r[t], t2i = i1i[t] + i3i[t], t3r = i1r[t] - i3r[t], t3i = i1i[t] - i3i[t]; \
            o0r[t] = t0r + t2r; o0i[t] = t0i + t2i;                                                                 \
            /* b1 = t1 − i·t3, b2 = t0 − t2, b3 = t1 + i·t3 */                                                      \
            STORE1(o1r, o1i, t1r + t3i, t1i - t3r, w1r, w1i);                                                       \
            STORE2(o2r, o2i, t0r - t2r, t0i - t2i, w2r, w2i);                                                       \
            STORE3(o3r, o3i, t1r - t3i, t1i + t3r, w3r, w3i);                                                       \
        }
#define PLAIN_STORE(ore, oim, br, bi, w_r, w_i) do { (ore)[t] = (br); (oim)[t] = (bi); } while (0)
        if (p == 0) {
            RADIX4_BODY(PLAIN_STORE, PLAIN_STORE, PLAIN_STORE)
        } else {
            RADIX4_BODY(TWIDDLE_STORE, TWIDDLE_STORE, TWIDDLE_STORE)
        }
#undef RADIX4_BODY
    }
}

static void FN(fft_radix3)(const float *restrict xr, const float *restrict xi, float *restrict yr, float *restrict yi,
                           ptrdiff_t m, ptrdiff_t run, const float *wr, const float *wi) {
    const float c = 0.8660254037844386f;  // sin(2π/3)
    for (ptrdiff_t p = 0; p < m; p++) {
        const float *i0r = xr + p * run, *i0i = xi + p * run;
        const float *i1r = i0r + m * run, *i1i = i0i + m * run, *i2r = i1r + m * run, *i2i = i1i + m * run;
        float *o0r = yr + 3 * p * run, *o0i = yi + 3 * p * run, *o1r = o0r + run, *o1i = o0i + run, *o2r = o1r + run, *o2i = o1i + run;
        const float w1r = p ? wr[2 * p] : 1, w1i = p ? wi[2 * p] : 0, w2r = p ? wr[2 * p + 1] : 1, w2i = p ? wi[2 * p + 1] : 0;
#define RADIX3_BODY(STORE)                                                                                          \
        for (ptrdiff_t t = 0; t < run; t++) {                                                                       \
            const float sr = i1r[t] + i2r[t], si = i1i[t] + i2i[t], dr = i1r[t] - i2r[t], di = i1i[t] - i2i[t];     \
            const float mr = i0r[t] - 0.5f * sr, mi = i0i[t] - 0.5f * si;                                           \
            o0r[t] = i0r[t] + sr; o0i[t] = i0i[t] + si;                                                             \
            /* b1 = m − i·c·d, b2 = m + i·c·d */                                                                    \
            STORE(o1r, o1i, mr + c * di, mi - c * dr, w1r, w1i);                                                    \
            STORE(o2r, o2i, mr - c * di, mi + c * dr, w2r, w2i);                                                    \
        }
        if (p == 0) {
            RADIX3_BODY(PLAIN_STORE)
        } else {
            RADIX3_BODY(TWIDDLE_STORE)
        }
#undef RADIX3_BODY
    }
}

static void FN(fft_radix5)(const float *restrict xr, const float *restrict xi, float *restrict yr, float *restrict yi,
                           ptrdiff_t m, ptrdiff_t run, const float *wr, const float *wi) {
    const float c1 = 0.30901699437494745f, c2 = -0.8090169943749473f;   // cos(2π/5), cos(4π/5)
    const float s1 = 0.9510565162951535f, s2 = 0.5877852522924732f;     // sin(2π/5), sin(4π/5)
    for (ptrdiff_t p = 0; p < m; p++) {
        const float *i0r = xr + p * run, *i0i = xi + p * run;
        const float *i1r = i0r + m * run, *i1i = i0i + m * run, *i2r = i1r + m * run, *i2i = i1i + m * run;
        const float *i3r = i2r + m * run, *i3i = i2i + m * run, *i4r = i3r + m * run, *i4i = i3i + m * run;
        float *o0r = yr + 5 * p * run, *o0i = yi + 5 * p * run, *o1r = o0r + run, *o1i = o0i + run;
        float *o2r = o1r + run, *o2i = o1i + run, *o3r = o2r + run, *o3i = o2i + run, *o4r = o3r + run, *o4i = o3i + run;
        const ptrdiff_t w = 4 * p;
        const float w1r = p ? wr[w] : 1, w1i = p ? wi[w] : 0, w2r = p ? wr[w + 1] : 1, w2i = p ? wi[w + 1] : 0;
        const float w3r = p ? wr[w + 2] : 1, w3i = p ? wi[w + 2] : 0, w4r = p ? wr[w + 3] : 1, w4i = p ? wi[w + 3] : 0;
#define RADIX5_BODY(STORE)                                                                                          \
        for (ptrdiff_t t = 0; t < run; t++) {                                                                       \
            const float a0r = i0r[t], a0i = i0i[t];                                                                 \
            const float t1r = i1r[t] + i4r[t], t1i = i1i[t] + i4i[t], t3r = i1r[t] - i4r[t], t3i = i1i[t] - i4i[t]; \
            const float t2r = i2r[t] + i3r[t], t2i = i2i[t] + i3i[t], t4r = i2r[t] - i3r[t], t4i = i2i[t] - i3i[t]; \
            o0r[t] = a0r + t1r + t2r; o0i[t] = a0i + t1i + t2i;                                                     \
            const float m1r = a0r + c1 * t1r + c2 * t2r, m1i = a0i + c1 * t1i + c2 * t2i;                           \
            const float m2r = a0r + c2 * t1r + c1 * t2r, m2i = a0i + c2 * t1i + c1 * t2i;                           \
            const float n1r = s1 * t3r + s2 * t4r, n1i = s1 * t3i + s2 * t4i;                                       \
            const float n2r = s2 * t3r - s1 * t4r, n2i = s2 * t3i - s1 * t4i;                                       \
            /* b1 = m1 − i·n1, b4 = m1 + i·n1, b2 = m2 − i·n2, b3 = m2 + i·n2 */                                    \
            STORE(o1r, o1i, m1r + n1i, m1i - n1r, w1r, w1i);                                                        \
            STORE(o2r, o2i, m2r + n2i, m2i - n2r, w2r, w2i);                                                        \
            STORE(o3r, o3i, m2r - n2i, m2i + n2r, w3r, w3i);                                                        \
            STORE(o4r, o4i, m1r - n1i, m1i + n1r, w4r, w4i);                                                        \
        }
        if (p == 0) {
            RADIX5_BODY(PLAIN_STORE)
        } else {
            RADIX5_BODY(TWIDDLE_STORE)
        }
#undef RADIX5_BODY
    }
}

#undef PLAIN_STORE

void FN(fft_stage)(int radix, const float *xr, const float *xi, float *yr, float *yi, ptrdiff_t m, ptrdiff_t run,
                   const float *wr, const float *wi) {
    switch (radix) {
    case 4: FN(fft_radix4)(xr, xi, yr, yi, m, run, wr, wi); break;
    case 2: FN(fft_radix2)(xr, xi, yr, yi, m, run, wr, wi); break;
    case 3: FN(fft_radix3)(xr, xi, yr, yi, m, run, wr, wi); break;
    default: FN(fft_radix5)(xr, xi, yr, yi, m, run, wr, wi); break;
    }
}

#undef TWIDDLE_STORE
#undef FN
#undef CAT
#undef CAT2
