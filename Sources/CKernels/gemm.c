// gemm.c: C ← α·op(A)·op(B) + β·C in single precision, row-major, on the calling thread: the products of
// Loupe's convolutions, with an AVX-512 micro-kernel chosen from cpuid whatever OpenBLAS was told
// (OPENBLAS_CORETYPE=Haswell runs its 256-bit kernels on a 512-bit CPU), and packing that skips what a
// product reads only once.
//
// Goto & van de Geijn, "Anatomy of High-Performance Matrix Multiplication", ACM TOMS 34(3), 2008; loop
// order of BLIS (Van Zee & van de Geijn, ACM TOMS 41(3), 2015): jc → pc → pack B → ic → pack A → jr → ir.
//
// Shapes (op(A) M×K, op(B) K×N, C M×N, all row-major):
//   Ã   ⌈mc/MR⌉ panels of kc×MR floats: Ã[p][k][i] = α·op(A)[ic + p·MR + i][pc + k], zero beyond M
//   B̃   ⌈nc/NR⌉ panels of kc×NR floats: B̃[p][k][j] = op(B)[pc + k][jc + p·NR + j], zero beyond N
//   micro-kernel: an MR×NR block of C in registers, vectors along N (a row of C is contiguous)
//                 AVX-512 8×32 (16 accumulators of 16 lanes). Below AVX-512 the caller uses OpenBLAS: an AVX2 6×16
//                 kernel ran at 0.83-1.02× OpenBLAS's Haswell kernels alone and 0.95× in a ResNet-18 step, so it went.
// The sum over k runs in pc blocks, each block in k order, with fused multiply-adds: results depend on
// the level (as OpenBLAS's depend on its kernel), never on the thread count.
#include "CKernels.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

#pragma clang fp contract(fast)

/// Rows × columns of C the micro-kernel holds in registers.
#define GEMM_MR 8
#define GEMM_NR 32
/// Depth of a packed block: a B̃ panel (KC × 32 floats, 24 KB) stays in L1 while the A panels stream from L2,
/// with room left in the 32 KB L1 of Skylake-SP and Cascade Lake Xeons (256, a 32 KB panel, was no faster on
/// the Zen 5's 48 KB L1: ResNet-18 and LittleConv steps equal in 3 alternating rounds).
#define GEMM_KC 192
/// Rows of Ã per block (MC × KC floats, 96 KB): L2. A multiple of GEMM_MR.
#define GEMM_MC 128
/// Columns of B̃ per block (KC × NC floats, 3 MB). A multiple of GEMM_NR.
#define GEMM_NC 4096

#if defined(__x86_64__)
/// One thread's packing buffers, grown on demand and kept while the thread lives (the trainer's threads are
/// persistent); a thread that exits (one of Dispatch's) frees them through the key's destructor.
static _Thread_local float *pack_buffer;
static _Thread_local size_t pack_capacity;
static pthread_key_t pack_key;
static pthread_once_t pack_key_once = PTHREAD_ONCE_INIT;

static void make_pack_key(void) { pthread_key_create(&pack_key, free); }

static float *pack_space(size_t floats) {
    if (floats > pack_capacity) {
        pthread_once(&pack_key_once, make_pack_key);
        free(pack_buffer);
        pack_buffer = NULL;
        pack_capacity = 0;
        pthread_setspecific(pack_key, NULL);
        void *p = NULL;
        if (posix_memalign(&p, 64, floats * sizeof(float)) != 0) return NULL;
        pthread_setspecific(pack_key, p);
        pack_buffer = p;
        pack_capacity = floats;
    }
    return pack_buffer;
}

#define GEMM_PACK __attribute__((target("avx2,fma")))

