/* Inference benchmark through the C ABI (libtextrnn.so), text in.
 *
 *   latency BUNDLE TEXTS [--n N] [--threads T] [--batch B] [--repeat R] [--dump-ids FILE]
 *
 * TEXTS holds one text per line. Prints one JSON object: load-to-first-prediction time, batch-1
 * latency (textrnn_predict: tokenization included, the calling thread only) p50/p99/mean over
 * the first N texts, the same from token ids (textrnn_predict_ids), the same texts one at a time
 * through textrnn_predict_batch on T threads (latency_text_threads_*), and throughput of textrnn_predict_batch over all
 * texts in batches of B on T threads (best of R passes). On a shared machine, wall-clock numbers
 * include waiting for a core: latency_text_cpu_p50_ms (thread CPU time per call) and
 * throughput_docs_per_cpu_s (texts per second of process CPU time; x T = throughput on T idle
 * cores) measure the work itself. "kernels" is the SIMD level that ran (textrnn_kernels();
 * TEXTRNN_KERNELS=avx2 etc. forces a lower one). --dump-ids writes each text's ids as
 * int32 (count, then ids) for the ONNX Runtime peer (bench/onnx_peer.py).
 * Build: cc -O2 -Iinclude bench/latency.c -o latency -L DIR -ltextrnn -Wl,-rpath,DIR */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <textrnn.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static double cpu(clockid_t clock) {
    struct timespec t;
    clock_gettime(clock, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static int compare(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double percentile(double *v, size_t n, double p) {
    size_t i = (size_t)(p * (n - 1) + 0.5);
    return v[i < n ? i : n - 1];
}

static void fail(const char *what) {
    fprintf(stderr, "%s: %s\n", what, textrnn_last_error());
    exit(1);
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: latency BUNDLE TEXTS [--n N] [--threads T] [--batch B] [--repeat R] [--dump-ids FILE]\n");
        return 2;
    }
    const char *bundle = argv[1], *path = argv[2], *dump = NULL;
    size_t n = 2000, threads = 2, batch = 256, repeat = 3;
    for (int i = 3; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--n")) n = strtoul(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--threads")) threads = strtoul(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--batch")) batch = strtoul(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--repeat")) repeat = strtoul(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--dump-ids")) dump = argv[i + 1];
    }
    FILE *f = fopen(path, "rb");
    if (!f) { perror(path); return 1; }
    size_t count = 0, cap = 1024;
    char **texts = malloc(cap * sizeof *texts);
    size_t *sizes = malloc(cap * sizeof *sizes);
    char *line = NULL;
    size_t linecap = 0;
    ssize_t len;
    while ((len = getline(&line, &linecap, f)) > 0) {
        if (line[len - 1] == '\n') len--;
        if (count == cap) {
            cap *= 2;
            texts = realloc(texts, cap * sizeof *texts);
            sizes = realloc(sizes, cap * sizeof *sizes);
        }
        texts[count] = malloc(len + 1);
        memcpy(texts[count], line, len);
        texts[count][len] = 0;
        sizes[count++] = len;
    }
    fclose(f);
    if (n > count) n = count;

    /* Load to first prediction (the page cache is warm after the first of 5 tries; median). */
    float probabilities[1024];
    double loads[5], loadsCPU[5];
    textrnn_model *model = NULL;
    for (int r = 0; r < 5; r++) {
        double t0 = now(), c0 = cpu(CLOCK_THREAD_CPUTIME_ID);
        if (textrnn_load(bundle, &model) != TEXTRNN_OK) fail("load");
        if (textrnn_predict(model, texts[0], sizes[0], probabilities, 1024) != TEXTRNN_OK) fail("predict");
        loads[r] = now() - t0;
        loadsCPU[r] = cpu(CLOCK_THREAD_CPUTIME_ID) - c0;
        if (r < 4) textrnn_free(model);
    }
    qsort(loads, 5, sizeof *loads, compare);
    qsort(loadsCPU, 5, sizeof *loadsCPU, compare);
    size_t labels = textrnn_label_count(model);

    /* Token ids of every text, for predict_ids and the ONNX peer. */
    int32_t **ids = malloc(count * sizeof *ids);
    size_t *idCounts = malloc(count * sizeof *idCounts);
    double tokens = 0;
    FILE *out = dump ? fopen(dump, "wb") : NULL;
    for (size_t i = 0; i < count; i++) {
        size_t k = 0;
        if (textrnn_tokenize(model, texts[i], sizes[i], NULL, 0, &k) != TEXTRNN_OK) fail("tokenize");
        ids[i] = malloc((k ? k : 1) * sizeof(int32_t));
        if (textrnn_tokenize(model, texts[i], sizes[i], ids[i], k, &k) != TEXTRNN_OK) fail("tokenize");
        idCounts[i] = k;
        size_t real = 0;
        for (size_t j = 0; j < k; j++) real += ids[i][j] != 0;
        tokens += real;
        if (out) {
            int32_t c = (int32_t)k;
            fwrite(&c, 4, 1, out);
            fwrite(ids[i], 4, k, out);
        }
    }
    if (out) fclose(out);

    /* Warm-up: every text once (fills the lazily built projection tables, grows scratch). */
    float *all = malloc(count * labels * sizeof(float));
    if (textrnn_predict_batch(model, (const char *const *)texts, sizes, count, all, count * labels, threads) != TEXTRNN_OK)
        fail("predict_batch");

    double *lat = malloc(n * sizeof *lat), *latIDs = malloc(n * sizeof *latIDs), *latCPU = malloc(n * sizeof *latCPU);
    for (size_t i = 0; i < n; i++) {
        double t0 = now(), c0 = cpu(CLOCK_THREAD_CPUTIME_ID);
        if (textrnn_predict(model, texts[i], sizes[i], probabilities, 1024) != TEXTRNN_OK) fail("predict");
        lat[i] = now() - t0;
        latCPU[i] = cpu(CLOCK_THREAD_CPUTIME_ID) - c0;
    }
    qsort(latCPU, n, sizeof *latCPU, compare);
    for (size_t i = 0; i < n; i++) {
        double t0 = now();
        if (textrnn_predict_ids(model, ids[i], idCounts[i], probabilities, 1024) != TEXTRNN_OK) fail("predict_ids");
        latIDs[i] = now() - t0;
    }
    /* One text on `threads` threads: textrnn_predict_batch with count 1 runs a Bidirectional
     * layer's directions side by side (the second on a helper thread the library keeps). */
    double *latThreads = malloc(n * sizeof *latThreads);
    for (size_t i = 0; i < n; i++) {
        double t0 = now();
        if (textrnn_predict_batch(model, (const char *const *)texts + i, sizes + i, 1, probabilities, 1024, threads) != TEXTRNN_OK)
            fail("predict_batch of one text");
        latThreads[i] = now() - t0;
    }
    qsort(latThreads, n, sizeof *latThreads, compare);
    double mean = 0, meanIDs = 0;
    for (size_t i = 0; i < n; i++) { mean += lat[i]; meanIDs += latIDs[i]; }
    qsort(lat, n, sizeof *lat, compare);
    qsort(latIDs, n, sizeof *latIDs, compare);

    double best = 1e30, bestCPU = 1e30;
    for (size_t r = 0; r < repeat; r++) {
        double t0 = now(), c0 = cpu(CLOCK_PROCESS_CPUTIME_ID);
        for (size_t start = 0; start < count; start += batch) {
            size_t m = count - start < batch ? count - start : batch;
            if (textrnn_predict_batch(model, (const char *const *)texts + start, sizes + start, m, all + start * labels,
                                      m * labels, threads) != TEXTRNN_OK)
                fail("predict_batch");
        }
        double t = now() - t0, c = cpu(CLOCK_PROCESS_CPUTIME_ID) - c0;
        if (t < best) best = t;
        if (c < bestCPU) bestCPU = c;
    }
    printf("{\"bundle\": \"%s\", \"kernels\": \"%s\", \"texts\": %zu, \"mean_tokens\": %.1f, \"load_to_first_prediction_ms\": %.3f, "
           "\"latency_text_p50_ms\": %.4f, \"latency_text_p99_ms\": %.4f, \"latency_text_mean_ms\": %.4f, "
           "\"latency_ids_p50_ms\": %.4f, \"latency_ids_p99_ms\": %.4f, "
           "\"latency_text_threads_p50_ms\": %.4f, \"latency_text_threads_p99_ms\": %.4f, "
           "\"throughput_docs_per_s\": %.1f, \"threads\": %zu, \"batch\": %zu, "
           "\"latency_text_cpu_p50_ms\": %.4f, \"throughput_docs_per_cpu_s\": %.1f, \"load_to_first_prediction_cpu_ms\": %.3f}\n",
           bundle, textrnn_kernels(), count, tokens / count, loads[2] * 1e3, percentile(lat, n, 0.5) * 1e3, percentile(lat, n, 0.99) * 1e3,
           mean / n * 1e3, percentile(latIDs, n, 0.5) * 1e3, percentile(latIDs, n, 0.99) * 1e3,
           percentile(latThreads, n, 0.5) * 1e3, percentile(latThreads, n, 0.99) * 1e3, count / best, threads, batch,
           percentile(latCPU, n, 0.5) * 1e3, count / bestCPU, loadsCPU[2] * 1e3);
    textrnn_free(model);
    return 0;
}
