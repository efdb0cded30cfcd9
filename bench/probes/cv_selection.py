#!/usr/bin/env python3
"""Probe (issue 13): on small data, is the bag's (weighting, C) better chosen by 5-fold
cross-validation over the training rows than by TextRNN's 10% holdout? scikit-learn only, the
bag emulated on scikit-learn's TF-IDF (1-2 grams, min_df 2, sublinear tf). Validation only:
each dataset's train.csv split 90/10 as bench/quality.py splits it (stratified, seeds 42, 1..5);
test.csv is never read.

  holdout  (weighting, C) by the loss on a stratified 10% of the 90% (fits on the rest: what
           `textrnn train` does), then refit on the whole 90%;
  cv5      (weighting, C) by the mean loss over 5 stratified folds of the 90% (the naive-Bayes
           ratios computed on each fold's training part), then refit on the whole 90%;
  baseline TF-IDF + LogisticRegressionCV(Cs=[0.5, 2, 8, 32], cv=5), the issue's bar.

Usage: cv_selection.py DATA_FOLDER NAME..."""
import csv, sys, os, warnings, numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression, LogisticRegressionCV
from sklearn.model_selection import train_test_split, StratifiedKFold
from sklearn.preprocessing import normalize
from sklearn.metrics import log_loss

sys.path.insert(0, os.path.dirname(__file__))
from nb_weighting import nb_weights  # noqa: E402

csv.field_size_limit(1 << 30)
warnings.filterwarnings("ignore", category=FutureWarning)  # LogisticRegressionCV's coming defaults
POWERS = {"idf": 0.0, "idf*sqrt(nb)": 0.5, "idf*nb": 1.0}
C_GRID = [0.5, 2, 8, 32, 128, 512, 2048]


def weighted(X, y_fit, X_fit, power):
    if power == 0:
        return X
    g = nb_weights(X_fit, y_fit, np.unique(y_fit)) ** power
    return normalize(X.multiply(g).tocsr())


def loss_of(X_fit, y_fit, X_eval, y_eval, power, C):
    A, V = weighted(X_fit, y_fit, X_fit, power), weighted(X_eval, y_fit, X_fit, power)
    model = LogisticRegression(C=C, max_iter=300).fit(A, y_fit)
    return log_loss(y_eval, model.predict_proba(V), labels=model.classes_)


def accuracy_at(X_fit, y_fit, X_eval, y_eval, power, C):
    A, V = weighted(X_fit, y_fit, X_fit, power), weighted(X_eval, y_fit, X_fit, power)
    model = LogisticRegression(C=C, max_iter=300).fit(A, y_fit)
    return float(np.mean(model.predict(V) == y_eval))


def main():
    folder, names = sys.argv[1], sys.argv[2:]
    for name in names:
        rows = list(csv.DictReader(open(f"{folder}/{name}/train.csv", newline="", encoding="utf-8")))
        texts = np.array([r["text"] for r in rows], dtype=object)
        labels = np.array([r["label"] for r in rows])
        scores = {"holdout": [], "cv5": [], "baseline": []}
        for seed in [42, 1, 2, 3, 4, 5]:
            fit_i, val_i = train_test_split(np.arange(len(rows)), test_size=0.1, random_state=seed, stratify=labels)
            vec = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
            X, Xv = vec.fit_transform(texts[fit_i]), vec.transform(texts[val_i])
            y, yv = labels[fit_i], labels[val_i]
            grid = [(w, C) for w in POWERS for C in C_GRID]
            inner_fit, inner_held = train_test_split(np.arange(len(y)), test_size=0.1, random_state=0, stratify=y)
            holdout = min(grid, key=lambda wc: loss_of(X[inner_fit], y[inner_fit], X[inner_held], y[inner_held], POWERS[wc[0]], wc[1]))
            folds = list(StratifiedKFold(5, shuffle=True, random_state=0).split(np.zeros(len(y)), y))
            cv = min(grid, key=lambda wc: np.mean([loss_of(X[a], y[a], X[b], y[b], POWERS[wc[0]], wc[1]) for a, b in folds]))
            scores["holdout"].append(accuracy_at(X, y, Xv, yv, POWERS[holdout[0]], holdout[1]))
            scores["cv5"].append(accuracy_at(X, y, Xv, yv, POWERS[cv[0]], cv[1]))
            base = LogisticRegressionCV(Cs=[0.5, 2, 8, 32], cv=5, max_iter=1000).fit(X, y)
            scores["baseline"].append(float(np.mean(base.predict(Xv) == yv)))
            print(f"{name} seed {seed}: holdout {holdout} {scores['holdout'][-1]:.4f}  cv5 {cv} {scores['cv5'][-1]:.4f}  "
                  f"baseline C={base.C_[0]} {scores['baseline'][-1]:.4f}", flush=True)
        print(f"{name} mean: " + "  ".join(f"{k} {100 * np.mean(v):.2f}" for k, v in scores.items()), flush=True)


if __name__ == "__main__":
    main()
