/* Shared helpers of the libFuzzer harnesses (fuzz/README.md). */
#ifndef TEXTRNN_FUZZ_COMMON_H
#define TEXTRNN_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <textrnn.h>

/* CRC-32/IEEE (zlib), bitwise with a table built on first use. */
static uint32_t fuzz_crc32(const uint8_t *bytes, size_t size) {
    static uint32_t table[256];
    static int ready = 0;
    if (!ready) {
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t c = i;
            for (int k = 0; k < 8; k++) c = c & 1 ? (c >> 1) ^ 0xEDB88320u : c >> 1;
            table[i] = c;
        }
        ready = 1;
    }
    uint32_t crc = 0xFFFFFFFFu;
    for (size_t i = 0; i < size; i++) crc = table[(crc ^ bytes[i]) & 0xFF] ^ (crc >> 8);
    return ~crc;
}

/* A heap copy of exactly `size` bytes (so AddressSanitizer sees any read past the end). */
static uint8_t *fuzz_copy(const uint8_t *data, size_t size) {
    uint8_t *copy = malloc(size ? size : 1);
    if (size) memcpy(copy, data, size);
    return copy;
}

/* Calls every read-only entry point on a loaded model with `text`. */
static void fuzz_exercise(const textrnn_model *model, const uint8_t *text, size_t size) {
    size_t labels = textrnn_label_count(model);
    for (size_t i = 0; i < labels && i < 4; i++) (void)textrnn_label(model, i);
    (void)textrnn_label(model, labels);
    (void)textrnn_output(model);
    (void)textrnn_vocabulary_size(model);
    (void)textrnn_sequence_length(model);
    float *probabilities = malloc((labels ? labels : 1) * sizeof(float));
    size_t *indices = malloc((labels ? labels : 1) * sizeof(size_t));
    if (textrnn_predict(model, (const char *)text, size, probabilities, labels) == TEXTRNN_OK) {
        for (size_t i = 0; i < labels; i++) {
            /* Probabilities are in [0, 1] or NaN (weights that are finite but extreme). */
            if (probabilities[i] < -1e-5f || probabilities[i] > 1.0f + 1e-5f) abort();
        }
    }
    size_t count = 0;
    (void)textrnn_top_k(model, (const char *)text, size, 2, indices, probabilities, &count);
    int32_t ids[32];
    if (textrnn_tokenize(model, (const char *)text, size, ids, 32, &count) == TEXTRNN_OK) {
        size_t n = count < 32 ? count : 32;
        (void)textrnn_predict_ids(model, ids, n, probabilities, labels);
    }
    free(probabilities);
    free(indices);
}

#endif
