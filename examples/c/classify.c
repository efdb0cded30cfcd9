/*
 * classify - classify a file of texts with a TextRNN bundle through libtextrnn, in batches.
 *
 *     classify [--threshold P] BUNDLE [FILE|-]
 *
 * Reads one text per line from FILE (standard input when FILE is absent or "-"), exactly like
 * `textrnn predict`: the line break (LF, or CR LF) is dropped, every other byte is part of the
 * text, an empty line is an empty text. For each text, in input order, it writes one line
 *
 *     {"label": L, "probability": P, "probabilities": {"label": p, ...}}
 *
 * with every float printed as "%.9g" (enough digits for a float32 to read back exactly). For a
 * multi-label model the line also has "labels": [...], every label whose probability is at least
 * P (--threshold, default 0.5), as `textrnn predict` prints them.
 *
 * Texts go to textrnn_predict_batch BATCH_LINES at a time, on one thread per CPU. When a batch
 * fails (a text over TEXTRNN_MAX_TEXT_BYTES, say) its texts are classified one by one to find the
 * failing line: the results before it are written, "classify: FILE:LINE: reason" goes to stderr
 * and the exit status is 1. A failure to load the bundle or to read the input also exits with 1.
 * For one text at a time as it arrives, and every error status, see stream.c.
 *
 * Needs nothing but libtextrnn. After `make install`:
 *     cc classify.c $(pkg-config --cflags --libs textrnn)
 * In the source tree (after `make build`): make -C examples/c
 */
#define _POSIX_C_SOURCE 200809L /* getline */

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <textrnn.h>

enum { BATCH_LINES = 256 };

/* The lines of one batch: their bytes (owned) and sizes, in the form textrnn_predict_batch takes. */
typedef struct {
    char *texts[BATCH_LINES];
    size_t sizes[BATCH_LINES];
    size_t count;
} batch;

/* Writes a NUL-terminated UTF-8 string as a JSON string literal. */
static void print_json_string(const char *s) {
    static const char hex[] = "0123456789abcdef";
    putchar('"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') printf("\\%c", c);
        else if (c < 0x20) printf("\\u00%c%c", hex[c >> 4], hex[c & 15]);
        else putchar(c);
    }
    putchar('"');
}

/* "%.9g", or null for a value JSON cannot hold. */
static void print_float(float value) {
    if (isfinite(value)) printf("%.9g", (double)value);
    else fputs("null", stdout);
}

/* The multi-label threshold (--threshold); negative for single-label models. */
static float label_threshold = -1;

static void print_result(const textrnn_model *model, const float *probabilities, size_t label_count) {
    size_t best = 0; /* ties: the lower index, as textrnn_top_k */
    for (size_t i = 1; i < label_count; i++)
        if (probabilities[i] > probabilities[best]) best = i;
    fputs("{\"label\": ", stdout);
    print_json_string(textrnn_label(model, best));
    fputs(", \"probability\": ", stdout);
    print_float(probabilities[best]);
    if (label_threshold >= 0) {
        fputs(", \"labels\": [", stdout);
        int first = 1;
        for (size_t i = 0; i < label_count; i++) {
            if (!(probabilities[i] >= label_threshold)) continue;
            if (!first) fputs(", ", stdout);
            print_json_string(textrnn_label(model, i));
            first = 0;
        }
        fputs("]", stdout);
    }
    fputs(", \"probabilities\": {", stdout);
    for (size_t i = 0; i < label_count; i++) {
        if (i) fputs(", ", stdout);
        print_json_string(textrnn_label(model, i));
        fputs(": ", stdout);
        print_float(probabilities[i]);
    }
    fputs("}}\n", stdout);
}

/* Classifies and prints a batch whose first line is `first_line`. Returns 0, or 1 after reporting
 * the failing line. `probabilities` holds BATCH_LINES * label_count floats. */
