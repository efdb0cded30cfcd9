#!/usr/bin/env python3
"""Probe (issue 13): binary term frequency (NBSVM's binarized counts) against the bag's sublinear tf,
both with idf x sqrt(naive-Bayes) weights and unit L2 rows, C chosen by validation loss from
[2, 8, 32, 128]. Validation only: stratified 90/10 splits of train.csv (seed 42, and seeds 1-5
for sets under 20,000 texts); test.csv is never read.

    python3 bench/probes/binary_tf.py DATA_FOLDER NAME[,NAME...]
"""
import csv, os, sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nb_weighting import nb_weights
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import normalize
from sklearn.metrics import log_loss
csv.field_size_limit(1 << 30)
data = sys.argv[1]
for name in sys.argv[2].split(","):
    rows = list(csv.DictReader(open(f"{data}/{name}/train.csv", newline="", encoding="utf-8")))
    texts = [r["text"] for r in rows]; labels = np.array([r["label"] for r in rows])
    seeds = [42] if len(texts) > 20000 else [42,1,2,3,4,5]
    res = {}
    for seed in seeds:
        fit_t, val_t, fit_y, val_y = train_test_split(texts, labels, test_size=0.1, random_state=seed, stratify=labels)
        for tf in ["sublinear", "binary"]:
            vec = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=(tf=="sublinear"), binary=(tf=="binary"))
            Xf = vec.fit_transform(fit_t); Xv = vec.transform(val_t)
            g = np.sqrt(nb_weights(Xf, fit_y, np.unique(fit_y)))
            A, V = normalize(Xf.multiply(g).tocsr()), normalize(Xv.multiply(g).tocsr())
            best = None
            for C in [2, 8, 32, 128]:
                m = LogisticRegression(C=C, max_iter=300).fit(A, fit_y)
                p = m.predict_proba(V)
                loss = log_loss(val_y, p, labels=m.classes_); acc = np.mean(m.classes_[p.argmax(1)] == val_y)
                if best is None or loss < best[0]: best = (loss, acc, C)
            res.setdefault(tf, []).append(best)
    for tf, b in res.items():
        print(name, tf, "loss %.4f acc %.4f" % (np.mean([x[0] for x in b]), np.mean([x[1] for x in b])), [x[2] for x in b], flush=True)
