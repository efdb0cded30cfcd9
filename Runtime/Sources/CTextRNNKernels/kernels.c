// See include/textrnn_kernels.h. One library for every x86-64: each hot function has a
// portable version and AVX2/FMA and AVX-512 versions compiled with target attributes; the
// level is chosen once from cpuid/xgetbv (and TEXTRNN_KERNELS, for tests and benchmarks).
#include "textrnn_kernels.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "targets.h"
#if TRK_X86
#include <cpuid.h>
#endif

// MARK: - CPU detection

static int detect_level(void) {
#if TRK_X86
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    int osxsave = (c >> 27) & 1, avx = (c >> 28) & 1, fma = (c >> 12) & 1;
    if (!osxsave || !avx) return 0;
    unsigned xlo, xhi;
    __asm__ volatile("xgetbv" : "=a"(xlo), "=d"(xhi) : "c"(0));
    if ((xlo & 0x6) != 0x6) return 0;  // XMM and YMM state enabled by the OS
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    int avx2 = (b >> 5) & 1;
    if (!avx2 || !fma) return 0;
    int level = 1;
    int f = (b >> 16) & 1, dq = (b >> 17) & 1, bw = (b >> 30) & 1, vl = (b >> 31) & 1;
    int vnni = (c >> 11) & 1;
    if (f && dq && bw && vl && (xlo & 0xe0) == 0xe0) {  // opmask, ZMM0-15 upper, ZMM16-31
        level = vnni ? 3 : 2;
    }
    return level;
#else
    return 0;
#endif
}

static int cpu_level = -1;
static int use_level = -1;

int trk_cpu_level(void) {
    int level = __atomic_load_n(&cpu_level, __ATOMIC_RELAXED);
    if (level < 0) {
        level = detect_level();
        __atomic_store_n(&cpu_level, level, __ATOMIC_RELAXED);
    }
    return level;
}

int trk_set_kernel_level(int level) {
    int cpu = trk_cpu_level();
    if (level > cpu) level = cpu;
    if (level < 0) level = 0;
    __atomic_store_n(&use_level, level, __ATOMIC_RELAXED);
    return level;
}

/// The process-wide level: set, or chosen once from the CPU and TEXTRNN_KERNELS.
static int process_level(void) {
    int level = __atomic_load_n(&use_level, __ATOMIC_RELAXED);
    if (level >= 0) return level;
    level = trk_cpu_level();
    const char *requested = getenv("TEXTRNN_KERNELS");
    if (requested) {
        if (!strcmp(requested, "portable")) level = 0;
        else if (!strcmp(requested, "avx2") && level > 1) level = 1;
        else if (!strcmp(requested, "avx512") && level > 2) level = 2;
    }
    return trk_set_kernel_level(level);
}

// Per-thread levels, for tests that run every level while other tests run in parallel. Only
// while some thread has one is the thread-local variable read at all (TLS in a shared
// library costs a call): predictions never pay for it.
static int thread_overrides = 0;
static _Thread_local int thread_level = -1;

int trk_set_thread_kernel_level(int level) {
    if (level < 0) {
        if (thread_level >= 0) __atomic_fetch_sub(&thread_overrides, 1, __ATOMIC_RELAXED);
        thread_level = -1;
        return process_level();
    }
    int cpu = trk_cpu_level();
    if (level > cpu) level = cpu;
    if (thread_level < 0) __atomic_fetch_add(&thread_overrides, 1, __ATOMIC_RELAXED);
    thread_level = level;
    return level;
}

int trk_kernel_level(void) {
    if (__atomic_load_n(&thread_overrides, __ATOMIC_RELAXED) && thread_level >= 0) return thread_level;
    return process_level();
}

const char *trk_kernel_name(void) {
    static const char *names[] = {"portable", "avx2-fma", "avx512", "avx512-vnni"};
    return names[trk_kernel_level()];
}

#define LEVEL                                                                                    \
    (__builtin_expect(__atomic_load_n(&thread_overrides, __ATOMIC_RELAXED) == 0 && use_level >= 0, 1) \
         ? use_level                                                                             \
         : trk_kernel_level())

// MARK: - float matrix-vector

static void gemv_f32_portable(const float *x, int k, const float *w, int ldw, int n, float *y) {
    for (int i = 0; i < k; i++) {
        float xi = x[i];
        if (xi == 0) continue;
        const float *row = w + (size_t)i * ldw;
        for (int j = 0; j < n; j++) y[j] += xi * row[j];
    }
}

#if TRK_X86
/// Blocks of 32 columns: 4 accumulators for the even rows and 4 for the odd ones (8 FMA chains
/// cover the FMA latency; with the 2 broadcasts 10 of the 16 ymm registers, no spills).
AVX2 static void gemv_f32_avx2(const float *init, const float *x, int k, const float *w, int ldw, int n, float *y) {
    int blocks = n / 32;
    for (int b = 0; b < blocks; b++) {
        int j = 32 * b;
        __m256 e[4], o[4];
        for (int m = 0; m < 4; m++) { e[m] = _mm256_loadu_ps(init + j + 8 * m); o[m] = _mm256_setzero_ps(); }
        int i = 0;
        for (; i + 2 <= k; i += 2) {
            __m256 x0 = _mm256_set1_ps(x[i]), x1 = _mm256_set1_ps(x[i + 1]);
            const float *r0 = w + (size_t)i * ldw + j, *r1 = r0 + ldw;
            for (int m = 0; m < 4; m++) {
                e[m] = _mm256_fmadd_ps(x0, _mm256_loadu_ps(r0 + 8 * m), e[m]);
                o[m] = _mm256_fmadd_ps(x1, _mm256_loadu_ps(r1 + 8 * m), o[m]);
            }
        }
        if (i < k) {
            __m256 x0 = _mm256_set1_ps(x[i]);
            const float *r0 = w + (size_t)i * ldw + j;
            for (int m = 0; m < 4; m++) e[m] = _mm256_fmadd_ps(x0, _mm256_loadu_ps(r0 + 8 * m), e[m]);
        }
        for (int m = 0; m < 4; m++) _mm256_storeu_ps(y + j + 8 * m, _mm256_add_ps(e[m], o[m]));
    }
    int j = 32 * blocks;
    for (; j + 8 <= n; j += 8) {
        __m256 a = _mm256_loadu_ps(init + j);
        for (int i = 0; i < k; i++) a = _mm256_fmadd_ps(_mm256_set1_ps(x[i]), _mm256_loadu_ps(w + (size_t)i * ldw + j), a);
        _mm256_storeu_ps(y + j, a);
    }
    for (; j < n; j++) {
        float a = init[j];
        for (int i = 0; i < k; i++) a = fmaf(x[i], w[(size_t)i * ldw + j], a);
        y[j] = a;
    }
}