/// dst[r·ld_dst + c] = src[c·ld_src + r] for an 8×8 block (r, c < 8).
GEMM_PACK static inline void transpose8x8(const float *src, ptrdiff_t ld_src, float *dst, ptrdiff_t ld_dst) {
    __m256 r0 = _mm256_loadu_ps(src), r1 = _mm256_loadu_ps(src + ld_src), r2 = _mm256_loadu_ps(src + 2 * ld_src),
           r3 = _mm256_loadu_ps(src + 3 * ld_src), r4 = _mm256_loadu_ps(src + 4 * ld_src),
           r5 = _mm256_loadu_ps(src + 5 * ld_src), r6 = _mm256_loadu_ps(src + 6 * ld_src),
           r7 = _mm256_loadu_ps(src + 7 * ld_src);
    const __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1), t2 = _mm256_unpacklo_ps(r2, r3),
                 t3 = _mm256_unpackhi_ps(r2, r3), t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5),
                 t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
    const __m256 s0 = _mm256_shuffle_ps(t0, t2, 0x44), s1 = _mm256_shuffle_ps(t0, t2, 0xEE),
                 s2 = _mm256_shuffle_ps(t1, t3, 0x44), s3 = _mm256_shuffle_ps(t1, t3, 0xEE),
                 s4 = _mm256_shuffle_ps(t4, t6, 0x44), s5 = _mm256_shuffle_ps(t4, t6, 0xEE),
                 s6 = _mm256_shuffle_ps(t5, t7, 0x44), s7 = _mm256_shuffle_ps(t5, t7, 0xEE);
    r0 = _mm256_permute2f128_ps(s0, s4, 0x20); r1 = _mm256_permute2f128_ps(s1, s5, 0x20);
    r2 = _mm256_permute2f128_ps(s2, s6, 0x20); r3 = _mm256_permute2f128_ps(s3, s7, 0x20);
    r4 = _mm256_permute2f128_ps(s0, s4, 0x31); r5 = _mm256_permute2f128_ps(s1, s5, 0x31);
    r6 = _mm256_permute2f128_ps(s2, s6, 0x31); r7 = _mm256_permute2f128_ps(s3, s7, 0x31);
    _mm256_storeu_ps(dst, r0); _mm256_storeu_ps(dst + ld_dst, r1); _mm256_storeu_ps(dst + 2 * ld_dst, r2);
    _mm256_storeu_ps(dst + 3 * ld_dst, r3); _mm256_storeu_ps(dst + 4 * ld_dst, r4); _mm256_storeu_ps(dst + 5 * ld_dst, r5);
    _mm256_storeu_ps(dst + 6 * ld_dst, r6); _mm256_storeu_ps(dst + 7 * ld_dst, r7);
}

/// dst[k·ld_dst + j] = src[j·ld_src + k] for j < cols, k < kc (a panel's transposing copy), zero for
/// cols ≤ j < width.
GEMM_PACK static void pack_transposing(const float *src, ptrdiff_t ld_src, ptrdiff_t cols, ptrdiff_t kc, float *dst,
                                       ptrdiff_t ld_dst, ptrdiff_t width) {
    ptrdiff_t j = 0;
    for (; j + 8 <= cols; j += 8) {
        ptrdiff_t k = 0;
        for (; k + 8 <= kc; k += 8) transpose8x8(src + j * ld_src + k, ld_src, dst + k * ld_dst + j, ld_dst);
        for (; k < kc; k++) {
            for (ptrdiff_t jj = j; jj < j + 8; jj++) dst[k * ld_dst + jj] = src[jj * ld_src + k];
        }
    }
    for (; j < cols; j++) {
#pragma clang loop vectorize(disable)
        for (ptrdiff_t k = 0; k < kc; k++) dst[k * ld_dst + j] = src[j * ld_src + k];
    }
    for (; j < width; j++) {
        for (ptrdiff_t k = 0; k < kc; k++) dst[k * ld_dst + j] = 0;
    }
}

