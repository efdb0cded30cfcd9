#!/usr/bin/env python3
"""Probe (issue 13, IMDB stretch): does a model whose errors differ from the bag's lift the mix?
Mesnil et al. (2014) lifted NBSVM with generative models; here the cheap ones: multinomial naive
Bayes over 1-3-gram presence, and a character 2-5-gram regression. The members are fitted on the
fit rows; their log-probabilities are mixed by a logistic regression fitted on one half of the
validation rows and scored on the other half, then the halves swap (so the mix never scores rows
it was fitted on). Validation only: stratified 90/10 splits of train.csv; test.csv is never read.
Usage: generative_mix.py imdb [seeds...]"""
import os
import sys

import numpy as np
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
from sklearn.model_selection import StratifiedKFold
from sklearn.naive_bayes import MultinomialNB

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bag_probe_support import best_fit, char_ngrams, keras_tokens, word_ngrams, load, splits  # noqa: E402

data = os.environ.get("TEXTRNN_DATA", os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../../shared/data"))


def bag_logprobs(fit_t, val_t, fit_y, val_y, analyzer, cs):
    """The bag emulated (bag_probe_support.best_fit) over `analyzer`'s terms: (loss, C, log p)."""
    vec = TfidfVectorizer(analyzer=analyzer, min_df=2, sublinear_tf=True)
    loss, _, c, p = best_fit(vec.fit_transform(fit_t), vec.transform(val_t), fit_y, val_y, cs)
    return loss, c, np.log(np.clip(p, 1e-12, 1))


def nb_logprobs(fit_t, val_t, fit_y, analyzer):
    vec = CountVectorizer(analyzer=analyzer, min_df=2, binary=True)
    fx, vx = vec.fit_transform(fit_t), vec.transform(val_t)
    return MultinomialNB(alpha=1.0).fit(fx, fit_y).predict_log_proba(vx)


def mixed(members, val_y):
    """Out-of-half mixed probabilities: the mix fitted on one half, applied to the other."""
    x = np.hstack([m[:, 1:] - m[:, :1] for m in members])  # two classes: each member's log-odds
    out = np.zeros((len(val_y), 2))
    for a, b in StratifiedKFold(2, shuffle=True, random_state=0).split(x, val_y):
        out[b] = LogisticRegression(C=100).fit(x[a], val_y[a]).predict_proba(x[b])
    return out


def words(text):
    return word_ngrams(keras_tokens(text))


def trigrams(text):
    w = keras_tokens(text)
    return word_ngrams(w) + [" ".join(t) for t in zip(w, w[1:], w[2:])]


def chars(text):
    return char_ngrams(keras_tokens(text))


if __name__ == "__main__":
    name = sys.argv[1]
    seeds = [int(s) for s in sys.argv[2:]] or [42]
    texts, labels = load(data, name)
    for seed, (fit_t, val_t, fit_y, val_y) in splits(texts, labels, seeds):
        classes = np.unique(fit_y)
        loss, c, bag = bag_logprobs(fit_t, val_t, fit_y, val_y, words, [8, 32, 128])
        nb = nb_logprobs(fit_t, val_t, fit_y, trigrams)
        closs, cc, char = bag_logprobs(fit_t, val_t, fit_y, val_y, chars, [8, 32, 128])
        def show(label, p):
            print(f"{name} seed {seed} {label:28s} acc {np.mean(classes[p.argmax(1)] == val_y):.4f} loss {log_loss(val_y, p):.4f}", flush=True)
        show(f"bag words C={c}", np.exp(bag))
        show("naive Bayes 1-3 grams", np.exp(nb - np.logaddexp.reduce(nb, axis=1, keepdims=True)))
        show(f"bag chars C={cc}", np.exp(char))
        show("mix bag (calibrated)", mixed([bag], val_y))
        show("mix bag + NB", mixed([bag, nb], val_y))
        show("mix bag + chars", mixed([bag, char], val_y))
        show("mix bag + NB + chars", mixed([bag, nb, char], val_y))