AVX512 static void gemv_f32_avx512(const float *init, const float *x, int k, const float *w, int ldw, int n, float *y) {
    int j = 0;
    for (; j + 128 <= n; j += 128) {
        __m512 a[8], b[8];
        for (int m = 0; m < 8; m++) { a[m] = _mm512_loadu_ps(init + j + 16 * m); b[m] = _mm512_setzero_ps(); }
        int i = 0;
        for (; i + 2 <= k; i += 2) {
            __m512 x0 = _mm512_set1_ps(x[i]), x1 = _mm512_set1_ps(x[i + 1]);
            const float *r0 = w + (size_t)i * ldw + j, *r1 = r0 + ldw;
            for (int m = 0; m < 8; m++) {
                a[m] = _mm512_fmadd_ps(x0, _mm512_loadu_ps(r0 + 16 * m), a[m]);
                b[m] = _mm512_fmadd_ps(x1, _mm512_loadu_ps(r1 + 16 * m), b[m]);
            }
        }
        if (i < k) {
            __m512 x0 = _mm512_set1_ps(x[i]);
            const float *r0 = w + (size_t)i * ldw + j;
            for (int m = 0; m < 8; m++) a[m] = _mm512_fmadd_ps(x0, _mm512_loadu_ps(r0 + 16 * m), a[m]);
        }
        for (int m = 0; m < 8; m++) _mm512_storeu_ps(y + j + 16 * m, _mm512_add_ps(a[m], b[m]));
    }
    for (; j + 64 <= n; j += 64) {
        __m512 a[4], b[4];
        for (int m = 0; m < 4; m++) { a[m] = _mm512_loadu_ps(init + j + 16 * m); b[m] = _mm512_setzero_ps(); }
        int i = 0;
        for (; i + 2 <= k; i += 2) {
            __m512 x0 = _mm512_set1_ps(x[i]), x1 = _mm512_set1_ps(x[i + 1]);
            const float *r0 = w + (size_t)i * ldw + j, *r1 = r0 + ldw;
            for (int m = 0; m < 4; m++) {
                a[m] = _mm512_fmadd_ps(x0, _mm512_loadu_ps(r0 + 16 * m), a[m]);
                b[m] = _mm512_fmadd_ps(x1, _mm512_loadu_ps(r1 + 16 * m), b[m]);
            }
        }
        if (i < k) {
            __m512 x0 = _mm512_set1_ps(x[i]);
            const float *r0 = w + (size_t)i * ldw + j;
            for (int m = 0; m < 4; m++) a[m] = _mm512_fmadd_ps(x0, _mm512_loadu_ps(r0 + 16 * m), a[m]);
        }
        for (int m = 0; m < 4; m++) _mm512_storeu_ps(y + j + 16 * m, _mm512_add_ps(a[m], b[m]));
    }
    for (; j < n; j += 16) {
        __mmask16 mask = n - j >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (n - j)) - 1);
        __m512 a = _mm512_maskz_loadu_ps(mask, init + j);
        for (int i = 0; i < k; i++)
            a = _mm512_fmadd_ps(_mm512_set1_ps(x[i]), _mm512_maskz_loadu_ps(mask, w + (size_t)i * ldw + j), a);
        _mm512_mask_storeu_ps(y + j, mask, a);
    }
}
#endif

void trk_gemv_f32_from(const float *init, const float *x, int k, const float *w, int ldw, int n, float *y) {
#if TRK_X86
    int level = LEVEL;
    if (level >= 2) { gemv_f32_avx512(init, x, k, w, ldw, n, y); return; }
    if (level == 1) { gemv_f32_avx2(init, x, k, w, ldw, n, y); return; }
#endif
    if (init != y) memcpy(y, init, sizeof(float) * (size_t)n);
    gemv_f32_portable(x, k, w, ldw, n, y);
}

void trk_gemv_f32(const float *x, int k, const float *w, int ldw, int n, float *y) { trk_gemv_f32_from(y, x, k, w, ldw, n, y); }

void trk_prefetch(const void *p, size_t bytes) {
    for (size_t i = 0; i < bytes; i += 64) __builtin_prefetch((const char *)p + i, 0, 3);
}

// MARK: - int8 weights, float activations (table fill, dense layers)

#define GEMV_F32S8_BODY                                                         \
    float tmp[256];                                                             \
    for (int j0 = 0; j0 < n; j0 += 256) {                                       \
        int count = n - j0 < 256 ? n - j0 : 256;                                \
        for (int j = 0; j < count; j++) tmp[j] = 0;                             \
        for (int i = 0; i < k; i++) {                                           \
            float xi = x[i];                                                    \
            const int8_t *row = w + (size_t)i * ldw + j0;                       \
            for (int j = 0; j < count; j++) tmp[j] += xi * (float)row[j];       \
        }                                                                       \
        for (int j = 0; j < count; j++) y[j0 + j] += scale[j0 + j] * tmp[j];    \
    }

