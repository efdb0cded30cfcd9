/*
 * fuzz_predict.c - libFuzzer harness for prediction on arbitrary bytes.
 *
 * The bundles come from the environment: TEXTRNN_FUZZ_BUNDLES, a colon-separated list of bundle
 * directories (fuzz/make_corpus.py makes a set covering every layer kind, int8, ngrams 2, HTML
 * breaks, no sequence_length, each standardization).
 *
 * Input: [selector:1][text bytes...]. selector % bundles picks the model; the text goes through
 * predict, top_k, tokenize and predict_ids; every 8th selector also runs predict_batch with the
 * text split in pieces on 2 threads. Inputs starting "\xA5\x5A" are amplified: the text is
 * repeated up to 10 MiB (long texts; used on a model with a fixed sequence_length only).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>

#include "common.h"

#define MAX_MODELS 32
static textrnn_model *models[MAX_MODELS];
static size_t model_count = 0;
static size_t fixed_length_model = (size_t)-1;

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
        if (fixed_length_model == (size_t)-1 && textrnn_sequence_length(models[model_count]) > 0)
            fixed_length_model = model_count;
        model_count++;
    }
    free(copy);
    atexit(free_models);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    size_t selector = data[0];
    const textrnn_model *model = models[selector % model_count];
    const uint8_t *text = data + 1;
    size_t text_size = size - 1;
    uint8_t *buffer = NULL;
    if (size >= 3 && data[0] == 0xA5 && data[1] == 0x5A && fixed_length_model != (size_t)-1) {
        size_t unit = size - 2;
        size_t total = (10u << 20) / unit * unit;
        buffer = malloc(total);
        for (size_t at = 0; at < total; at += unit) memcpy(buffer + at, data + 2, unit);
        model = models[fixed_length_model];
        float probabilities[64];
        size_t labels = textrnn_label_count(model);
        if (labels <= 64 && textrnn_predict(model, (const char *)buffer, total, probabilities, labels) != TEXTRNN_OK)
            abort(); /* 10 MiB is under TEXTRNN_MAX_TEXT_BYTES: must succeed */
        free(buffer);
        return 0;
    }
    uint8_t *copy = fuzz_copy(text, text_size);
    fuzz_exercise(model, copy, text_size);
    if (selector % 8 == 0 && text_size > 0) {
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
