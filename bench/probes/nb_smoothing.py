#!/usr/bin/env python3
"""Probe (issue 13, IMDB's stretch goal): do the naive-Bayes ratios' smoothing (alpha, the count
added to every feature's class counts) and the power they are raised to (the bag's search tries
0, 1/2 and 1) matter to the bag's validation loss? Rare n-grams get large ratios from a handful
of reviews; a larger alpha or a smaller power shrinks them.
scikit-learn only, validation only: stratified 90/10 splits of train.csv; test.csv is never read.

Features as the bag's: TextRNN's tokens, 1-2-grams, min_df 2, sublinear tf, idf, times the
ratios to the power, rows scaled to unit length; C by validation loss.
Usage: nb_smoothing.py imdb [ag_news_mini ...]"""
import os
import sys

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bag_probe_support import keras_tokens, load, lowest_loss, splits, word_ngrams  # noqa: E402

DATA = os.environ.get("TEXTRNN_DATA", os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../../shared/data"))
CS = [32, 128, 512]


def ratios(x, y, alpha):
    """nb_weighting.nb_weights with `alpha` in place of its 1."""
    present = (x > 0).astype(np.float64)
    g = np.zeros(x.shape[1])
    for c in np.unique(y):
        p = np.asarray(present[y == c].sum(0)).ravel() + alpha
        q = np.asarray(present[y != c].sum(0)).ravel() + alpha
        g = np.maximum(g, np.abs(np.log((p / p.sum()) / (q / q.sum()))))
    return g


for name in sys.argv[1:] or ["imdb"]:
    texts, labels = load(DATA, name)
    words = [keras_tokens(t) for t in texts]
    for seed, (fit_w, val_w, fit_y, val_y) in splits(words, labels, [42, 1, 2]):
        vec = TfidfVectorizer(analyzer=word_ngrams, min_df=2, sublinear_tf=True)
        fit_x, val_x = vec.fit_transform(fit_w), vec.transform(val_w)
        for alpha in [1.0, 0.25, 4.0, 16.0]:
            g = ratios(fit_x, fit_y, alpha)
            for power in [0.5, 0.75, 1.0]:
                scale = g ** power
                a, v = normalize(fit_x.multiply(scale).tocsr()), normalize(val_x.multiply(scale).tocsr())
                loss, acc, c, _ = lowest_loss(a, v, fit_y, val_y, CS)
                print(name, seed, f"alpha {alpha:5.2f} power {power:.2f}  loss {loss:.4f} acc {acc:.4f} C {c}", flush=True)
