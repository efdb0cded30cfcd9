/*
 * textrnn.h - classify text with a TextRNN bundle.
 *
 * A bundle (NAME.textrnn/, see docs/bundle-format.md) holds a recurrent text classifier and its
 * whole text pipeline: raw UTF-8 text goes in, one probability per label comes out.
 *
 * Usage
 * -----
 *     #include <textrnn.h>
 *
 *     textrnn_model *model = NULL;
 *     if (textrnn_load("imdb.textrnn", &model) != TEXTRNN_OK) {
 *         fprintf(stderr, "load failed: %s\n", textrnn_last_error());
 *         return 1;
 *     }
 *     size_t labels = textrnn_label_count(model);
 *     float probabilities[labels];
 *     const char *text = "A wonderful, moving film.";
 *     if (textrnn_predict(model, text, strlen(text), probabilities, labels) == TEXTRNN_OK) {
 *         for (size_t i = 0; i < labels; i++)
 *             printf("%s %.4f\n", textrnn_label(model, i), probabilities[i]);
 *     }
 *     textrnn_free(model);
 *
 * Build with: cc app.c $(pkg-config --cflags --libs textrnn)   after `make install`; see
 * docs/c-api.md (libtextrnn.so carries the Swift runtime; it needs only libc, libm, libstdc++,
 * libgcc_s and json-c at run time, no Swift toolchain).
 *
 * Threading
 * ---------
 * A loaded textrnn_model is immutable. Any number of threads may call any function on the same
 * model at the same time without locking; only textrnn_free must not race with other calls on
 * that model. Error messages are kept per thread (textrnn_last_error).
 *
 * Errors and ownership
 * --------------------
 * Functions that can fail return a textrnn_status; on failure textrnn_last_error() describes
 * what went wrong (naming the file, field or argument) and output arguments are left untouched
 * unless documented otherwise. No function aborts or exits on bad input: NULL pointers, wrong
 * sizes, invalid UTF-8 and damaged bundles all return an error status. Strings returned by the
 * library are owned by it; callers never free them. Buffers passed in are owned by the caller
 * and are not retained after the call returns.
 */
#ifndef TEXTRNN_H
#define TEXTRNN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Version ------------------------------------------------------------------------------ */

#define TEXTRNN_VERSION_MAJOR 0
#define TEXTRNN_VERSION_MINOR 1
#define TEXTRNN_VERSION_PATCH 0
#define TEXTRNN_VERSION_STRING "0.1.0"
/* The newest bundle format_version this library reads. */
#define TEXTRNN_BUNDLE_FORMAT_VERSION 4

/* The library's version, "MAJOR.MINOR.PATCH". Static storage; never NULL. Compare with
 * TEXTRNN_VERSION_STRING to detect a header/library mismatch. */
const char *textrnn_version(void);

/* The SIMD kernel level predictions run at: "portable", "avx2-fma", "avx512" or "avx512-vnni".
 * The best this CPU has, or lower if the environment variable TEXTRNN_KERNELS (read once, at
 * the first use) asks for portable, avx2 or avx512. Static storage; never NULL. */
const char *textrnn_kernels(void);

/* ---- Status ------------------------------------------------------------------------------- */

typedef enum textrnn_status {
    TEXTRNN_OK = 0,
    TEXTRNN_ERROR_INVALID_ARGUMENT = 1, /* NULL pointer, buffer too small, id out of range... */
    TEXTRNN_ERROR_IO = 2,               /* a file could not be opened, read or mapped */
    TEXTRNN_ERROR_INVALID_BUNDLE = 3,   /* damaged or inconsistent manifest or weights */
    TEXTRNN_ERROR_UNSUPPORTED = 4,      /* a valid bundle using a feature this library lacks */
    TEXTRNN_ERROR_LIMIT = 5,            /* input beyond a documented limit (text length...) */
    TEXTRNN_ERROR_OUT_OF_MEMORY = 6,
    TEXTRNN_ERROR_INTERNAL = 7          /* a bug: please report it */
} textrnn_status;

/* A short constant description of a status ("invalid bundle"). Never NULL. */
const char *textrnn_status_string(textrnn_status status);

/* The message of the last failed call made by the calling thread, or "" if none failed yet.
 * Owned by the library and valid until the calling thread's next textrnn_* call. */
const char *textrnn_last_error(void);

/* ---- Loading ------------------------------------------------------------------------------ */

/* An opaque, immutable, thread-safe loaded model. */
typedef struct textrnn_model textrnn_model;

/* Loads the bundle directory at `bundle_path` (a NAME.textrnn directory, or the path of its
 * manifest.json; a non-empty, valid UTF-8 path, else TEXTRNN_ERROR_INVALID_ARGUMENT). The weights file is memory-mapped and checked (size, CRC-32, every tensor
 * against the layer graph, finite values) before use.
 * On TEXTRNN_OK, *out_model owns a new model: release it with textrnn_free. On failure
 * *out_model is set to NULL. */
