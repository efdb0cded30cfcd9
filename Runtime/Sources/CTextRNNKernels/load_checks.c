// The load-time checks of a bundle's weights: CRC-32 of the weights file and the scan for
// non-finite floats (see include/textrnn_load_checks.h). Not kernels: they run once per load,
// and the trainer uses the same scan before it saves weights.
#include "textrnn_load_checks.h"

#include <pthread.h>

#if defined(__x86_64__) || defined(__i386__)
#define TRK_X86 1
#include <cpuid.h>
#include <immintrin.h>
#else
#define TRK_X86 0
#endif

// MARK: - CRC-32

static uint32_t crc_table[8][256];
static int crc_ready = 0;  // 0 not set up, 1 table only, 2 table and PCLMULQDQ

static uint32_t crc32_tables(uint32_t crc, const uint8_t *p, size_t n) {
    crc = ~crc;
    while (n >= 8) {
        uint32_t low = crc ^ ((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);
        crc = crc_table[7][low & 0xff] ^ crc_table[6][(low >> 8) & 0xff] ^ crc_table[5][(low >> 16) & 0xff] ^
              crc_table[4][low >> 24] ^ crc_table[3][p[4]] ^ crc_table[2][p[5]] ^ crc_table[1][p[6]] ^ crc_table[0][p[7]];
        p += 8;
        n -= 8;
    }
    while (n--) crc = crc_table[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
    return ~crc;
}

#if TRK_X86
// Folding by four 128-bit lanes with carry-less multiplication, then Barrett reduction
// (the algorithm of Intel's "Fast CRC Computation Using PCLMULQDQ", constants for the
// reflected polynomial 0xEDB88320). n >= 64, multiple of 16; crc is the raw (uninverted) state.
__attribute__((target("pclmul,sse4.1"))) static uint32_t crc32_fold(uint32_t crc, const uint8_t *buf, size_t len) {
    static const uint64_t k1k2[2] = {0x0154442bd4, 0x01c6e41596};
    static const uint64_t k3k4[2] = {0x01751997d0, 0x00ccaa009e};
    static const uint64_t k5k0[2] = {0x0163cd6124, 0x0000000000};
    static const uint64_t poly[2] = {0x01db710641, 0x01f7011641};
    __m128i x0, x1, x2, x3, x4, x5, x6, x7, x8, y5, y6, y7, y8;
    x1 = _mm_loadu_si128((const __m128i *)(buf + 0x00));
    x2 = _mm_loadu_si128((const __m128i *)(buf + 0x10));
    x3 = _mm_loadu_si128((const __m128i *)(buf + 0x20));
    x4 = _mm_loadu_si128((const __m128i *)(buf + 0x30));
    x1 = _mm_xor_si128(x1, _mm_cvtsi32_si128((int)crc));
    x0 = _mm_loadu_si128((const __m128i *)k1k2);
    buf += 64;
    len -= 64;
    while (len >= 64) {
        x5 = _mm_clmulepi64_si128(x1, x0, 0x00);
        x6 = _mm_clmulepi64_si128(x2, x0, 0x00);
        x7 = _mm_clmulepi64_si128(x3, x0, 0x00);
        x8 = _mm_clmulepi64_si128(x4, x0, 0x00);
        x1 = _mm_clmulepi64_si128(x1, x0, 0x11);
        x2 = _mm_clmulepi64_si128(x2, x0, 0x11);
        x3 = _mm_clmulepi64_si128(x3, x0, 0x11);
        x4 = _mm_clmulepi64_si128(x4, x0, 0x11);
        y5 = _mm_loadu_si128((const __m128i *)(buf + 0x00));
        y6 = _mm_loadu_si128((const __m128i *)(buf + 0x10));
        y7 = _mm_loadu_si128((const __m128i *)(buf + 0x20));
        y8 = _mm_loadu_si128((const __m128i *)(buf + 0x30));
        x1 = _mm_xor_si128(_mm_xor_si128(x1, x5), y5);
        x2 = _mm_xor_si128(_mm_xor_si128(x2, x6), y6);
        x3 = _mm_xor_si128(_mm_xor_si128(x3, x7), y7);
        x4 = _mm_xor_si128(_mm_xor_si128(x4, x8), y8);
        buf += 64;
        len -= 64;
    }
    x0 = _mm_loadu_si128((const __m128i *)k3k4);
    x5 = _mm_clmulepi64_si128(x1, x0, 0x00);
    x1 = _mm_clmulepi64_si128(x1, x0, 0x11);
    x1 = _mm_xor_si128(_mm_xor_si128(x1, x2), x5);
    x5 = _mm_clmulepi64_si128(x1, x0, 0x00);
    x1 = _mm_clmulepi64_si128(x1, x0, 0x11);
    x1 = _mm_xor_si128(_mm_xor_si128(x1, x3), x5);
    x5 = _mm_clmulepi64_si128(x1, x0, 0x00);
    x1 = _mm_clmulepi64_si128(x1, x0, 0x11);
    x1 = _mm_xor_si128(_mm_xor_si128(x1, x4), x5);
    while (len >= 16) {
        x2 = _mm_loadu_si128((const __m128i *)buf);
        x5 = _mm_clmulepi64_si128(x1, x0, 0x00);
        x1 = _mm_clmulepi64_si128(x1, x0, 0x11);
        x1 = _mm_xor_si128(_mm_xor_si128(x1, x2), x5);
        buf += 16;
        len -= 16;
    }
    x2 = _mm_clmulepi64_si128(x1, x0, 0x10);
    x3 = _mm_setr_epi32(~0, 0, ~0, 0);
    x1 = _mm_srli_si128(x1, 8);
    x1 = _mm_xor_si128(x1, x2);
    x0 = _mm_loadl_epi64((const __m128i *)k5k0);
    x2 = _mm_srli_si128(x1, 4);
    x1 = _mm_and_si128(x1, x3);
    x1 = _mm_clmulepi64_si128(x1, x0, 0x00);
    x1 = _mm_xor_si128(x1, x2);
    x0 = _mm_loadu_si128((const __m128i *)poly);
    x2 = _mm_and_si128(x1, x3);
    x2 = _mm_clmulepi64_si128(x2, x0, 0x10);
    x2 = _mm_and_si128(x2, x3);
    x2 = _mm_clmulepi64_si128(x2, x0, 0x00);
    x1 = _mm_xor_si128(x1, x2);
    return (uint32_t)_mm_extract_epi32(x1, 1);
}
#endif

static uint32_t crc32_any(uint32_t crc, const uint8_t *p, size_t n, int fast) {
#if TRK_X86
    if (fast && n >= 64) {
        size_t bulk = n & ~(size_t)15;
        crc = ~crc32_fold(~crc, p, bulk);
        p += bulk;
        n -= bulk;
    }
#endif
    return crc32_tables(crc, p, n);
}

static void crc_setup(void) {
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = c & 1 ? (c >> 1) ^ 0xEDB88320u : c >> 1;
        crc_table[0][i] = c;
    }
    for (int i = 0; i < 256; i++)
        for (int s = 1; s < 8; s++) crc_table[s][i] = (crc_table[s - 1][i] >> 8) ^ crc_table[0][crc_table[s - 1][i] & 0xff];
    int level = 1;
#if TRK_X86
    unsigned a, b, c, d;
    if (__get_cpuid(1, &a, &b, &c, &d) && ((c >> 1) & 1) && ((c >> 19) & 1)) {  // PCLMULQDQ, SSE4.1
        uint8_t sample[300];
        for (int i = 0; i < 300; i++) sample[i] = (uint8_t)(i * 131 + 7);
        int good = 1;
        for (int n = 64; n <= 300 && good; n += 29) good = crc32_any(0x12345678u, sample, n, 1) == crc32_any(0x12345678u, sample, n, 0);
        if (good) level = 2;
    }
#endif
    __atomic_store_n(&crc_ready, level, __ATOMIC_RELEASE);
}

uint32_t trk_crc32(uint32_t crc, const uint8_t *bytes, size_t n) {
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, crc_setup);
    return crc32_any(crc, bytes, n, __atomic_load_n(&crc_ready, __ATOMIC_ACQUIRE) == 2);
}

// MARK: - non-finite scan

long trk_first_nonfinite(const float *v, size_t n) {
    const uint32_t *bits = (const uint32_t *)v;
    size_t i = 0;
    while (i < n) {
        size_t end = n - i > 4096 ? i + 4096 : n;
        uint32_t bad = 0;
        for (size_t j = i; j < end; j++) bad |= (uint32_t)((bits[j] & 0x7f800000u) == 0x7f800000u);
        if (bad) {
            for (size_t j = i; j < end; j++)
                if ((bits[j] & 0x7f800000u) == 0x7f800000u) return (long)j;
        }
        i = end;
    }
    return -1;
}