static void gemv_f32s8_portable(const float *x, int k, const int8_t *w, int ldw, int n, const float *scale, float *y) {
    GEMV_F32S8_BODY
}
#if TRK_X86
/// Blocks of 64 columns in 8 accumulators for the whole of k (the portable body keeps a
/// 256-column buffer in memory); each column's sum runs over i in the same order.
AVX2 static void gemv_f32s8_avx2(const float *x, int k, const int8_t *w, int ldw, int n, const float *scale, float *y) {
    int j = 0;
    for (; j + 64 <= n; j += 64) {
        __m256 a[8];
        for (int m = 0; m < 8; m++) a[m] = _mm256_setzero_ps();
        for (int i = 0; i < k; i++) {
            __m256 xi = _mm256_set1_ps(x[i]);
            const int8_t *row = w + (size_t)i * ldw + j;
            for (int m = 0; m < 8; m++) {
                __m256 v = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(row + 8 * m))));
                a[m] = _mm256_fmadd_ps(xi, v, a[m]);
            }
        }
        for (int m = 0; m < 8; m++) {
            float *o = y + j + 8 * m;
            _mm256_storeu_ps(o, _mm256_fmadd_ps(_mm256_loadu_ps(scale + j + 8 * m), a[m], _mm256_loadu_ps(o)));
        }
    }
    for (; j + 8 <= n; j += 8) {
        __m256 a = _mm256_setzero_ps();
        for (int i = 0; i < k; i++) {
            __m256 v = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(w + (size_t)i * ldw + j))));
            a = _mm256_fmadd_ps(_mm256_set1_ps(x[i]), v, a);
        }
        _mm256_storeu_ps(y + j, _mm256_fmadd_ps(_mm256_loadu_ps(scale + j), a, _mm256_loadu_ps(y + j)));
    }
    if (j < n) gemv_f32s8_portable(x, k, w + j, ldw, n - j, scale + j, y + j);
}
AVX512 static void gemv_f32s8_avx512(const float *x, int k, const int8_t *w, int ldw, int n, const float *scale, float *y) {
    GEMV_F32S8_BODY
}
#endif

void trk_gemv_f32s8(const float *x, int k, const int8_t *w, int ldw, int n, const float *scale, float *y) {
#if TRK_X86
    int level = LEVEL;
    if (level >= 2) { gemv_f32s8_avx512(x, k, w, ldw, n, scale, y); return; }
    if (level == 1) { gemv_f32s8_avx2(x, k, w, ldw, n, scale, y); return; }
#endif
    gemv_f32s8_portable(x, k, w, ldw, n, scale, y);
}

// MARK: - int8 weights, uint8 activations (recurrent steps)

size_t trk_packed_size(int k, int n) { return (size_t)((k + 3) / 4) * 4 * (size_t)n; }

void trk_pack_s8(const int8_t *w, int k, int ldw, int n, int8_t *packed, int32_t *colsum) {
    int groups = (k + 3) / 4;
    for (int j = 0; j < n; j++) colsum[j] = 0;
    for (int g = 0; g < groups; g++)
        for (int j = 0; j < n; j++)
            for (int r = 0; r < 4; r++) {
                int i = 4 * g + r;
                int8_t v = i < k ? w[(size_t)i * ldw + j] : 0;
                // The scheme is symmetric (-127...127): a stray -128 (not written by our
                // quantizer) is read as -127, the bound the no-saturation argument uses.
                if (v == -128) v = -127;
                packed[((size_t)g * n + j) * 4 + r] = v;
                colsum[j] += v;
            }
}

// Activations are quantized per product to 7 bits: q = round(x · 63 / max|x|), stored as the
// unsigned byte q + 64 (1...127). Why 7 and not 8: without VNNI, vpmaddubsw adds the products
// of two unsigned-by-signed byte pairs into int16, saturating. With activations up to 127 and
// weights in -127...127 a pair is at most 2 · 127 · 127 = 32,258, so it never saturates, and
// one vpmaddubsw, one vpmaddwd and one add do 32 multiply-adds; an 8-bit grid (q + 128, up to
// 255) would need a fourth instruction per 32 to stay exact. Every level uses this grid, so
// every level computes the same integers.
enum { q_levels = 63, q_zero_shift = 6, q_zero = 1 << q_zero_shift };

/// Quantizes x to q + q_zero; returns the scale (0: x is all zeros).
static float quantize_u8(const float *x, int k, uint8_t *xq) {
    float largest = 0;
    for (int i = 0; i < k; i++) { float a = fabsf(x[i]); largest = a > largest ? a : largest; }
    int padded = (k + 3) / 4 * 4;
    if (!(largest > 0)) return 0;
    float inverse = (float)q_levels / largest;
    for (int i = 0; i < k; i++) xq[i] = (uint8_t)(q_zero + (int)lrintf(x[i] * inverse));
    for (int i = k; i < padded; i++) xq[i] = q_zero;
    return largest / (float)q_levels;
}

static void dot_u8s8_portable(const uint8_t *xq, int groups, const int8_t *packed, int n, int32_t *acc) {
    for (int j = 0; j < n; j++) acc[j] = 0;
    for (int g = 0; g < groups; g++) {
        const uint8_t *xg = xq + 4 * g;
        const int8_t *block = packed + (size_t)g * n * 4;
        for (int j = 0; j < n; j++) {
            const int8_t *wj = block + 4 * j;
            acc[j] += xg[0] * wj[0] + xg[1] * wj[1] + xg[2] * wj[2] + xg[3] * wj[3];
        }
    }
}

