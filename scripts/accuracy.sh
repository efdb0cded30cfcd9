#!/usr/bin/env bash
# Full-dataset training runs behind docs/accuracy.md: each recipe trains on the train split
# (validation held out from train only), then the bundle is scored on the untouched test split
# through the runtime. Usage: scripts/accuracy.sh [recipe ...]   (default: all). Long: see the doc.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA="${TEXTRNN_DATA:-../shared/data}"
OUT="${OUT:-out/accuracy}"
mkdir -p "$OUT"
TEXTRNN="${TEXTRNN:-bin/textrnn}"

run() {  # name dataset [train flags...]
    local name=$1 dataset=$2
    shift 2
    echo "== $name"
    local start=$SECONDS
    "$TEXTRNN" train --train "$DATA/$dataset/train.csv" --output "$OUT/$name.textrnn" --report "$OUT/$name.html" "$@" \
        2> "$OUT/$name.train.log" | tail -n 4
    echo "training: $((SECONDS - start)) s"
    "$TEXTRNN" evaluate "$OUT/$name.textrnn" "$DATA/$dataset/test.csv" --json > "$OUT/$name.test.json"
    python3 -c "import json,sys; m=json.load(open(sys.argv[1])); print(f'test accuracy {m[\"accuracy\"]:.4f}  macro F1 {m[\"macro_f1\"]:.4f}')" "$OUT/$name.test.json"
}

recipe() {
    case $1 in
    imdb-seed004)  # Keras tutorial seed 004: Embedding 32 -> LSTM 32 -> sigmoid
        run imdb-seed004 imdb --max-tokens 10000 --sequence-length 250 --padding pre --truncating pre \
            --embedding-dim 32 --cell lstm --units 32 --bidirectional false --batch-size 128 --epochs 10 ;;
    imdb-seed001)  # Keras tutorial seed 001: Embedding 64 (mask) -> BiLSTM 64 -> BiLSTM 32 -> Dense 64 relu -> 1
        run imdb-seed001 imdb --max-tokens 10000 --sequence-length 256 --embedding-dim 64 --cell lstm \
            --units 64,32 --bidirectional true --dense-units 64 --epochs 5 --batch-size 64 ;;
    imdb-seed001-es)  # the same with early stopping (patience 1, best weights restored)
        run imdb-seed001-es imdb --max-tokens 10000 --sequence-length 256 --embedding-dim 64 --cell lstm \
            --units 64,32 --bidirectional true --dense-units 64 --epochs 5 --batch-size 64 --early-stopping 1 ;;
    imdb-best)
        run imdb-best imdb $IMDB_BEST ;;
    20news)
        run 20news 20news $NEWS20_BEST ;;
    ag-news-mini)
        run ag-news-mini ag_news_mini $AG_BEST ;;
    *) echo "unknown recipe $1" >&2; exit 2 ;;
    esac
}

IMDB_BEST="--ngrams 3 --max-tokens 600000 --min-count 2 --sequence-length 2400 --truncating post --embedding-dim 64
    --cell gru --units 32 --bidirectional true --pooling average --embedding-dropout 0.5 --dropout 0.2
    --dense-dropout 0.5 --learning-rate 0.003 --schedule cosine --batch-size 64 --epochs 3 --validation-split 0"
NEWS20_BEST="--max-tokens 60000 --min-count 2 --sequence-length 1000 --truncating post --embedding-dim 96 --cell gru
    --units 64 --bidirectional true --pooling average --embedding-dropout 0.5 --dropout 0.2 --dense-dropout 0.5
    --learning-rate 0.003 --schedule cosine --batch-size 64 --epochs 8 --validation-split 0"
AG_BEST="--bigrams true --max-tokens 80000 --sequence-length 128 --embedding-dim 64 --cell gru --units 32
    --bidirectional true --pooling max --embedding-dropout 0.3 --dropout 0.2 --dense-dropout 0.3
    --learning-rate 0.002 --batch-size 32 --epochs 10 --early-stopping 2"

if [[ $# -eq 0 ]]; then set -- imdb-seed004 imdb-seed001 imdb-seed001-es imdb-best 20news ag-news-mini; fi
for name in "$@"; do recipe "$name"; done
