#!/usr/bin/env python3
"""Probe (issue 13): does naive-Bayes feature weighting (NBSVM, Wang & Manning 2012) help the bag
branch's TF-IDF logistic regression? Validation only: the harness's stratified 90/10 split of
train.csv (seed 42), fit on the 90 %, scored on the 10 %; test.csv is never read.

Features: TfidfVectorizer(1-2 grams, min_df=2, sublinear_tf), then each column scaled by
g_f = max_c |log((p_fc/|p_c|)/(q_fc/|q_c|))| (p: binarized counts in class c + 1, q: in the other
classes + 1), rows re-normalized to unit L2. For two classes g_f = |r_f|, NBSVM's ratio (its sign
does not matter to an L2-penalized linear model)."""
import csv, sys, os, numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import normalize
from sklearn.metrics import log_loss

data = os.environ.get("TEXTRNN_DATA", os.path.join(os.path.dirname(__file__), "../../../shared/data"))
csv.field_size_limit(1 << 30)

def nb_weights(X, y, classes, alpha=1.0):
    """g_f above; `alpha` is the count added to p and q (1 in NBSVM and in the bag)."""
    B = (X > 0).astype(np.float64)
    g = np.zeros(X.shape[1])
    for c in classes:
        p = np.asarray(B[y == c].sum(0)).ravel() + alpha
        q = np.asarray(B[y != c].sum(0)).ravel() + alpha
        g = np.maximum(g, np.abs(np.log((p / p.sum()) / (q / q.sum()))))
    return g

if __name__ == "__main__":
    for name in sys.argv[1:] or ["imdb", "20news", "ag_news_mini"]:
        rows = list(csv.DictReader(open(f"{data}/{name}/train.csv", newline="", encoding="utf-8")))
        texts = [r["text"] for r in rows]; labels = np.array([r["label"] for r in rows])
        fit_t, val_t, fit_y, val_y = train_test_split(texts, labels, test_size=0.1, random_state=42, stratify=labels)
        vec = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
        Xf = vec.fit_transform(fit_t); Xv = vec.transform(val_t)
        classes = np.unique(fit_y)
        g = nb_weights(Xf, fit_y, classes)
        for scheme in ["idf", "idf*nb", "idf*sqrt(nb)"]:
            scale = {"idf": None, "idf*nb": g, "idf*sqrt(nb)": np.sqrt(g)}[scheme]
            A, V = (Xf, Xv) if scale is None else (normalize(Xf.multiply(scale).tocsr()), normalize(Xv.multiply(scale).tocsr()))
            for C in [2, 8, 32, 128, 512]:
                m = LogisticRegression(C=C, max_iter=300).fit(A, fit_y)
                p = m.predict_proba(V)
                print(f"{name} {scheme:12s} C={C:<4} val acc {np.mean(m.classes_[p.argmax(1)] == val_y):.4f} loss {log_loss(val_y, p, labels=m.classes_):.4f}", flush=True)
