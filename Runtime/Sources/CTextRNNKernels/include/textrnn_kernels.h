// The runtime's inner loops: matrix-vector products (float32; int8 weights with float or
// dynamically quantized uint8 activations), vectorized sigmoid/tanh and the LSTM gate update,
// each with AVX-512 (VNNI), AVX2/FMA and portable versions chosen once from cpuid.
//
// Why C: Swift has no portable way to compile one function for several instruction sets and
// pick at run time, nor intrinsics for VNNI. This target depends on libc only.
#ifndef TEXTRNN_KERNELS_H
#define TEXTRNN_KERNELS_H

#include <stdint.h>
#include <stddef.h>

#include "textrnn_helpers.h"  // named here too, so a module cached before it existed is rebuilt

#ifdef __cplusplus
extern "C" {
#endif

/// 0 portable, 1 AVX2+FMA, 2 AVX-512 (F/BW/VL/DQ), 3 AVX-512 + VNNI.
int trk_cpu_level(void);
/// The level in use (the detected one, or lower if TEXTRNN_KERNELS=portable|avx2|avx512 asks).
int trk_kernel_level(void);
/// Sets the level in use (clamped to what the CPU supports); returns the level now in use.
int trk_set_kernel_level(int level);
/// For tests: the level on the calling thread only, over the process-wide one (clamped; a
/// negative level clears it). Returns the level now in use on this thread.
int trk_set_thread_kernel_level(int level);
const char *trk_kernel_name(void);

/// y[0..<n] += x[0..<k] · W, with W row-major, row i at w + i * ldw.
void trk_gemv_f32(const float *x, int k, const float *w, int ldw, int n, float *y);

/// y[0..<n] = init[0..<n] + x[0..<k] · W (init may equal y).
void trk_gemv_f32_from(const float *init, const float *x, int k, const float *w, int ldw, int n, float *y);

/// As trk_gemv_q8, starting from init instead of y (init may equal y).
void trk_gemv_q8_from(const float *init, const float *x, int k, const int8_t *packed, const int32_t *colsum,
                      const float *wscale, int n, float *y, uint8_t *xq, int32_t *acc);

/// Texts trk_gemv_f32_lanes multiplies at once.
#define TRK_LANES 4

/// Whether several texts should share the loads of a [k, n] float recurrent kernel: when it
/// does not fit this CPU's L1 data cache with room to spare (more than 3/4 of it; 32 KiB if the
/// size is unknown). A kernel that fits gains nothing from sharing, and the lockstep costs more
/// than it saves (a 12 KiB GRU kernel ran 10-15% slower in groups).
int trk_lanes_worthwhile(int k, int n);

/// Floats of the panel copy of a [k, n] float matrix that trk_gemv_f32_lanes reads.
size_t trk_panels_f32_size(int k, int n);

/// Copies W [k, n] (row-major, row i at w + i * n) into 16-column panels: panel p holds
/// columns 16p..<16p+16 of every row, contiguous (the last n % 16 columns are not copied).
void trk_pack_panels_f32(const float *w, int k, int n, float *panels);

/// y[l] = init[l] + x[l] · W for lanes l in 0..<lanes (1...TRK_LANES): several texts' recurrent
/// products sharing each load of W (row-major at w, and as trk_pack_panels_f32 panels). Each
/// lane's result is bit-identical to trk_gemv_f32_from(init[l], x[l], k, w, n, n, y[l]) at the
/// same kernel level. init[l] may equal y[l]; lanes must not share an output.
void trk_gemv_f32_lanes(int lanes, const float *const *init, const float *const *x, int k, const float *w,
                        const float *panels, int n, float *const *y);

/// Prefetches `bytes` bytes at p into the caches.
void trk_prefetch(const void *p, size_t bytes);

/// y[j] += scale[j] * Σ_i x[i] · W[i][j], W int8 row-major (row i at w + i * ldw).
void trk_gemv_f32s8(const float *x, int k, const int8_t *w, int ldw, int n, const float *scale, float *y);

/// Bytes of the packed form of an int8 [k, n] matrix: ceil(k / 4) * 4 * n.
size_t trk_packed_size(int k, int n);
/// Packs int8 W [k, n] (row stride ldw) as [ceil(k/4)][n][4] (zero rows pad k) and writes
/// colsum[j] = Σ_i W[i][j]. The scheme's values are -127...127: a -128 is packed as -127.
void trk_pack_s8(const int8_t *w, int k, int ldw, int n, int8_t *packed, int32_t *colsum);

/// y[j] += wscale[j] * Σ_i x[i] · W[i][j] with x quantized per call to 7 bits: s = max|x| / 63,
/// q_i = round(x_i / s). Exact integer dot products on the packed W (VNNI vpdpbusd; without
/// VNNI, vpmaddubsw, which 7-bit activations keep from saturating; portable C), so every level
/// agrees.
/// xq: scratch of at least ceil(k/4)*4 bytes; acc: scratch of n int32.
void trk_gemv_q8(const float *x, int k, const int8_t *packed, const int32_t *colsum, const float *wscale, int n,
                 float *y, uint8_t *xq, int32_t *acc);

/// In place.
void trk_sigmoid(float *v, int n);
void trk_tanh(float *v, int n);

/// The gate updates below take `coarse`: 0 for float models (sigmoid and tanh within 4e-7, so
/// Keras's numbers hold to 1e-5), 1 for int8 models (within 5e-5, and cheaper: an int8 model's
/// state is quantized much more coarsely every step; see kernels.c).
///
/// LSTM with sigmoid gates and tanh: z = [i f g o] pre-activations (4 * units, overwritten);
/// c = sig(f) * c + sig(i) * tanh(g); h = sig(o) * tanh(c).
void trk_lstm_gates(float *z, float *c, float *h, int units, int coarse);

/// A GRU step (reset_after, sigmoid gates, tanh candidate) once g [3u] holds h·U + the recurrent
/// bias: z = σ(g_z + x_z), r = σ(g_r + x_r), hh = tanh(x_h + r·g_h), h = z·h + (1 − z)·hh.
/// x [3u] is the input projection. Leaves z, r and hh in g. With coarse 0, the same bits as applying
/// trk_sigmoid and trk_tanh to those slices with separate multiplies and adds (no FMA).
void trk_gru_gates(const float *x, float *g, float *h, int units, int coarse);

/// A lazily filled table of first-layer input projections: row id = emb[id] · W + bias
/// (width floats). Embedding and kernel are float32 or int8 with per-row (embedding) /
/// per-column (kernel) scales. `ready` holds one state byte per row (0 empty, 1 filling,
/// 2 ready), `table` rows * width floats; both zeroed by the caller.
typedef struct {
    int rows, dim, width;
    const float *emb_f32;
    const int8_t *emb_s8;
    const float *emb_scale;
    const float *w_f32;
    const int8_t *w_s8;
    const float *w_scale;
    const float *bias;
    float *table;
    uint8_t *ready;
} trk_projection;

/// The projection row of `id`: from the table, or computed (into the table when this thread
/// claims the row, else into tmp, width + dim floats). Thread-safe.
const float *trk_projection_row(const trk_projection *p, int32_t id, float *tmp);

/// Embedding row of an int8 table: out[j] = q[j] * scale.
void trk_dequantize_row(const int8_t *q, float scale, int n, float *out);

#ifdef __cplusplus
}
#endif

#endif
