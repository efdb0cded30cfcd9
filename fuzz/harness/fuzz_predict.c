/*
 * fuzz_predict.c - libFuzzer harness for prediction on arbitrary bytes.
 *
 * The bundles come from the environment: TEXTRNN_FUZZ_BUNDLES, a colon-separated list of bundle
 * directories (fuzz/make_corpus.py makes a set covering every layer kind, int8, ngrams 2, HTML
 * breaks, no sequence_length, each standardization).
 *
 * Input: [selector:1][text bytes...]. selector % bundles picks the model; the text goes through
 * predict, top_k, tokenize and predict_ids; every 32nd selector also runs predict_batch with the
 * text split in pieces on 2 threads. At start-up every model also classifies 10 MiB texts
 * (random bytes, "a b " repeated, NUL bytes): too slow to do per input, but under the same
 * sanitizers.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>

#include "common.h"

#define MAX_MODELS 32
static textrnn_model *models[MAX_MODELS];
static size_t model_count = 0;

/* Freed at exit, before LeakSanitizer's final check: the models live for the whole run, and
 * LeakSanitizer does not follow Swift's tagged enum payload pointers inside them. */
static void free_models(void) {
    for (size_t i = 0; i < model_count; i++) textrnn_free(models[i]);
    model_count = 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    const char *list = getenv("TEXTRNN_FUZZ_BUNDLES");
    if (!list || !*list) {
        fprintf(stderr, "fuzz_predict: set TEXTRNN_FUZZ_BUNDLES to bundle directories (colon-separated)\n");
        exit(2);
    }
    char *copy = strdup(list);
    for (char *path = strtok(copy, ":"); path && model_count < MAX_MODELS; path = strtok(NULL, ":")) {
        if (textrnn_load(path, &models[model_count]) != TEXTRNN_OK) {
            fprintf(stderr, "fuzz_predict: %s\n", textrnn_last_error());
            exit(2);
        }
        model_count++;
    }
    free(copy);
    atexit(free_models);
    /* 10 MiB texts, once per model: must succeed or hit the model's token limit, nothing else. */
    size_t big = 10u << 20;
    uint8_t *text = malloc(big);
    uint64_t state = 0x9E3779B97F4A7C15ull;
    for (int kind = 0; kind < 3; kind++) {
        for (size_t i = 0; i < big; i++) {
            state = state * 6364136223846793005ull + 1442695040888963407ull;
            text[i] = kind == 0 ? (uint8_t)(state >> 56) : kind == 1 ? (uint8_t)"a b "[i % 4] : 0;
        }
        for (size_t m = 0; m < model_count; m++) {
            float probabilities[256];
            size_t labels = textrnn_label_count(models[m]);
            if (labels > 256) continue;
            textrnn_status status = textrnn_predict(models[m], (const char *)text, big, probabilities, labels);
            if (status != TEXTRNN_OK && status != TEXTRNN_ERROR_LIMIT) {
                fprintf(stderr, "fuzz_predict: 10 MiB text %d on model %zu: %s\n", kind, m, textrnn_last_error());
                abort();
            }
        }
    }
    free(text);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    size_t selector = data[0];
    const textrnn_model *model = models[selector % model_count];
    const uint8_t *text = data + 1;
    size_t text_size = size - 1;
    uint8_t *copy = fuzz_copy(text, text_size);
    fuzz_exercise(model, copy, text_size);
    if (selector % 32 == 0 && text_size > 0) {
        /* The text in up to 4 pieces, as a batch on 2 threads; must equal single predictions. */
        size_t labels = textrnn_label_count(model);
        const char *pieces[4];
        size_t sizes[4];
        size_t n = text_size < 4 ? text_size : 4;
        for (size_t i = 0; i < n; i++) {
            pieces[i] = (const char *)copy + i * (text_size / n);
            sizes[i] = i + 1 == n ? text_size - i * (text_size / n) : text_size / n;
        }
        float *batch = malloc(n * labels * sizeof(float));
        float *single = malloc(labels * sizeof(float));
        if (textrnn_predict_batch(model, pieces, sizes, n, batch, n * labels, 2) == TEXTRNN_OK) {
            for (size_t i = 0; i < n; i++) {
                if (textrnn_predict(model, pieces[i], sizes[i], single, labels) != TEXTRNN_OK) abort();
                if (memcmp(single, batch + i * labels, labels * sizeof(float)) != 0) abort();
            }
        }
        free(batch);
        free(single);
    }
    free(copy);
    return 0;
}
