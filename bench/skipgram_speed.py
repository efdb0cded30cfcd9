#!/usr/bin/env python3
"""The skip-gram vectors' speed against gensim (the peer whose defaults they follow), in one run.

TextRNN: `textrnn train --bag false --epochs 1` on IMDB's train split (90% after the validation
part), the time its log gives for "skip-gram vectors" (reading the texts for the corpus and 5
epochs, one thread). gensim: `Word2Vec(sg=1)` with the same settings (64 dimensions, window 5,
5 noise words, sample 1e-3, 5 epochs, min_count 2) over the same tokens (TextRNN's
standardizer), timed for `train()` alone, with 1 and 2 worker threads.
Usage: skipgram_speed.py [--textrnn bin/textrnn]   (needs gensim)"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench" / "probes"))
from bag_probe_support import keras_tokens, load  # noqa: E402

p = argparse.ArgumentParser()
p.add_argument("--textrnn", default=str(ROOT / "bin" / "textrnn"))
p.add_argument("--data", default=os.environ.get("TEXTRNN_DATA", str(ROOT.parent / "shared" / "data")))
args = p.parse_args()
train_csv = Path(args.data) / "imdb" / "train.csv"

with tempfile.TemporaryDirectory() as work:
    log = subprocess.run([args.textrnn, "train", "--train", str(train_csv), "--output", f"{work}/m.textrnn",
                          "--bag", "false", "--epochs", "1"], capture_output=True, text=True, check=True).stderr
    line = next(line for line in log.splitlines() if line.startswith("skip-gram vectors:"))
    words = int(re.search(r"from (\d+) words", line).group(1))
    ours = float(re.search(r"\((\d+) s\)", line).group(1))
print(f"textrnn: {line}")

from gensim.models import Word2Vec  # noqa: E402

texts = [keras_tokens(text) for text in load(args.data, "imdb")[0]]
# TextRNN reads its training part (a stratified 90%); gensim reads nine rows in ten, as many.
texts = [words for i, words in enumerate(texts) if i % 10 != 0]
for workers in [1, 2]:
    model = Word2Vec(vector_size=64, sg=1, window=5, negative=5, sample=1e-3, min_count=2, workers=workers, seed=1)
    model.build_vocab(texts)
    started = time.perf_counter()
    model.train(texts, total_examples=len(texts), epochs=5)
    seconds = time.perf_counter() - started
    print(f"gensim {workers} worker(s): {seconds:.1f} s for {model.corpus_total_words} words x 5 epochs; "
          f"textrnn/gensim time ratio {ours / seconds:.2f} (textrnn {ours:.0f} s for {words} words x 5 epochs, 1 thread)")
