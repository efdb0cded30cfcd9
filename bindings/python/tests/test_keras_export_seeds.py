"""The models Keras tutorials write, exported as written (issue 17).

- Logits heads: the official TensorFlow "text classification with an RNN" model (raw strings in,
  TextVectorization(max_tokens=10000) inside, two stacked Bidirectional LSTMs, Dense(64, relu),
  Dense(1) trained with BinaryCrossentropy(from_logits=True)), and a softmax-logits multi-class
  model on ag_news_mini. The bundle applies the activation: its probabilities match
  tf.sigmoid / tf.nn.softmax of model.predict within 1e-5 on 200 real test texts.
- keras.datasets.imdb ids: a word index in get_word_index() format built from the shared IMDB
  train texts (the real one is a download), ids made from it exactly as load_data makes them,
  an Embedding(32) -> LSTM(32) -> sigmoid model trained on pad_sequences(ids, 250, "pre"); raw
  text through the bundle gives the same ids and probabilities.

Training is one epoch on a few hundred texts: what is compared is the export, not accuracy."""

from __future__ import annotations

import collections
import json
import subprocess
from pathlib import Path
from typing import Dict, List

import numpy as np
import pytest

from keras_export_support import NUMPY_ARRAY_WARNING, SEED, TRICKY_TEXTS, assert_probabilities_match, keras, read_sample, tf

import textrnn
import textrnn.keras
from textrnn.keras import KerasExportError

layers = keras.layers
pytestmark = [NUMPY_ARRAY_WARNING, pytest.mark.filterwarnings("ignore:`shuffle=True` was passed:UserWarning")]
TRAIN_TEXTS = 200
TEST_TEXTS = 200
text_to_word_sequence = tf.keras.preprocessing.text.text_to_word_sequence


def _manifest(bundle: Path) -> dict:
    return json.loads((bundle / "manifest.json").read_text(encoding="utf-8"))


# ---- logits heads


def _tutorial_model(train_texts: List[str], outputs: int) -> "keras.Model":
    """The TensorFlow RNN text-classification tutorial's model, as it is written there."""
    VOCAB_SIZE = 10000
    encoder = tf.keras.layers.TextVectorization(max_tokens=VOCAB_SIZE)
    encoder.adapt(tf.data.Dataset.from_tensor_slices(train_texts).batch(64))
    return tf.keras.Sequential([
        tf.keras.layers.InputLayer(shape=(), dtype=tf.string),
        encoder,
        tf.keras.layers.Embedding(len(encoder.get_vocabulary()), 64, mask_zero=True),
        tf.keras.layers.Bidirectional(tf.keras.layers.LSTM(64, return_sequences=True)),
        tf.keras.layers.Bidirectional(tf.keras.layers.LSTM(32)),
        tf.keras.layers.Dense(64, activation="relu"),
        tf.keras.layers.Dropout(0.5),
        tf.keras.layers.Dense(outputs),
    ])


def _fit(model: "keras.Model", loss: "keras.losses.Loss", texts: List[str], targets: np.ndarray) -> None:
    model.compile(loss=loss, optimizer=tf.keras.optimizers.Adam(1e-4), metrics=["accuracy"])
    dataset = tf.data.Dataset.from_tensor_slices((texts, targets)).batch(64)
    model.fit(dataset, epochs=1, verbose=0)


def test_tutorial_binary_logits_model_exports_as_written(tmp_path: Path, cli: Path) -> None:
    keras.utils.set_random_seed(SEED)
    train, train_labels = read_sample("imdb", "train", TRAIN_TEXTS)
    test, _ = read_sample("imdb", "test", TEST_TEXTS)
    model = _tutorial_model(train, 1)
    _fit(model, tf.keras.losses.BinaryCrossentropy(from_logits=True), train,
         np.array([label == "positive" for label in train_labels], dtype=np.float32))
    bundle = textrnn.keras.export(model, tmp_path / "tutorial.textrnn", labels=["negative", "positive"])

    logits = model.predict(tf.constant(test), batch_size=64, verbose=0)
    gap = assert_probabilities_match(bundle, test, tf.sigmoid(logits).numpy(), "binary_sigmoid")
    print(f"tutorial model, IMDB, {len(test)} texts: max |bundle - tf.sigmoid(model.predict)| = {gap:.3g}")
    head = _manifest(bundle)["training"]["head"]
    assert head == {"trained_on": "logits", "activation_applied_by_bundle": "sigmoid",
                    "from": "compiled loss BinaryCrossentropy(from_logits=True)"}
    summary = subprocess.run([str(cli), "inspect", str(bundle)], capture_output=True, text=True, check=True).stdout
    assert "trained_on=logits" in summary and "activation_applied_by_bundle=sigmoid" in summary