/// Ã for rows ic ..< ic + mc, depth pc ..< pc + kc: panels of `mr` rows, k-major, zero rows past mc.
GEMM_PACK static void pack_a(int transposed, const float *a, ptrdiff_t lda, ptrdiff_t ic, ptrdiff_t mc, ptrdiff_t pc,
                             ptrdiff_t kc, float alpha, float *out) {
    const ptrdiff_t mr = GEMM_MR;
    for (ptrdiff_t p = 0; p < mc; p += mr) {
        const ptrdiff_t rows = mc - p < mr ? mc - p : mr;
        float *dst = out + p * kc;
        if (transposed) {
            // op(A)[i][k] = A[k][i]: each k a contiguous run of rows.
            const float *src = a + pc * lda + ic + p;
            if (rows == GEMM_MR && alpha == 1) {
                for (ptrdiff_t k = 0; k < kc; k++) _mm256_storeu_ps(dst + k * 8, _mm256_loadu_ps(src + k * lda));
                continue;
            }
            for (ptrdiff_t k = 0; k < kc; k++) {
                for (ptrdiff_t i = 0; i < rows; i++) dst[k * mr + i] = alpha * src[k * lda + i];
                for (ptrdiff_t i = rows; i < mr; i++) dst[k * mr + i] = 0;
            }
        } else {
            pack_transposing(a + (ic + p) * lda + pc, lda, rows, kc, dst, mr, mr);
            if (alpha != 1) {
                for (ptrdiff_t e = 0; e < kc * mr; e++) dst[e] *= alpha;
            }
        }
    }
}

/// B̃ for columns jc ..< jc + nc, depth pc ..< pc + kc: panels of `nr` columns, k-major, zero columns past nc.
GEMM_PACK static void pack_b(int transposed, const float *b, ptrdiff_t ldb, ptrdiff_t jc, ptrdiff_t nc, ptrdiff_t pc,
                             ptrdiff_t kc, float *out) {
    const ptrdiff_t nr = GEMM_NR;
    for (ptrdiff_t p = 0; p < nc; p += nr) {
        const ptrdiff_t cols = nc - p < nr ? nc - p : nr;
        float *dst = out + p * kc;
        if (!transposed) {
            const float *src = b + pc * ldb + jc + p;
            for (ptrdiff_t k = 0; k < kc; k++) {
                memcpy(dst + k * nr, src + k * ldb, (size_t)cols * sizeof(float));
                for (ptrdiff_t j = cols; j < nr; j++) dst[k * nr + j] = 0;
            }
        } else {
            // op(B)[k][j] = B[j][k]: each column of the panel is a contiguous run of B.
            pack_transposing(b + (jc + p) * ldb + pc, ldb, cols, kc, dst, nr, nr);
        }
    }
}

// ---- AVX-512: 8 rows × 32 columns --------------------------------------------------------------------------

#define ROW512(i)                                                                                            \
    {                                                                                                        \
        const __m512 ai = _mm512_set1_ps(a[i * rs]);                                                         \
        c##i##0 = _mm512_fmadd_ps(ai, b0, c##i##0);                                                          \
        if (!narrow) c##i##1 = _mm512_fmadd_ps(ai, b1, c##i##1);                                             \
    }

/// Element (i, k) of the A panel at a[i·rs + k·cs]: rs = 1, cs = 8 for Ã, else op(A) where it lies.
/// `edge` (a constant where inlined): the block has n < 32 columns, so B's row k is read with masks, in place
/// without a zero-padded copy, and C is stored with masks; `narrow` (n ≤ 16) also skips the second vector of
/// columns, half the multiply-adds. Both keep each element's sum in the same order as the full block.
__attribute__((target("avx512f"), always_inline))
static inline void kernel_avx512_body(ptrdiff_t kc, const float *a, ptrdiff_t rs, ptrdiff_t cs, const float *b,
                                      ptrdiff_t bs, float *c, ptrdiff_t ldc, float beta, ptrdiff_t m, ptrdiff_t n,
                                      const int edge, const int narrow) {
    __m512 c00 = _mm512_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00,
           c40 = c00, c41 = c00, c50 = c00, c51 = c00, c60 = c00, c61 = c00, c70 = c00, c71 = c00;
    const __mmask16 mask0 = !edge || n >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << n) - 1);
    const __mmask16 mask1 = !edge ? (__mmask16)0xFFFF : n <= 16 ? 0 : (__mmask16)((1u << (n - 16)) - 1);
    for (ptrdiff_t k = 0; k < kc; k++) {
        __m512 b0, b1 = _mm512_setzero_ps();
        if (edge) {
            b0 = _mm512_maskz_loadu_ps(mask0, b);
            if (!narrow) b1 = _mm512_maskz_loadu_ps(mask1, b + 16);
        } else {
            b0 = _mm512_loadu_ps(b);
            b1 = _mm512_loadu_ps(b + 16);
        }
        ROW512(0) ROW512(1) ROW512(2) ROW512(3) ROW512(4) ROW512(5) ROW512(6) ROW512(7)
        a += cs;
        b += bs;
    }
    const __m512 rows[8][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31},
                               {c40, c41}, {c50, c51}, {c60, c61}, {c70, c71}};
    const __m512 vb = _mm512_set1_ps(beta);
    const ptrdiff_t live = m < 8 ? m : 8;
    for (ptrdiff_t i = 0; i < live; i++) {
        float *ci = c + i * ldc;
        if (!edge && beta == 0) {
            _mm512_storeu_ps(ci, rows[i][0]);
            _mm512_storeu_ps(ci + 16, rows[i][1]);
        } else if (beta == 0) {
            _mm512_mask_storeu_ps(ci, mask0, rows[i][0]);
            if (!narrow) _mm512_mask_storeu_ps(ci + 16, mask1, rows[i][1]);
        } else {
            _mm512_mask_storeu_ps(ci, mask0, _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(mask0, ci), rows[i][0]));
            if (!narrow) {
                _mm512_mask_storeu_ps(ci + 16, mask1, _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(mask1, ci + 16), rows[i][1]));
            }
        }
    }
}
#undef ROW512

