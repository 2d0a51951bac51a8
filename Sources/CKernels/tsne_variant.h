// One instruction-set variant of t-SNE's attractive forces (van der Maaten, JMLR 15, 2014, eq. 5):
//   a_i = Σ_j p_ij·w_ij·(y_i − y_j),  w_ij = 1 / (1 + ‖y_i − y_j‖²),  over row i of the sparse P,
// stored as 16-row slices (SELL-16: Kreutzer, Hager, Wellein, Fehske & Bishop, SIAM J. Sci. Comput. 36, 2014):
// the rows sorted by length and taken 16 at a time, entry e of the slice's 16 rows side by side, short rows
// padded with entries (own row, 0) that add exactly +0. Each lane walks its row's entries in order, so every row is
// summed exactly as a scalar loop sums it, at every level (16 lanes whatever the vector width: 4 SSE2 vectors,
// 2 AVX2, 1 AVX-512): the forces, and so the map, do not depend on the CPU. kernels.c includes this file once per
// level with TSNE_GATHER_F32 defined (AVX2 / AVX-512 gathers, scalar loads on SSE2). A scalar loop waits on the
// previous addition and on a division per entry; this one keeps 16 of each in flight.
//
// Shapes: ys n×2 (float, row-major); rows 16 per slice (row ids, −1 for a last slice's empty lanes);
// slice_start slices + 1 (offsets into columns, values; a slice of width w holds 16·w entries); out n×2.

#define CAT2(a, b) a##_##b
#define CAT(a, b) CAT2(a, b)
#define FN(name) CAT(name, VARIANT)

typedef float CAT(vf16, VARIANT) __attribute__((ext_vector_type(16)));
typedef int32_t CAT(vi16, VARIANT) __attribute__((ext_vector_type(16)));
#define VF16 CAT(vf16, VARIANT)
#define VI16 CAT(vi16, VARIANT)

void FN(tsne_attraction)(const float *restrict ys, const int32_t *restrict rows, const ptrdiff_t *restrict slice_start,
                         const int32_t *restrict columns, const float *restrict values, ptrdiff_t first, ptrdiff_t end,
                         float *restrict out) {
    for (ptrdiff_t s = first; s < end; s++) {
        VF16 xi = 0, yi = 0;
        for (int l = 0; l < 16; l++) {
            const ptrdiff_t i = rows[16 * s + l] >= 0 ? rows[16 * s + l] : 0;
            xi[l] = ys[2 * i];
            yi[l] = ys[2 * i + 1];
        }
        VF16 ax = 0, ay = 0;
        for (ptrdiff_t e = slice_start[s]; e < slice_start[s + 1]; e += 16) {
            VI16 j;
            VF16 v, xj, yj;
            __builtin_memcpy(&j, columns + e, sizeof j);
            __builtin_memcpy(&v, values + e, sizeof v);
            const VI16 j2 = j + j;
            TSNE_GATHER_F32(ys, j2, xj);
            TSNE_GATHER_F32(ys + 1, j2, yj);
            const VF16 dx = xi - xj, dy = yi - yj;
            const VF16 pw = v / (1.0f + dx * dx + dy * dy);
            ax += pw * dx;
            ay += pw * dy;
        }
        for (int l = 0; l < 16; l++) {
            const int32_t i = rows[16 * s + l];
            if (i < 0) continue;
            out[2 * (ptrdiff_t)i] = ax[l];
            out[2 * (ptrdiff_t)i + 1] = ay[l];
        }
    }
}

#undef VF16
#undef VI16
#undef FN
#undef CAT
#undef CAT2
