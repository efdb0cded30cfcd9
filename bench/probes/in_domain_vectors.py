#!/usr/bin/env python3
"""Probe (issue 13, item 5 and IMDB's stretch goal): word vectors learned from the training
texts themselves (gensim's skip-gram; no outside data), given to `textrnn train
--pretrained-vectors`. The bag cannot relate a rare word to a common one ("abysmal", "awful");
vectors trained on the reviews can, which might give the network errors of its own.

Writes the vectors of quality.py's training part (the same stratified 90/10 split, so the
validation texts are not read) as a .vec file, tokenized as TextRNN's default standardizer
does. Then: quality.py --split validation --seed SEED --datasets NAME --skip-baseline
--textrnn-args "--pretrained-vectors FILE".
Usage: in_domain_vectors.py NAME OUT.vec [--seed 42] [--dim 64]   (needs gensim)"""
import argparse
import os
import sys
import tempfile
from pathlib import Path

from gensim.models import Word2Vec

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from bag_probe_support import keras_tokens  # noqa: E402
import quality  # noqa: E402

p = argparse.ArgumentParser()
p.add_argument("name")
p.add_argument("out")
p.add_argument("--seed", type=int, default=42)
p.add_argument("--dim", type=int, default=64)
p.add_argument("--data", default=os.environ.get("TEXTRNN_DATA", str(Path(__file__).resolve().parents[3] / "shared" / "data")))
args = p.parse_args()
with tempfile.TemporaryDirectory() as work:
    split = argparse.Namespace(data=args.data, split="validation", seed=args.seed)
    _, _, train_rows, _ = quality.prepare(args.name, split, Path(work))
sentences = [keras_tokens(text) for _, text in train_rows]
model = Word2Vec(sentences, vector_size=args.dim, sg=1, window=5, min_count=2, epochs=5, workers=2, seed=args.seed)
model.wv.save_word2vec_format(args.out)
print(f"{args.out}: {len(model.wv)} words x {args.dim} from {len(train_rows)} training texts", file=sys.stderr)
