/*
 * stream - classify texts one at a time as they arrive, and handle every error libtextrnn returns.
 *
 *     stream BUNDLE [K]
 *
 * Reads one text per line from standard input (the line break, LF or CR LF, is dropped) and, as
 * soon as a line is complete, writes its K most probable labels (default 1) as one line
 *
 *     LABEL<TAB>PROBABILITY[<TAB>LABEL<TAB>PROBABILITY...]
 *
 * most probable first, floats as "%.9g" (a float32 reads back exactly). Output is flushed after
 * every line, so the program answers line by line at a terminal and through pipes alike (a
 * process may write a line, read the answer, then write the next).
 *
 * Errors, and what the program does about them:
 *   - header and library versions differ     refuse to run (the ABI may differ), exit 1
 *   - the bundle cannot be loaded             "stream: cannot load BUNDLE: STATUS: MESSAGE", exit 1
 *   - one text is refused (too long)          "stream: LINE: ...", skip it, go on, exit 1 at the end
 *   - anything else while classifying         report it and stop at once, exit 1
 *   - standard input or output fails          report it and stop, exit 1
 *   - bad arguments                           usage on stderr, exit 2
 *
 * Needs nothing but libtextrnn. After `make install`:
 *     cc stream.c $(pkg-config --cflags --libs textrnn)
 * In the source tree (after `make build`): make -C examples/c
 */
#define _POSIX_C_SOURCE 200809L /* getline */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <textrnn.h>

/* What to do after a failed textrnn_top_k. */
typedef enum { SKIP_TEXT, STOP } recovery;

/* Sorts a per-text failure into "this text is bad" and "the program cannot go on". */
static recovery recovery_for(textrnn_status status) {
    switch (status) {
    case TEXTRNN_ERROR_LIMIT:            /* this text is too long: bytes, or tokens for the model */
        return SKIP_TEXT;
    case TEXTRNN_ERROR_INVALID_ARGUMENT: /* our bug: a NULL pointer or k == 0 */
    case TEXTRNN_ERROR_OUT_OF_MEMORY:
    case TEXTRNN_ERROR_INTERNAL:         /* the library's bug: worth a report */
    case TEXTRNN_ERROR_IO:               /* (loading errors: not returned by textrnn_top_k) */
    case TEXTRNN_ERROR_INVALID_BUNDLE:
    case TEXTRNN_ERROR_UNSUPPORTED:
    case TEXTRNN_OK:
        break;
    }
    return STOP;
}

static int parse_k(const char *text, size_t *k) {
    char *end = NULL;
    errno = 0;
    unsigned long value = strtoul(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || text[0] == '-' || value == 0) return 0;
    *k = (size_t)value;
    return 1;
}

int main(int argc, char **argv) {
    size_t k = 1;
    if (argc < 2 || argc > 3 || (argc == 3 && !parse_k(argv[2], &k)) || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "--help") == 0) {
        fprintf(stderr, "usage: stream BUNDLE [K]  (one text per line in; its K >= 1 best labels out)\n");
        return 2;
    }
    if (strcmp(textrnn_version(), TEXTRNN_VERSION_STRING) != 0) {
        fprintf(stderr, "stream: built with textrnn.h %s but running libtextrnn %s; rebuild\n",
                TEXTRNN_VERSION_STRING, textrnn_version());
        return 1;
    }

    textrnn_model *model = NULL;
    textrnn_status status = textrnn_load(argv[1], &model);
    if (status != TEXTRNN_OK) {
        /* The message names the file and field; the status says which kind of failure it was. */
        fprintf(stderr, "stream: cannot load %s: %s: %s\n", argv[1], textrnn_status_string(status),
                textrnn_last_error());
        return 1;
    }
    if (k > textrnn_label_count(model)) k = textrnn_label_count(model);
    size_t *labels = malloc(k * sizeof *labels);
    float *probabilities = malloc(k * sizeof *probabilities);
    if (!labels || !probabilities) {
        fprintf(stderr, "stream: out of memory\n");
        return 1;
    }

    int exit_status = 0;
    char *line = NULL;
    size_t capacity = 0;
    ssize_t length;
    unsigned long line_number = 0;
    while ((length = getline(&line, &capacity, stdin)) >= 0) {
        line_number++;
        if (length > 0 && line[length - 1] == '\n') length--;
        if (length > 0 && line[length - 1] == '\r') length--;

        size_t count = 0;
        status = textrnn_top_k(model, line, (size_t)length, k, labels, probabilities, &count);
        if (status != TEXTRNN_OK) {
            /* textrnn_last_error belongs to this thread and lasts until its next textrnn_ call. */
            fprintf(stderr, "stream: %lu: %s: %s\n", line_number, textrnn_status_string(status),
                    textrnn_last_error());
            exit_status = 1;
            if (recovery_for(status) == STOP) break;
            continue;
        }
        for (size_t i = 0; i < count; i++)
            printf("%s%s\t%.9g", i ? "\t" : "", textrnn_label(model, labels[i]), (double)probabilities[i]);
        putchar('\n');
        if (fflush(stdout) != 0) {
            fprintf(stderr, "stream: cannot write output: %s\n", strerror(errno));
            exit_status = 1;
            break;
        }
    }
    if (length < 0 && !feof(stdin)) { /* a read error, or ENOMEM (which sets neither flag) */
        fprintf(stderr, "stream: %lu: read failed: %s\n", line_number + 1, strerror(errno));
        exit_status = 1;
    }

    free(line);
    free(labels);
    free(probabilities);
    textrnn_free(model);
    return exit_status;
}