def test_softmax_logits_multi_class_model(tmp_path: Path) -> None:
    keras.utils.set_random_seed(SEED)
    train, train_labels = read_sample("ag_news_mini", "train", TRAIN_TEXTS)
    test, _ = read_sample("ag_news_mini", "test", TEST_TEXTS)
    names = sorted(set(train_labels))
    model = _tutorial_model(train, len(names))
    _fit(model, tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True), train,
         np.array([names.index(label) for label in train_labels]))
    bundle = textrnn.keras.export(model, tmp_path / "topics.textrnn", labels=names)

    logits = model.predict(tf.constant(test), batch_size=64, verbose=0)
    gap = assert_probabilities_match(bundle, test, tf.nn.softmax(logits).numpy(), "softmax")
    print(f"softmax logits, ag_news_mini, {len(test)} texts: max |bundle - tf.nn.softmax(model.predict)| = {gap:.3g}")
    assert _manifest(bundle)["training"]["head"]["activation_applied_by_bundle"] == "softmax"


def _small_logits_model(units: int) -> "keras.Model":
    vectorizer = layers.TextVectorization(vocabulary=["good", "bad", "film"], output_sequence_length=5)
    return keras.Sequential([
        keras.Input((), dtype="string"), vectorizer, layers.Embedding(5, 4, mask_zero=True), layers.GRU(3),
        layers.Dense(units, name="logits")])


@pytest.mark.parametrize("head,units", [("sigmoid", 1), ("softmax", 3), ("sigmoid", 3)])
def test_head_argument_for_an_uncompiled_logits_model(head: str, units: int, tmp_path: Path) -> None:
    keras.utils.set_random_seed(SEED)
    model = _small_logits_model(units)
    texts = ["good film", "bad bad film", "", "a good, good film!", "unknown words only"]
    bundle = textrnn.keras.export(model, tmp_path / "head.textrnn", head=head)
    logits = model.predict(tf.constant(texts), verbose=0)
    expected = tf.nn.softmax(logits) if head == "softmax" else tf.sigmoid(logits)
    output = "softmax" if head == "softmax" else ("binary_sigmoid" if units == 1 else "multi_label_sigmoid")
    assert_probabilities_match(bundle, texts, expected.numpy(), output)
    assert _manifest(bundle)["training"]["head"]["from"] == "head= argument"


def test_logits_head_refusals(tmp_path: Path) -> None:
    with pytest.raises(KerasExportError, match=r"'logits' \(Dense\).*pass head=\"sigmoid\" or head=\"softmax\""):
        textrnn.keras.export(_small_logits_model(1), tmp_path / "x.textrnn")
    compiled = _small_logits_model(1)
    compiled.compile(loss=keras.losses.BinaryCrossentropy(from_logits=True))
    with pytest.raises(KerasExportError, match=r"head='softmax', but the model was compiled with BinaryCrossentropy"):
        textrnn.keras.export(compiled, tmp_path / "x.textrnn", head="softmax")
    with pytest.raises(KerasExportError, match="softmax over one unit"):
        textrnn.keras.export(_small_logits_model(1), tmp_path / "x.textrnn", head="softmax")
    with pytest.raises(KerasExportError, match="must be \"sigmoid\" or \"softmax\""):
        textrnn.keras.export(_small_logits_model(1), tmp_path / "x.textrnn", head="relu")
    activated = keras.Sequential([keras.Input((5,), dtype="int32"), layers.Embedding(5, 4), layers.GRU(3),
                                  layers.Dense(1, activation="sigmoid", name="probability")])
    with pytest.raises(KerasExportError, match="'probability' \\(Dense\\): head='sigmoid' is for a model ending in logits"):
        textrnn.keras.export(activated, tmp_path / "x.textrnn", vectorizer=["", "[UNK]"], sequence_length=5, head="sigmoid")
    assert list(tmp_path.iterdir()) == []


# ---- keras.datasets.imdb ids

NUM_WORDS = 2000
MAXLEN = 250
INDEX_FROM, START_CHAR, OOV_CHAR = 3, 1, 2


def _word_index(texts: List[str]) -> Dict[str, int]:
    """imdb.get_word_index()'s format: word -> rank, 1 = most frequent (ties: first seen)."""
    counts = collections.Counter(word for text in texts for word in text_to_word_sequence(text))
    return {word: rank for rank, (word, _) in enumerate(counts.most_common(), start=1)}


def _imdb_ids(texts: List[str], word_index: Dict[str, int]) -> List[List[int]]:
    """What keras.datasets.imdb.load_data(num_words=NUM_WORDS) gives for these texts: the
    dataset's word ranks (here: of the words we know; others get an id past num_words, so OOV),
    shifted by index_from after the start token, ids >= num_words replaced by oov_char."""
    unknown = len(word_index) + 1
    ranks = [[word_index.get(word, unknown) for word in text_to_word_sequence(text)] for text in texts]
    with_start = [[START_CHAR] + [rank + INDEX_FROM for rank in text] for text in ranks]
    return [[token if token < NUM_WORDS else OOV_CHAR for token in text] for text in with_start]


