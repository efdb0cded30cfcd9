#!/usr/bin/env python3
"""Label agreement and probability differences between float bundles and their int8 copies,
through the Python binding (so through whichever libtextrnn.so TEXTRNN_LIBRARY names).

    python3 bench/int8_agreement.py ../shared/data/imdb/train.csv 5000 FLOAT INT8 [FLOAT INT8 ...]

Texts: the first N rows of the CSV after a seeded shuffle (use a train split: this compares two
models, it is not an accuracy measurement).
"""
import csv
import os
import random
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "bindings", "python"))
import textrnn  # noqa: E402


def main():
    if len(sys.argv) < 5 or len(sys.argv) % 2 == 0:
        sys.exit(__doc__)
    with open(sys.argv[1], newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    random.Random(0).shuffle(rows)
    texts = [row["text"] for row in rows[: int(sys.argv[2])]]
    for float_path, int8_path in zip(sys.argv[3::2], sys.argv[4::2]):
        p_float = np.asarray(textrnn.load(float_path).predict_proba(texts))
        p_int8 = np.asarray(textrnn.load(int8_path).predict_proba(texts))
        difference = np.abs(p_float - p_int8)
        agreement = (p_float.argmax(1) == p_int8.argmax(1)).mean()
        print(f"{float_path}: {len(texts)} texts, label agreement {agreement:.4f}, "
              f"max |dp| {difference.max():.4f}, mean |dp| {difference.mean():.5f}")


if __name__ == "__main__":
    main()
