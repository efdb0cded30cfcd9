#!/usr/bin/env python3
"""Probe (issue 13): do character n-grams need the characters of words outside the vocabulary?
Keras text_to_word_sequence tokens (TextRNN's default), word 1-2-grams (min_df 2) plus char_wb-style
2-5-grams of every word ("char all words") or of the words seen at least twice in training only
("char vocab words", what per-vocabulary-id lists would give), one L2 norm over the whole vector
after the sqrt naive-Bayes scale. Validation only (six stratified 90/10 splits of train.csv).

    python3 bench/probes/character_ngrams_oov.py DATA_FOLDER NAME[,NAME...]
"""
import csv, os, sys, re, numpy as np, scipy.sparse as sp
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nb_weighting import nb_weights
from sklearn.feature_extraction.text import TfidfVectorizer, CountVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import normalize
from sklearn.metrics import log_loss
csv.field_size_limit(1 << 30)
FILTERS = '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n'
TABLE = str.maketrans({c: " " for c in FILTERS})
def keras_tokens(t): return t.lower().translate(TABLE).split()
data = sys.argv[1]
for name in sys.argv[2].split(","):
    rows = list(csv.DictReader(open(f"{data}/{name}/train.csv", newline="", encoding="utf-8")))
    texts = [r["text"] for r in rows]; labels = np.array([r["label"] for r in rows])
    seeds = [42] if len(texts) > 20000 else [42,1,2,3,4,5]
    res = {}
    for seed in seeds:
        fit_t, val_t, fit_y, val_y = train_test_split(texts, labels, test_size=0.1, random_state=seed, stratify=labels)
        ftok = [keras_tokens(t) for t in fit_t]; vtok = [keras_tokens(t) for t in val_t]
        from collections import Counter
        cnt = Counter(w for ws in ftok for w in ws); vocab = {w for w, c in cnt.items() if c >= 2}
        def grams(ws, invocab):
            out = []
            for w in ws:
                if invocab and w not in vocab: w = None
                if w is None: continue
                p = " " + w + " "
                for n in range(2, 6):
                    out += [p[i:i+n] for i in range(len(p) - n + 1)]
            return out
        wv = TfidfVectorizer(analyzer=lambda ws: ws + [a + " " + b for a, b in zip(ws, ws[1:])], min_df=2, sublinear_tf=True, norm=None)
        Wf = wv.fit_transform(ftok); Wv = wv.transform(vtok)
        variants = {"word": None, "char all words": False, "char vocab words": True}
        for kind, invocab in variants.items():
            if invocab is None: Xf, Xv = Wf, Wv
            else:
                cv = TfidfVectorizer(analyzer=lambda ws: grams(ws, invocab), min_df=2, sublinear_tf=True, norm=None)
                Cf = cv.fit_transform(ftok); Cv = cv.transform(vtok)
                Xf, Xv = sp.hstack([Wf, Cf]).tocsr(), sp.hstack([Wv, Cv]).tocsr()
            g = np.sqrt(nb_weights(Xf, fit_y, np.unique(fit_y)))
            A, V = normalize(Xf.multiply(g).tocsr()), normalize(Xv.multiply(g).tocsr())
            best = None
            for C in [2, 8, 32, 128]:
                m = LogisticRegression(C=C, max_iter=300).fit(A, fit_y)
                p = m.predict_proba(V)
                loss = log_loss(val_y, p, labels=m.classes_); acc = np.mean(m.classes_[p.argmax(1)] == val_y)
                if best is None or loss < best[0]: best = (loss, acc, C, Xf.shape[1])
            res.setdefault(kind, []).append(best)
    for kind, b in res.items():
        print(name, kind, "loss %.4f acc %.4f" % (np.mean([x[0] for x in b]), np.mean([x[1] for x in b])), [x[2] for x in b], "features", b[0][3], flush=True)
