#!/usr/bin/env python3
"""Probe (issue 13, IMDB's stretch goal): can the bag generalize from a rare word to its common
neighbours? The bag's regression sees "abysmal" in a handful of reviews; skip-gram vectors
trained on the same training texts put it beside "awful". Three ways to give the bag that:
  clusters  the bag's features plus each word's k-means cluster over its skip-gram vector, as
            cluster 1-2-grams (a second tf-idf block, scaled by the naive-Bayes ratios alike);
  mean      the bag's features plus the text's mean skip-gram vector (a dense block);
  weightings the bag's three weightings' logits averaged (an ensemble without new features).
scikit-learn + gensim, validation only: stratified 90/10 splits of train.csv; test.csv is never
read. The vectors are trained on each split's fit rows only (gensim's skip-gram defaults, 64
dimensions, as SkipGram.swift). Usage: word_clusters.py imdb [seeds...]"""
import os
import sys

import numpy as np
import scipy.sparse as sp
from gensim.models import Word2Vec
from sklearn.cluster import MiniBatchKMeans
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import log_loss
from sklearn.preprocessing import normalize

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bag_probe_support import keras_tokens, load, lowest_loss, scaled, splits, word_ngrams  # noqa: E402
from nb_weighting import nb_weights  # noqa: E402

DATA = os.environ.get("TEXTRNN_DATA", os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../../shared/data"))
CS = [32, 128, 512]


def nb_block(fit_x, val_x, fit_y, power=0.5):
    """The bag's rows: columns times the naive-Bayes ratios to `power`, rows unit L2."""
    return scaled(fit_x, val_x, nb_weights(fit_x, fit_y, np.unique(fit_y)) ** power)


def logits(p):
    p = np.clip(p[:, 1], 1e-12, 1 - 1e-12)
    return np.log(p / (1 - p))


def score(name, seed, kind, p, val_y, classes, extra=""):
    loss = log_loss(val_y, p, labels=classes)
    acc = np.mean(classes[p.argmax(1)] == val_y)
    print(f"{name} seed {seed:2d} {kind:28s} loss {loss:.4f} acc {acc:.4f} {extra}", flush=True)


name = sys.argv[1] if len(sys.argv) > 1 else "imdb"
seeds = [int(s) for s in sys.argv[2:]] or [42, 1, 2]
texts, labels = load(DATA, name)
words = [keras_tokens(t) for t in texts]
for seed, (fit_w, val_w, fit_y, val_y) in splits(words, labels, seeds):
    classes = np.unique(fit_y)
    vec = TfidfVectorizer(analyzer=word_ngrams, min_df=2, sublinear_tf=True)
    fit_x, val_x = vec.fit_transform(fit_w), vec.transform(val_w)
    a, v = nb_block(fit_x, val_x, fit_y)
    loss, acc, c, p_base = lowest_loss(a, v, fit_y, val_y, CS)
    score(name, seed, "bag (sqrt NB)", p_base, val_y, classes, f"C {c}")

    # The three weightings' logits averaged, each at its own lowest-loss C.
    zs = []
    for power in [0.0, 0.5, 1.0]:
        aa, vv = nb_block(fit_x, val_x, fit_y, power)
        zs.append(logits(lowest_loss(aa, vv, fit_y, val_y, CS)[3]))
    z = np.mean(zs, axis=0)
    score(name, seed, "weightings averaged", np.stack([1 / (1 + np.exp(z)), 1 / (1 + np.exp(-z))], 1), val_y, classes)

    sg = Word2Vec(fit_w, vector_size=64, sg=1, min_count=2, workers=2, seed=seed, epochs=5)
    for k in [256, 1024]:
        km = MiniBatchKMeans(n_clusters=k, random_state=seed, n_init=3, batch_size=4096).fit(sg.wv.vectors)
        cluster = {w: f"c{km.labels_[i]}" for i, w in enumerate(sg.wv.index_to_key)}

        def cluster_ngrams(ws):
            cs = [cluster[w] for w in ws if w in cluster]
            return cs + [x + " " + y for x, y in zip(cs, cs[1:])]
        cvec = TfidfVectorizer(analyzer=cluster_ngrams, min_df=2, sublinear_tf=True)
        ca, cv = nb_block(cvec.fit_transform(fit_w), cvec.transform(val_w), fit_y)
        for weight in [0.5, 1.0]:
            both_a = normalize(sp.hstack([a, weight * ca]).tocsr())
            both_v = normalize(sp.hstack([v, weight * cv]).tocsr())
            loss, acc, c, p = lowest_loss(both_a, both_v, fit_y, val_y, CS)
            score(name, seed, f"+ clusters k={k} w={weight}", p, val_y, classes, f"C {c}")

    def mean_vectors(ws_list):
        out = np.zeros((len(ws_list), 64))
        for i, ws in enumerate(ws_list):
            rows = [sg.wv[w] for w in ws if w in sg.wv]
            if rows:
                out[i] = np.mean(rows, 0)
        return normalize(out)
    ma, mv = mean_vectors(fit_w), mean_vectors(val_w)
    for weight in [0.25, 0.5]:
        both_a = normalize(sp.hstack([a, weight * sp.csr_matrix(ma)]).tocsr())
        both_v = normalize(sp.hstack([v, weight * sp.csr_matrix(mv)]).tocsr())
        loss, acc, c, p = lowest_loss(both_a, both_v, fit_y, val_y, CS)
        score(name, seed, f"+ mean vector w={weight}", p, val_y, classes, f"C {c}")