#if TRK_X86
/// Quantizes x as quantize_u8 does (same rounding), zero-padded to a multiple of 4; returns
/// max|x| (0: x is all zeros).
AVX2 static float quantize_u8_avx2(const float *x, int k, uint8_t *xq) {
    __m256 magnitude = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
    __m256 largest = _mm256_setzero_ps();
    int i = 0;
    for (; i + 8 <= k; i += 8) largest = _mm256_max_ps(largest, _mm256_and_ps(magnitude, _mm256_loadu_ps(x + i)));
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(largest), _mm256_extractf128_ps(largest, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    m = _mm_max_ss(m, _mm_movehdup_ps(m));
    float top = _mm_cvtss_f32(m);
    for (; i < k; i++) { float a = fabsf(x[i]); top = a > top ? a : top; }
    if (!(top > 0)) return 0;
    float inverse = (float)q_levels / top;
    __m256 scale = _mm256_set1_ps(inverse);
    __m256i zero = _mm256_set1_epi32(q_zero);
    // packs interleave 128-bit lanes; this puts the four 8-float blocks back in order.
    __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
    for (i = 0; i + 32 <= k; i += 32) {
        __m256i a = _mm256_add_epi32(_mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x + i), scale)), zero);
        __m256i b = _mm256_add_epi32(_mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x + i + 8), scale)), zero);
        __m256i c = _mm256_add_epi32(_mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x + i + 16), scale)), zero);
        __m256i d = _mm256_add_epi32(_mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x + i + 24), scale)), zero);
        __m256i bytes = _mm256_packus_epi16(_mm256_packs_epi32(a, b), _mm256_packs_epi32(c, d));
        _mm256_storeu_si256((__m256i *)(xq + i), _mm256_permutevar8x32_epi32(bytes, order));
    }
    for (; i < k; i++) xq[i] = (uint8_t)(q_zero + (int)lrintf(x[i] * inverse));
    for (; i % 4; i++) xq[i] = q_zero;
    return top;
}

/// y = init + wscale · s · (W · (xq − q_zero)) without VNNI, exact: vpmaddubsw multiplies the
/// unsigned activations by the signed weights and adds pairs into int16 (never saturating, see
/// q_levels), vpmaddwd with ones adds the two pairs of each column's 4-row group into int32, and
/// q_zero · colsum takes the offset back out. k any, n any.
AVX2 static void gemv_q8_avx2(const float *init, const float *x, int k, const int8_t *packed, const int32_t *colsum,
                              const float *wscale, int n, float *y, uint8_t *xq) {
    float top = quantize_u8_avx2(x, k, xq);
    if (!(top > 0)) {
        if (init != y) memcpy(y, init, sizeof(float) * (size_t)n);
        return;
    }
    __m256 s = _mm256_set1_ps(top / (float)q_levels);
    __m256i ones = _mm256_set1_epi16(1);
    int groups = (k + 3) / 4;
    int j = 0;
    for (; j + 64 <= n; j += 64) {  // 8 accumulators of 8 columns
        __m256i a[8];
        for (int m = 0; m < 8; m++) a[m] = _mm256_setzero_si256();
        for (int g = 0; g < groups; g++) {
            int32_t xg;
            memcpy(&xg, xq + 4 * g, 4);
            __m256i xb = _mm256_set1_epi32(xg);
            const int8_t *wp = packed + ((size_t)g * n + j) * 4;
            for (int m = 0; m < 8; m++)
                a[m] = _mm256_add_epi32(a[m], _mm256_madd_epi16(_mm256_maddubs_epi16(xb, _mm256_loadu_si256((const __m256i *)(wp + 32 * m))), ones));
        }
        for (int m = 0; m < 8; m++) {
            int o = j + 8 * m;
            __m256i t = _mm256_sub_epi32(a[m], _mm256_slli_epi32(_mm256_loadu_si256((const __m256i *)(colsum + o)), q_zero_shift));
            __m256 scale = _mm256_mul_ps(s, _mm256_loadu_ps(wscale + o));
            _mm256_storeu_ps(y + o, _mm256_fmadd_ps(_mm256_cvtepi32_ps(t), scale, _mm256_loadu_ps(init + o)));
        }
    }
    for (; j < n; j += 8) {  // one column (4 bytes of a group) per 32-bit lane: masked tails
        __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(n - j), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
        __m256i a = _mm256_setzero_si256();
        for (int g = 0; g < groups; g++) {
            int32_t xg;
            memcpy(&xg, xq + 4 * g, 4);
            __m256i w = _mm256_maskload_epi32((const int *)(packed + ((size_t)g * n + j) * 4), mask);
            a = _mm256_add_epi32(a, _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_set1_epi32(xg), w), ones));
        }
        __m256i t = _mm256_sub_epi32(a, _mm256_slli_epi32(_mm256_maskload_epi32((const int *)(colsum + j), mask), q_zero_shift));
        __m256 scale = _mm256_mul_ps(s, _mm256_maskload_ps(wscale + j, mask));
        _mm256_maskstore_ps(y + j, mask, _mm256_fmadd_ps(_mm256_cvtepi32_ps(t), scale, _mm256_maskload_ps(init + j, mask)));
    }
}

