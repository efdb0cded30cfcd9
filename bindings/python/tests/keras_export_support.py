"""Shared by the Keras exporter tests: TensorFlow (required, never skipped), real-text samples
and the comparison of bundle probabilities with Keras's."""

from __future__ import annotations

import csv
import os
from pathlib import Path
from typing import List, Sequence, Tuple

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
try:
    import keras
    import tensorflow as tf
except ImportError as error:  # fail loudly: CI installs tensorflow-cpu (.ci/run, make deps)
    pytest.fail(f"TensorFlow/Keras 3 is required by the Keras exporter tests: {error} (pip install tensorflow-cpu)", pytrace=False)

from conftest import DATA

import textrnn

TOLERANCE = 1e-5
SEED = 1234
# Texts that exercise the pipeline's corners, added to the real ones when comparing tokens.
TRICKY_TEXTS = [
    "", "!!! ...", "Don't e-mail ME!", "Café ÉCOLE “quoted” naïve – dash", "tabs\tand\nnew\r\nlines  ",
    "a<br />b <BR>c", "x" * 300, "the the the the", "UPPER lower MiXeD 123 4.5",
]

keras.utils.set_random_seed(SEED)
tf.config.threading.set_inter_op_parallelism_threads(2)
tf.config.threading.set_intra_op_parallelism_threads(2)


# Warnings the Keras export tests silence: Keras warns that GlobalMaxPooling1D drops the mask (the
# exporter accounts for exactly that) and about its own numpy 2 conversions.
MASKING_WARNING = pytest.mark.filterwarnings("ignore:.*does not support masking:UserWarning")
NUMPY_ARRAY_WARNING = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")


def read_sample(dataset: str, split: str, count: int, seed: int = SEED) -> Tuple[List[str], List[str]]:
    """`count` rows of DATA/dataset/split.csv, drawn at random with a fixed seed (the files are
    sorted by label)."""
    path = DATA / dataset / f"{split}.csv"
    if not path.is_file():
        pytest.fail(f"data file {path} is missing (set TEXTRNN_DATA)", pytrace=False)
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    picked = np.random.RandomState(seed).choice(len(rows), size=min(count, len(rows)), replace=False)
    return [rows[i]["text"] for i in picked], [rows[i]["label"] for i in picked]


def fit_one_epoch(model: "keras.Model", inputs: np.ndarray, targets: np.ndarray, loss: str) -> None:
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss=loss)
    model.fit(inputs, targets, batch_size=64, epochs=1, verbose=0, shuffle=False)


def bundle_probabilities(bundle: Path, texts: Sequence[str]) -> np.ndarray:
    with textrnn.load(bundle) as runtime:
        return runtime.predict_proba(texts)


def keras_as_bundle_probabilities(probabilities: np.ndarray, output: str) -> np.ndarray:
    """Keras's output in the bundle's layout: a binary sigmoid becomes [1 - p, p]."""
    probabilities = np.asarray(probabilities, dtype=np.float32)
    if output == "binary_sigmoid":
        return np.concatenate([1 - probabilities, probabilities], axis=1)
    return probabilities


def assert_probabilities_match(bundle: Path, texts: Sequence[str], expected: np.ndarray, output: str) -> float:
    """Asserts every bundle probability is within TOLERANCE of Keras's; returns the largest gap."""
    got = bundle_probabilities(bundle, texts)
    want = keras_as_bundle_probabilities(expected, output)
    assert got.shape == want.shape, f"bundle gives {got.shape}, Keras {want.shape}"
    assert np.all(np.isfinite(want)), "Keras produced non-finite probabilities"
    gap = float(np.max(np.abs(got - want)))
    worst = int(np.argmax(np.max(np.abs(got - want), axis=1)))
    assert gap <= TOLERANCE, f"max |bundle - Keras| = {gap:.3g} on text {worst}: {texts[worst][:80]!r}"
    return gap
