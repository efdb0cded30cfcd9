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

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bag_probe_support import lowest_loss, scaled, word_bag_splits  # noqa: E402
from nb_weighting import nb_weights  # noqa: E402

DATA = os.environ.get("TEXTRNN_DATA", os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../../shared/data"))
CS = [32, 128, 512]


for name in sys.argv[1:] or ["imdb"]:
    for seed, fit_x, val_x, fit_y, val_y in word_bag_splits(DATA, name, [42, 1, 2]):
        for alpha in [1.0, 0.25, 4.0, 16.0]:
            g = nb_weights(fit_x, fit_y, np.unique(fit_y), alpha)
            for power in [0.5, 0.75, 1.0]:
                a, v = scaled(fit_x, val_x, g ** power)
                loss, acc, c, _ = lowest_loss(a, v, fit_y, val_y, CS)
                print(name, seed, f"alpha {alpha:5.2f} power {power:.2f}  loss {loss:.4f} acc {acc:.4f} C {c}", flush=True)