/// y = init + wscale * s * (W · (xq − q_zero)), everything in registers; k any, n any.
AVX512VNNI static void gemv_q8_vnni(const float *init, const float *x, int k, const int8_t *packed, const int32_t *colsum,
                                    const float *wscale, int n, float *y, uint8_t *xq) {
    __m512 largest = _mm512_setzero_ps();
    for (int i = 0; i < k; i += 16) {
        __mmask16 m = k - i >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (k - i)) - 1);
        largest = _mm512_max_ps(largest, _mm512_abs_ps(_mm512_maskz_loadu_ps(m, x + i)));
    }
    float top = _mm512_reduce_max_ps(largest);
    if (!(top > 0)) {
        if (init != y) memcpy(y, init, sizeof(float) * (size_t)n);
        return;
    }
    __m512 inverse = _mm512_set1_ps((float)q_levels / top);
    int groups = (k + 3) / 4;
    for (int i = 0; i < 4 * groups; i += 16) {
        int left = k - i;
        __mmask16 m = left >= 16 ? (__mmask16)0xffff : left > 0 ? (__mmask16)((1u << left) - 1) : 0;
        __m512i q = _mm512_add_epi32(_mm512_cvtps_epi32(_mm512_mul_ps(_mm512_maskz_loadu_ps(m, x + i), inverse)), _mm512_set1_epi32(q_zero));
        int span = 4 * groups - i < 16 ? 4 * groups - i : 16;
        _mm512_mask_cvtepi32_storeu_epi8(xq + i, (__mmask16)((1u << span) - 1), q);
    }
    __m512 s = _mm512_set1_ps(top / (float)q_levels);
    int j = 0;
    for (; j + 128 <= n; j += 128) {
        __m512i a[8];
        for (int m = 0; m < 8; m++) a[m] = _mm512_setzero_si512();
        for (int g = 0; g < groups; g++) {
            int32_t xg;
            memcpy(&xg, xq + 4 * g, 4);
            __m512i xb = _mm512_set1_epi32(xg);
            const int8_t *wp = packed + ((size_t)g * n + j) * 4;
            for (int m = 0; m < 8; m++) a[m] = _mm512_dpbusd_epi32(a[m], xb, _mm512_loadu_si512(wp + 64 * m));
        }
        for (int m = 0; m < 8; m++) {
            int o = j + 16 * m;
            __m512i t = _mm512_sub_epi32(a[m], _mm512_slli_epi32(_mm512_loadu_si512(colsum + o), q_zero_shift));
            __m512 scale = _mm512_mul_ps(s, _mm512_loadu_ps(wscale + o));
            _mm512_storeu_ps(y + o, _mm512_fmadd_ps(_mm512_cvtepi32_ps(t), scale, _mm512_loadu_ps(init + o)));
        }
    }
    for (; j < n; j += 16) {
        __mmask16 mask = n - j >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (n - j)) - 1);
        __m512i a = _mm512_setzero_si512();
        for (int g = 0; g < groups; g++) {
            int32_t xg;
            memcpy(&xg, xq + 4 * g, 4);
            a = _mm512_dpbusd_epi32(a, _mm512_set1_epi32(xg), _mm512_maskz_loadu_epi32(mask, packed + ((size_t)g * n + j) * 4));
        }
        __m512i t = _mm512_sub_epi32(a, _mm512_slli_epi32(_mm512_maskz_loadu_epi32(mask, colsum + j), q_zero_shift));
        __m512 scale = _mm512_mul_ps(s, _mm512_maskz_loadu_ps(mask, wscale + j));
        _mm512_mask_storeu_ps(y + j, mask, _mm512_fmadd_ps(_mm512_cvtepi32_ps(t), scale, _mm512_maskz_loadu_ps(mask, init + j)));
    }
}
#endif

void trk_gemv_q8_from(const float *init, const float *x, int k, const int8_t *packed, const int32_t *colsum,
                      const float *wscale, int n, float *y, uint8_t *xq, int32_t *acc) {
#if TRK_X86
    int level = LEVEL;
    if (level == 3) { gemv_q8_vnni(init, x, k, packed, colsum, wscale, n, y, xq); return; }
    if (level >= 1) { gemv_q8_avx2(init, x, k, packed, colsum, wscale, n, y, xq); return; }
#endif
    if (init != y) memcpy(y, init, sizeof(float) * (size_t)n);
    float s = quantize_u8(x, k, xq);
    if (s == 0) return;
    dot_u8s8_portable(xq, (k + 3) / 4, packed, n, acc);
    for (int j = 0; j < n; j++) y[j] += (float)(acc[j] - q_zero * colsum[j]) * (s * wscale[j]);
}

void trk_gemv_q8(const float *x, int k, const int8_t *packed, const int32_t *colsum, const float *wscale, int n,
                 float *y, uint8_t *xq, int32_t *acc) {
    trk_gemv_q8_from(y, x, k, packed, colsum, wscale, n, y, xq, acc);
}

// MARK: - activations

#if TRK_X86
// tanh as the rational function Eigen and ONNX Runtime's MLAS use: x clamped to ±9, odd
// polynomial of degree 13 over an even one of degree 6. About 15 operations per vector (the
// exp-based form used before took about 35 and a division). Max abs error 4e-7 for tanh and
// 3e-7 for sigmoid, measured against double precision on a 1e-5 grid over [-30, 30] (the
// kernel tests check 1e-6 against libm's double functions).
static const float tanh_clamp = 9.0f;
static const float tanh_numerator[7] = {  // alpha_13, alpha_11, ..., alpha_1 (Horner order, in x²)
    -2.76076847742355e-16f, 2.00018790482477e-13f, -8.60467152213735e-11f, 5.12229709037114e-08f,
    1.48572235717979e-05f,  6.37261928875436e-04f, 4.89352455891786e-03f};
static const float tanh_denominator[4] = {  // beta_6, beta_4, beta_2, beta_0
    1.19825839466702e-06f, 1.18534705686654e-04f, 2.26843463243900e-03f, 4.89352518554385e-03f};

// The gates of int8 models use a coarser tanh: x · P(x²) / Q(x²) of degrees 5 over 4, x clamped
// to ±5.05, fitted to the smallest largest error (iteratively reweighted least squares;
// bench/probes/coarse_tanh_fit.py prints these constants): max abs error 4.6e-5 for tanh and
// 2.3e-5 for sigmoid, 12 instructions a vector instead of 17. An int8 model quantizes its
// recurrent state every step to steps of max|h| / 63, several hundred times coarser, and its
// label agreement with the float model is unchanged (bench/README.md); the gates were a third
// of an int8 step at the AVX2 level.
static const float coarse_clamp = 5.05f;
static const float coarse_numerator[3] = {6.50086201e-04f, 1.01555338e-01f, 9.99799667e-01f};  // Horner order
static const float coarse_denominator[3] = {1.258955e-02f, 4.3430989e-01f, 1.0f};

