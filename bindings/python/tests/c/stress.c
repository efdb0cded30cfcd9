/*
 * stress.c - many threads share one model through the C ABI; results must equal a
 * single-threaded run bit for bit.
 *
 *     stress BUNDLE COUNT THREADS [CORPUS]
 *
 * Generates COUNT texts (deterministic: words from CORPUS or a built-in list, mixed with
 * invalid UTF-8, NUL bytes, empty texts and some long texts), then
 *   1. loads the bundle and predicts every text from THREADS threads at once (a fresh model, so
 *      lazily built tables are filled concurrently), texts claimed through an atomic counter;
 *      each thread also runs textrnn_top_k, textrnn_tokenize, one text through
 *      textrnn_predict_batch on two threads (the library's helper threads, contended for) and a
 *      failing call (checking that its own textrnn_last_error is the one it caused);
 *   2. loads the bundle again and predicts every text on the main thread (the reference);
 *   3. repeats 1 on the warm model from step 1, and runs textrnn_predict_batch with THREADS;
 * and compares all results with memcmp. Prints "stress: OK ..." and exits 0, or names the first
 * mismatching text and exits 1.
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <textrnn.h>

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t next_random(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static const char *builtin_words[] = {
    "the", "a", "film", "movie", "great", "awful", "stocks", "game", "team", "won", "market", "bank",
    "rates", "space", "launch", "Good", "BAD!", "don't", "e-mail", "<br />", "caf\xc3\xa9", "\xe2\x80\x9cquoted\xe2\x80\x9d",
};

typedef struct {
    char **words;
    size_t count;
} word_list;

static word_list load_words(const char *path) {
    word_list list = {NULL, 0};
    size_t capacity = 0;
    FILE *file = path ? fopen(path, "rb") : NULL;
    if (file) {
        char buffer[65536];
        size_t n;
        char word[256];
        size_t length = 0;
        while ((n = fread(buffer, 1, sizeof buffer, file)) > 0 && list.count < 200000) {
            for (size_t i = 0; i <= n; i++) {
                char c = i < n ? buffer[i] : ' ';
                if (c == ' ' || c == '\n' || c == ',' || c == '\t' || c == '"') {
                    if (length > 0) {
                        if (list.count == capacity) {
                            capacity = capacity ? capacity * 2 : 1024;
                            list.words = realloc(list.words, capacity * sizeof *list.words);
                        }
                        list.words[list.count] = malloc(length + 1);
                        memcpy(list.words[list.count], word, length);
                        list.words[list.count][length] = 0;
                        list.count++;
                        length = 0;
                    }
                } else if (length < sizeof word - 1) {
                    word[length++] = c;
                }
            }
        }
        fclose(file);
    }
    if (list.count == 0) {
        list.count = sizeof builtin_words / sizeof *builtin_words;
        list.words = malloc(list.count * sizeof *list.words);
        for (size_t i = 0; i < list.count; i++) list.words[i] = strdup(builtin_words[i]);
    }
    return list;
}

typedef struct {
    char *bytes;
    size_t size;
} text;

static text make_text(const word_list *words) {
    uint64_t kind = next_random() % 100;
    size_t target;
    if (kind < 2) target = 0;                                  /* empty */
    else if (kind < 4) target = 20000 + next_random() % 40000; /* long */
    else target = 1 + next_random() % 400;
    text t = {malloc(target + 300), 0};
    while (t.size < target) {
        uint64_t what = next_random() % 20;
        if (what == 0) {
            /* raw bytes: invalid UTF-8, NUL, control characters */
            size_t n = 1 + next_random() % 8;
            for (size_t i = 0; i < n; i++) t.bytes[t.size++] = (char)(next_random() & 0xFF);
        } else if (what == 1) {
            t.bytes[t.size++] = 0;
        } else {
            const char *word = words->words[next_random() % words->count];
            size_t n = strlen(word);
            if (n > 250) n = 250;
            memcpy(t.bytes + t.size, word, n);
            t.size += n;
        }
        t.bytes[t.size++] = (next_random() % 10 == 0) ? '\t' : ' ';
    }
    if (t.size > target) t.size = target;
    return t;
}

typedef struct {
    const textrnn_model *model;
    const text *texts;
    size_t count;
    size_t labels;
    float *output;
    atomic_size_t next;
    atomic_int failed;
} job;

