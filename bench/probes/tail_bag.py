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

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
from sklearn.preprocessing import normalize

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bag_probe_support import keras_tokens, load, nb_weights, splits, word_ngrams  # noqa: E402

DATA = os.environ.get("TEXTRNN_DATA", os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../../shared/data"))
CS = [32, 128, 512]


def block(fit_words, val_words, fit_y):
    vec = TfidfVectorizer(analyzer=word_ngrams, min_df=2, sublinear_tf=True)
    f, v = vec.fit_transform(fit_words), vec.transform(val_words)
    scale = np.sqrt(nb_weights(f, fit_y, np.unique(fit_y)))
    return normalize(f.multiply(scale).tocsr()), normalize(v.multiply(scale).tocsr())


def best(fit_x, val_x, fit_y, val_y):
    out = None
    for c in CS:
        model = LogisticRegression(C=c, max_iter=300).fit(fit_x, fit_y)
        p = model.predict_proba(val_x)
        loss, acc = log_loss(val_y, p, labels=model.classes_), np.mean(model.classes_[p.argmax(1)] == val_y)
        if out is None or loss < out[0]:
            out = (loss, acc, c)
    return out


for name in sys.argv[1:] or ["imdb"]:
    texts, labels = load(DATA, name)
    words = [keras_tokens(t) for t in texts]
    for seed, (fit_w, val_w, fit_y, val_y) in splits(words, labels, [42, 1, 2]):
        whole = block(fit_w, val_w, fit_y)
        print(name, seed, "whole text      loss %.4f acc %.4f C %d" % best(*whole, fit_y, val_y), flush=True)
        for k in [20, 50]:
            tail = block([w[-k:] for w in fit_w], [w[-k:] for w in val_w], fit_y)
            for weight in [0.5, 1.0]:
                both = [normalize(sp.hstack([a, weight * b]).tocsr()) for a, b in zip(whole, tail)]
                print(name, seed, f"+ last {k:3d} x{weight:.1f}  " + "loss %.4f acc %.4f C %d" % best(*both, fit_y, val_y), flush=True)