/// 1 / d: rcp14 refined by one Newton step (~1 ulp; d > 0.004 here, so no special cases).
AVX512 static inline __m512 reciprocal512(__m512 d) {
    __m512 r = _mm512_rcp14_ps(d);
    return _mm512_mul_ps(r, _mm512_fnmadd_ps(d, r, _mm512_set1_ps(2.0f)));
}

AVX512 static inline __m512 tanh512(__m512 x, int coarse) {
    if (coarse) {
        x = _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(-coarse_clamp)), _mm512_set1_ps(coarse_clamp));
        __m512 z = _mm512_mul_ps(x, x);
        __m512 p = _mm512_fmadd_ps(_mm512_fmadd_ps(_mm512_set1_ps(coarse_numerator[0]), z, _mm512_set1_ps(coarse_numerator[1])), z,
                                   _mm512_set1_ps(coarse_numerator[2]));
        __m512 q = _mm512_fmadd_ps(_mm512_fmadd_ps(_mm512_set1_ps(coarse_denominator[0]), z, _mm512_set1_ps(coarse_denominator[1])), z,
                                   _mm512_set1_ps(coarse_denominator[2]));
        return _mm512_mul_ps(_mm512_mul_ps(p, x), reciprocal512(q));
    }
    x = _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(-tanh_clamp)), _mm512_set1_ps(tanh_clamp));
    __m512 z = _mm512_mul_ps(x, x);
    __m512 p = _mm512_set1_ps(tanh_numerator[0]);
    for (int i = 1; i < 7; i++) p = _mm512_fmadd_ps(p, z, _mm512_set1_ps(tanh_numerator[i]));
    __m512 q = _mm512_set1_ps(tanh_denominator[0]);
    for (int i = 1; i < 4; i++) q = _mm512_fmadd_ps(q, z, _mm512_set1_ps(tanh_denominator[i]));
    return _mm512_mul_ps(_mm512_mul_ps(p, x), reciprocal512(q));
}

/// sigmoid(x) = (1 + tanh(x / 2)) / 2.
AVX512 static inline __m512 sigmoid512(__m512 x, int coarse) {
    __m512 half = _mm512_set1_ps(0.5f);
    return _mm512_fmadd_ps(half, tanh512(_mm512_mul_ps(half, x), coarse), half);
}

/// 1 / d: rcp (12 bits) refined by one Newton step (~2 ulp; d > 0.004 here).
AVX2 static inline __m256 reciprocal256(__m256 d) {
    __m256 r = _mm256_rcp_ps(d);
    return _mm256_mul_ps(r, _mm256_fnmadd_ps(d, r, _mm256_set1_ps(2.0f)));
}

AVX2 static inline __m256 tanh256(__m256 x, int coarse) {
    if (coarse) {
        x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-coarse_clamp)), _mm256_set1_ps(coarse_clamp));
        __m256 z = _mm256_mul_ps(x, x);
        __m256 p = _mm256_fmadd_ps(_mm256_fmadd_ps(_mm256_set1_ps(coarse_numerator[0]), z, _mm256_set1_ps(coarse_numerator[1])), z,
                                   _mm256_set1_ps(coarse_numerator[2]));
        __m256 q = _mm256_fmadd_ps(_mm256_fmadd_ps(_mm256_set1_ps(coarse_denominator[0]), z, _mm256_set1_ps(coarse_denominator[1])), z,
                                   _mm256_set1_ps(coarse_denominator[2]));
        return _mm256_mul_ps(_mm256_mul_ps(p, x), reciprocal256(q));
    }
    x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-tanh_clamp)), _mm256_set1_ps(tanh_clamp));
    __m256 z = _mm256_mul_ps(x, x);
    __m256 p = _mm256_set1_ps(tanh_numerator[0]);
    for (int i = 1; i < 7; i++) p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(tanh_numerator[i]));
    __m256 q = _mm256_set1_ps(tanh_denominator[0]);
    for (int i = 1; i < 4; i++) q = _mm256_fmadd_ps(q, z, _mm256_set1_ps(tanh_denominator[i]));
    return _mm256_mul_ps(_mm256_mul_ps(p, x), reciprocal256(q));
}

/// sigmoid(x) = (1 + tanh(x / 2)) / 2.
AVX2 static inline __m256 sigmoid256(__m256 x, int coarse) {
    __m256 half = _mm256_set1_ps(0.5f);
    return _mm256_fmadd_ps(half, tanh256(_mm256_mul_ps(half, x), coarse), half);
}

AVX512 static void sigmoid_avx512(float *v, int n) {
    for (int j = 0; j < n; j += 16) {
        __mmask16 m = n - j >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (n - j)) - 1);
        _mm512_mask_storeu_ps(v + j, m, sigmoid512(_mm512_maskz_loadu_ps(m, v + j), 0));
    }
}
AVX512 static void tanh_avx512(float *v, int n) {
    for (int j = 0; j < n; j += 16) {
        __mmask16 m = n - j >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (n - j)) - 1);
        _mm512_mask_storeu_ps(v + j, m, tanh512(_mm512_maskz_loadu_ps(m, v + j), 0));
    }
}
AVX2 static void sigmoid_avx2(float *v, int n) {
    int j = 0;
    for (; j + 8 <= n; j += 8) _mm256_storeu_ps(v + j, sigmoid256(_mm256_loadu_ps(v + j), 0));
    for (; j < n; j++) v[j] = 1.0f / (1.0f + expf(-v[j]));
}
AVX2 static void tanh_avx2(float *v, int n) {
    int j = 0;
    for (; j + 8 <= n; j += 8) _mm256_storeu_ps(v + j, tanh256(_mm256_loadu_ps(v + j), 0));
    for (; j < n; j++) v[j] = tanhf(v[j]);
}