#define ROW_NARROW(i, a)                                                                                     \
    acc##i = _mm512_fmadd_ps(_mm512_set1_ps((a)[((i) & 7) * rs]), b0, acc##i);

/// A 16 × n block, n ≤ 16, rows 0-7 of A at a0 and rows 8-15 at a1 (element (i, k) at a[i·rs + k·cs]): two
/// row blocks of the narrow edge at once, so 16 independent sums hide the multiply-add latency that leaves
/// 8 of them (one block) at half speed.
__attribute__((target("avx512f")))
static void kernel_avx512_narrow16(ptrdiff_t kc, const float *a0, const float *a1, ptrdiff_t rs, ptrdiff_t cs,
                                   const float *b, ptrdiff_t bs, float *c, ptrdiff_t ldc, float beta, ptrdiff_t n) {
    __m512 acc0 = _mm512_setzero_ps(), acc1 = acc0, acc2 = acc0, acc3 = acc0, acc4 = acc0, acc5 = acc0, acc6 = acc0,
           acc7 = acc0, acc8 = acc0, acc9 = acc0, acc10 = acc0, acc11 = acc0, acc12 = acc0, acc13 = acc0, acc14 = acc0,
           acc15 = acc0;
    const __mmask16 mask = n >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << n) - 1);
    for (ptrdiff_t k = 0; k < kc; k++) {
        const __m512 b0 = _mm512_maskz_loadu_ps(mask, b);
        ROW_NARROW(0, a0) ROW_NARROW(1, a0) ROW_NARROW(2, a0) ROW_NARROW(3, a0)
        ROW_NARROW(4, a0) ROW_NARROW(5, a0) ROW_NARROW(6, a0) ROW_NARROW(7, a0)
        ROW_NARROW(8, a1) ROW_NARROW(9, a1) ROW_NARROW(10, a1) ROW_NARROW(11, a1)
        ROW_NARROW(12, a1) ROW_NARROW(13, a1) ROW_NARROW(14, a1) ROW_NARROW(15, a1)
        a0 += cs;
        a1 += cs;
        b += bs;
    }
    const __m512 rows[16] = {acc0, acc1, acc2, acc3, acc4, acc5, acc6, acc7,
                             acc8, acc9, acc10, acc11, acc12, acc13, acc14, acc15};
    const __m512 vb = _mm512_set1_ps(beta);
    for (int i = 0; i < 16; i++) {
        float *ci = c + i * ldc;
        _mm512_mask_storeu_ps(ci, mask, beta == 0 ? rows[i] : _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(mask, ci), rows[i]));
    }
}
#undef ROW_NARROW

