/*
 * leaks.c - load/predict/free cycles through the C ABI, for valgrind and for RSS growth.
 *
 *     leaks BUNDLE CYCLES [RSS_EVERY]
 *
 * Each cycle loads the bundle (from its directory, and every other cycle from memory), predicts
 * a few texts (including empty, invalid UTF-8 and NUL bytes), runs top_k, tokenize,
 * predict_batch with 2 threads and some failing calls, loads a damaged manifest (must fail),
 * and frees the model. Every 16th cycle also predicts from a short-lived thread, so per-thread
 * state is created and destroyed. Prints "rss_kb CYCLE KB" every RSS_EVERY cycles (from
 * /proc/self/statm) and "leaks: OK" at the end.
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <textrnn.h>

static char *read_all(const char *path, size_t *size) {
    FILE *file = fopen(path, "rb");
    if (!file) return NULL;
    fseek(file, 0, SEEK_END);
    long length = ftell(file);
    fseek(file, 0, SEEK_SET);
    char *bytes = malloc(length > 0 ? (size_t)length : 1);
    *size = fread(bytes, 1, (size_t)length, file);
    fclose(file);
    return bytes;
}

static long rss_kb(void) {
    FILE *file = fopen("/proc/self/statm", "r");
    long pages = 0, resident = 0;
    if (file) {
        if (fscanf(file, "%ld %ld", &pages, &resident) != 2) resident = 0;
        fclose(file);
    }
    return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

static const char *texts[] = {"A wonderful, moving film.", "", "stocks \xff\xfe rallied \xc3", "nul\0inside text",
                              "the the the the the the the the the the the the the the the the the the"};
static const size_t sizes[] = {25, 0, 20, 15, 71};

static int fail(const char *what) {
    fprintf(stderr, "leaks: %s: %s\n", what, textrnn_last_error());
    return 1;
}

static void *thread_predict(void *model) {
    float probabilities[256];
    size_t labels = textrnn_label_count(model);
    if (labels <= 256) textrnn_predict(model, texts[0], sizes[0], probabilities, labels);
    /* A failure on this thread: its message is freed with the thread's state. */
    textrnn_predict(model, NULL, 5, probabilities, labels);
    return NULL;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: leaks BUNDLE CYCLES [RSS_EVERY]\n");
        return 2;
    }
    const char *bundle = argv[1];
    long cycles = atol(argv[2]);
    long every = argc > 3 ? atol(argv[3]) : 0;
    char path[4096];
    size_t manifest_size = 0, weights_size = 0;
    snprintf(path, sizeof path, "%s/manifest.json", bundle);
    char *manifest = read_all(path, &manifest_size);
    snprintf(path, sizeof path, "%s/weights.bin", bundle);
    char *weights = read_all(path, &weights_size);
    if (!manifest || !weights) {
        fprintf(stderr, "leaks: cannot read %s\n", bundle);
        return 2;
    }
    char *damaged = malloc(manifest_size);
    memcpy(damaged, manifest, manifest_size);
    damaged[manifest_size / 2] = '}';

    for (long cycle = 0; cycle < cycles; cycle++) {
        textrnn_model *model = NULL;
        textrnn_status status = cycle % 2 == 0
            ? textrnn_load(bundle, &model)
            : textrnn_load_from_memory(manifest, manifest_size, weights, weights_size, &model);
        if (status != TEXTRNN_OK) return fail("load");
        size_t labels = textrnn_label_count(model);
        float probabilities[5 * 256];
        if (labels > 256) return fail("too many labels for this test");
        for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
            if (textrnn_predict(model, texts[i], sizes[i], probabilities, labels) != TEXTRNN_OK) return fail("predict");
        }
        size_t top[256];
        size_t written = 0;
        if (textrnn_top_k(model, texts[0], sizes[0], labels, top, probabilities, &written) != TEXTRNN_OK) return fail("top_k");
        int32_t ids[16];
        if (textrnn_tokenize(model, texts[4], sizes[4], ids, 16, &written) != TEXTRNN_OK) return fail("tokenize");
        if (textrnn_predict_batch(model, texts, sizes, 5, probabilities, 5 * labels, 2) != TEXTRNN_OK) return fail("batch");
        int32_t bad = -1;
        if (textrnn_predict_ids(model, &bad, 1, probabilities, labels) == TEXTRNN_OK) return fail("bad id accepted");
        if (textrnn_predict(model, texts[0], sizes[0], probabilities, 0) == TEXTRNN_OK && labels > 0) return fail("capacity 0 accepted");
        if (cycle % 16 == 0) {
            pthread_t thread;
            if (pthread_create(&thread, NULL, thread_predict, model) == 0) pthread_join(thread, NULL);
        }
        textrnn_free(model);
        textrnn_model *broken = NULL;
        if (textrnn_load_from_memory(damaged, manifest_size, weights, weights_size, &broken) == TEXTRNN_OK || broken)
            return fail("damaged manifest accepted");
        if (every > 0 && (cycle + 1) % every == 0) {
            printf("rss_kb %ld %ld\n", cycle + 1, rss_kb());
            fflush(stdout);
        }
    }
    free(manifest);
    free(weights);
    free(damaged);
    printf("leaks: OK %ld cycles\n", cycles);
    return 0;
}
