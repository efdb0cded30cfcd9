"""What the bag-feature probes share: the data, the validation splits, TextRNN's default tokens and
the fit (square root of the naive-Bayes ratios, unit L2 rows, C chosen by validation loss).
Validation only: stratified 90/10 splits of train.csv; test.csv is never read."""
import csv
import os
import sys

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import normalize

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nb_weighting import nb_weights  # noqa: E402

csv.field_size_limit(1 << 30)
SEEDS = [42, 1, 2, 3, 4, 5]
# keras.preprocessing.text.text_to_word_sequence's filters: TextRNN's default standardization.
KERAS_TABLE = str.maketrans({c: " " for c in '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n'})


def keras_tokens(text):
    return text.replace("<br />", " ").lower().translate(KERAS_TABLE).split()


def word_ngrams(words):
    """The bag's words and adjacent pairs."""
    return words + [a + " " + b for a, b in zip(words, words[1:])]


def char_ngrams(words, keep=None, buckets=None):
    """scikit-learn's char_wb 2-5-grams of each word padded by spaces; only the words in `keep`
    (when given); hashed into `buckets` by CRC-32 (when given)."""
    import zlib
    out = []
    for word in words:
        if keep is not None and word not in keep:
            continue
        padded = " " + word + " "
        for n in range(2, 6):
            for i in range(len(padded) - n + 1):
                gram = padded[i:i + n]
                out.append(gram if buckets is None else str(zlib.crc32(gram.encode()) % buckets))
    return out


def load(data, name):
    rows = list(csv.DictReader(open(f"{data}/{name}/train.csv", newline="", encoding="utf-8")))
    return [r["text"] for r in rows], np.array([r["label"] for r in rows])


def splits(texts, labels, seeds):
    """(fit texts, validation texts, fit labels, validation labels) per seed."""
    for seed in seeds:
        yield seed, train_test_split(texts, labels, test_size=0.1, random_state=seed, stratify=labels)


def word_bag_splits(data, name, seeds):
    """(seed, fit rows, validation rows, fit labels, validation labels) per seed: the bag's word
    features (TextRNN's tokens, 1-2-grams, min_df 2, sublinear tf, idf), unweighted."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    texts, labels = load(data, name)
    words = [keras_tokens(t) for t in texts]
    for seed, (fit_w, val_w, fit_y, val_y) in splits(words, labels, seeds):
        vec = TfidfVectorizer(analyzer=word_ngrams, min_df=2, sublinear_tf=True)
        yield seed, vec.fit_transform(fit_w), vec.transform(val_w), fit_y, val_y


def best_fit(fit_x, val_x, fit_y, val_y, cs):
    """Scales columns by sqrt(naive-Bayes ratio), renormalizes rows, fits each C; returns
    (loss, accuracy, C, validation probabilities) of the lowest validation loss."""
    return lowest_loss(*nb_scaled(fit_x, val_x, fit_y), fit_y, val_y, cs)


def nb_scaled(fit_x, val_x, fit_y):
    """Both matrices' columns times the square root of the fit rows' naive-Bayes ratios, rows
    renormalized to unit L2."""
    return scaled(fit_x, val_x, np.sqrt(nb_weights(fit_x, fit_y, np.unique(fit_y))))


def scaled(fit_x, val_x, scale):
    """Both matrices' columns times `scale`, rows renormalized to unit L2."""
    return normalize(fit_x.multiply(scale).tocsr()), normalize(val_x.multiply(scale).tocsr())


def lowest_loss(a, v, fit_y, val_y, cs):
    """Fits each C on the rows `a` as they are; (loss, accuracy, C, validation probabilities)
    of the lowest validation loss on `v`."""
    best = None
    for c in cs:
        model = LogisticRegression(C=c, max_iter=300).fit(a, fit_y)
        p = model.predict_proba(v)
        loss = log_loss(val_y, p, labels=model.classes_)
        accuracy = np.mean(model.classes_[p.argmax(1)] == val_y)
        if best is None or loss < best[0]:
            best = (loss, accuracy, c, p)
    return best


def report(name, kind, results):
    print(name, kind, "loss %.4f acc %.4f" % (np.mean([r[0] for r in results]), np.mean([r[1] for r in results])),
          [round(float(r[1]), 4) for r in results], [r[2] for r in results], flush=True)
