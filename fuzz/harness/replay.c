/*
 * replay.c - runs a libFuzzer harness over files without libFuzzer: every file named, and every
 * file in each directory named. Linked with fuzz_load.c or fuzz_predict.c against the plain
 * release library, so kept crashers and seeds are regression tests without a sanitizer build.
 * Exits 0 when every input ran (a harness abort()s on a wrong result).
 */
#define _DEFAULT_SOURCE
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
__attribute__((weak)) int LLVMFuzzerInitialize(int *argc, char ***argv);

static size_t ran = 0;

static void run_file(const char *path) {
    FILE *file = fopen(path, "rb");
    if (!file) return;
    fseek(file, 0, SEEK_END);
    long size = ftell(file);
    fseek(file, 0, SEEK_SET);
    uint8_t *data = malloc(size > 0 ? (size_t)size : 1);
    size_t got = fread(data, 1, (size_t)size, file);
    fclose(file);
    LLVMFuzzerTestOneInput(data, got);
    free(data);
    ran++;
}

int main(int argc, char **argv) {
    if (LLVMFuzzerInitialize) LLVMFuzzerInitialize(&argc, &argv);
    for (int i = 1; i < argc; i++) {
        struct stat info;
        if (stat(argv[i], &info) != 0) continue;
        if (!S_ISDIR(info.st_mode)) {
            run_file(argv[i]);
            continue;
        }
        DIR *directory = opendir(argv[i]);
        struct dirent *entry;
        while (directory && (entry = readdir(directory)) != NULL) {
            if (entry->d_name[0] == '.') continue;
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", argv[i], entry->d_name);
            run_file(path);
        }
        if (directory) closedir(directory);
    }
    printf("replay: %zu inputs OK\n", ran);
    return 0;
}