#endif

static float tanh_coarse(float x) {
    x = fminf(fmaxf(x, -coarse_clamp), coarse_clamp);
    float z = x * x;
    float p = (coarse_numerator[0] * z + coarse_numerator[1]) * z + coarse_numerator[2];
    float q = (coarse_denominator[0] * z + coarse_denominator[1]) * z + coarse_denominator[2];
    return p * x / q;
}
static float sigmoid_scalar(float x, int coarse) { return coarse ? 0.5f * tanh_coarse(0.5f * x) + 0.5f : 1.0f / (1.0f + expf(-x)); }
static float tanh_scalar(float x, int coarse) { return coarse ? tanh_coarse(x) : tanhf(x); }

/// LSTM units first..<units one at a time (the portable level, and the AVX2 tail). Compiled for
/// size: libm's calls dominate it, and unrolled it took 3 KB of the library's budget.
__attribute__((minsize, noinline)) static void lstm_gates_scalar(float *z, float *c, float *h, int first, int units, int coarse) {
    for (int j = first; j < units; j++) {
        float i = sigmoid_scalar(z[j], coarse), f = sigmoid_scalar(z[units + j], coarse);
        float g = tanh_scalar(z[2 * units + j], coarse), o = sigmoid_scalar(z[3 * units + j], coarse);
        c[j] = f * c[j] + i * g;
        h[j] = o * tanh_scalar(c[j], coarse);
    }
}

#if TRK_X86
AVX512 static void lstm_gates_avx512(float *z, float *c, float *h, int units, int coarse) {
    for (int j = 0; j < units; j += 16) {
        __mmask16 m = units - j >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (units - j)) - 1);
        __m512 i = sigmoid512(_mm512_maskz_loadu_ps(m, z + j), coarse);
        __m512 f = sigmoid512(_mm512_maskz_loadu_ps(m, z + units + j), coarse);
        __m512 g = tanh512(_mm512_maskz_loadu_ps(m, z + 2 * units + j), coarse);
        __m512 o = sigmoid512(_mm512_maskz_loadu_ps(m, z + 3 * units + j), coarse);
        __m512 cc = _mm512_add_ps(_mm512_mul_ps(f, _mm512_maskz_loadu_ps(m, c + j)), _mm512_mul_ps(i, g));
        _mm512_mask_storeu_ps(c + j, m, cc);
        _mm512_mask_storeu_ps(h + j, m, _mm512_mul_ps(o, tanh512(cc, coarse)));
    }
}
AVX2 static void lstm_gates_avx2(float *z, float *c, float *h, int units, int coarse) {
    int j = 0;
    for (; j + 8 <= units; j += 8) {
        __m256 i = sigmoid256(_mm256_loadu_ps(z + j), coarse);
        __m256 f = sigmoid256(_mm256_loadu_ps(z + units + j), coarse);
        __m256 g = tanh256(_mm256_loadu_ps(z + 2 * units + j), coarse);
        __m256 o = sigmoid256(_mm256_loadu_ps(z + 3 * units + j), coarse);
        __m256 cc = _mm256_add_ps(_mm256_mul_ps(f, _mm256_loadu_ps(c + j)), _mm256_mul_ps(i, g));
        _mm256_storeu_ps(c + j, cc);
        _mm256_storeu_ps(h + j, _mm256_mul_ps(o, tanh256(cc, coarse)));
    }
    lstm_gates_scalar(z, c, h, j, units, coarse);
}
#endif

static void sigmoid_portable(float *v, int n) {
    for (int j = 0; j < n; j++) v[j] = 1.0f / (1.0f + expf(-v[j]));
}
static void tanh_portable(float *v, int n) {
    for (int j = 0; j < n; j++) v[j] = tanhf(v[j]);
}
// For size, as lstm_gates_scalar: only the portable level and AVX2 GRUs of odd widths use them.
__attribute__((minsize)) static void sigmoid_coarse_portable(float *v, int n) {
    for (int j = 0; j < n; j++) v[j] = sigmoid_scalar(v[j], 1);
}
__attribute__((minsize)) static void tanh_coarse_portable(float *v, int n) {
    for (int j = 0; j < n; j++) v[j] = tanh_coarse(v[j]);
}

void trk_sigmoid(float *v, int n) {
#if TRK_X86
    int level = LEVEL;
    if (level >= 2) { sigmoid_avx512(v, n); return; }
    if (level == 1) { sigmoid_avx2(v, n); return; }
#endif
    sigmoid_portable(v, n);
}

void trk_tanh(float *v, int n) {
#if TRK_X86
    int level = LEVEL;
    if (level >= 2) { tanh_avx512(v, n); return; }
    if (level == 1) { tanh_avx2(v, n); return; }
#endif
    tanh_portable(v, n);
}

/// The GRU step's element-wise parts around the activations (separate statements: no FMA
/// contraction, the same bits as the Swift loops they replace).
__attribute__((noinline)) static void gru_gates_sequence(const float *x, float *g, float *h, int units, void (*sigmoid)(float *, int),
                               void (*tanh_)(float *, int)) {
    for (int j = 0; j < 2 * units; j++) g[j] += x[j];
    sigmoid(g, 2 * units);
    for (int j = 0; j < units; j++) {
        float product = g[units + j] * g[2 * units + j];
        g[2 * units + j] = x[2 * units + j] + product;
    }
    tanh_(g + 2 * units, units);
    for (int j = 0; j < units; j++) {
        float kept = g[j] * h[j], added = (1 - g[j]) * g[2 * units + j];
        h[j] = kept + added;
    }
}

