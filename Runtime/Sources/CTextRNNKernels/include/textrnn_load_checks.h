// The checks a bundle's weights pass when loaded (load_checks.c): CRC-32 of the weights file and
// the scan for non-finite floats, which the trainer also runs before it saves weights.
#ifndef TEXTRNN_LOAD_CHECKS_H
#define TEXTRNN_LOAD_CHECKS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// CRC-32/IEEE (zlib's crc32) of `n` bytes continuing `crc` (0 to start), with PCLMULQDQ
/// folding where present (checked against the table version on first use).
uint32_t trk_crc32(uint32_t crc, const uint8_t *bytes, size_t n);
/// Index of the first non-finite float in v[0..<n], or -1 when all are finite.
long trk_first_nonfinite(const float *v, size_t n);

#ifdef __cplusplus
}
#endif

#endif
