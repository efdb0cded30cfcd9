#!/usr/bin/env python3
"""Probe (issue 13, IMDB's stretch goal): TextRNN's standardizer (Keras's text_to_word_sequence)
drops "!" and "?", which NBSVM's tokenizations keep (Mesnil et al. 2014). The bag's emulation
with "!" and "?" kept as words of their own, against it. scikit-learn only, validation only:
stratified 90/10 splits of train.csv (seeds 42, 1, 2); test.csv is never read.
Usage: punctuation_tokens.py"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bag_probe_support import keras_tokens, load, lowest_loss, nb_scaled, splits, word_ngrams  # noqa: E402
from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: E402

DATA = os.environ.get("TEXTRNN_DATA", os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../../shared/data"))
MARKS = re.compile(r"([!?])")


def with_marks(text):
    """TextRNN's tokens, plus each "!" and "?" as a token where it stood."""
    tokens = []
    for piece in MARKS.sub(r" \1 ", text.replace("<br />", " ")).lower().split(" "):
        tokens.extend([piece] if piece in ("!", "?") else keras_tokens(piece))
    return tokens


texts, labels = load(DATA, "imdb")
for name, tokenize in [("keras", keras_tokens), ("keep !?", with_marks)]:
    words = [tokenize(t) for t in texts]
    for seed, (fit_w, val_w, fit_y, val_y) in splits(words, labels, [42, 1, 2]):
        vectorizer = TfidfVectorizer(analyzer=word_ngrams, min_df=2, sublinear_tf=True)
        a, v = nb_scaled(vectorizer.fit_transform(fit_w), vectorizer.transform(val_w), fit_y)
        loss, accuracy, c, _ = lowest_loss(a, v, fit_y, val_y, [32, 128])
        print(name, seed, f"loss {loss:.4f} acc {accuracy:.4f} C {c}", flush=True)
