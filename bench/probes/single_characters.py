#!/usr/bin/env python3
"""Probe (issue 13): the baseline's regression (TF-IDF 1-2 grams, LogisticRegressionCV) with
scikit-learn's tokens, with one-character tokens kept, with Keras's text_to_word_sequence split
(TextRNN's default), with that split minus one-character tokens and with the apostrophe split
too, on six stratified 90/10
splits (seeds 42, 1-5) of a task's train.csv: validation only. Usage:
single_characters.py DIR NAME, e.g. /tmp/proxy news_pc_vs_mac_30w (small_task_proxies.py)."""
import csv, sys, numpy as np, warnings
warnings.filterwarnings("ignore")
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegressionCV
from sklearn.model_selection import train_test_split
csv.field_size_limit(1<<30)
FILT = '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n'
tab = str.maketrans({c: " " for c in FILT})
def keras_tok(t): return t.lower().translate(tab).split()
tab_apostrophe = str.maketrans({c: " " for c in FILT + "'"})  # Keras's filters keep the apostrophe
base, name = sys.argv[1], sys.argv[2]
rows=list(csv.DictReader(open(f"{base}/{name}/train.csv")))
texts=[r["text"] for r in rows]; y=np.array([r["label"] for r in rows])
variants = {
 "sklearn default": dict(),
 "1-char kept": dict(token_pattern=r"(?u)\b\w+\b"),
 "keras split": dict(tokenizer=keras_tok, token_pattern=None, lowercase=False),
 "keras split, 1-char dropped": dict(tokenizer=lambda t: [w for w in keras_tok(t) if len(w) > 1], token_pattern=None, lowercase=False),
 "keras split + apostrophe": dict(tokenizer=lambda t: t.lower().translate(tab_apostrophe).split(), token_pattern=None, lowercase=False),
}
for vname, kw in variants.items():
    acc=[]
    for seed in [42,1,2,3,4,5]:
        tr,te,ytr,yte=train_test_split(texts,y,test_size=0.1,random_state=seed,stratify=y)
        v=TfidfVectorizer(ngram_range=(1,2),min_df=2,sublinear_tf=True,**kw); A=v.fit_transform(tr)
        m=LogisticRegressionCV(Cs=[0.5,2,8,32],cv=5,max_iter=5000).fit(A,ytr); acc.append(np.mean(m.predict(v.transform(te))==yte))
    print(name, vname, "%.4f"%np.mean(acc), np.round(acc,3), flush=True)
