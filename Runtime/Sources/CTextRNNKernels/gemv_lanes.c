// Several texts' recurrent products at once: see trk_gemv_f32_lanes in textrnn_kernels.h.
//
// Why: a 64-unit LSTM's recurrent kernel is 64 KiB of float32, more than a 48 KiB L1, so one
// text's step streams it from L2 (about 2.8 vector FMAs per ns measured here, against 4.5 from
// L1). Four texts sharing each load of a weight panel run 1.6x (AVX2) to 2.1x (AVX-512) faster
// per text (bench/README.md). Kernels that fit L1 are not worth it (trk_lanes_worthwhile).
//
// Same bits as one text at a time: each level's single-text kernel (kernels.c) sums every
// column of its main blocks in two halves, the even rows starting from init and the odd rows
// from zero, then adds the halves; it sums the columns after those blocks in one sequential
// chain. The lanes kernels do exactly the first for the same main columns, and hand the rest to
// the single-text kernel.
#include "textrnn_kernels.h"

#include "targets.h"

#include <unistd.h>

enum { PANEL = 16 };

int trk_lanes_worthwhile(int k, int n) {
    static long l1 = 0;
    if (l1 == 0) {
        long size = sysconf(_SC_LEVEL1_DCACHE_SIZE);
        __atomic_store_n(&l1, size > 0 ? size : 32 << 10, __ATOMIC_RELAXED);
    }
    return (long)k * n * (long)sizeof(float) > __atomic_load_n(&l1, __ATOMIC_RELAXED) / 4 * 3;
}

size_t trk_panels_f32_size(int k, int n) { return (size_t)k * (size_t)(n / PANEL * PANEL); }

void trk_pack_panels_f32(const float *w, int k, int n, float *panels) {
    for (int p = 0; p < n / PANEL; p++)
        for (int i = 0; i < k; i++)
            for (int c = 0; c < PANEL; c++) panels[((size_t)p * k + i) * PANEL + c] = w[(size_t)i * n + p * PANEL + c];
}

#if TRK_X86
/// Columns [0, columns) of four lanes, 8 at a time (half a panel): per lane one accumulator for
/// the even rows and one for the odd rows, 8 FMA chains in all.
AVX2 static void lanes_avx2(const float *const *init, const float *const *x, int k, const float *panels, int columns,
                            float *const *y) {
    for (int j = 0; j < columns; j += 8) {
        const float *panel = panels + (size_t)(j / PANEL) * k * PANEL + j % PANEL;
        __m256 even[TRK_LANES], odd[TRK_LANES];
        for (int l = 0; l < TRK_LANES; l++) { even[l] = _mm256_loadu_ps(init[l] + j); odd[l] = _mm256_setzero_ps(); }
        int i = 0;
        for (; i + 2 <= k; i += 2) {
            __m256 w0 = _mm256_loadu_ps(panel + (size_t)i * PANEL), w1 = _mm256_loadu_ps(panel + (size_t)(i + 1) * PANEL);
            for (int l = 0; l < TRK_LANES; l++) {
                even[l] = _mm256_fmadd_ps(_mm256_set1_ps(x[l][i]), w0, even[l]);
                odd[l] = _mm256_fmadd_ps(_mm256_set1_ps(x[l][i + 1]), w1, odd[l]);
            }
        }
        if (i < k) {
            __m256 w0 = _mm256_loadu_ps(panel + (size_t)i * PANEL);
            for (int l = 0; l < TRK_LANES; l++) even[l] = _mm256_fmadd_ps(_mm256_set1_ps(x[l][i]), w0, even[l]);
        }
        for (int l = 0; l < TRK_LANES; l++) _mm256_storeu_ps(y[l] + j, _mm256_add_ps(even[l], odd[l]));
    }
}

/// The same with one 16-column panel per pass.
AVX512 static void lanes_avx512(const float *const *init, const float *const *x, int k, const float *panels, int columns,
                                float *const *y) {
    for (int j = 0; j < columns; j += PANEL) {
        const float *panel = panels + (size_t)(j / PANEL) * k * PANEL;
        __m512 even[TRK_LANES], odd[TRK_LANES];
        for (int l = 0; l < TRK_LANES; l++) { even[l] = _mm512_loadu_ps(init[l] + j); odd[l] = _mm512_setzero_ps(); }
        int i = 0;
        for (; i + 2 <= k; i += 2) {
            __m512 w0 = _mm512_loadu_ps(panel + (size_t)i * PANEL), w1 = _mm512_loadu_ps(panel + (size_t)(i + 1) * PANEL);
            for (int l = 0; l < TRK_LANES; l++) {
                even[l] = _mm512_fmadd_ps(_mm512_set1_ps(x[l][i]), w0, even[l]);
                odd[l] = _mm512_fmadd_ps(_mm512_set1_ps(x[l][i + 1]), w1, odd[l]);
            }
        }
        if (i < k) {
            __m512 w0 = _mm512_loadu_ps(panel + (size_t)i * PANEL);
            for (int l = 0; l < TRK_LANES; l++) even[l] = _mm512_fmadd_ps(_mm512_set1_ps(x[l][i]), w0, even[l]);
        }
        for (int l = 0; l < TRK_LANES; l++) _mm512_storeu_ps(y[l] + j, _mm512_add_ps(even[l], odd[l]));
    }
}
#endif

void trk_gemv_f32_lanes(int lanes, const float *const *init, const float *const *x, int k, const float *w,
                        const float *panels, int n, float *const *y) {
    int level = trk_kernel_level();
    // The columns the level's single-text kernel sums in even and odd halves (kernels.c):
    // AVX2 blocks of 32, AVX-512 blocks of 128 and then 64.
    int main = level >= 2 ? n / 64 * 64 : level == 1 ? n / 32 * 32 : 0;
#if TRK_X86
    if (lanes > 1 && main > 0) {
        // Missing lanes repeat lane 0: the same values, written to lane 0's output again.
        const float *in[TRK_LANES], *vector[TRK_LANES];
        float *out[TRK_LANES];
        for (int l = 0; l < TRK_LANES; l++) {
            int from = l < lanes ? l : 0;
            in[l] = init[from];
            vector[l] = x[from];
            out[l] = y[from];
        }
        if (level >= 2) lanes_avx512(in, vector, k, panels, main, out);
        else lanes_avx2(in, vector, k, panels, main, out);
        if (main == n) return;
        for (int l = 0; l < lanes; l++) trk_gemv_f32_from(init[l] + main, x[l], k, w + main, n, n - main, y[l] + main);
        return;
    }
#endif
    for (int l = 0; l < lanes; l++) trk_gemv_f32_from(init[l], x[l], k, w, n, n, y[l]);
}
