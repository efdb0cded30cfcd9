"""textrnn.keras.export: Keras 3 models trained here on real texts (ag_news_mini, IMDB) give the
same probabilities from the exported bundle (libtextrnn through the Python binding) as from
model.predict, within 1e-5, and the bundle tokenizes exactly as the TextVectorization layer.

Each case trains a small model for one epoch on 2,000 texts (seeded), exports it and compares on
200 held-out test texts. Refusals are in test_keras_export_refusals.py."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, List

import numpy as np
import pytest

from keras_export_support import (
    MASKING_WARNING, NUMPY_ARRAY_WARNING, SEED, TRICKY_TEXTS, assert_probabilities_match, fit_one_epoch, keras, read_sample, tf,
)

import textrnn
import textrnn.keras
from conftest import PYTHON_ROOT

layers = keras.layers
pytestmark = [MASKING_WARNING, NUMPY_ARRAY_WARNING]
TRAIN_TEXTS = 2000
TEST_TEXTS = 200


@dataclass
class Dataset:
    train: List[str]
    test: List[str]
    train_labels: np.ndarray  # class index per text
    label_names: List[str]
    vectorizer: "layers.TextVectorization"

    @property
    def rows(self) -> int:
        return self.vectorizer.vocabulary_size()


def _dataset(name: str, sequence_length: int, max_tokens: int, ngrams=None) -> Dataset:
    train, train_labels = read_sample(name, "train", TRAIN_TEXTS)
    test, _ = read_sample(name, "test", TEST_TEXTS)
    names = sorted(set(train_labels))
    vectorizer = layers.TextVectorization(max_tokens=max_tokens, output_sequence_length=sequence_length, ngrams=ngrams)
    vectorizer.adapt(train)
    return Dataset(train, test, np.array([names.index(label) for label in train_labels]), names, vectorizer)


@pytest.fixture(scope="module")
def datasets() -> Dict[str, Dataset]:
    return {
        "ag_news": _dataset("ag_news_mini", 48, 3000),
        "imdb": _dataset("imdb", 96, 4000),
        "ag_news_bigrams": _dataset("ag_news_mini", 64, 5000, ngrams=2),
    }


def _head(kind: str, classes: int):
    if kind == "binary":
        return layers.Dense(1, activation="sigmoid"), "binary_crossentropy"
    if kind == "multi_label":
        return layers.Dense(classes, activation="sigmoid"), "binary_crossentropy"
    return layers.Dense(classes, activation="softmax"), "sparse_categorical_crossentropy"


def _targets(data: Dataset, kind: str) -> np.ndarray:
    if kind == "multi_label":
        return np.eye(len(data.label_names), dtype=np.float32)[data.train_labels]
    return data.train_labels.astype(np.float32 if kind == "binary" else np.int64)


@dataclass
class Case:
    dataset: str
    head: str  # softmax, binary or multi_label
    body: Callable[[int], list]  # embedding rows -> the layers between Input and the head


def _embedding(rows: int, mask: bool = True):
    return layers.Embedding(rows, 16, mask_zero=mask)


CASES: Dict[str, Case] = {
    "lstm_masked_softmax": Case("ag_news", "softmax", lambda rows: [_embedding(rows), layers.LSTM(16)]),
    "gru_reset_after_binary": Case("imdb", "binary", lambda rows: [_embedding(rows), layers.GRU(16)]),
    "gru_reset_before_binary": Case("imdb", "binary", lambda rows: [_embedding(rows), layers.GRU(16, reset_after=False)]),
    "simple_rnn_unmasked_backwards": Case(
        "ag_news", "softmax", lambda rows: [_embedding(rows, mask=False), layers.SimpleRNN(16, go_backwards=True)]),
    "simple_rnn_relu_masked": Case("ag_news", "softmax", lambda rows: [_embedding(rows), layers.SimpleRNN(8, activation="relu")]),
    "bidirectional_lstm_concat": Case("ag_news", "softmax", lambda rows: [_embedding(rows), layers.Bidirectional(layers.LSTM(8))]),
    "bidirectional_gru_sum": Case(
        "imdb", "binary", lambda rows: [_embedding(rows), layers.Bidirectional(layers.GRU(8), merge_mode="sum")]),
    "bidirectional_simple_rnn_ave": Case(
        "ag_news", "softmax", lambda rows: [_embedding(rows), layers.Bidirectional(layers.SimpleRNN(8), merge_mode="ave")]),
    "bidirectional_gru_reset_before_mul": Case(
        "ag_news", "softmax",
        lambda rows: [_embedding(rows), layers.Bidirectional(layers.GRU(8, reset_after=False), merge_mode="mul")]),
    "stacked_dropouts_hidden_dense": Case("imdb", "binary", lambda rows: [
        _embedding(rows), layers.SpatialDropout1D(0.2), layers.LSTM(12, return_sequences=True, dropout=0.1),
        layers.Bidirectional(layers.GRU(8, return_sequences=True)), layers.GRU(8, go_backwards=True),
        layers.Dropout(0.3), layers.Dense(8, activation="relu")]),
    # Keras's GlobalMaxPooling1D ignores the mask, so it reads what the layer before it leaves at
    # padded steps: a plain layer's repeated previous output (zeros before its first real step, as
    # a go_backwards layer meets post padding), zeros inside Bidirectional. The runtime computes
    # the same values and pools over them (masked: false).
    "max_pool_after_lstm_masked": Case(
        "ag_news", "softmax", lambda rows: [_embedding(rows), layers.LSTM(8, return_sequences=True), layers.GlobalMaxPooling1D()]),
    "max_pool_after_backward_gru_masked": Case("ag_news", "softmax", lambda rows: [
        _embedding(rows), layers.GRU(8, return_sequences=True, go_backwards=True), layers.GlobalMaxPooling1D()]),
    "max_pool_after_bidirectional_masked": Case("imdb", "binary", lambda rows: [
        _embedding(rows), layers.Bidirectional(layers.GRU(8, return_sequences=True)), layers.GlobalMaxPooling1D()]),
    "max_pool_after_embedding_masked": Case("ag_news", "softmax", lambda rows: [_embedding(rows), layers.GlobalMaxPooling1D()]),
    "max_pool_unmasked": Case("ag_news", "softmax", lambda rows: [
        _embedding(rows, mask=False), layers.LSTM(8, return_sequences=True), layers.GlobalMaxPooling1D()]),
    "average_pool_masked_hidden_tanh": Case("ag_news", "softmax", lambda rows: [
        _embedding(rows), layers.GRU(8, return_sequences=True), layers.GlobalAveragePooling1D(),
        layers.Dense(16, activation="tanh")]),
    "average_pool_embedding_unmasked": Case(
        "imdb", "binary", lambda rows: [_embedding(rows, mask=False), layers.GlobalAveragePooling1D()]),
    "multi_label_sigmoid": Case("ag_news", "multi_label", lambda rows: [_embedding(rows), layers.GRU(12)]),
    "bigram_vectorizer": Case("ag_news_bigrams", "softmax", lambda rows: [_embedding(rows), layers.LSTM(8)]),
}


def _train(case: Case, data: Dataset) -> "keras.Model":
    keras.utils.set_random_seed(SEED)
    head, loss = _head(case.head, len(data.label_names))
    length = data.vectorizer.get_config()["output_sequence_length"]
    model = keras.Sequential([keras.Input((length,), dtype="int32"), *case.body(data.rows), head])
    fit_one_epoch(model, data.vectorizer(data.train).numpy(), _targets(data, case.head), loss)
    return model


def _max_pool_flags(bundle: Path) -> List[bool]:
    manifest = json.loads((bundle / "manifest.json").read_text())
    return [layer["masked"] for layer in manifest["layers"] if layer["class"] == "GlobalMaxPooling1D"]


@pytest.mark.parametrize("name", list(CASES))
def test_exported_model_matches_keras(name: str, datasets: Dict[str, Dataset], tmp_path: Path) -> None:
    case = CASES[name]
    data = datasets[case.dataset]
    model = _train(case, data)
    labels = data.label_names if case.head != "multi_label" else [f"is {label}" for label in data.label_names]
    bundle = textrnn.keras.export(model, tmp_path / f"{name}.textrnn", vectorizer=data.vectorizer, labels=labels)
    expected = model.predict(data.vectorizer(data.test).numpy(), batch_size=256, verbose=0)
    output = {"binary": "binary_sigmoid", "multi_label": "multi_label_sigmoid", "softmax": "softmax"}[case.head]
    with textrnn.load(bundle) as runtime:
        assert runtime.labels == labels and runtime.output == output
    assert_probabilities_match(bundle, data.test, expected, output)
    assert _max_pool_flags(bundle) in ([], [False])


def test_functional_end_to_end_model_with_activation_layer(datasets: Dict[str, Dataset], tmp_path: Path) -> None:
    """A functional model that takes raw strings (its TextVectorization inside) and ends in a
    linear Dense + Activation("softmax") exports without vectorizer=."""
    data = datasets["ag_news"]
    keras.utils.set_random_seed(SEED)
    ids = keras.Input((48,), dtype="int64")
    x = layers.Embedding(data.rows, 16, mask_zero=True)(ids)
    x = layers.Bidirectional(layers.LSTM(8, return_sequences=True), merge_mode="concat")(x)
    x = layers.GlobalAveragePooling1D()(x)
    probabilities = layers.Activation("softmax")(layers.Dense(len(data.label_names))(x))
    core = keras.Model(ids, probabilities)
    fit_one_epoch(core, data.vectorizer(data.train).numpy(), data.train_labels, "sparse_categorical_crossentropy")
    text = keras.Input((1,), dtype="string")
    end_to_end = keras.Model(text, core(data.vectorizer(text)))
    bundle = textrnn.keras.export(end_to_end, tmp_path / "end_to_end.textrnn", labels=data.label_names)
    expected = end_to_end.predict(tf.constant(data.test)[:, None], batch_size=256, verbose=0)
    assert_probabilities_match(bundle, data.test, expected, "softmax")


def test_vocabulary_list_with_pre_padding(datasets: Dict[str, Dataset], tmp_path: Path) -> None:
    """The vocabulary-list form with pad_sequences-style pre padding/truncation: the ids Keras
    sees and the probabilities both match. Pre padding puts Keras's carried-over zeros in front,
    so the masked max pool exports as masked: false."""
    data = datasets["ag_news"]
    ragged = layers.TextVectorization(vocabulary=data.vectorizer.get_vocabulary()[2:], ragged=True)

    def ids(texts: List[str]) -> np.ndarray:
        tokens = ragged(texts).to_list()
        return keras.utils.pad_sequences(tokens, maxlen=40, padding="pre", truncating="pre")

    keras.utils.set_random_seed(SEED)
    model = keras.Sequential([
        keras.Input((40,), dtype="int32"), _embedding(data.rows), layers.LSTM(8, return_sequences=True),
        layers.GlobalMaxPooling1D(), layers.Dense(len(data.label_names), activation="softmax")])
    fit_one_epoch(model, ids(data.train), data.train_labels, "sparse_categorical_crossentropy")
    bundle = textrnn.keras.export(
        model, tmp_path / "pre.textrnn", vectorizer=data.vectorizer.get_vocabulary(), sequence_length=40,
        padding="pre", truncating="pre", labels=data.label_names)
    with textrnn.load(bundle) as runtime:
        assert [runtime.tokenize(text) for text in data.test] == ids(data.test).tolist()
    assert_probabilities_match(bundle, data.test, model.predict(ids(data.test), verbose=0), "softmax")
    assert _max_pool_flags(bundle) == [False]


@pytest.mark.parametrize("name", ["ag_news", "imdb", "ag_news_bigrams", "ragged"])
def test_bundle_tokenizes_like_text_vectorization(name: str, datasets: Dict[str, Dataset], tmp_path: Path) -> None:
    if name == "ragged":  # no sequence length: every token, no padding
        vectorizer = layers.TextVectorization(vocabulary=datasets["imdb"].vectorizer.get_vocabulary()[2:], ragged=True)
        texts = datasets["imdb"].test
    else:
        vectorizer, texts = datasets[name].vectorizer, datasets[name].test
    texts = texts + TRICKY_TEXTS
    model = keras.Sequential([
        keras.Input((None,), dtype="int32"), layers.Embedding(vectorizer.vocabulary_size(), 4), layers.LSTM(2),
        layers.Dense(2, activation="softmax")])
    bundle = textrnn.keras.export(model, tmp_path / "tokens.textrnn", vectorizer=vectorizer)
    vectorized = vectorizer(texts)
    expected = vectorized.to_list() if isinstance(vectorized, tf.RaggedTensor) else vectorized.numpy().tolist()
    with textrnn.load(bundle) as runtime:
        got = [runtime.tokenize(text) for text in texts]
    mismatches = [i for i, (a, b) in enumerate(zip(got, expected)) if a != b]
    assert not mismatches, f"{len(mismatches)} texts differ, first {texts[mismatches[0]][:80]!r}: {got[mismatches[0]][:12]} vs {expected[mismatches[0]][:12]}"


def test_importing_textrnn_does_not_import_tensorflow() -> None:
    code = "import sys, textrnn, textrnn.keras; print(sorted(m for m in ('tensorflow', 'keras') if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=PYTHON_ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
