/*
 * train - train a TextRNN classifier from C through libtextrnn-trainer, then classify with it.
 *
 *     train OUTPUT.textrnn [CONFIG_JSON] < rows.tsv
 *
 * Reads "LABEL<TAB>TEXT" lines from standard input (a trailing CR is dropped), trains with the
 * hyperparameters in CONFIG_JSON (the `textrnn train --config` format, e.g. '{"epochs": 2}';
 * default "{}"), printing the trainer's progress messages and epochs on stderr, and writes the
 * bundle directory OUTPUT.textrnn. It then loads the bundle's bytes with libtextrnn
 * (textrnn_load_from_memory) and prints "LABEL<TAB>PROBABILITY" for each training text, which
 * `textrnn predict OUTPUT.textrnn --format tsv` on the same texts reproduces (to the float32).
 *
 *     cc train.c $(pkg-config --cflags --libs textrnn textrnn-trainer)
 */
#define _POSIX_C_SOURCE 200809L /* getline */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <textrnn.h>
#include <textrnn_trainer.h>

static int report(const textrnn_trainer_event *event, void *user_data) {
    (void)user_data;
    if (event->kind != TEXTRNN_TRAINER_EVENT_BATCH) fprintf(stderr, "%s\n", event->message);
    return 0; /* non-zero would stop training */
}

int main(int argc, char **argv) {
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: train OUTPUT.textrnn [CONFIG_JSON] < rows.tsv\n");
        return 2;
    }
    const char *config = argc == 3 ? argv[2] : "{}";
    size_t count = 0, capacity = 0;
    char **lines = NULL;
    const char **texts = NULL, **labels = NULL;
    size_t *text_sizes = NULL, *label_sizes = NULL;
    char *line = NULL;
    size_t line_capacity = 0;
    ssize_t length;
    while ((length = getline(&line, &line_capacity, stdin)) >= 0) {
        if (length > 0 && line[length - 1] == '\n') line[--length] = '\0';
        if (length > 0 && line[length - 1] == '\r') line[--length] = '\0';
        char *tab = memchr(line, '\t', (size_t)length);
        if (!tab) {
            fprintf(stderr, "train: stdin:%zu: expected LABEL<TAB>TEXT\n", count + 1);
            return 1;
        }
        if (count == capacity) {
            capacity = capacity ? 2 * capacity : 256;
            lines = realloc(lines, capacity * sizeof *lines);
            texts = realloc(texts, capacity * sizeof *texts);
            labels = realloc(labels, capacity * sizeof *labels);
            text_sizes = realloc(text_sizes, capacity * sizeof *text_sizes);
            label_sizes = realloc(label_sizes, capacity * sizeof *label_sizes);
            if (!lines || !texts || !labels || !text_sizes || !label_sizes) {
                fprintf(stderr, "train: out of memory\n");
                return 1;
            }
        }
        lines[count] = line;
        labels[count] = line;
        label_sizes[count] = (size_t)(tab - line);
        texts[count] = tab + 1;
        text_sizes[count] = (size_t)(length - (tab + 1 - line));
        count++;
        line = NULL;
        line_capacity = 0;
    }
    free(line);

    char error[1024];
    textrnn_trainer_data data = {texts, text_sizes, labels, label_sizes, count};
    textrnn_trainer_bundle *bundle = NULL;
    if (textrnn_trainer_train(&data, NULL, config, strlen(config), report, NULL, &bundle, error, sizeof error)
        != TEXTRNN_TRAINER_OK) {
        fprintf(stderr, "train: %s\n", error);
        return 1;
    }
    if (textrnn_trainer_bundle_write(bundle, argv[1], error, sizeof error) != TEXTRNN_TRAINER_OK) {
        fprintf(stderr, "train: %s\n", error);
        return 1;
    }
    size_t manifest_size = 0, weights_size = 0;
    const uint8_t *manifest = textrnn_trainer_bundle_manifest(bundle, &manifest_size);
    const uint8_t *weights = textrnn_trainer_bundle_weights(bundle, &weights_size);
    textrnn_model *model = NULL;
    if (textrnn_load_from_memory(manifest, manifest_size, weights, weights_size, &model) != TEXTRNN_OK) {
        fprintf(stderr, "train: %s\n", textrnn_last_error());
        return 1;
    }
    textrnn_trainer_bundle_free(bundle);

    size_t label_count = textrnn_label_count(model);
    float *probabilities = malloc(label_count * sizeof *probabilities);
    for (size_t row = 0; row < count && probabilities; row++) {
        if (textrnn_predict(model, texts[row], text_sizes[row], probabilities, label_count) != TEXTRNN_OK) {
            fprintf(stderr, "train: row %zu: %s\n", row + 1, textrnn_last_error());
            return 1;
        }
        size_t best = 0;
        for (size_t i = 1; i < label_count; i++)
            if (probabilities[i] > probabilities[best]) best = i;
        printf("%s\t%.9g\n", textrnn_label(model, best), (double)probabilities[best]);
    }
    free(probabilities);
    textrnn_free(model);
    for (size_t row = 0; row < count; row++) free(lines[row]);
    free(lines);
    free(texts);
    free(labels);
    free(text_sizes);
    free(label_sizes);
    return 0;
}
