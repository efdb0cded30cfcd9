#!/usr/bin/env python3
"""Probe (issue 13): character n-grams beside the bag's word 1-2-grams, scikit-learn emulation.
Word TfidfVectorizer(1-2 grams, min_df 2, sublinear tf, L2) and char_wb 2-5-grams (min_df 2,
sublinear tf, L2, at most 300,000), stacked, scaled by sqrt of the naive-Bayes ratios and
renormalized; LogisticRegression with C chosen by validation loss in [2, 8, 32, 128].
Validation only: stratified 90/10 splits of train.csv (seed 42, and 1-5 under 20,000 texts);
test.csv is never read.

    python3 bench/probes/character_ngrams.py DATA_FOLDER NAME[,NAME...]
"""
import csv, os, sys, numpy as np, scipy.sparse as sp
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
        w = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
        c = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True, max_features=300000)
        Wf = w.fit_transform(fit_t); Wv = w.transform(val_t)
        Cf = c.fit_transform(fit_t); Cv = c.transform(val_t)
        for kind in ["word", "word+char"]:
            if kind == "word": Xf, Xv = Wf, Wv
            else: Xf, Xv = sp.hstack([Wf, Cf]).tocsr(), sp.hstack([Wv, Cv]).tocsr()
            g = np.sqrt(nb_weights(Xf, fit_y, np.unique(fit_y)))
            A, V = normalize(Xf.multiply(g).tocsr()), normalize(Xv.multiply(g).tocsr())
            best = None
            for C in [2, 8, 32, 128]:
                m = LogisticRegression(C=C, max_iter=300).fit(A, fit_y)
                p = m.predict_proba(V)
                loss = log_loss(val_y, p, labels=m.classes_); acc = np.mean(m.classes_[p.argmax(1)] == val_y)
                if best is None or loss < best[0]: best = (loss, acc, C)
            res.setdefault(kind, []).append(best)
    for kind, b in res.items():
        print(name, kind, "loss %.4f acc %.4f" % (np.mean([x[0] for x in b]), np.mean([x[1] for x in b])), [round(x[1],4) for x in b], [x[2] for x in b], flush=True)