textrnn_status textrnn_load(const char *bundle_path, textrnn_model **out_model);

/* Loads a bundle from memory: the bytes of manifest.json and of its weights file. Both buffers
 * are copied or parsed before the call returns; the caller may free them afterwards.
 * Ownership of *out_model as for textrnn_load. */
textrnn_status textrnn_load_from_memory(const void *manifest_json, size_t manifest_size,
                                        const void *weights, size_t weights_size,
                                        textrnn_model **out_model);

/* Releases a model. NULL is accepted and ignored. */
void textrnn_free(textrnn_model *model);

/* ---- Model information -------------------------------------------------------------------- */

typedef enum textrnn_output_kind {
    TEXTRNN_OUTPUT_SOFTMAX = 0,            /* exactly one label per text; probabilities sum to 1 */
    TEXTRNN_OUTPUT_BINARY_SIGMOID = 1,     /* two labels; probabilities are [1 - p, p] */
    TEXTRNN_OUTPUT_MULTI_LABEL_SIGMOID = 2 /* independent probability per label */
} textrnn_output_kind;

/* Number of labels, i.e. probabilities per text. 0 if model is NULL. */
size_t textrnn_label_count(const textrnn_model *model);

/* Name of label `index` as a NUL-terminated UTF-8 string owned by the model (valid until
 * textrnn_free). NULL if model is NULL or index >= textrnn_label_count(model). */
const char *textrnn_label(const textrnn_model *model, size_t index);

/* How to read the probabilities. TEXTRNN_OUTPUT_SOFTMAX if model is NULL. */
textrnn_output_kind textrnn_output(const textrnn_model *model);

/* Vocabulary entries (id 0 = padding, id 1 = out-of-vocabulary unless the bundle names another
 * entry, as keras.datasets.imdb-style bundles do). 0 if model is NULL. */
size_t textrnn_vocabulary_size(const textrnn_model *model);

/* Fixed number of token ids per text, or 0 when texts keep their own length (or model is
 * NULL). */
size_t textrnn_sequence_length(const textrnn_model *model);

/* ---- Prediction --------------------------------------------------------------------------- */

/* Longest text accepted, in bytes; longer texts return TEXTRNN_ERROR_LIMIT. */
#define TEXTRNN_MAX_TEXT_BYTES ((size_t)64 << 20)

/* Classifies one text of `text_size` bytes of UTF-8 (need not be NUL-terminated; invalid UTF-8
 * and NUL bytes are tolerated, see docs/bundle-format.md). `text` may be NULL if text_size is 0.
 * Writes textrnn_label_count(model) probabilities to `probabilities`, which holds `capacity`
 * floats; a smaller capacity returns TEXTRNN_ERROR_INVALID_ARGUMENT. */
textrnn_status textrnn_predict(const textrnn_model *model, const char *text, size_t text_size,
                               float *probabilities, size_t capacity);

/* Classifies `count` texts: texts[i] holds text_sizes[i] bytes. Row i of `probabilities`
 * (count x label_count floats, row-major; `capacity` floats in all) receives text i's
 * probabilities. `threads` worker threads share the texts: 0 means one per online CPU, 1 runs
 * on the calling thread. Results do not depend on `threads`. On failure no row is guaranteed
 * to be written and textrnn_last_error names the first failing text's index.
 *
 * With at least two threads per text (count 1 and threads 0 on a multi-core machine, or
 * threads 2), each text's Bidirectional layers run their two directions side by side: the
 * second on a helper thread the library starts on first use (one fewer than the online CPUs,
 * at most 8) and keeps for the life of the process. A helper waits spinning for up to 1 ms
 * after each use, then sleeps; when every helper is busy the calling thread does the work
 * itself. This is the low-latency way to classify one text; textrnn_predict never uses a
 * helper. */
textrnn_status textrnn_predict_batch(const textrnn_model *model, const char *const *texts,
                                     const size_t *text_sizes, size_t count, float *probabilities,
                                     size_t capacity, size_t threads);

/* Classifies a sequence of `count` token ids, used exactly as given (no padding or truncation
 * is applied). Every id must be in [0, embedding rows); 0 is padding. `ids` may be NULL if count
 * is 0; more than 2^20 ids return TEXTRNN_ERROR_LIMIT. Output as textrnn_predict. A bag-of-n-grams
 * branch reads these same ids (textrnn_predict gives it every token of the text, untruncated);
 * one that reads character n-grams (bundle format 4) spells each id as its vocabulary entry, so
 * words outside the vocabulary, which textrnn_predict spells from the text, add none. */
textrnn_status textrnn_predict_ids(const textrnn_model *model, const int32_t *ids, size_t count,
                                   float *probabilities, size_t capacity);

