"""textrnn.keras.export refuses what a bundle cannot reproduce: KerasExportError naming the layer
and the reason, raised before anything is written. The models are built untrained (the refusal
depends on their structure, not their weights)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Dict, List

import pytest

from keras_export_support import keras

import textrnn.keras
from textrnn.keras import KerasExportError

layers = keras.layers
# Keras warns that GlobalMaxPooling1D drops the mask (the exporter accounts for exactly that) and
# about its own numpy 2 conversions.
pytestmark = [
    pytest.mark.filterwarnings("ignore:.*does not support masking:UserWarning"),
    pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning"),
]
VOCABULARY = ["good", "bad", "film", "plot"]
LENGTH = 6


def _vectorizer(**options: Any) -> "layers.TextVectorization":
    options.setdefault("output_sequence_length", LENGTH if options.get("output_mode", "int") == "int" else None)
    return layers.TextVectorization(vocabulary=VOCABULARY, **options)


def _model(*body: Any, head: Any = None, length: Any = LENGTH) -> "keras.Model":
    head = head if head is not None else layers.Dense(2, activation="softmax", name="head")
    return keras.Sequential([keras.Input((length,), dtype="int32"), *body, head])


def _embedding(rows: int = 10) -> Any:
    return layers.Embedding(rows, 4, mask_zero=True, name="embedding")


class Subclassed(keras.Model):
    def __init__(self) -> None:
        super().__init__(name="subclassed")
        self.embedding = layers.Embedding(10, 4)
        self.lstm = layers.LSTM(4)
        self.head = layers.Dense(2, activation="softmax")

    def call(self, inputs: Any) -> Any:
        return self.head(self.lstm(self.embedding(inputs)))


def _branching_model() -> "keras.Model":
    ids = keras.Input((LENGTH,), dtype="int32")
    x = layers.Embedding(10, 4)(ids)
    merged = layers.Concatenate(name="concatenate")([layers.LSTM(3)(x), layers.GRU(3)(x)])
    return keras.Model(ids, layers.Dense(2, activation="softmax")(merged))


def _stateful_model() -> "keras.Model":
    return keras.Sequential([
        keras.Input(batch_shape=(4, LENGTH), dtype="int32"), _embedding(),
        layers.LSTM(3, stateful=True, name="stateful_lstm"), layers.Dense(2, activation="softmax")])


# name -> (build a model, the vectorizer or vocabulary, extra export arguments, words the message must contain)
REFUSALS: Dict[str, tuple] = {
    "custom_standardize": (lambda: _model(_embedding(), layers.LSTM(3)), lambda: _vectorizer(standardize=str.lower),
                           {}, ["text_vectorization", "standardize", "callable"]),
    "character_split": (lambda: _model(_embedding(), layers.LSTM(3)), lambda: _vectorizer(split="character"), {}, ["split", "'character'"]),
    "multi_hot": (lambda: _model(_embedding(), layers.LSTM(3)), lambda: _vectorizer(output_mode="multi_hot"), {}, ["output_mode", "multi_hot"]),
    "tf_idf": (lambda: _model(_embedding(), layers.LSTM(3)), lambda: _vectorizer(output_mode="tf_idf", idf_weights=[1.0] * 4),
               {}, ["output_mode", "tf_idf"]),
    "bigrams_only": (lambda: _model(_embedding(), layers.LSTM(3)), lambda: _vectorizer(ngrams=(2,)), {}, ["ngrams=(2,)"]),
    "four_grams": (lambda: _model(_embedding(), layers.LSTM(3)), lambda: _vectorizer(ngrams=4), {}, ["ngrams=4"]),
    "conv1d": (lambda: _model(_embedding(), layers.Conv1D(4, 3, name="conv"), layers.GlobalMaxPooling1D()), _vectorizer,
               {}, ["'conv' (Conv1D)", "unsupported layer"]),
    "masking_layer": (lambda: _model(layers.Embedding(10, 4), layers.Masking(name="masking"), layers.LSTM(3)), _vectorizer,
                      {}, ["'masking' (Masking)", "unsupported"]),
    "gelu_dense": (lambda: _model(_embedding(), layers.LSTM(3), layers.Dense(4, activation="gelu", name="hidden")), _vectorizer,
                   {}, ["'hidden' (Dense)", "gelu"]),
    "hard_sigmoid_gates": (lambda: _model(_embedding(), layers.LSTM(3, recurrent_activation="hard_sigmoid", name="lstm_hs")),
                           _vectorizer, {}, ["'lstm_hs' (LSTM)", "recurrent_activation", "hard_sigmoid"]),
    "stateful": (_stateful_model, _vectorizer, {}, ["'stateful_lstm' (LSTM)", "stateful"]),
    "logits_head": (lambda: _model(_embedding(), layers.LSTM(3), head=layers.Dense(2)), _vectorizer, {}, ["last layer", "softmax or sigmoid", "head=\"sigmoid\""]),
    "softmax_one_unit": (lambda: _model(_embedding(), layers.LSTM(3), head=layers.Dense(1, activation="softmax")), _vectorizer,
                         {}, ["softmax over one unit"]),
    "dense_per_time_step": (lambda: _model(_embedding(), layers.LSTM(3, return_sequences=True), head=layers.Dense(
        2, activation="softmax", name="per_step")), _vectorizer, {}, ["'per_step' (Dense)", "every time step"]),
    "bidirectional_merge_none": (
        lambda: _model(_embedding(), layers.Bidirectional(layers.LSTM(3, return_sequences=True), merge_mode=None, name="bi"),
                       layers.Concatenate(), layers.GlobalMaxPooling1D()),
        _vectorizer, {}, ["'bi' (Bidirectional)"]),
    "mixed_precision": (lambda: _model(_embedding(), layers.GRU(3, dtype="mixed_float16", name="half_gru")), _vectorizer,
                        {}, ["'half_gru' (GRU)", "mixed_float16", "float32"]),
    "branches": (_branching_model, _vectorizer, {}, ["concatenate", "2 tensors"]),
    "subclassed": (Subclassed, _vectorizer, {}, ["'subclassed' (Subclassed)", "subclassed"]),
    "vocabulary_exceeds_embedding": (lambda: _model(layers.Embedding(4, 4), layers.LSTM(3)), _vectorizer,
                                     {}, ["6 entries", "4 rows"]),
    "wrong_label_count": (lambda: _model(_embedding(), layers.LSTM(3)), _vectorizer, {"labels": ["a", "b", "c"]},
                          ["3 labels", "needs 2"]),
    "vocabulary_without_specials": (lambda: _model(_embedding(), layers.LSTM(3)), lambda: VOCABULARY,
                                    {"sequence_length": LENGTH}, ['"[UNK]"', "include_special_tokens"]),
    "input_length_mismatch": (lambda: _model(_embedding(), layers.LSTM(3), length=LENGTH + 1), _vectorizer,
                              {}, [f"exactly {LENGTH + 1}", f"length is {LENGTH}"]),
    "unbuilt": (lambda: keras.Sequential([_embedding(), layers.LSTM(3), layers.Dense(2, activation="softmax")], name="unbuilt"),
                _vectorizer, {}, ["model 'unbuilt' (Sequential)", "not built"]),
    "no_vectorizer": (lambda: _model(_embedding(), layers.LSTM(3)), lambda: None, {}, ["no text pipeline"]),
    "embedding_not_first": (lambda: _model(layers.Dense(3, name="first_dense"), head=layers.Dense(2, activation="softmax")),
                            _vectorizer, {}, ["'first_dense' (Dense)", "must be an Embedding"]),
}


@pytest.mark.parametrize("name", list(REFUSALS))
def test_refused_with_layer_and_reason(name: str, tmp_path: Path) -> None:
    build_model, build_vectorizer, arguments, words = REFUSALS[name]
    target = tmp_path / "refused.textrnn"
    with pytest.raises(KerasExportError) as raised:
        textrnn.keras.export(build_model(), target, vectorizer=build_vectorizer(), **arguments)
    message = str(raised.value)
    assert isinstance(raised.value, ValueError)
    for word in words:
        assert word in message, f"{word!r} not in {message!r}"
    assert not target.exists() and list(tmp_path.iterdir()) == [], "a refused export left files behind"


def test_pipeline_options_conflict_with_a_text_vectorization(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="padding, replace_html_breaks: these come from the TextVectorization"):
        textrnn.keras.export(_model(_embedding(), layers.LSTM(3)), tmp_path / "x.textrnn", vectorizer=_vectorizer(),
                             padding="pre", replace_html_breaks=True)


def test_existing_non_bundle_directory_is_not_replaced(tmp_path: Path) -> None:
    target = tmp_path / "precious"
    target.mkdir()
    (target / "notes.txt").write_text("keep me")
    with pytest.raises(FileExistsError, match="not a bundle directory"):
        textrnn.keras.export(_model(_embedding(), layers.LSTM(3)), target, vectorizer=_vectorizer())
    assert (target / "notes.txt").read_text() == "keep me"
