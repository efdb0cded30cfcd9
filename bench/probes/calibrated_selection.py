#!/usr/bin/env python3
"""Probe (issue 13, IMDB's stretch goal): should the bag's search choose its weighting and C by
the validation loss after one fitted temperature, instead of the raw validation loss?
nb_smoothing.py showed the naive-Bayes ratios at power 1 giving IMDB higher accuracy than at
power 1/2 but a higher loss: the stronger weighting is more accurate and overconfident. A
temperature (the logits divided by one fitted T) changes no prediction and takes the
overconfidence out of the comparison; T can be folded into the kept regression's weights.
scikit-learn only, validation only: stratified 90/10 splits of train.csv; test.csv is never read.
The 10% is cut in two halves: each criterion chooses on one half and is scored on the other
(both ways), so the choice is not scored on the rows it was made on.
Usage: calibrated_selection.py imdb [ag_news_mini 20news ...]"""
import os
import sys

import numpy as np
from scipy.optimize import minimize_scalar
from scipy.special import log_softmax
from sklearn.linear_model import LogisticRegression

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bag_probe_support import scaled, word_bag_splits  # noqa: E402
from nb_weighting import nb_weights  # noqa: E402

DATA = os.environ.get("TEXTRNN_DATA", os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../../shared/data"))
CS = [2, 8, 32, 128, 512, 2048]
POWERS = [0.0, 0.5, 1.0]  # the bag's weightings: idf, idf x sqrt(NB), idf x NB


def loss(logits, y, temperature=1.0):
    return -np.mean(log_softmax(logits / temperature, axis=1)[np.arange(len(y)), y])


def calibrated_loss(logits, y):
    fit = minimize_scalar(lambda t: loss(logits, y, np.exp(t)), bounds=(-3, 3), method="bounded")
    return fit.fun, float(np.exp(fit.x))


def full_logits(model, x):
    z = model.decision_function(x)
    return np.stack([-z / 2, z / 2], 1) if z.ndim == 1 else z  # two classes: one logit, split


for name in sys.argv[1:] or ["imdb"]:
    for seed, fit_x, val_x, fit_y, val_y in word_bag_splits(DATA, name, [42, 1, 2]):
        g = nb_weights(fit_x, fit_y, np.unique(fit_y))
        candidates = []  # (power, C, validation logits)
        for power in POWERS:
            a, v = scaled(fit_x, val_x, g ** power)
            for c in CS:
                model = LogisticRegression(C=c, max_iter=300).fit(a, fit_y)
                candidates.append((power, c, full_logits(model, v)))
        y = np.searchsorted(model.classes_, val_y)
        for power, c, z in candidates:
            calibrated, t = calibrated_loss(z, y)
            print(name, seed, f"candidate power {power:.1f} C {c:<5d} acc {np.mean(z.argmax(1) == y):.4f} "
                  f"loss {loss(z, y):.4f} calibrated {calibrated:.4f} T {t:.2f}", flush=True)
        halves = np.random.RandomState(seed).permutation(len(y)) % 2
        for choose in (0, 1):
            pick, score = halves == choose, halves != choose
            raw = min(candidates, key=lambda k: loss(k[2][pick], y[pick]))
            cal = min(candidates, key=lambda k: calibrated_loss(k[2][pick], y[pick])[0])
            for label, (power, c, z) in (("raw loss", raw), ("calibrated", cal)):
                t = calibrated_loss(z[pick], y[pick])[1]
                accuracy = np.mean(z[score].argmax(1) == y[score])
                print(name, seed, choose, f"{label:10s} power {power:.1f} C {c:<5d} T {t:.2f}  other half: "
                      f"acc {accuracy:.4f} loss {loss(z[score], y[score]):.4f} loss/T {loss(z[score], y[score], t):.4f}", flush=True)