static int classify_batch(const textrnn_model *model, const batch *lines, unsigned long first_line,
                          const char *input_name, float *probabilities, size_t label_count) {
    if (textrnn_predict_batch(model, (const char *const *)lines->texts, lines->sizes, lines->count,
                              probabilities, BATCH_LINES * label_count, 0) == TEXTRNN_OK) {
        for (size_t i = 0; i < lines->count; i++) print_result(model, probabilities + i * label_count, label_count);
        return 0;
    }
    /* A failed batch writes no guaranteed row: redo it one text at a time to name the line. */
    for (size_t i = 0; i < lines->count; i++) {
        if (textrnn_predict(model, lines->texts[i], lines->sizes[i], probabilities, label_count) != TEXTRNN_OK) {
            fprintf(stderr, "classify: %s:%lu: %s\n", input_name, first_line + i, textrnn_last_error());
            return 1;
        }
        print_result(model, probabilities, label_count);
    }
    return 0; /* the batch failed for want of resources, one at a time it worked */
}

static void clear_batch(batch *lines) {
    for (size_t i = 0; i < lines->count; i++) free(lines->texts[i]);
    lines->count = 0;
}

int main(int argc, char **argv) {
    float threshold = 0.5f;
    if (argc >= 3 && strcmp(argv[1], "--threshold") == 0) {
        char *end = NULL;
        threshold = strtof(argv[2], &end);
        if (end == argv[2] || *end != '\0' || !(threshold >= 0 && threshold <= 1)) {
            fprintf(stderr, "classify: --threshold must be a number in 0...1, not \"%s\"\n", argv[2]);
            return 2;
        }
        argv += 2;
        argc -= 2;
    }
    if (argc < 2 || argc > 3 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        fprintf(stderr, "usage: classify [--threshold P] BUNDLE [FILE|-]  (one text per line in, JSON Lines out)\n");
        return 2;
    }
    const int from_stdin = argc == 2 || strcmp(argv[2], "-") == 0;
    const char *input_name = from_stdin ? "<stdin>" : argv[2];
    FILE *input = from_stdin ? stdin : fopen(argv[2], "rb");
    if (!input) {
        fprintf(stderr, "classify: %s: %s\n", input_name, strerror(errno));
        return 1;
    }

    textrnn_model *model = NULL;
    if (textrnn_load(argv[1], &model) != TEXTRNN_OK) {
        fprintf(stderr, "classify: %s\n", textrnn_last_error());
        return 1;
    }
    size_t label_count = textrnn_label_count(model);
    if (textrnn_output(model) == TEXTRNN_OUTPUT_MULTI_LABEL_SIGMOID) label_threshold = threshold;
    float *probabilities = malloc(BATCH_LINES * label_count * sizeof(float));
    if (!probabilities) {
        fprintf(stderr, "classify: out of memory\n");
        return 1;
    }

    int status = 0;
    batch lines = {.count = 0};
    unsigned long line_number = 0; /* of the last line read */
    for (;;) {
        char *line = NULL;
        size_t capacity = 0;
        ssize_t length = getline(&line, &capacity, input);
        if (length >= 0) {
            line_number++;
            if (length > 0 && line[length - 1] == '\n') length--;
            if (length > 0 && line[length - 1] == '\r') length--;
            lines.texts[lines.count] = line;
            lines.sizes[lines.count++] = (size_t)length;
        } else {
            free(line);
            if (!feof(input)) { /* a read error, or ENOMEM (which sets neither flag) */
                fprintf(stderr, "classify: %s:%lu: read failed: %s\n", input_name, line_number + 1, strerror(errno));
                status = 1;
                break;
            }
        }
        if (lines.count == BATCH_LINES || (length < 0 && lines.count > 0)) {
            status = classify_batch(model, &lines, line_number - lines.count + 1, input_name, probabilities, label_count);
            clear_batch(&lines);
            if (status != 0) break;
        }
        if (length < 0) break;
    }

    clear_batch(&lines);
    free(probabilities);
    textrnn_free(model);
    if (input != stdin) fclose(input);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "classify: cannot write output: %s\n", strerror(errno));
        status = 1;
    }
    return status;
}
