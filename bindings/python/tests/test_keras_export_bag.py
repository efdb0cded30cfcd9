"""textrnn.keras.export of wide-and-deep Keras models: an integer TextVectorization -> Embedding ->
recurrent branch beside a TextVectorization(output_mode="tf_idf", ngrams=2) branch (with and
without UnitNormalization), concatenated into the output Dense. The bundle's bag branch must
give Keras's probabilities within 1e-5 on real texts, most of them longer than the sequence the
recurrent branch reads (the tf-idf branch reads every token), through every C ABI prediction
path; explain, inspect and int8 quantization must cover the branch.

Each case trains a small model for three epochs on 400 texts (seeded; one epoch leaves near
ties that int8 rounding flips) and compares on 200 held-out test texts."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path
from typing import List

import numpy as np
import pytest

from keras_export_support import MASKING_WARNING, NUMPY_ARRAY_WARNING, TOLERANCE, assert_probabilities_match, keras, read_sample, tf

import textrnn
import textrnn.keras
from conftest import run_cli

layers = keras.layers
pytestmark = [MASKING_WARNING, NUMPY_ARRAY_WARNING]
TRAIN_TEXTS = 400
TEST_TEXTS = 200


@dataclass(frozen=True)
class Case:
    dataset: str
    sequence_length: int
    int_tokens: int  # the integer vocabulary: smaller than the tf-idf one, so the union grows
    tfidf_tokens: int
    unit_normalization: bool
    deep_first: bool
    binary: bool


CASES = {
    "ag_news-softmax-unit-norm": Case("ag_news_mini", 16, 800, 4000, True, True, False),
    "imdb-sigmoid-raw-tfidf": Case("imdb", 32, 1500, 6000, False, False, True),
}


@dataclass
class Trained:
    case: Case
    model: "keras.Model"
    bundle: Path
    test: List[str]
    test_labels: List[str]
    keras_probabilities: np.ndarray
    labels: List[str]
    int_vocabulary_size: int
    deep_width: int  # the recurrent features' rows of the output Dense's kernel

    @property
    def output(self) -> str:
        return "binary_sigmoid" if self.case.binary else "softmax"


def _build(case: Case, train: List[str], label_count: int):
    ints = layers.TextVectorization(max_tokens=case.int_tokens, output_sequence_length=case.sequence_length)
    ints.adapt(train)
    tfidf = layers.TextVectorization(max_tokens=case.tfidf_tokens, output_mode="tf_idf", ngrams=2)
    tfidf.adapt(train)
    text = keras.Input(shape=(), dtype="string")
    deep = layers.Embedding(ints.vocabulary_size(), 8, mask_zero=True)(ints(text))
    if case.binary:
        deep = layers.GlobalMaxPooling1D()(layers.Bidirectional(layers.LSTM(8, return_sequences=True))(deep))
    else:
        deep = layers.GRU(8)(deep)
    wide = tfidf(text)
    if case.unit_normalization:
        wide = layers.UnitNormalization()(wide)
    merged = layers.Concatenate()([deep, wide] if case.deep_first else [wide, deep])
    units, activation = (1, "sigmoid") if case.binary else (label_count, "softmax")
    output = layers.Dense(units, activation=activation)(layers.Dropout(0.2)(merged))
    return keras.Model(text, output), ints.vocabulary_size(), int(deep.shape[-1])


@pytest.fixture(scope="module", params=sorted(CASES))
def trained(request, tmp_path_factory) -> Trained:
    case = CASES[request.param]
    train, train_labels = read_sample(case.dataset, "train", TRAIN_TEXTS)
    test, test_labels = read_sample(case.dataset, "test", TEST_TEXTS)
    names = sorted(set(train_labels))
    model, int_vocabulary_size, deep_width = _build(case, train, len(names))
    targets = np.array([names.index(label) for label in train_labels])
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="binary_crossentropy" if case.binary else "sparse_categorical_crossentropy")
    model.fit(tf.constant(train), targets, batch_size=32, epochs=3, verbose=0, shuffle=False)
    bundle = textrnn.keras.export(model, tmp_path_factory.mktemp("bag") / f"{request.param}.textrnn", labels=names)
    probabilities = model.predict(tf.constant(test), verbose=0)
    return Trained(case, model, bundle, test, test_labels, probabilities, names, int_vocabulary_size, deep_width)


def test_bundle_gives_keras_probabilities_on_long_texts(trained):
    case = trained.case
    longer = sum(len(text.split()) > case.sequence_length + 5 for text in trained.test)
    assert longer >= len(trained.test) // 2, f"only {longer} test texts are longer than the sequence"
    manifest = json.loads((trained.bundle / "manifest.json").read_text())
    assert manifest["format_version"] == 3
    assert manifest["bag"]["tf"] == "count" and manifest["bag"]["oov_bigrams"] is True
    assert manifest["bag"]["norm"] == ("l2" if case.unit_normalization else "none")
    assert manifest["bag"]["bigrams"] > 100
    # The union vocabulary: the tf-idf layer's words that the integer one lacks were added.
    assert len(manifest["text"]["vocabulary"]) > trained.int_vocabulary_size
    # textrnn_predict_batch (two threads), then textrnn_predict and textrnn_top_k.
    assert_probabilities_match(trained.bundle, trained.test, trained.keras_probabilities, trained.output)
    with textrnn.load(trained.bundle) as runtime:
        batch = runtime.predict_proba(trained.test, threads=2)
        for index in range(0, len(trained.test), 10):
            assert np.array_equal(np.array(runtime.predict_one(trained.test[index]), dtype=np.float32), batch[index])
            best = runtime.top_k(trained.test[index], 1)[0]
            assert best == (trained.labels[int(np.argmax(batch[index]))], float(np.max(batch[index])))


def test_the_tfidf_branch_matters(trained):
    """Without the tf-idf rows of the output Dense, Keras's probabilities move: the comparison
    above checks the bag branch, not only the recurrent one."""
    head = trained.model.layers[-1]
    kernel, bias = head.get_weights()
    wide_width = kernel.shape[0] - trained.deep_width
    masked = kernel.copy()
    masked[slice(trained.deep_width, None) if trained.case.deep_first else slice(0, wide_width)] = 0
    try:
        head.set_weights([masked, bias])
        without = trained.model.predict(tf.constant(trained.test), verbose=0)
    finally:
        head.set_weights([kernel, bias])
    assert float(np.max(np.abs(without - trained.keras_probabilities))) > 1e-2


def test_explain_counts_words_past_the_sequence(trained):
    """A word cut off from the recurrent branch still reaches the bag: it is seen, and its
    contribution is exactly p(text) - p(text with the word replaced by an unknown word)."""
    with textrnn.load(trained.bundle) as runtime:
        # The least confident long text: a saturated probability (raw tf-idf counts of a long
        # review) moves by nothing any single word does.
        probabilities = runtime.predict_proba(trained.test)[:, 1]
        long = [index for index, text in enumerate(trained.test) if len(text.split()) > trained.case.sequence_length + 12]
        text = trained.test[min(long, key=lambda index: abs(probabilities[index] - 0.5))]
        words = runtime.explain(text, label=1, threads=2)
        probability = runtime.predict_one(text)[1]
        assert len(words) > trained.case.sequence_length + 5
        assert all(word.seen for word in words)
        data = text.encode("utf-8")
        past = list(range(trained.case.sequence_length + 2, len(words)))[:8]
        for index in [0, trained.case.sequence_length // 2] + past:
            word = words[index]
            occluded = data[: word.offset] + b"qqqzzzunknown" + data[word.offset + word.length :]
            expected = probability - runtime.predict_one(occluded)[1]
            assert abs(word.contribution - expected) <= TOLERANCE, (index, word, expected)
        # Words past the sequence change the prediction (those in neither vocabulary do not).
        assert sum(words[index].contribution != 0 for index in past) >= 3


def test_inspect_shows_the_bag(trained, cli):
    shown = " ".join(run_cli(cli, "inspect", str(trained.bundle)).stdout.decode().split())  # lines wrapped at 79, joined
    norm = ", L2" if trained.case.unit_normalization else ""
    assert "bag (BagOfNgrams)" in shown and f"count tf-idf of" in shown
    assert f"over the whole text{norm}, unknown bigrams as OOV, into the last Dense" in shown


def test_int8_keeps_the_labels(trained, cli, tmp_path):
    validation = tmp_path / "test.csv"
    with open(validation, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "label"])
        writer.writerows(zip(trained.test, trained.test_labels))
    int8 = tmp_path / "int8.textrnn"
    report = json.loads(run_cli(cli, "quantize", str(trained.bundle), "--output", str(int8), "--validation", str(validation), "--json").stdout)
    manifest = json.loads((int8 / "manifest.json").read_text())
    assert manifest["bag"] == json.loads((trained.bundle / "manifest.json").read_text())["bag"]
    assert any(t["name"] == "bag/kernel" and t["dtype"] == "int8" for t in manifest["tensors"])
    with textrnn.load(trained.bundle) as float_model, textrnn.load(int8) as int8_model:
        same = np.mean(float_model.predict(trained.test) == int8_model.predict(trained.test))
    assert same >= 0.99, (same, report)


def _refusal(tmp_path, tfidf_options, **int_options) -> str:
    train, _ = read_sample("ag_news_mini", "train", 100)
    ints = layers.TextVectorization(max_tokens=300, output_sequence_length=8, **int_options)
    ints.adapt(train)
    tfidf = layers.TextVectorization(max_tokens=600, output_mode="tf_idf", **tfidf_options)
    tfidf.adapt(train)
    text = keras.Input(shape=(), dtype="string")
    deep = layers.GRU(4)(layers.Embedding(ints.vocabulary_size(), 4, mask_zero=True)(ints(text)))
    output = layers.Dense(2, activation="softmax")(layers.Concatenate()([deep, tfidf(text)]))
    with pytest.raises(textrnn.keras.KerasExportError) as refused:
        textrnn.keras.export(keras.Model(text, output), tmp_path / "refused.textrnn")
    assert not (tmp_path / "refused.textrnn").exists()
    return str(refused.value)


def test_refuses_what_the_bag_cannot_mirror(tmp_path):
    assert "ngrams=2" in _refusal(tmp_path, {})
    assert "differs from the integer TextVectorization" in _refusal(tmp_path, {"ngrams": 2, "standardize": "lower"})
    assert "words only" in _refusal(tmp_path, {"ngrams": 2}, ngrams=2)
