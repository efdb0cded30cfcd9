#!/usr/bin/env python3
"""Probe (issue 13): do word trigrams help the bag's NB-weighted TF-IDF regression? scikit-learn
only, validation only: the harness's stratified 90/10 split of train.csv (seed 42); test.csv is
never read. Usage: trigrams.py imdb ag_news_mini"""
import csv, sys, os, time, numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import normalize
from sklearn.metrics import log_loss

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nb_weighting import nb_weights  # noqa: E402
data = os.environ.get("TEXTRNN_DATA", os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../../shared/data")); csv.field_size_limit(1 << 30)
for name in sys.argv[1:]:
    rows = list(csv.DictReader(open(f"{data}/{name}/train.csv", newline="", encoding="utf-8")))
    texts = [r["text"] for r in rows]; labels = np.array([r["label"] for r in rows])
    fit_t, val_t, fit_y, val_y = train_test_split(texts, labels, test_size=0.1, random_state=42, stratify=labels)
    for ng, mindf in [((1,2),2), ((1,3),2), ((1,3),3)]:
        t=time.time()
        vec = TfidfVectorizer(ngram_range=ng, min_df=mindf, sublinear_tf=True)
        Xf = vec.fit_transform(fit_t); Xv = vec.transform(val_t)
        g = nb_weights(Xf, fit_y, np.unique(fit_y))
        for scheme in ["idf*nb", "idf*sqrt(nb)"]:
            s = g if scheme=="idf*nb" else np.sqrt(g)
            A, V = normalize(Xf.multiply(s).tocsr()), normalize(Xv.multiply(s).tocsr())
            for C in [8, 32, 128, 512]:
                m = LogisticRegression(C=C, max_iter=300).fit(A, fit_y)
                p = m.predict_proba(V)
                print(f"{name} {ng} mindf={mindf} feats={Xf.shape[1]} {scheme:12s} C={C:<4} val acc {np.mean(m.classes_[p.argmax(1)] == val_y):.4f} loss {log_loss(val_y, p, labels=m.classes_):.4f}", flush=True)
        print("time", time.time()-t, flush=True)