static void *worker(void *context) {
    job *j = context;
    float *probabilities = malloc(j->labels * sizeof(float));
    size_t *top = malloc(j->labels * sizeof(size_t));
    float *top_p = malloc(j->labels * sizeof(float));
    int32_t ids[64];
    for (;;) {
        size_t index = atomic_fetch_add(&j->next, 1);
        if (index >= j->count) break;
        const text *t = &j->texts[index];
        if (textrnn_predict(j->model, t->bytes, t->size, j->output + index * j->labels, j->labels) != TEXTRNN_OK) {
            fprintf(stderr, "stress: predict failed on text %zu: %s\n", index, textrnn_last_error());
            atomic_store(&j->failed, 1);
            continue;
        }
        if (index % 7 == 0) {
            size_t written = 0;
            size_t k = 1 + index % j->labels;
            if (textrnn_top_k(j->model, t->bytes, t->size, k, top, top_p, &written) != TEXTRNN_OK || written != k ||
                top_p[0] != j->output[index * j->labels + top[0]]) {
                fprintf(stderr, "stress: top_k disagrees with predict on text %zu\n", index);
                atomic_store(&j->failed, 1);
            }
        }
        if (index % 5 == 0) {
            /* One text on two threads: a Bidirectional layer's backward direction on one of the
             * library's helper threads, which these threads contend for. */
            const char *one = t->bytes;
            if (textrnn_predict_batch(j->model, &one, &t->size, 1, probabilities, j->labels, 2) != TEXTRNN_OK ||
                memcmp(probabilities, j->output + index * j->labels, j->labels * sizeof(float)) != 0) {
                fprintf(stderr, "stress: one text on two threads disagrees with predict on text %zu\n", index);
                atomic_store(&j->failed, 1);
            }
        }
        if (index % 11 == 0) {
            size_t n = 0;
            if (textrnn_tokenize(j->model, t->bytes, t->size, ids, 64, &n) != TEXTRNN_OK) {
                fprintf(stderr, "stress: tokenize failed on text %zu: %s\n", index, textrnn_last_error());
                atomic_store(&j->failed, 1);
            }
        }
        if (index % 13 == 0) {
            /* A failing call on this thread: its message must be this thread's own. */
            char expected[64];
            snprintf(expected, sizeof expected, "%zu floats", (size_t)index % j->labels);
            if (j->labels > 1 &&
                (textrnn_predict(j->model, "x", 1, probabilities, index % j->labels) != TEXTRNN_ERROR_INVALID_ARGUMENT ||
                 strstr(textrnn_last_error(), expected) == NULL)) {
                fprintf(stderr, "stress: wrong per-thread error on text %zu: %s\n", index, textrnn_last_error());
                atomic_store(&j->failed, 1);
            }
        }
    }
    free(probabilities);
    free(top);
    free(top_p);
    return NULL;
}

static int run_threads(const textrnn_model *model, const text *texts, size_t count, size_t labels, float *output,
                       size_t threads) {
    job j = {model, texts, count, labels, output, 0, 0};
    pthread_t *ids = malloc(threads * sizeof *ids);
    for (size_t i = 0; i < threads; i++) {
        if (pthread_create(&ids[i], NULL, worker, &j) != 0) {
            fprintf(stderr, "stress: pthread_create failed\n");
            exit(2);
        }
    }
    for (size_t i = 0; i < threads; i++) pthread_join(ids[i], NULL);
    free(ids);
    return atomic_load(&j.failed);
}

static int compare(const char *what, const float *expected, const float *actual, size_t count, size_t labels) {
    for (size_t i = 0; i < count; i++) {
        if (memcmp(expected + i * labels, actual + i * labels, labels * sizeof(float)) != 0) {
            fprintf(stderr, "stress: %s: text %zu differs from the single-threaded result (%.9g vs %.9g)\n", what, i,
                    expected[i * labels], actual[i * labels]);
            return 1;
        }
    }
    return 0;
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: stress BUNDLE COUNT THREADS [CORPUS]\n");
        return 2;
    }
    const char *bundle = argv[1];
    size_t count = strtoull(argv[2], NULL, 10);
    size_t threads = strtoull(argv[3], NULL, 10);
    word_list words = load_words(argc > 4 ? argv[4] : NULL);
    text *texts = malloc(count * sizeof *texts);
    for (size_t i = 0; i < count; i++) texts[i] = make_text(&words);

    textrnn_model *shared = NULL, *reference_model = NULL;
    if (textrnn_load(bundle, &shared) != TEXTRNN_OK) {
        fprintf(stderr, "stress: %s\n", textrnn_last_error());
        return 2;
    }
    size_t labels = textrnn_label_count(shared);
    float *threaded = calloc(count * labels, sizeof(float));
    float *reference = calloc(count * labels, sizeof(float));
    float *warm = calloc(count * labels, sizeof(float));
    float *batch = calloc(count * labels, sizeof(float));
    int failed = 0;

    double t0 = now();
    failed |= run_threads(shared, texts, count, labels, threaded, threads);
    double t1 = now();

    if (textrnn_load(bundle, &reference_model) != TEXTRNN_OK) {
        fprintf(stderr, "stress: %s\n", textrnn_last_error());
        return 2;
    }
    for (size_t i = 0; i < count; i++) {
        if (textrnn_predict(reference_model, texts[i].bytes, texts[i].size, reference + i * labels, labels) != TEXTRNN_OK) {
            fprintf(stderr, "stress: single-threaded predict failed on text %zu: %s\n", i, textrnn_last_error());
            return 1;
        }
    }
    double t2 = now();
    failed |= run_threads(shared, texts, count, labels, warm, threads);

    const char **pointers = malloc(count * sizeof *pointers);
    size_t *sizes = malloc(count * sizeof *sizes);
    for (size_t i = 0; i < count; i++) {
        pointers[i] = texts[i].bytes;
        sizes[i] = texts[i].size;
    }
    if (textrnn_predict_batch(shared, pointers, sizes, count, batch, count * labels, threads) != TEXTRNN_OK) {
        fprintf(stderr, "stress: predict_batch failed: %s\n", textrnn_last_error());
        failed = 1;
    }

    failed |= compare("threaded (cold model)", reference, threaded, count, labels);
    failed |= compare("threaded (warm model)", reference, warm, count, labels);
    failed |= compare("predict_batch", reference, batch, count, labels);

    textrnn_free(shared);
    textrnn_free(reference_model);
    for (size_t i = 0; i < count; i++) free(texts[i].bytes);
    free(texts);
    free(threaded);
    free(reference);
    free(warm);
    free(batch);
    free(pointers);
    free(sizes);
    for (size_t i = 0; i < words.count; i++) free(words.words[i]);
    free(words.words);
    if (failed) return 1;
    printf("stress: OK %zu texts x %zu labels, %zu threads: threaded %.2fs, single %.2fs\n", count, labels, threads,
           t1 - t0, t2 - t1);
    return 0;
}
