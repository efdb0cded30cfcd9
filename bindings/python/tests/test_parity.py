"""Four-surface parity: one bundle gives bit-identical float32 probabilities through

  * the Swift API   - `textrnn predict` (the CLI calls TextRNNRuntime directly, not the C ABI),
  * the C example   - examples/c/classify.c over libtextrnn.so,
  * Python          - textrnn.Model.predict_proba (textrnn_predict_batch), predict_one
                      (textrnn_predict) and predict_ids(tokenize(...)) over libtextrnn.so,

on real IMDB reviews and on texts made of the fixture vocabulary ("t2".."t29"). Plus Python
top_k against the CLI's --top-k.
"""

from __future__ import annotations

import csv
import json
import random
import subprocess

import numpy as np
import pytest

import textrnn
from conftest import DATA, run_cli

PARITY_FIXTURES = ["bilstm_lstm_softmax_post", "bigru_bigru_sigmoid_pre", "simple_rnn_x3_softmax_pre"]


def imdb_texts(count: int = 30) -> list[str]:
    path = DATA / "imdb" / "test.csv"
    if not path.is_file():
        pytest.fail(f"IMDB test data not found at {path} (set TEXTRNN_DATA)", pytrace=False)
    texts = []
    with open(path, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            # One text per line for the CLI: fold line breaks (all surfaces get the same text).
            texts.append(" ".join(row["text"].splitlines()))
            if len(texts) == count:
                break
    assert len(texts) == count
    return texts


def token_texts(count: int = 30) -> list[str]:
    rng = random.Random(1234)
    texts = []
    for i in range(count):
        words = [f"t{rng.randrange(2, 30)}" for _ in range(rng.randrange(0, 12))]
        if i % 5 == 1:
            words.insert(rng.randrange(0, len(words) + 1), "unknown")
        if i % 7 == 2:
            words = [w.upper() + "," for w in words]
        texts.append(" ".join(words))
    return texts


TEXTS = imdb_texts() + token_texts() + ["", "   ", "t2", "Ünïcödé t3 — t4 ☃", "tab\tseparated t5"]


def parse(value) -> np.float32:
    return np.float32(float(value))


def swift_leg(cli, bundle, labels, texts):
    data = "".join(text + "\n" for text in texts).encode()
    out = run_cli(cli, "predict", str(bundle), "--threads", "2", input=data).stdout.decode().splitlines()
    assert len(out) == len(texts)
    rows = [json.loads(line)["probabilities"] for line in out]
    return np.array([[parse(row[label]) for label in labels] for row in rows], dtype=np.float32)


def c_leg(classify, bundle, labels, texts):
    data = "".join(text + "\n" for text in texts).encode()
    result = subprocess.run([str(classify), str(bundle)], input=data, capture_output=True, timeout=300)
    assert result.returncode == 0, result.stderr.decode()
    out = result.stdout.decode().splitlines()
    assert len(out) == len(texts)
    rows = [json.loads(line)["probabilities"] for line in out]
    return np.array([[parse(row[label]) for label in labels] for row in rows], dtype=np.float32)


@pytest.mark.parametrize("fixture", PARITY_FIXTURES)
def test_four_surfaces_agree_bit_for_bit(fixture, bundles, cli, classify):
    bundle = bundles[fixture]
    with textrnn.load(bundle) as model:
        labels = model.labels
        python_batch = model.predict_proba(TEXTS, threads=3)
        python_single = np.array([model.predict_one(t) for t in TEXTS], dtype=np.float32)
        python_ids = np.array([model.predict_ids(model.tokenize(t)) for t in TEXTS], dtype=np.float32)
    swift = swift_leg(cli, bundle, labels, TEXTS)
    c = c_leg(classify, bundle, labels, TEXTS)

    assert python_batch.shape == (len(TEXTS), len(labels))
    # The IMDB reviews are mostly out-of-vocabulary but not all alike after truncation: make
    # sure the comparison is not vacuous.
    assert len({tuple(row) for row in python_batch}) > 10
    for name, leg in [("Swift API (CLI)", swift), ("C example", c), ("Python predict_one", python_single),
                      ("Python predict_ids", python_ids)]:
        mismatches = np.argwhere(leg != python_batch)
        assert mismatches.size == 0, (
            f"{fixture}: {name} differs from Python predict_proba at text {mismatches[0][0]}: "
            f"{leg[mismatches[0][0]]} vs {python_batch[mismatches[0][0]]}"
        )


@pytest.mark.parametrize("fixture", PARITY_FIXTURES)
def test_top_k_python_matches_cli(fixture, bundles, cli):
    bundle = bundles[fixture]
    data = "".join(text + "\n" for text in TEXTS).encode()
    with textrnn.load(bundle) as model:
        for k in (1, 2, 5):
            out = run_cli(cli, "predict", str(bundle), "--top-k", str(k), input=data).stdout.decode().splitlines()
            assert len(out) == len(TEXTS)
            for text, line in zip(TEXTS, out):
                cli_top = [(e["label"], parse(e["probability"])) for e in json.loads(line)["top_k"]]
                python_top = [(label, np.float32(p)) for label, p in model.top_k(text, k)]
                assert cli_top == python_top, f"{fixture} k={k} {text[:40]!r}"
