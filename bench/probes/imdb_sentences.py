#!/usr/bin/env python3
"""A large short-text stand-in (issue 13): IMDB's train reviews cut into sentences, each labelled
with its review's label (about 297,000 sentences of median 17 words). Split by review, 90/10, so
no review has sentences on both sides; test.csv is never read.

Usage: imdb_sentences.py OUT_FOLDER  ->  OUT_FOLDER/{fit,holdout}.csv (text,label)
Then: textrnn train --train fit.csv --output m.textrnn; textrnn evaluate m.textrnn holdout.csv;
and the baseline: imdb_sentences.py OUT_FOLDER --baseline (bench/quality.py's run_baseline)."""
import csv
import os
import random
import re
import sys

here = os.path.dirname(os.path.abspath(__file__))
data = os.environ.get("TEXTRNN_DATA", os.path.join(here, "../../../shared/data"))
csv.field_size_limit(1 << 30)


def write(path, rows):
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["text", "label"])
        w.writerows(rows)


def make(out):
    reviews = list(csv.DictReader(open(f"{data}/imdb/train.csv", newline="", encoding="utf-8")))
    random.Random(0).shuffle(reviews)
    held = len(reviews) // 10
    for name, part in [("holdout.csv", reviews[:held]), ("fit.csv", reviews[held:])]:
        rows = [(s.strip(), r["label"]) for r in part
                for s in re.split(r"(?<=[.!?])\s+|<br />", r["text"]) if len(s.split()) >= 4]
        random.Random(1).shuffle(rows)
        write(os.path.join(out, name), rows)
        print(name, len(rows), "sentences from", len(part), "reviews")


def baseline(out):
    sys.path.insert(0, os.path.join(here, ".."))
    import quality
    def rows(name):
        return [(r["label"], r["text"]) for r in csv.DictReader(open(os.path.join(out, name), newline="", encoding="utf-8"))]
    result = quality.run_baseline(rows("fit.csv"), rows("holdout.csv"))
    print({k: result[k] for k in ["accuracy", "macro_f1", "train_seconds", "chosen_C", "features"]})


if __name__ == "__main__":
    if "--baseline" in sys.argv:
        baseline(sys.argv[1])
    else:
        os.makedirs(sys.argv[1], exist_ok=True)
        make(sys.argv[1])
