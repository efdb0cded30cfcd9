#!/usr/bin/env python3
"""Probe (issue 13): binary term frequency (NBSVM's binarized counts) against the bag's sublinear tf:
scikit-learn's word 1-2-grams (min_df 2) in the emulation of bag_probe_support.py (sqrt naive-Bayes
scale, unit L2 rows, C by validation loss in [2, 8, 32, 128]). Validation only: six stratified
90/10 splits of train.csv, one for sets over 20,000 texts; test.csv is never read.

    python3 bench/probes/binary_tf.py DATA_FOLDER NAME[,NAME...]
"""
import sys

from sklearn.feature_extraction.text import TfidfVectorizer

from bag_probe_support import SEEDS, best_fit, load, report, splits

if __name__ == "__main__":
    for name in sys.argv[2].split(","):
        texts, labels = load(sys.argv[1], name)
        results = {}
        for seed, (fit_t, val_t, fit_y, val_y) in splits(texts, labels, SEEDS[:1] if len(texts) > 20000 else SEEDS):
            for tf in ["sublinear", "binary"]:
                vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=tf == "sublinear", binary=tf == "binary")
                fit_x, val_x = vectorizer.fit_transform(fit_t), vectorizer.transform(val_t)
                results.setdefault(tf, []).append(best_fit(fit_x, val_x, fit_y, val_y, [2, 8, 32, 128]))
        for tf, result in results.items():
            report(name, tf, result)
