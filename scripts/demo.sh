#!/usr/bin/env bash
# The main job end to end: train on IMDB, export a bundle, evaluate it on the test split, and
# predict with it from the CLI, C (libtextrnn.so) and Python (ctypes). Run via `make demo`.
set -euo pipefail
cd "$(dirname "$0")/.."

DATA="${TEXTRNN_DATA:-../shared/data}"
if [[ ! -f "$DATA/imdb/train.csv" ]]; then
    echo "no IMDB under $DATA; downloading it into ~/.cache/textrnn" >&2
    DATA="$(python3 scripts/fetch_imdb.py "$HOME/.cache/textrnn")"
fi
mkdir -p out
BUNDLE=out/imdb.textrnn

echo "== train (IMDB train split, 10% held out for validation)"
# The no-flag recipe: it chooses from the data and prints what it chose (docs/recipes.md).
bin/textrnn train --train "$DATA/imdb/train.csv" --output "$BUNDLE" --report out/imdb-report.html

echo "== evaluate on the 25,000-review test split (through the runtime)"
bin/textrnn evaluate "$BUNDLE" "$DATA/imdb/test.csv"
bin/textrnn inspect "$BUNDLE" | sed -n 1,22p  # sed reads it all: no SIGPIPE under pipefail

cat > out/reviews.txt <<'TEXT'
A wonderful, moving film with superb performances. I loved every minute of it.
Dull, predictable and far too long. The worst film I have seen this year.
TEXT

echo "== predict: CLI"
bin/textrnn predict "$BUNDLE" out/reviews.txt

echo "== predict: C (examples/c/classify.c and stream.c linked against libtextrnn.so)"
bin/classify "$BUNDLE" out/reviews.txt
bin/stream "$BUNDLE" 2 < out/reviews.txt

echo "== predict: Python (bindings/python, ctypes)"
PYTHONPATH=bindings/python python3 - "$BUNDLE" <<'PY'
import sys
import textrnn

model = textrnn.load(sys.argv[1])
for line in open("out/reviews.txt", encoding="utf-8"):
    label, probability = model.predict(line.strip())
    print(f"{label}\t{probability:.4f}\t{line.strip()[:60]}")
print("top-2:", model.top_k("An instant classic.", 2))
PY
echo "== explain: each word's contribution to the predicted label (occlusion)"
bin/textrnn explain "$BUNDLE" --top-k 5 "The acting is wonderful but the ending is weak and boring."
echo "== done: bundle $BUNDLE, report out/imdb-report.html"
