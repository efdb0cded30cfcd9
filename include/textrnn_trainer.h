/*
 * textrnn_trainer.h - train a TextRNN classifier in process, from texts and labels in memory.
 *
 * libtextrnn-trainer.so is the trainer's C ABI, a library of its own beside the lean inference
 * library (libtextrnn.so, textrnn.h): it carries the whole trainer (and OpenBLAS), so programs
 * that only classify never load it. It trains exactly as `textrnn train` does on the same rows
 * and hyperparameters, and hands back the bundle (manifest.json + weights) as bytes, which
 * textrnn_load_from_memory (textrnn.h) loads, or writes it as a bundle directory.
 *
 *     const char *texts[] = {"a fine film", "dull"};  size_t text_sizes[] = {11, 4};
 *     const char *labels[] = {"pos", "neg"};          size_t label_sizes[] = {3, 3};
 *     textrnn_trainer_data data = {texts, text_sizes, labels, label_sizes, 2};
 *     const char *config = "{\"epochs\": 3, \"units\": [16]}";
 *     char error[512];
 *     textrnn_trainer_bundle *bundle = NULL;
 *     if (textrnn_trainer_train(&data, NULL, config, strlen(config), NULL, NULL, &bundle,
 *                               error, sizeof error) != TEXTRNN_TRAINER_OK) {
 *         fprintf(stderr, "%s\n", error);
 *     } else {
 *         textrnn_trainer_bundle_write(bundle, "model.textrnn", error, sizeof error);
 *         textrnn_trainer_bundle_free(bundle);
 *     }
 *
 * Errors: every function that can fail returns a textrnn_trainer_status and, when `error` is
 * not NULL, writes a NUL-terminated message (truncated to `error_capacity` bytes) naming the
 * argument, row or config key at fault. No function aborts on bad input. The library keeps no
 * global mutable state: calls on different threads are independent.
 */
#ifndef TEXTRNN_TRAINER_H
#define TEXTRNN_TRAINER_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum textrnn_trainer_status {
    TEXTRNN_TRAINER_OK = 0,
    TEXTRNN_TRAINER_ERROR_INVALID_ARGUMENT = 1, /* NULL pointer, size out of range */
    TEXTRNN_TRAINER_ERROR_INVALID_CONFIG = 2,   /* config JSON: syntax, unknown key, value out of range */
    TEXTRNN_TRAINER_ERROR_INVALID_DATA = 3,     /* invalid UTF-8, empty label, rows no model can train on */
    TEXTRNN_TRAINER_ERROR_CANCELLED = 4,        /* the progress callback asked to stop */
    TEXTRNN_TRAINER_ERROR_DIVERGED = 5,         /* the loss became NaN or infinite */
    TEXTRNN_TRAINER_ERROR_IO = 6,               /* textrnn_trainer_bundle_write could not write */
    TEXTRNN_TRAINER_ERROR_INTERNAL = 7          /* a bug: please report it */
} textrnn_trainer_status;

/* The library's version, "MAJOR.MINOR.PATCH" (that of textrnn.h). Static storage. */
const char *textrnn_trainer_version(void);

/* The hyperparameters textrnn_trainer_train accepts: the trainer's hyperparameter table as a
 * JSON array, in a stable order, of {"name": KEY, "flag", "type", "default": VALUE, "help",
 * and where they apply "choices", "range", "default_rule", "recorded"}. KEY is a key of the
 * config JSON, which is exactly the `textrnn train --config FILE` format (the flags' names with
 * underscores); VALUE is the default (null: unset). Static storage, NUL-terminated UTF-8. */
const char *textrnn_trainer_hyperparameters(void);

/* Labelled texts: row i is texts[i] (text_sizes[i] bytes of UTF-8) with the label labels[i]
 * (label_sizes[i] bytes of UTF-8, not empty). Invalid UTF-8 is refused, naming the row (as
 * `textrnn train` refuses it in a data file). A NULL text or label with size 0 is empty. Labels
 * are ordered as `textrnn train` orders them: all-integer names numerically, others by bytes. */
typedef struct textrnn_trainer_data {
    const char *const *texts;
    const size_t *text_sizes;
    const char *const *labels;
    const size_t *label_sizes;
    size_t count;
} textrnn_trainer_data;

typedef enum textrnn_trainer_event_kind {
    TEXTRNN_TRAINER_EVENT_MESSAGE = 0, /* a line of the log (data summary, recipe, early stopping) */
    TEXTRNN_TRAINER_EVENT_BATCH = 1,   /* a batch finished: epoch, batch, loss, accuracy so far */
    TEXTRNN_TRAINER_EVENT_EPOCH = 2    /* an epoch finished: train and validation numbers */
} textrnn_trainer_event_kind;

/* One progress report. Numbers that do not apply to the kind are 0 (counts) or NaN (metrics).
 * `message` is the line `textrnn train` would print for the event (NUL-terminated, valid only
 * during the callback). */
typedef struct textrnn_trainer_event {
    textrnn_trainer_event_kind kind;
    size_t epoch, epochs;   /* 1-based epoch, of at most `epochs` */
    size_t batch, batches;  /* 1-based batch of this epoch, of `batches` */
    double loss, accuracy;  /* running training numbers of the epoch */
    double validation_loss, validation_accuracy;
    const char *message;
} textrnn_trainer_event;

/* Called on the training thread for every event; returning non-zero stops training at the next
 * batch boundary (textrnn_trainer_train then returns TEXTRNN_TRAINER_ERROR_CANCELLED). */
typedef int (*textrnn_trainer_progress)(const textrnn_trainer_event *event, void *user_data);

/* A trained model: the bytes of its manifest.json and weights file. */
typedef struct textrnn_trainer_bundle textrnn_trainer_bundle;

/* Trains on `train` and, if not NULL, validates on `validation` (its labels must all occur in
 * `train`); without it, config's validation_split holds out a stratified fraction of `train`,
 * as `textrnn train` does without --validation. `config_json` (config_size bytes) is a JSON
 * object in the `--config` format; NULL or "{}" trains with the defaults. `progress` may be NULL.
 * On success *bundle receives a new bundle (free it with textrnn_trainer_bundle_free). */
textrnn_trainer_status textrnn_trainer_train(
    const textrnn_trainer_data *train, const textrnn_trainer_data *validation,
    const char *config_json, size_t config_size,
    textrnn_trainer_progress progress, void *user_data,
    textrnn_trainer_bundle **bundle, char *error, size_t error_capacity);

/* The bytes of the bundle's manifest.json and weights file; owned by the bundle, valid until it
 * is freed. Pass them to textrnn_load_from_memory (textrnn.h) to classify. */
const uint8_t *textrnn_trainer_bundle_manifest(const textrnn_trainer_bundle *bundle, size_t *size);
const uint8_t *textrnn_trainer_bundle_weights(const textrnn_trainer_bundle *bundle, size_t *size);

/* Writes the bundle as the directory `path` (NAME.textrnn) with the writer `textrnn train
 * --output` uses: the files go to a temporary directory beside it, which is renamed into place,
 * so `path` never holds a half-written bundle. */
textrnn_trainer_status textrnn_trainer_bundle_write(
    const textrnn_trainer_bundle *bundle, const char *path, char *error, size_t error_capacity);

/* Releases a bundle; NULL is ignored. */
void textrnn_trainer_bundle_free(textrnn_trainer_bundle *bundle);

#ifdef __cplusplus
}
#endif

#endif /* TEXTRNN_TRAINER_H */
