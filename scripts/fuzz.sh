#!/usr/bin/env bash
# libFuzzer harnesses against an AddressSanitizer + UndefinedBehaviorSanitizer build of
# libtextrnn.so (fuzz/README.md, docs/robustness.md).
#
#   scripts/fuzz.sh [load|predict|all] [-- extra libFuzzer flags]
#
# Environment: FUZZ_RUNS (default 1000000 executions per harness) or FUZZ_SECONDS (a time
# budget instead), FUZZ_NICE (default 10). Each harness runs as one job (the machine is shared).
# Crashers are copied to fuzz/crashers/<harness>/; `scripts/fuzz.sh replay` runs every kept
# crasher and seed through the harnesses built against the plain release library (the same
# replay the test suite does, bindings/python/tests/test_robustness_fuzz.py).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SCRATCH=${FUZZ_SCRATCH:-.build-fuzz}
WORK=$SCRATCH/work
CLANG=${CLANG:-$(dirname "$(command -v swift)")/clang}
[ -x "$CLANG" ] || CLANG=clang
RUNS=${FUZZ_RUNS:-1000000}
NICE=${FUZZ_NICE:-10}
WHAT=${1:-all}
shift || true
[ "${1:-}" = "--" ] && shift

build_library() {
    # Release configuration (what ships: -Ounchecked numeric modules) with ASan and coverage in
    # Swift, ASan + UBSan + coverage in the C kernels.
    nice -n "$NICE" swift build -c release --product textrnn --scratch-path "$SCRATCH" -j 2 \
        -Xswiftc -sanitize=fuzzer,address \
        -Xcc -fsanitize=fuzzer-no-link,address,undefined -Xcc -fno-sanitize-recover=undefined
}

build_harness() {  # name
    mkdir -p "$SCRATCH/harness"
    "$CLANG" -g -O1 -fuse-ld=lld -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
        -Iinclude "fuzz/harness/fuzz_$1.c" -L"$SCRATCH/release" -ltextrnn -Wl,-rpath,"$ROOT/$SCRATCH/release" \
        -o "$SCRATCH/harness/fuzz_$1"
}

CLI=${TEXTRNN_CLI:-bin/textrnn}
LIBDIR=$(dirname "${TEXTRNN_LIBRARY:-.build/release/libtextrnn.so}")

make_inputs() {
    [ -x "$CLI" ] || { echo "fuzz.sh: $CLI missing (make build)"; exit 2; }
    mkdir -p "$WORK"
    python3 fuzz/make_corpus.py "$CLI" "$WORK" > "$WORK/bundles.txt"
}

run_harness() {  # name max_len
    local name=$1 max_len=$2
    shift 2
    local corpus="$WORK/corpus/$name" artifacts="$WORK/artifacts/$name/"
    mkdir -p "$corpus" "$artifacts"
    local budget=(-runs="$RUNS")
    [ -n "${FUZZ_SECONDS:-}" ] && budget=(-max_total_time="$FUZZ_SECONDS")
    echo "fuzz.sh: fuzz_$name ${budget[*]} (corpus $corpus, seeds fuzz/corpus/$name)"
    local status=0
    TEXTRNN_FUZZ_BUNDLES=$(cat "$WORK/bundles.txt") \
    ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1} \
    UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
        nice -n "$NICE" "$SCRATCH/harness/fuzz_$name" "${budget[@]}" -max_len="$max_len" -timeout=30 \
        -rss_limit_mb=4096 -print_final_stats=1 -artifact_prefix="$artifacts" "$@" \
        "$corpus" "fuzz/corpus/$name" || status=$?
    if compgen -G "$artifacts*" > /dev/null; then
        mkdir -p "fuzz/crashers/$name"
        cp "$artifacts"* "fuzz/crashers/$name/"
        echo "fuzz.sh: crashers copied to fuzz/crashers/$name/ (add them to git: they are regression tests)"
    fi
    return $status
}

replay() {
    # Harnesses with a plain main() over the normal release library: every seed and crasher.
    local out=$SCRATCH/replay
    mkdir -p "$out"
    for name in load predict; do
        cc -O1 -g -std=c11 -Iinclude fuzz/harness/replay.c "fuzz/harness/fuzz_$name.c" -L"$LIBDIR" -ltextrnn \
            -Wl,-rpath,"$(cd "$LIBDIR" && pwd)" -o "$out/replay_$name"
        TEXTRNN_FUZZ_BUNDLES=$(cat "$WORK/bundles.txt") "$out/replay_$name" fuzz/corpus/$name fuzz/crashers/$name
    done
}

case "$WHAT" in
    replay) make_inputs; replay ;;
    load|predict|all)
        build_library
        make_inputs
        for name in load predict; do
            [ "$WHAT" = all ] || [ "$WHAT" = "$name" ] || continue
            build_harness "$name"
            if [ "$name" = load ]; then run_harness load 262144 "$@"; else run_harness predict 4096 "$@"; fi
        done ;;
    *) echo "usage: scripts/fuzz.sh [load|predict|all|replay] [-- libFuzzer flags]"; exit 2 ;;
esac