@pytest.fixture(scope="module")
def imdb_word_index() -> Dict[str, int]:
    train, _ = read_sample("imdb", "train", 5000)
    return _word_index(train)


def test_imdb_word_index_model_matches_keras_on_raw_text(imdb_word_index: Dict[str, int], tmp_path: Path, cli: Path) -> None:
    train, train_labels = read_sample("imdb", "train", TRAIN_TEXTS, seed=SEED + 1)
    test, _ = read_sample("imdb", "test", TEST_TEXTS)
    pad = keras.utils.pad_sequences
    x_train = pad(_imdb_ids(train, imdb_word_index), MAXLEN, padding="pre")
    keras.utils.set_random_seed(SEED)
    model = keras.Sequential([
        keras.Input((MAXLEN,), dtype="int32"), layers.Embedding(NUM_WORDS, 32), layers.LSTM(32),
        layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy")
    model.fit(x_train, np.array([label == "positive" for label in train_labels], dtype=np.float32),
              batch_size=64, epochs=1, verbose=0)

    index_file = tmp_path / "imdb_word_index.json"
    index_file.write_text(json.dumps(imdb_word_index), encoding="utf-8")
    bundle = textrnn.keras.export(
        model, tmp_path / "imdb.textrnn", imdb_word_index=index_file, num_words=NUM_WORDS,
        sequence_length=MAXLEN, padding="pre", labels=["negative", "positive"])

    texts = test + TRICKY_TEXTS
    expected_ids = pad(_imdb_ids(texts, imdb_word_index), MAXLEN, padding="pre")
    with textrnn.load(bundle) as runtime:
        got = [runtime.tokenize(text) for text in texts]
    mismatches = [i for i, ids in enumerate(got) if ids != expected_ids[i].tolist()]
    assert not mismatches, f"{len(mismatches)} texts tokenize differently, first {texts[mismatches[0]][:80]!r}"
    gap = assert_probabilities_match(bundle, texts, model.predict(expected_ids, verbose=0), "binary_sigmoid")
    print(f"imdb word index model, {len(texts)} texts: max |bundle - model.predict| = {gap:.3g}")
    manifest = _manifest(bundle)
    assert manifest["format_version"] == 3
    assert manifest["text"]["start_token"] == "[START]" and manifest["text"]["vocabulary"][START_CHAR] == "[START]"
    assert manifest["text"]["vocabulary"][OOV_CHAR] == manifest["text"]["oov_token"]
    summary = subprocess.run([str(cli), "inspect", str(bundle)], capture_output=True, text=True, check=True).stdout
    assert f"id {OOV_CHAR} = [OOV], id {START_CHAR} = start token" in summary and "start_token=[START]" in summary


def test_imdb_ids_without_padding_and_from_a_dict(imdb_word_index: Dict[str, int], tmp_path: Path) -> None:
    """Variable-length ids (no pad_sequences), the word index passed as a dict: the tokens are
    the dataset's, start token first, for every text including the tricky ones."""
    model = keras.Sequential([keras.Input((None,), dtype="int32"), layers.Embedding(NUM_WORDS, 4), layers.GRU(2),
                              layers.Dense(1, activation="sigmoid")])
    bundle = textrnn.keras.export(model, tmp_path / "ragged.textrnn", imdb_word_index=imdb_word_index, num_words=NUM_WORDS)
    test, _ = read_sample("imdb", "test", TEST_TEXTS)
    texts = test + TRICKY_TEXTS + ["ÉCOLE Straße İstanbul", "a\rb c\x0bd"]
    with textrnn.load(bundle) as runtime:
        assert [runtime.tokenize(text) for text in texts] == _imdb_ids(texts, imdb_word_index)


def test_imdb_word_index_refusals(tmp_path: Path) -> None:
    model = keras.Sequential([keras.Input((None,), dtype="int32"), layers.Embedding(20, 4), layers.GRU(2),
                              layers.Dense(1, activation="sigmoid")])
    index = {"the": 1, "and": 2}
    cases = [
        ({"oov_char": None}, "oov_char=None"),
        ({"start_char": 3}, "below index_from=3"),
        ({"start_char": 2}, "start_char and oov_char are both 2"),
        ({"num_words": 40}, "40 entries but the Embedding only 20 rows"),
    ]
    for arguments, message in cases:
        with pytest.raises(KerasExportError, match=message):
            textrnn.keras.export(model, tmp_path / "x.textrnn", imdb_word_index=index, **{"num_words": 10, **arguments})
    with pytest.raises(KerasExportError, match="share rank 1"):
        textrnn.keras.export(model, tmp_path / "x.textrnn", imdb_word_index={"a": 1, "b": 1})
    with pytest.raises(TypeError, match="standardize"):
        textrnn.keras.export(model, tmp_path / "x.textrnn", imdb_word_index=index, standardize="lower")
    assert list(tmp_path.iterdir()) == []
