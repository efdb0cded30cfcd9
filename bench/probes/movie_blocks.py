#!/usr/bin/env python3
"""Probe (issue 13, IMDB's stretch goal): does the mix undervalue the network on reviews of
movies the training rows do not have? IMDB's test split is of other movies than its train split,
and TextRNN's validation rows are a random tenth, which shares movies with the rest. train.csv
keeps a movie's reviews together, so each class's k-th tenth in file order is a held-out block
of mostly unseen movies (scikit-learn's bag: 1.5-2 points below a random tenth on it, as the
test split is below the validation parts). test.csv is never read.

  movie_blocks.py bag             scikit-learn's emulation of the bag (TextRNN's tokens, 1-2-grams,
                                  idf or idf x sqrt(naive-Bayes), C 8/32/128) on two random tenths
                                  (seeds 42, 1) and on blocks 3 and 7: accuracy/loss.
  movie_blocks.py make [OUT]      writes OUT/imdb_b3 and OUT/imdb_b7 (default /tmp/blockproxy):
                                  train.csv = the other rows, test.csv = the block; then
      bench/quality.py --split test --data OUT --datasets imdb_b3,imdb_b7 --keep \\
          --config-name net-only --textrnn-args "--bag false"
  movie_blocks.py mix WORK LOGS   from the kept bundles (WORK) and training logs (LOGS): the
                                  no-flag model's z = w z_bag + (1 - w) z_net and the network
                                  alone (the same network: its training does not see the bag)
                                  give the bag's logits, then accuracy and loss for every w."""
import csv
import os
import re
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
DATA = os.environ.get("TEXTRNN_DATA", str(ROOT.parent / "shared" / "data"))
BLOCKS = [3, 7]
csv.field_size_limit(1 << 30)


def block(labels, k):
    """Each class's k-th tenth of its rows, in file order."""
    held = []
    for label in sorted(set(labels)):
        indices = [i for i, x in enumerate(labels) if x == label]
        tenth = len(indices) // 10
        held.extend(indices[k * tenth:(k + 1) * tenth])
    return set(held)


def bag():
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from bag_probe_support import keras_tokens, load, nb_scaled, word_ngrams
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import log_loss
    from sklearn.model_selection import train_test_split
    texts, labels = load(DATA, "imdb")
    words = [keras_tokens(t) for t in texts]
    everything = np.arange(len(texts))
    parts = [(f"random{s}", *train_test_split(everything, test_size=0.1, random_state=s, stratify=labels)) for s in [42, 1]]
    for k in BLOCKS:
        held = np.array(sorted(block(list(labels), k)))
        parts.append((f"block{k}", np.setdiff1d(everything, held), held))
    for name, fit, val in parts:
        vectorizer = TfidfVectorizer(analyzer=word_ngrams, min_df=2, sublinear_tf=True)
        fit_x, val_x = vectorizer.fit_transform([words[i] for i in fit]), vectorizer.transform([words[i] for i in val])
        fit_y, val_y = labels[fit], labels[val]
        for kind, (a, v) in [("idf", (fit_x, val_x)), ("sqrtNB", nb_scaled(fit_x, val_x, fit_y))]:
            scores = []
            for c in [8, 32, 128]:
                model = LogisticRegression(C=c, max_iter=300).fit(a, fit_y)
                p = model.predict_proba(v)
                scores.append(f"C{c} {np.mean(model.classes_[p.argmax(1)] == val_y):.4f}/{log_loss(val_y, p, labels=model.classes_):.4f}")
            print(name, kind, " ".join(scores), flush=True)


def make(out):
    rows = list(csv.DictReader(open(f"{DATA}/imdb/train.csv", newline="", encoding="utf-8")))
    for k in BLOCKS:
        held = block([r["label"] for r in rows], k)
        folder = Path(out) / f"imdb_b{k}"
        folder.mkdir(parents=True, exist_ok=True)
        for name, inside in [("train", False), ("test", True)]:
            with open(folder / f"{name}.csv", "w", newline="", encoding="utf-8") as f:
                writer = csv.DictWriter(f, fieldnames=["label", "text"])
                writer.writeheader()
                writer.writerows(r for i, r in enumerate(rows) if (i in held) == inside)


def mix(work, logs, data):
    sys.path.insert(0, str(ROOT / "bindings" / "python"))
    os.environ.setdefault("TEXTRNN_LIBRARY", str(ROOT / ".build" / "release" / "libtextrnn.so"))
    import textrnn
    for k in BLOCKS:
        name = f"imdb_b{k}"
        rows = list(csv.DictReader(open(f"{data}/{name}/test.csv", encoding="utf-8")))
        texts, positive = [r["text"] for r in rows], np.array([r["label"] == "positive" for r in rows])
        w = float(re.findall(r"mix w = ([0-9.]+)", open(f"{logs}/{name}.textrnn.train.log").read())[-1])

        def logits(path):
            model = textrnn.load(path)
            p = np.clip(np.array(model.predict_proba(texts))[:, list(model.classes_).index("positive")], 1e-7, 1 - 1e-7)
            return np.log(p / (1 - p))
        z_mix, z_net = logits(f"{work}/{name}.textrnn.textrnn"), logits(f"{work}/{name}.net-only.textrnn")
        z_bag = (z_mix - (1 - w) * z_net) / w
        for v in np.arange(0, 1.01, 0.1):
            z = v * z_bag + (1 - v) * z_net
            loss = np.mean(np.where(positive, np.logaddexp(0, -z), np.logaddexp(0, z)))
            print(f"{name} w {v:.1f} accuracy {np.mean((z > 0) == positive):.4f} loss {loss:.4f}"
                  + ("  <- chosen on the random validation rows" if abs(v - w) < 1e-6 else ""))


if __name__ == "__main__":
    if sys.argv[1:2] == ["bag"]:
        bag()
    elif sys.argv[1:2] == ["make"]:
        make(sys.argv[2] if len(sys.argv) > 2 else "/tmp/blockproxy")
    else:
        mix(sys.argv[2], sys.argv[3], sys.argv[4] if len(sys.argv) > 4 else "/tmp/blockproxy")
