"""Export a trained Keras 3 text classifier as a TextRNN bundle.

    >>> import keras, textrnn, textrnn.keras
    >>> vectorizer = keras.layers.TextVectorization(max_tokens=20000, output_sequence_length=200)
    >>> vectorizer.adapt(train_texts)
    >>> model = keras.Sequential([
    ...     keras.Input((200,), dtype="int32"),
    ...     keras.layers.Embedding(20000, 64, mask_zero=True),
    ...     keras.layers.Bidirectional(keras.layers.LSTM(32)),
    ...     keras.layers.Dense(1, activation="sigmoid"),
    ... ])
    >>> model.compile("adam", "binary_crossentropy"); model.fit(vectorizer(train_texts), train_labels)
    >>> textrnn.keras.export(model, "reviews.textrnn", vectorizer=vectorizer, labels=["negative", "positive"])
    >>> textrnn.load("reviews.textrnn").predict("A wonderful film")    # no TensorFlow needed
    ('positive', ...)                                                  # model.predict's probability

The bundle runs the whole pipeline, raw text to probabilities, in ``libtextrnn.so`` and gives
Keras's probabilities (float32 rounding aside; the tests require 1e-5). One difference: a
text with no tokens under GlobalAveragePooling1D with a mask gives NaN in Keras (0/0) and the
average of nothing, zeros, in the bundle. Exported: Embedding (``mask_zero`` too),
SimpleRNN/LSTM/GRU (``reset_after`` either way, ``go_backwards``, stacked with
``return_sequences``), Bidirectional (concat, sum, ave, mul), GlobalMaxPooling1D,
GlobalAveragePooling1D, Dense (linear, relu, tanh, sigmoid, softmax; hidden ones too), Activation
after a linear Dense, and layers that do nothing at inference (Dropout, SpatialDropout1D,
GaussianNoise, ...). The model must be a chain (Sequential or functional); its last layer a Dense
with softmax (one label per text), a single sigmoid unit (two labels) or several sigmoid units
(multi-label), or without activation (logits; the bundle applies the activation the loss did,
see ``head``). Models trained on ``keras.datasets.imdb`` ids export with their word index
(``imdb_word_index``). Anything else raises :class:`KerasExportError` naming the layer and the
reason. One functional graph beside the chain exports too: a
``TextVectorization(output_mode="tf_idf", ngrams=2)`` of the same text input (optionally then
``UnitNormalization``) concatenated with the chain's features before the output Dense becomes
the bundle's bag branch (``_keras_bag``).

TensorFlow/Keras is imported only when :func:`export` runs; ``import textrnn`` never loads it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Optional, Sequence, Union

from ._keras_bag import wide_and_deep
from ._keras_errors import KerasExportError
from ._keras_graph import layer_chain
from ._keras_head import check_head_argument
from ._keras_imdb import from_imdb_word_index
from ._keras_layers import convert_layers
from ._keras_text import PIPELINE_OPTIONS, from_text_vectorization, from_vocabulary
from .bundle_writer import BundleContents, check_bundle_target, write_bundle

__all__ = ["export", "KerasExportError"]


def _import_keras() -> Any:
    try:
        import keras
    except ImportError as error:
        raise ImportError(f"textrnn.keras.export needs Keras 3 with TensorFlow (pip install tensorflow-cpu): {error}") from error
    if int(keras.__version__.split(".")[0]) < 3:
        raise KerasExportError(f"Keras {keras.__version__} is not supported; the exporter reads Keras 3 models")
    return keras


def _labels(labels: Optional[Sequence[str]], output: str, units: int) -> list:
    needed = 2 if output == "binary_sigmoid" else units
    if labels is None:
        return [str(index) for index in range(needed)]
    if isinstance(labels, str) or not all(isinstance(label, str) for label in labels):
        raise TypeError("labels must be a list of strings")
    names = list(labels)
    if len(names) != needed:
        raise KerasExportError(f"{len(names)} labels given, but the {output} output layer ({units} units) needs {needed}")
    return names


def _check_input_length(model: Any, sequence_length: Optional[int]) -> None:
    """A model built for a fixed number of ids must get exactly that many from the pipeline."""
    inputs = getattr(model, "inputs", None) or []
    shape = tuple(inputs[0].shape) if len(inputs) == 1 else ()
    if len(shape) == 2 and shape[1] is not None and shape[1] != sequence_length:
        raise KerasExportError(
            f"the model reads exactly {shape[1]} token ids per text, but the text pipeline's sequence "
            f"length is {sequence_length}", model)


def _training(keras: Any, model: Any, logits_head: Optional[dict], from_imdb: bool) -> dict:
    """The manifest's free-form ``training`` record (`inspect` prints it)."""
    training = {"source": "Keras", "keras_version": keras.__version__, "model": getattr(model, "name", "")}
    if logits_head is not None:
        training["head"] = logits_head
    if from_imdb:
        training["ids"] = "keras.datasets.imdb word index"
    return training


