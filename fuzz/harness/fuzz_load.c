/*
 * fuzz_load.c - libFuzzer harness for bundle loading (textrnn_load_from_memory).
 *
 * Input: [flags:1][manifest length:4, little-endian][manifest.json bytes][weights bytes]
 *   flags bit 0: rewrite the manifest's "crc32" value to the weights' real CRC-32 first, so
 *                mutated weights get past the checksum and reach the tensor checks (finite
 *                values, int8 scales, shapes) and prediction;
 *   flags bits 0 and 1 both set: also write the bundle to a directory and load it with textrnn_load (the mmap path).
 * A bundle that loads is then used: labels, predict, top_k, tokenize, predict_ids.
 * fuzz/make_corpus.py turns real bundles into seeds of this format.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <unistd.h>

#include "common.h"

static void fix_crc(uint8_t *manifest, size_t size, const uint8_t *weights, size_t weights_size) {
    static const char key[] = "\"crc32\"";
    for (size_t i = 0; i + sizeof key - 1 < size; i++) {
        if (memcmp(manifest + i, key, sizeof key - 1) != 0) continue;
        size_t j = i + sizeof key - 1;
        while (j < size && (manifest[j] == ' ' || manifest[j] == ':' || manifest[j] == '\n')) j++;
        if (j + 9 < size && manifest[j] == '"') {
            char hex[9];
            snprintf(hex, sizeof hex, "%08x", fuzz_crc32(weights, weights_size));
            memcpy(manifest + j + 1, hex, 8);
        }
        return;
    }
}

static void load_from_directory(const uint8_t *manifest, size_t manifest_size, const uint8_t *weights,
                                size_t weights_size) {
    static char directory[64];
    if (!directory[0]) snprintf(directory, sizeof directory, "/tmp/textrnn-fuzz-%d.textrnn", (int)getpid());
    char path[128];
    snprintf(path, sizeof path, "mkdir -p %s", directory);
    static int made = 0;
    if (!made) made = system(path) == 0;
    snprintf(path, sizeof path, "%s/manifest.json", directory);
    FILE *file = fopen(path, "wb");
    if (!file) return;
    fwrite(manifest, 1, manifest_size, file);
    fclose(file);
    snprintf(path, sizeof path, "%s/weights.bin", directory);
    file = fopen(path, "wb");
    if (!file) return;
    fwrite(weights, 1, weights_size, file);
    fclose(file);
    textrnn_model *model = NULL;
    if (textrnn_load(directory, &model) == TEXTRNN_OK) {
        fuzz_exercise(model, (const uint8_t *)"a b", 3);
        textrnn_free(model);
    } else if (model != NULL) {
        abort(); /* on failure *out_model must be NULL */
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 5) return 0;
    uint8_t flags = data[0];
    size_t manifest_size = (size_t)data[1] | (size_t)data[2] << 8 | (size_t)data[3] << 16 | (size_t)data[4] << 24;
    data += 5;
    size -= 5;
    if (manifest_size > size) manifest_size = size;
    uint8_t *manifest = fuzz_copy(data, manifest_size);
    uint8_t *weights = fuzz_copy(data + manifest_size, size - manifest_size);
    size_t weights_size = size - manifest_size;
    if (flags & 1) fix_crc(manifest, manifest_size, weights, weights_size);

    textrnn_model *model = (textrnn_model *)1;
    textrnn_status status = textrnn_load_from_memory(manifest, manifest_size, weights, weights_size, &model);
    if (status == TEXTRNN_OK) {
        static const char text[] = "the a film movie great \xff\xfe\x00 nul <br /> A B c d";
        fuzz_exercise(model, (const uint8_t *)"", 0);
        fuzz_exercise(model, (const uint8_t *)text, sizeof text - 1);
        textrnn_free(model);
    } else {
        if (model != NULL) abort();                      /* on failure *out_model must be NULL */
        if (textrnn_last_error()[0] == 0) abort();       /* and there is a message */
        if (status == TEXTRNN_ERROR_INTERNAL) abort();   /* never a bug status */
    }
    if ((flags & 3) == 3) load_from_directory(manifest, manifest_size, weights, weights_size);
    free(manifest);
    free(weights);
    return 0;
}
