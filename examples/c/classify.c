/*
 * classify - classify JSON Lines texts with a TextRNN bundle through libtextrnn.
 *
 *     classify BUNDLE [FILE]
 *
 * Reads JSON Lines from FILE (or standard input when FILE is absent or "-"), one object per line
 * with a string member "text"; blank lines are skipped. For each text it writes one line
 *
 *     {"label": L, "probability": P, "probabilities": {"label": p, ...}}
 *
 * with every float printed as "%.9g" (enough digits for a float32 to read back exactly).
 *
 * Errors: a line that is not valid JSON, not an object, or lacks a string "text" is reported as
 * "classify: LINE: reason" on stderr and produces no output line; processing continues with the
 * next line and the exit status is 1 at the end. A failure to load the bundle, to read the input
 * or to classify a text stops at once with status 1.
 *
 * Build (from the repository root, after `swift build -c release --product textrnn`):
 *     make -C examples/c
 * or
 *     cc -O2 -I include examples/c/classify.c -L .build/release -ltextrnn \
 *        $(pkg-config --cflags --libs json-c) -Wl,-rpath,$PWD/.build/release -o classify
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <textrnn.h>

/* Writes `size` bytes of `s` as a JSON string literal. */
static void print_json_string(FILE *out, const char *s, size_t size) {
    static const char hex[] = "0123456789abcdef";
    fputc('"', out);
    for (size_t i = 0; i < size; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '"': fputs("\\\"", out); break;
        case '\\': fputs("\\\\", out); break;
        case '\n': fputs("\\n", out); break;
        case '\r': fputs("\\r", out); break;
        case '\t': fputs("\\t", out); break;
        default:
            if (c < 0x20) fprintf(out, "\\u00%c%c", hex[c >> 4], hex[c & 15]);
            else fputc(c, out);
        }
    }
    fputc('"', out);
}

/* "%.9g", or null for a value JSON cannot hold. */
static void print_float(FILE *out, float value) {
    if (isfinite(value)) fprintf(out, "%.9g", (double)value);
    else fputs("null", out);
}

static int is_blank(const char *line, size_t size) {
    for (size_t i = 0; i < size; i++)
        if (line[i] != ' ' && line[i] != '\t' && line[i] != '\r' && line[i] != '\n') return 0;
    return 1;
}

int main(int argc, char **argv) {
    if (argc < 2 || argc > 3 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        fprintf(stderr, "usage: classify BUNDLE [FILE|-]  (JSON Lines {\"text\": ...} in, predictions out)\n");
        return 2;
    }
    const char *input_name = (argc == 3 && strcmp(argv[2], "-") != 0) ? argv[2] : NULL;
    FILE *input = stdin;
    if (input_name && !(input = fopen(input_name, "rb"))) {
        fprintf(stderr, "classify: %s: %s\n", input_name, strerror(errno));
        return 1;
    }

    textrnn_model *model = NULL;
    if (textrnn_load(argv[1], &model) != TEXTRNN_OK) {
        fprintf(stderr, "classify: %s\n", textrnn_last_error());
        return 1;
    }
    size_t label_count = textrnn_label_count(model);
    float *probabilities = malloc(label_count * sizeof(float));
    json_tokener *tokener = json_tokener_new();
    if (!probabilities || !tokener) {
        fprintf(stderr, "classify: out of memory\n");
        return 1;
    }

    int status = 0;
    char *line = NULL;
    size_t line_capacity = 0;
    ssize_t length;
    unsigned long line_number = 0;
    while ((length = getline(&line, &line_capacity, input)) >= 0) {
        line_number++;
        if (is_blank(line, (size_t)length)) continue;

        json_tokener_reset(tokener);
        json_object *object = json_tokener_parse_ex(tokener, line, (int)length);
        enum json_tokener_error error = json_tokener_get_error(tokener);
        if (!object || error != json_tokener_success) {
            fprintf(stderr, "classify: %lu: invalid JSON: %s\n", line_number,
                    error == json_tokener_continue ? "unexpected end of line" : json_tokener_error_desc(error));
            json_object_put(object);
            status = 1;
            continue;
        }
        if (json_tokener_get_parse_end(tokener) < (size_t)length &&
            !is_blank(line + json_tokener_get_parse_end(tokener), (size_t)length - json_tokener_get_parse_end(tokener))) {
            fprintf(stderr, "classify: %lu: invalid JSON: trailing characters after the object\n", line_number);
            json_object_put(object);
            status = 1;
            continue;
        }
        json_object *text = NULL;
        if (!json_object_is_type(object, json_type_object)) {
            fprintf(stderr, "classify: %lu: expected a JSON object with a \"text\" string\n", line_number);
        } else if (!json_object_object_get_ex(object, "text", &text) || !json_object_is_type(text, json_type_string)) {
            fprintf(stderr, "classify: %lu: missing string member \"text\"\n", line_number);
            text = NULL;
        }
        if (!text) {
            json_object_put(object);
            status = 1;
            continue;
        }

        const char *bytes = json_object_get_string(text);
        size_t size = (size_t)json_object_get_string_len(text);
        if (textrnn_predict(model, bytes, size, probabilities, label_count) != TEXTRNN_OK) {
            fprintf(stderr, "classify: %lu: %s\n", line_number, textrnn_last_error());
            json_object_put(object);
            status = 1;
            break;
        }
        json_object_put(object);

        size_t best = 0;  /* ties: the lower index, as textrnn_top_k */
        for (size_t i = 1; i < label_count; i++)
            if (probabilities[i] > probabilities[best]) best = i;
        fputs("{\"label\": ", stdout);
        print_json_string(stdout, textrnn_label(model, best), strlen(textrnn_label(model, best)));
        fputs(", \"probability\": ", stdout);
        print_float(stdout, probabilities[best]);
        fputs(", \"probabilities\": {", stdout);
        for (size_t i = 0; i < label_count; i++) {
            if (i) fputs(", ", stdout);
            print_json_string(stdout, textrnn_label(model, i), strlen(textrnn_label(model, i)));
            fputs(": ", stdout);
            print_float(stdout, probabilities[i]);
        }
        fputs("}}\n", stdout);
    }
    if (ferror(input)) {
        fprintf(stderr, "classify: %s: read failed: %s\n", input_name ? input_name : "<stdin>", strerror(errno));
        status = 1;
    }

    free(line);
    json_tokener_free(tokener);
    free(probabilities);
    textrnn_free(model);
    if (input != stdin) fclose(input);
    if (fflush(stdout) != 0) {
        fprintf(stderr, "classify: cannot write output: %s\n", strerror(errno));
        status = 1;
    }
    return status;
}