/* The `k` most probable labels of one text, most probable first (ties: lower index first; NaN
 * ranks below every number). Writes min(k, label_count) label indices to `labels` and their probabilities to
 * `probabilities` (each array must hold k entries) and that number to *out_count.
 * k = 0 returns TEXTRNN_ERROR_INVALID_ARGUMENT. */
textrnn_status textrnn_top_k(const textrnn_model *model, const char *text, size_t text_size,
                             size_t k, size_t *labels, float *probabilities, size_t *out_count);

/* The label textrnn_top_k ranks first, for each of `rows` rows of probabilities (rows x
 * label_count floats, as textrnn_predict_batch writes them): writes `rows` label indices to
 * `labels`. Either array may be NULL if rows is 0. */
textrnn_status textrnn_top_labels(const textrnn_model *model, const float *probabilities, size_t rows,
                                  size_t *labels);

/* ---- Explanation ------------------------------------------------------------------------- */

/* One word of an explained text (see textrnn_explain). */
typedef struct textrnn_word_contribution {
    size_t offset;      /* byte offset of the word in the text passed in */
    size_t length;      /* its bytes, from the first to the last one standardization kept:
                           "(Great!)" gives "Great", "don't" stays "don't" */
    float contribution; /* p(label | text) - p(label | text with the word occluded);
                           > 0 pushes toward the label, < 0 away from it */
    int seen;           /* 0 when truncation to the sequence length cut off the word and every
                           n-gram holding it: the model never saw it; contribution is then 0.
                           A model whose bag branch reads the whole text sees every word. */
} textrnn_word_contribution;

/* How textrnn_explain hides a word. Occluding replaces the token id of the word and of every
 * n-gram holding it (bundles with ngrams 2 or 3), so every other token keeps its position; a bag
 * branch that reads character n-grams (bundle format 4) loses the word's n-grams too. */
typedef enum textrnn_occlusion {
    TEXTRNN_OCCLUDE_OOV = 0,    /* by the out-of-vocabulary id (1, or the bundle's oov_token):
                                   "some unknown word here" */
    TEXTRNN_OCCLUDE_PADDING = 1 /* by the padding id 0: with mask_zero, as if the word were removed */
} textrnn_occlusion;

/* Pass as `label` to explain the most probable label (ties: lower index first). */
#define TEXTRNN_PREDICTED_LABEL ((size_t)-1)

/* Explains one text: each word's contribution to the probability of label `label` (an index
 * below textrnn_label_count, or TEXTRNN_PREDICTED_LABEL), by occlusion. Words are the text's
 * whitespace-separated tokens after standardization, in text order; a word made only of
 * stripped punctuation is no word.
 *
 * Like snprintf, writes min(n, capacity) entries to `words` and the number n of words in the
 * text to *out_count (required); call with capacity 0 (words may then be NULL) to learn n. Only
 * the entries written are computed. *out_label and *out_probability (each may be NULL) receive
 * the explained label and its probability, exactly textrnn_predict's value.
 *
 * Cost: one forward pass per seen word whose ids the occlusion changes (an out-of-vocabulary
 * word under TEXTRNN_OCCLUDE_OOV changes nothing and gets 0 without one, unless the bag reads
 * its character n-grams); each pass reruns only
 * the recurrent steps from the occluded position on (forward direction) or up to it (backward),
 * taking the rest from the unoccluded pass (a word only a whole-text bag branch sees reruns
 * every layer). `threads` worker threads share the passes: 0 means
 * one per online CPU, 1 runs on the calling thread; results do not depend on it. Memory: about
 * (threads + 2) x what one textrnn_predict of the text uses.
 *
 * Errors: NULL model or out_count, words NULL with capacity > 0, label out of range, unknown
 * occlusion: TEXTRNN_ERROR_INVALID_ARGUMENT; text over TEXTRNN_MAX_TEXT_BYTES or more ids than
 * the model accepts: TEXTRNN_ERROR_LIMIT. */
textrnn_status textrnn_explain(const textrnn_model *model, const char *text, size_t text_size,
                               size_t label, textrnn_occlusion occlusion, size_t threads,
                               textrnn_word_contribution *words, size_t capacity,
                               size_t *out_count, size_t *out_label, float *out_probability);

/* ---- Debugging ---------------------------------------------------------------------------- */

/* The token ids the model sees for a text (after standardization, splitting, vocabulary lookup,
 * the bundle's start token if it has one, padding and truncation). Writes min(n, capacity) ids to `ids` and the full count n to
 * *out_count, like snprintf: call with capacity 0 (ids may then be NULL) to learn the size. */
textrnn_status textrnn_tokenize(const textrnn_model *model, const char *text, size_t text_size,
                                int32_t *ids, size_t capacity, size_t *out_count);

#ifdef __cplusplus
}
#endif

#endif /* TEXTRNN_H */