/// The micro-kernel on an m × n block (m ≤ 8, n ≤ 32): full width, or the masked edge kernels.
__attribute__((target("avx512f"), always_inline))
static inline void kernel_avx512_by_width(ptrdiff_t kc, const float *a, ptrdiff_t rs, ptrdiff_t cs, const float *b,
                                          ptrdiff_t bs, float *c, ptrdiff_t ldc, float beta, ptrdiff_t m, ptrdiff_t n) {
    if (n == 32) kernel_avx512_body(kc, a, rs, cs, b, bs, c, ldc, beta, m, n, 0, 0);
    else if (n > 16) kernel_avx512_body(kc, a, rs, cs, b, bs, c, ldc, beta, m, n, 1, 0);
    else kernel_avx512_body(kc, a, rs, cs, b, bs, c, ldc, beta, m, n, 1, 1);
}

/// On a packed Ã panel (rs = 1, cs = 8 as constants, so the compiler folds the addressing).
__attribute__((target("avx512f")))
static void kernel_avx512(ptrdiff_t kc, const float *a, const float *b, ptrdiff_t bs, float *c, ptrdiff_t ldc, float beta,
                          ptrdiff_t m, ptrdiff_t n) {
    kernel_avx512_by_width(kc, a, 1, 8, b, bs, c, ldc, beta, m, n);
}

/// On op(A) where it lies.
__attribute__((target("avx512f")))
static void kernel_avx512_strided(ptrdiff_t kc, const float *a, ptrdiff_t rs, ptrdiff_t cs, const float *b, ptrdiff_t bs,
                                  float *c, ptrdiff_t ldc, float beta, ptrdiff_t m, ptrdiff_t n) {
    kernel_avx512_by_width(kc, a, rs, cs, b, bs, c, ldc, beta, m, n);
}

/// The blocked product on the calling thread; 0 (C untouched) when the packing buffer cannot be allocated.
static int gemm_blocked(int transpose_a, int transpose_b, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, float alpha,
                        const float *a, ptrdiff_t lda, const float *b, ptrdiff_t ldb, float beta, float *c, ptrdiff_t ldc) {
    const ptrdiff_t mr = GEMM_MR, nr = GEMM_NR, mc_max = GEMM_MC, nc_max = GEMM_NC;
    const ptrdiff_t kc_max = k < GEMM_KC ? k : GEMM_KC;
    // Rows of an untransposed B are read in place (a last, partial column panel with masks), unless
    // they lie a multiple of 4 KB apart: then a panel's rows share a handful of cache sets, miss in L1 and L2
    // alike, and packing is faster (64×2048×64: 160 GFLOP/s in place, 195 packed; at 2 KB apart in place wins).
    const int b_in_place = !transpose_b && (ldb < 1024 || ldb % 1024 != 0);
    const ptrdiff_t a_floats = (mc_max * kc_max + 15) / 16 * 16, b_floats = b_in_place ? 0 : nc_max * kc_max;
    float *space = pack_space((size_t)(a_floats + b_floats));
    if (!space) return 0;  // before C is touched: the caller falls back to OpenBLAS
    float *pa = space, *pb = space + a_floats;
    for (ptrdiff_t jc = 0; jc < n; jc += nc_max) {
        const ptrdiff_t nc = n - jc < nc_max ? n - jc : nc_max;
        for (ptrdiff_t pc = 0; pc < k; pc += kc_max) {
            const ptrdiff_t kc = k - pc < kc_max ? k - pc : kc_max;
            const float beta_here = pc == 0 ? beta : 1.0f;
            if (!b_in_place) pack_b(transpose_b, b, ldb, jc, nc, pc, kc, pb);
#define B_PANEL(jr) (b_in_place ? b + pc * ldb + jc + (jr) : pb + (jr) * kc)
#define B_STRIDE(jr) (b_in_place ? ldb : nr)
            if (nc <= nr && alpha == 1) {
                // One column panel: each element of A is used once, so the kernel reads A in place too.
                const ptrdiff_t rs = transpose_a ? 1 : lda, cs = transpose_a ? lda : 1;
                ptrdiff_t ir = 0;
                if (nc <= 16) {
                    for (; ir + 2 * mr <= m; ir += 2 * mr) {
                        const float *a0 = a + ir * rs + pc * cs;
                        kernel_avx512_narrow16(kc, a0, a0 + mr * rs, rs, cs, B_PANEL(0), B_STRIDE(0), c + ir * ldc + jc, ldc,
                                               beta_here, nc);
                    }
                }
                for (; ir + mr <= m; ir += mr) {
                    kernel_avx512_strided(kc, a + ir * rs + pc * cs, rs, cs, B_PANEL(0), B_STRIDE(0), c + ir * ldc + jc, ldc,
                            beta_here, mr, nc);
                }
                if (ir < m) {
                    // The last rows: a zero-padded panel, since the kernel reads all MR rows.
                    pack_a(transpose_a, a, lda, ir, m - ir, pc, kc, alpha, pa);
                    kernel_avx512(kc, pa, B_PANEL(0), B_STRIDE(0), c + ir * ldc + jc, ldc, beta_here, m - ir, nc);
                }
                continue;
            }
            for (ptrdiff_t ic = 0; ic < m; ic += mc_max) {
                const ptrdiff_t mc = m - ic < mc_max ? m - ic : mc_max;
                pack_a(transpose_a, a, lda, ic, mc, pc, kc, alpha, pa);
                for (ptrdiff_t jr = 0; jr < nc; jr += nr) {
                    ptrdiff_t ir = 0;
                    if (nc - jr <= 16) {
                        for (; ir + 2 * mr <= mc; ir += 2 * mr) {
                            kernel_avx512_narrow16(kc, pa + ir * kc, pa + (ir + mr) * kc, 1, mr, B_PANEL(jr), B_STRIDE(jr),
                                                   c + (ic + ir) * ldc + jc + jr, ldc, beta_here, nc - jr);
                        }
                    }
                    for (; ir < mc; ir += mr) {
                        kernel_avx512(kc, pa + ir * kc, B_PANEL(jr), B_STRIDE(jr), c + (ic + ir) * ldc + jc + jr, ldc,
                               beta_here, mc - ir < mr ? mc - ir : mr, nc - jr < nr ? nc - jr : nr);
                    }
                }
            }
#undef B_PANEL
#undef B_STRIDE
        }
    }
    return 1;
}
#endif

