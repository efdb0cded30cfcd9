#!/usr/bin/env python3
"""Probe (issue 13): character n-grams beside the bag's word 1-2-grams, in a scikit-learn emulation
(bag_probe_support.py: sqrt naive-Bayes scale, unit L2 rows, C by validation loss). Validation
only: six stratified 90/10 splits of train.csv (seed 42 alone with --one-split); test.csv is
never read. Results: bench/results/character-ngram-probe-20261206.txt.

Setups (--setup):
  sklearn  scikit-learn's tokens: TfidfVectorizer word 1-2-grams and char_wb 2-5-grams on the raw
           text (at most 300,000), each TF-IDF with unit L2, stacked (table A). Variants: word, char.
  keras    TextRNN's default tokens (Keras text_to_word_sequence), word 1-2-grams and 2-5-grams of
           the words, sublinear TF-IDF, min_df 2 (tables B, C and D). Variants:
             word          words alone
             char          + the n-grams of every word, one L2 norm over the whole vector
             char-vocab    + the n-grams of words seen twice in training only
             char-seen     + the n-grams of words seen in training only (unseen words give none)
             char-hashed   + every word's n-grams hashed into 2^20 buckets
             char-blocks   + every word's n-grams, word and char blocks each L2-normalized first
             char-blocks-half  the same with the char block at half weight

    python3 bench/probes/character_ngrams.py DATA_FOLDER NAME[,NAME...] --setup keras --variants word,char
"""
import argparse
from collections import Counter

import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

from bag_probe_support import SEEDS, best_fit, char_ngrams, keras_tokens, load, report, splits, word_ngrams


def sklearn_features(fit_t, val_t, variant):
    word = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
    fit_x, val_x = word.fit_transform(fit_t), word.transform(val_t)
    if variant == "char":
        char = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True, max_features=300000)
        fit_x = sp.hstack([fit_x, char.fit_transform(fit_t)]).tocsr()
        val_x = sp.hstack([val_x, char.transform(val_t)]).tocsr()
    return fit_x, val_x


def keras_features(fit_t, val_t, variant):
    fit_w, val_w = [keras_tokens(t) for t in fit_t], [keras_tokens(t) for t in val_t]
    def tfidf(analyzer):
        vectorizer = TfidfVectorizer(analyzer=analyzer, min_df=2, sublinear_tf=True, norm=None)
        return vectorizer.fit_transform(fit_w), vectorizer.transform(val_w)
    fit_x, val_x = tfidf(word_ngrams)
    if variant == "word":
        return fit_x, val_x
    counts = Counter(w for words in fit_w for w in words)
    analyzer = {
        "char": char_ngrams, "char-blocks": char_ngrams, "char-blocks-half": char_ngrams,
        "char-vocab": lambda words: char_ngrams(words, keep={w for w, n in counts.items() if n >= 2}),
        "char-seen": lambda words: char_ngrams(words, keep=set(counts)),
        "char-hashed": lambda words: char_ngrams(words, buckets=1 << 20),
    }[variant]
    fit_c, val_c = tfidf(analyzer)
    if variant.startswith("char-blocks"):
        weight = 0.5 if variant.endswith("half") else 1.0
        fit_x, val_x, fit_c, val_c = normalize(fit_x), normalize(val_x), weight * normalize(fit_c), weight * normalize(val_c)
    return sp.hstack([fit_x, fit_c]).tocsr(), sp.hstack([val_x, val_c]).tocsr()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("data")
    parser.add_argument("names")
    parser.add_argument("--setup", choices=["sklearn", "keras"], default="keras")
    parser.add_argument("--variants", default="word,char")
    parser.add_argument("--cs", default="2,8,32,128")
    parser.add_argument("--one-split", action="store_true")
    args = parser.parse_args()
    features = sklearn_features if args.setup == "sklearn" else keras_features
    cs = [float(c) for c in args.cs.split(",")]
    for name in args.names.split(","):
        texts, labels = load(args.data, name)
        results = {}
        for seed, (fit_t, val_t, fit_y, val_y) in splits(texts, labels, SEEDS[:1] if args.one_split else SEEDS):
            for variant in args.variants.split(","):
                fit_x, val_x = features(fit_t, val_t, variant)
                results.setdefault(variant, []).append(best_fit(fit_x, val_x, fit_y, val_y, cs))
        for variant, result in results.items():
            report(name, variant, result)