#if TRK_X86
/// Every unit in registers: 16 at a time, masked at the end (sigmoid512 and tanh512 are per
/// element, so the masked tail gives what the separate passes give).
AVX512 static void gru_gates_avx512(const float *x, float *g, float *h, int units, int coarse) {
    __m512 one = _mm512_set1_ps(1.0f);
    for (int j = 0; j < units; j += 16) {
        __mmask16 m = units - j >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (units - j)) - 1);
        __m512 z = sigmoid512(_mm512_add_ps(_mm512_maskz_loadu_ps(m, g + j), _mm512_maskz_loadu_ps(m, x + j)), coarse);
        __m512 r = sigmoid512(_mm512_add_ps(_mm512_maskz_loadu_ps(m, g + units + j), _mm512_maskz_loadu_ps(m, x + units + j)), coarse);
        __m512 candidate = tanh512(_mm512_add_ps(_mm512_maskz_loadu_ps(m, x + 2 * units + j),
                                                 _mm512_mul_ps(r, _mm512_maskz_loadu_ps(m, g + 2 * units + j))), coarse);
        __m512 state = _mm512_add_ps(_mm512_mul_ps(z, _mm512_maskz_loadu_ps(m, h + j)), _mm512_mul_ps(_mm512_sub_ps(one, z), candidate));
        _mm512_mask_storeu_ps(g + j, m, z);
        _mm512_mask_storeu_ps(g + units + j, m, r);
        _mm512_mask_storeu_ps(g + 2 * units + j, m, candidate);
        _mm512_mask_storeu_ps(h + j, m, state);
    }
}

/// 8 units at a time when units is a multiple of 8 (else the separate passes: their scalar
/// tails use expf and tanhf, which the vector code does not).
AVX2 static void gru_gates_avx2(const float *x, float *g, float *h, int units, int coarse) {
    __m256 one = _mm256_set1_ps(1.0f);
    for (int j = 0; j < units; j += 8) {
        __m256 z = sigmoid256(_mm256_add_ps(_mm256_loadu_ps(g + j), _mm256_loadu_ps(x + j)), coarse);
        __m256 r = sigmoid256(_mm256_add_ps(_mm256_loadu_ps(g + units + j), _mm256_loadu_ps(x + units + j)), coarse);
        __m256 candidate = tanh256(_mm256_add_ps(_mm256_loadu_ps(x + 2 * units + j), _mm256_mul_ps(r, _mm256_loadu_ps(g + 2 * units + j))), coarse);
        __m256 state = _mm256_add_ps(_mm256_mul_ps(z, _mm256_loadu_ps(h + j)), _mm256_mul_ps(_mm256_sub_ps(one, z), candidate));
        _mm256_storeu_ps(g + j, z);
        _mm256_storeu_ps(g + units + j, r);
        _mm256_storeu_ps(g + 2 * units + j, candidate);
        _mm256_storeu_ps(h + j, state);
    }
}
#endif

void trk_gru_gates(const float *x, float *g, float *h, int units, int coarse) {
#if TRK_X86
    int level = LEVEL;
    if (level >= 2) { gru_gates_avx512(x, g, h, units, coarse); return; }
    if (level == 1 && units % 8 == 0) { gru_gates_avx2(x, g, h, units, coarse); return; }
    if (level == 1 && !coarse) { gru_gates_sequence(x, g, h, units, sigmoid_avx2, tanh_avx2); return; }
#endif
    if (coarse) gru_gates_sequence(x, g, h, units, sigmoid_coarse_portable, tanh_coarse_portable);
    else gru_gates_sequence(x, g, h, units, sigmoid_portable, tanh_portable);
}

void trk_lstm_gates(float *z, float *c, float *h, int units, int coarse) {
#if TRK_X86
    int level = LEVEL;
    if (level >= 2) { lstm_gates_avx512(z, c, h, units, coarse); return; }
    if (level == 1) { lstm_gates_avx2(z, c, h, units, coarse); return; }
#endif
    lstm_gates_scalar(z, c, h, 0, units, coarse);
}

// MARK: - embeddings and the projection table

void trk_dequantize_row(const int8_t *q, float scale, int n, float *out) {
    for (int j = 0; j < n; j++) out[j] = (float)q[j] * scale;
}

static void compute_projection(const trk_projection *p, int32_t id, float *out, float *x) {
    const float *row;
    if (p->emb_f32) {
        row = p->emb_f32 + (size_t)id * p->dim;
    } else {
        trk_dequantize_row(p->emb_s8 + (size_t)id * p->dim, p->emb_scale[id], p->dim, x);
        row = x;
    }
    for (int j = 0; j < p->width; j++) out[j] = 0;
    if (p->w_f32) trk_gemv_f32(row, p->dim, p->w_f32, p->width, p->width, out);
    else trk_gemv_f32s8(row, p->dim, p->w_s8, p->width, p->width, p->w_scale, out);
    if (p->bias) for (int j = 0; j < p->width; j++) out[j] += p->bias[j];
}

const float *trk_projection_row(const trk_projection *p, int32_t id, float *tmp) {
    float *slot = p->table + (size_t)id * p->width;
    uint8_t state = __atomic_load_n(p->ready + id, __ATOMIC_ACQUIRE);
    if (state == 2) return slot;
    uint8_t expected = 0;
    if (state == 0 && __atomic_compare_exchange_n(p->ready + id, &expected, 1, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
        compute_projection(p, id, slot, tmp + p->width);
        __atomic_store_n(p->ready + id, 2, __ATOMIC_RELEASE);
        return slot;
    }
    // Another thread is filling this row: compute a private copy rather than wait.
    compute_projection(p, id, tmp, tmp + p->width);
    return tmp;
}