int loupe_sgemm_at(loupe_isa level, int transpose_a, int transpose_b, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, float alpha,
                   const float *a, ptrdiff_t lda, const float *b, ptrdiff_t ldb, float beta, float *c, ptrdiff_t ldc) {
#if defined(__x86_64__)
    if (level > loupe_isa_supported()) level = loupe_isa_supported();
    if (level < LOUPE_ISA_AVX512) return 0;
    if (m <= 0 || n <= 0) return 1;
    if (k <= 0) {
        for (ptrdiff_t i = 0; i < m; i++) {
            for (ptrdiff_t j = 0; j < n; j++) c[i * ldc + j] = beta == 0 ? 0 : beta * c[i * ldc + j];
        }
        return 1;
    }
    return gemm_blocked(transpose_a, transpose_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
#else
    (void)level; (void)transpose_a; (void)transpose_b; (void)m; (void)n; (void)k; (void)alpha; (void)a; (void)lda;
    (void)b; (void)ldb; (void)beta; (void)c; (void)ldc;
    return 0;
#endif
}

/// −1: not yet read. 1 when the environment sets LOUPE_GEMM=blas (benchmarks compare against OpenBLAS).
static int use_blas = -1;

int loupe_sgemm(int transpose_a, int transpose_b, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, float alpha, const float *a,
                ptrdiff_t lda, const float *b, ptrdiff_t ldb, float beta, float *c, ptrdiff_t ldc) {
    int blas = __atomic_load_n(&use_blas, __ATOMIC_RELAXED);
    if (blas < 0) {
        const char *wanted = getenv("LOUPE_GEMM");
        blas = wanted && strcmp(wanted, "blas") == 0;
        __atomic_store_n(&use_blas, blas, __ATOMIC_RELAXED);
    }
    if (blas) return 0;
    return loupe_sgemm_at(loupe_isa_active(), transpose_a, transpose_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
