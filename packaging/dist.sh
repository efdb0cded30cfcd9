#!/usr/bin/env bash
# `make dist`: dist/textrnn-VERSION-linux-x86_64.tar.gz, the CLI, the two libraries, their
# headers and pkg-config files and the --help text, working wherever it is unpacked.
#
# Built from the manylinux wheel's files (packaging/wheel.sh), so the tarball carries the same
# binaries and the same vendored libraries, chosen once by auditwheel: lib/ holds them all and
# every ELF file finds the others through an $ORIGIN-relative run path.
set -euo pipefail
dist=$1
version=$2
name=textrnn-$version-linux-x86_64
major=${version%%.*}

wheel=$(ls "$dist"/textrnn-"$version"-py3-none-manylinux_*_x86_64.whl 2>/dev/null) || {
    echo "make dist: no $dist/textrnn-$version-py3-none-manylinux_*_x86_64.whl: run make wheel first" >&2; exit 1; }
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
"${PYTHON:-python3}" -m zipfile -e "$wheel" "$stage/wheel"
root=$stage/$name
mkdir -p "$root/bin" "$root/lib/pkgconfig" "$root/include" "$root/share/doc/textrnn"

install -m 755 "$stage/wheel/textrnn/bin/textrnn" "$root/bin/textrnn"
patchelf --set-rpath '$ORIGIN/../lib' "$root/bin/textrnn"
for library in textrnn textrnn-trainer; do
    real=lib$library.so.$version
    install -m 755 "$stage/wheel/textrnn/lib$library.so" "$root/lib/$real"
    patchelf --set-soname "lib$library.so.$major" --set-rpath '$ORIGIN' "$root/lib/$real"
    ln -s "$real" "$root/lib/lib$library.so.$major"
    ln -s "lib$library.so.$major" "$root/lib/lib$library.so"
done
if [ -d "$stage/wheel/textrnn.libs" ]; then
    for vendored in "$stage"/wheel/textrnn.libs/*; do
        install -m 755 "$vendored" "$root/lib/"
        patchelf --set-rpath '$ORIGIN' "$root/lib/$(basename "$vendored")"
    done
fi

install -m 644 include/textrnn.h include/textrnn_trainer.h "$root/include/"
# pkg-config files relative to where they are found: the tarball works unpacked anywhere.
for pc in textrnn textrnn-trainer; do
    sed -e 's|@PREFIX@|${pcfiledir}/../..|' -e 's|@LIBDIR@|${prefix}/lib|' -e 's|@INCLUDEDIR@|${prefix}/include|' \
        -e "s|@VERSION@|$version|" "packaging/$pc.pc.in" > "$root/lib/pkgconfig/$pc.pc"
done

# The --help of the command and of each subcommand (the tarball's manual).
help=$root/share/doc/textrnn/textrnn-help.txt
"$root/bin/textrnn" --help > "$help"
for command in $(sed -n '/^SUBCOMMANDS:/,/^$/s/^  \([a-z][a-z-]*\).*/\1/p' "$help"); do
    printf '\n\n==== textrnn %s --help ====\n\n' "$command" >> "$help"
    "$root/bin/textrnn" "$command" --help >> "$help"
done
cp README.md "$root/share/doc/textrnn/"

mkdir -p "$dist"
tar -C "$stage" -czf "$dist/$name.tar.gz.tmp" "$name"
mv "$dist/$name.tar.gz.tmp" "$dist/$name.tar.gz"
echo "wrote $dist/$name.tar.gz ($(du -h "$dist/$name.tar.gz" | cut -f1))"
