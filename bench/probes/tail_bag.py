#!/usr/bin/env python3
"""Probe (issue 13, IMDB's stretch goal): does a second bag over each text's last K words, beside
the bag over the whole text, lower the regression's validation loss? A review's verdict is often
in its last lines ("8/10", "avoid it"), which the whole-text bag weighs like any other line.
scikit-learn only, validation only: stratified 90/10 splits of train.csv; test.csv is never read.

Each block: TextRNN's tokens, 1-2-grams, min_df 2, sublinear tf, idf, times the square root of
its naive-Bayes ratios, rows scaled to unit length, then the tail block times `weight` and the
row renormalized; C by validation loss, as the bag's search.
Usage: tail_bag.py imdb [20news ...]"""
import os
import sys

import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bag_probe_support import keras_tokens, load, lowest_loss, nb_scaled, splits, word_ngrams  # noqa: E402

DATA = os.environ.get("TEXTRNN_DATA", os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../../shared/data"))
CS = [32, 128, 512]


def block(fit_words, val_words, fit_y):
    vec = TfidfVectorizer(analyzer=word_ngrams, min_df=2, sublinear_tf=True)
    return nb_scaled(vec.fit_transform(fit_words), vec.transform(val_words), fit_y)


for name in sys.argv[1:] or ["imdb"]:
    texts, labels = load(DATA, name)
    words = [keras_tokens(t) for t in texts]
    for seed, (fit_w, val_w, fit_y, val_y) in splits(words, labels, [42, 1, 2]):
        whole = block(fit_w, val_w, fit_y)
        print(name, seed, "whole text      loss %.4f acc %.4f C %d" % lowest_loss(*whole, fit_y, val_y, CS)[:3], flush=True)
        for k in [20, 50]:
            tail = block([w[-k:] for w in fit_w], [w[-k:] for w in val_w], fit_y)
            for weight in [0.5, 1.0]:
                both = [normalize(sp.hstack([a, weight * b]).tocsr()) for a, b in zip(whole, tail)]
                print(name, seed, f"+ last {k:3d} x{weight:.1f}  " + "loss %.4f acc %.4f C %d" % lowest_loss(*both, fit_y, val_y, CS)[:3], flush=True)