def export(
    model: Any,
    path: Union[str, os.PathLike],
    vectorizer: Any = None,
    *,
    labels: Optional[Sequence[str]] = None,
    standardize: Optional[str] = None,
    split: Optional[str] = None,
    ngrams: Optional[int] = None,
    sequence_length: Optional[int] = None,
    padding: Optional[str] = None,
    truncating: Optional[str] = None,
    replace_html_breaks: Optional[bool] = None,
    head: Optional[str] = None,
    imdb_word_index: Any = None,
    num_words: Optional[int] = None,
    index_from: int = 3,
    start_char: Optional[int] = 1,
    oov_char: Optional[int] = 2,
) -> Path:
    """Writes `model` with its text pipeline as the bundle directory `path`; returns its path.

    `vectorizer` is the ``keras.layers.TextVectorization`` the model was trained on (it may also
    be the model's own first layer, then leave this None), or the vocabulary as a list in id
    order starting with ``""`` and ``"[UNK]"`` (what ``get_vocabulary()`` returns). Only with a
    list do the pipeline options apply: `standardize` (``"lower_and_strip_punctuation"``,
    ``"lower"``, ``"strip_punctuation"`` or ``"none"``), `split` (``"whitespace"``), `ngrams`
    (1-3), `sequence_length` (None: every token), `padding` and `truncating` (``"pre"`` or
    ``"post"``) and `replace_html_breaks`; unset ones take TextVectorization's defaults.

    A model trained on ``keras.datasets.imdb`` ids has no vectorizer: pass instead
    `imdb_word_index` (``imdb.get_word_index()``'s dict, or the path of imdb_word_index.json) and
    the ``load_data`` arguments the ids were made with (`num_words`, `index_from`, `start_char`,
    `oov_char`, their defaults Keras's; `num_words` None: every word of the index), plus
    `sequence_length`, `padding` and `truncating` when the ids went through ``pad_sequences``
    (default ``"pre"``, as there). Raw text then gives the ids the dataset would: Keras's
    ``text_to_word_sequence`` (lowercase, its filter characters as spaces), the start token, the
    word ids, padding and truncation.

    `labels` names the classes in output order; default ``"0"``, ``"1"``, ... The output kind
    follows the last Dense: softmax, one sigmoid unit (binary: ``labels[1]`` is the positive
    class) or several sigmoid units (multi-label). A last Dense without activation outputs
    logits: the bundle then applies the activation the compiled loss names (a cross-entropy with
    ``from_logits=True``), or `head` (``"sigmoid"`` or ``"softmax"``) for a model not compiled so,
    and reports probabilities (Keras's ``tf.sigmoid``/``tf.nn.softmax`` of ``model.predict``);
    the manifest's ``training.head`` records it.

    The bundle is written atomically (a temporary directory renamed into place) and replaces an
    existing bundle at `path`. Raises :class:`KerasExportError` (a ``ValueError``) for anything
    the bundle cannot reproduce exactly, before writing anything.
    """
    check_head_argument(head)
    check_bundle_target(path)  # before any work: a refused path costs no conversion
    keras = _import_keras()
    if isinstance(model, keras.Model) and not model.built:
        raise KerasExportError("the model is not built, so it has no weights yet; give it a keras.Input or call it on data", model)
    wide = wide_and_deep(model, keras)  # a tf_idf branch beside the chain: the bag branch
    chain = wide.chain if wide else layer_chain(model, keras)
    text_vectorization = keras.layers.TextVectorization
    starts_with_ids = not (chain and type(chain[0]) is text_vectorization)
    if not starts_with_ids:
        inner = chain.pop(0)
        if vectorizer is not None and vectorizer is not inner:
            raise KerasExportError("the model starts with its own TextVectorization; do not pass another vectorizer=", inner)
        vectorizer = inner
    options = {
        "standardize": standardize, "split": split, "ngrams": ngrams, "sequence_length": sequence_length,
        "padding": padding, "truncating": truncating, "replace_html_breaks": replace_html_breaks,
    }
    given = [name for name in PIPELINE_OPTIONS if options[name] is not None]
    if imdb_word_index is not None:
        if vectorizer is not None or not starts_with_ids:
            raise KerasExportError("imdb_word_index= replaces the vectorizer; the model must read ids and vectorizer= stay None")
        extra = [name for name in given if name not in ("sequence_length", "padding", "truncating")]
        if extra:
            raise TypeError(f"{', '.join(extra)}: the imdb_word_index pipeline is fixed (Keras text_to_word_sequence)")
        text, vocabulary = from_imdb_word_index(
            imdb_word_index, num_words=num_words, index_from=index_from, start_char=start_char, oov_char=oov_char,
            sequence_length=sequence_length, padding=padding, truncating=truncating)
    elif num_words is not None:
        raise TypeError("num_words applies only with imdb_word_index=")
    elif vectorizer is None:
        raise KerasExportError(
            "no text pipeline: pass vectorizer= (the TextVectorization layer the model was trained "
            "with, or its vocabulary list)")
    elif type(vectorizer) is text_vectorization:
        if given:
            raise TypeError(f"{', '.join(given)}: these come from the TextVectorization layer; pass them only with a vocabulary list")
        text, vocabulary = from_text_vectorization(vectorizer)
    elif isinstance(vectorizer, keras.layers.Layer):
        raise KerasExportError("vectorizer must be a keras.layers.TextVectorization (not a subclass) or a vocabulary list", vectorizer)
    elif isinstance(vectorizer, (str, bytes)):
        raise TypeError("vectorizer must be a TextVectorization layer or a list of tokens, not a string")
    else:
        text, vocabulary = from_vocabulary(list(vectorizer), options)

    if starts_with_ids:
        _check_input_length(model, text["sequence_length"])
    converted = convert_layers(chain, keras, model, padding=text["padding"], head=head)
    bag = None
    if wide:
        vocabulary, bag = wide.attach(text, vocabulary, converted)
    if len(vocabulary) > converted.embedding_rows:
        raise KerasExportError(
            f"the vocabulary has {len(vocabulary)} entries but the Embedding only {converted.embedding_rows} rows "
            "(input_dim must be at least the vocabulary size)", chain[0] if chain else model)
    contents = BundleContents(
        text=text, vocabulary=vocabulary, labels=_labels(labels, converted.output, converted.output_units),
        output=converted.output, layers=converted.layers, tensors=converted.tensors,
        producer=f"textrnn.keras (Keras {keras.__version__})",
        training=_training(keras, model, converted.logits_head, imdb_word_index is not None),
        bag=bag,
    )
    return write_bundle(path, contents)
