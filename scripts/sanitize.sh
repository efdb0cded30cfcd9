#!/usr/bin/env bash
# `make sanitize`: the test suite and the C programs under sanitizers (docs/robustness.md).
# Long (debug builds with instrumentation); not part of CI's `make test`.
#
#   scripts/sanitize.sh [asan-swift|asan-c|tsan|all]
#
# asan-swift  `swift test` (debug: Swift bounds/overflow checks on) with AddressSanitizer in the
#             Swift code and ASan + UndefinedBehaviorSanitizer in the C kernels. Swift has no
#             UBSan; its own checks trap instead. SANITIZE_FILTER narrows it (a --filter regex).
# asan-c      libtextrnn.so (release, as shipped: -Ounchecked) with ASan/UBSan, and the C programs
#             built with clang -fsanitize=address,undefined: the stress test (8 threads), the
#             load/predict/free cycles (LeakSanitizer), the fuzz corpora replay, the C example.
# tsan        libtextrnn.so and the stress test with ThreadSanitizer (8 threads sharing a model,
#             cold and warm, predict_batch, one text on two threads), and the threaded Swift tests
#             (runtime and trainer) under -sanitize=thread.
# Every step fails on the first sanitizer report.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
CLANG=${CLANG:-$(dirname "$(command -v swift)")/clang}
NICE=${SANITIZE_NICE:-10}
WHAT=${1:-all}
CLI=${TEXTRNN_CLI:-bin/textrnn}
WORK=.build-asan-c/work
TEXTS=${SANITIZE_STRESS_TEXTS:-1000}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:halt_on_error=1:abort_on_error=0}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$ROOT/fuzz/lsan.supp}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1:suppressions=$ROOT/fuzz/tsan.supp}
# The toolchain's TSan runtime carries libdispatch interceptors: C programs link libdispatch.
SWIFT_LIBS=$(dirname "$(command -v swift)")/../lib/swift/linux

say() { printf '\n== sanitize.sh: %s\n' "$*"; }

bundles() {
    [ -x "$CLI" ] || { echo "sanitize.sh: $CLI missing (make build)"; exit 2; }
    mkdir -p "$WORK"
    [ -s "$WORK/bundles.txt" ] || python3 fuzz/make_corpus.py "$CLI" "$WORK" > "$WORK/bundles.txt"
}

c_programs() {  # scratch sanitizer-flags
    local scratch=$1 flags=$2 out=$1/c
    mkdir -p "$out"
    for name in stress leaks; do
        "$CLANG" -g -O1 -fuse-ld=lld $flags -pthread -Iinclude "bindings/python/tests/c/$name.c" \
            -L"$scratch/release" -ltextrnn -Wl,-rpath,"$ROOT/$scratch/release" -o "$out/$name"
    done
}

asan_swift() {
    local package
    for package in Runtime .; do  # the runtime is a package of its own (Runtime/)
        say "swift test ($package) with AddressSanitizer (Swift) + ASan/UBSan (C kernels)"
        nice -n "$NICE" swift test --package-path "$package" --scratch-path ".build-asan/${package/./root}" -j 2 \
            -Xswiftc -sanitize=address -Xcc -fsanitize=address,undefined -Xcc -fno-sanitize-recover=undefined \
            ${SANITIZE_FILTER:+--filter "$SANITIZE_FILTER"}
    done
}

asan_c() {
    say "libtextrnn.so (release) with ASan/UBSan"
    nice -n "$NICE" swift build -c release --product textrnn --scratch-path .build-asan-c -j 2 \
        -Xswiftc -sanitize=address -Xcc -fsanitize=address,undefined -Xcc -fno-sanitize-recover=undefined
    c_programs .build-asan-c "-fsanitize=address,undefined -fno-sanitize-recover=undefined"
    bundles
    local bundle
    for bundle in $(tr ':' ' ' < "$WORK/bundles.txt"); do
        say "stress (ASan): $bundle"
        nice -n "$NICE" .build-asan-c/c/stress "$bundle" "$TEXTS" 8 "${TEXTRNN_DATA:-../shared/data}/ag_news_mini/test.csv"
    done
    say "load/predict/free cycles (ASan + LeakSanitizer)"
    nice -n "$NICE" .build-asan-c/c/leaks "$(cut -d: -f1 < "$WORK/bundles.txt")" 200
    say "fuzz corpora and crashers replayed (ASan/UBSan)"
    for name in load predict; do
        "$CLANG" -g -O1 -fuse-ld=lld -fsanitize=address,undefined -fno-sanitize-recover=undefined -Iinclude \
            fuzz/harness/replay.c "fuzz/harness/fuzz_$name.c" -L.build-asan-c/release -ltextrnn \
            -Wl,-rpath,"$ROOT/.build-asan-c/release" -o ".build-asan-c/c/replay_$name"
        TEXTRNN_FUZZ_BUNDLES=$(cat "$WORK/bundles.txt") nice -n "$NICE" ".build-asan-c/c/replay_$name" \
            "fuzz/corpus/$name" "fuzz/crashers/$name"
    done
}

tsan() {
    say "libtextrnn.so (release) with ThreadSanitizer"
    nice -n "$NICE" swift build -c release --product textrnn --scratch-path .build-tsan -j 2 \
        -Xswiftc -sanitize=thread -Xcc -fsanitize=thread
    c_programs .build-tsan "-fsanitize=thread -L$SWIFT_LIBS -ldispatch -lBlocksRuntime -Wl,-rpath,$SWIFT_LIBS"
    bundles
    local bundle
    for bundle in $(tr ':' ' ' < "$WORK/bundles.txt"); do
        say "stress (TSan): $bundle"
        nice -n "$NICE" .build-tsan/c/stress "$bundle" "$TEXTS" 8 "${TEXTRNN_DATA:-../shared/data}/ag_news_mini/test.csv"
    done
    say "threaded Swift tests with -sanitize=thread (runtime: helper threads, lockstep groups, batches)"
    nice -n "$NICE" swift test --package-path Runtime --scratch-path .build-tsan-tests/Runtime -j 2 \
        -Xswiftc -sanitize=thread -Xcc -fsanitize=thread \
        --filter "${SANITIZE_TSAN_RUNTIME_FILTER:-HelperThreadTests|LockstepTests|LabelOrderTests}"
    say "threaded Swift tests with -sanitize=thread (trainer)"
    nice -n "$NICE" swift test --scratch-path .build-tsan-tests/root -j 2 -Xswiftc -sanitize=thread -Xcc -fsanitize=thread \
        --filter "${SANITIZE_TSAN_FILTER:-VocabularyBuilderTests|TrainingIntegrationTests}"
}

case "$WHAT" in
    asan-swift) asan_swift ;;
    asan-c) asan_c ;;
    tsan) tsan ;;
    all) asan_c; tsan; asan_swift ;;
    *) echo "usage: scripts/sanitize.sh [asan-swift|asan-c|tsan|all]"; exit 2 ;;
esac
say "clean"
